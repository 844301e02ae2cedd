"""Find likely duplicate works stored under different DOIs, and merge them on request.

The same work reached under different spellings of one DOI is already one
node (DOI keys are lower-case). This module finds the harder case: *one work
registered under two or more DOIs*, typically a preprint and its journal
article, or two versions of a blog post. Such groups are **reported, never
merged silently**: :func:`find_duplicates` only returns
:class:`DuplicateGroup` rows for a table; :func:`merge_duplicates` records
the merges the caller chose, with the evidence as the reason, in the store's
``merges`` table (:meth:`~citegraph.store.Store.add_merges`), after which
:meth:`~citegraph.store.Store.citation_edges` maps every alias to its
canonical DOI.

Rules
-----
Two works form a *candidate pair* when either

1. **their titles match**: the :func:`normalise_title` forms are identical
   and have at least ``min_title_words`` words and ``min_title_chars``
   characters, so short generic titles ("Editorial", "Reply", "Correction",
   "Introduction", "Book reviews") never pair; empty or missing titles never
   pair by title; **and** both years are known and at most ``max_year_gap``
   apart (a work without a year pairs only through relation evidence);
   **and** both first authors are known and their normalised family names
   are equal (case-folded, accents and punctuation dropped). A work without a
   first author never pairs by title alone: in real data those are mostly
   recurring columns ("Impairment Questions and Answers") and letter/reply
   pairs, not duplicates; **and** they are not at different places of a
   journal: when the works sharing a title and first author give different
   volumes, issues or first pages (each compared when both works give it;
   a first page only counts with a volume or an issue beside it, since an
   online-first record's page "1" is no place in the journal), they are
   different items (a letter and a later reply, a recurring column), and
   only works at the same place (same volume, issue and first page, a
   missing one counting as a value of its own) pair: in the shared records,
   three pairs of *Archives of Dermatology* items with the same title and
   author but different volume, issue and pages are kept apart this way.
   The place is read from ``volume``, ``issue``, ``page`` and
   ``article-number`` keys, or from ``raw_json``; or
2. **Crossref asserts it**: the ``relation`` object of either record (read
   from ``raw_json``, or from a ``relation`` key) links the two DOIs with one
   of :data:`RELATION_TYPES` (``is-preprint-of``, ``has-preprint``,
   ``is-version-of``, ``has-version``, ``is-identical-to``, ``is-same-as``).
   Titles, years and authors are then not compared: titles often change
   between preprint and article. Only relations to DOIs that are themselves
   among the works count. The evidence says which relation was seen.

Pairs are grouped transitively (union-find), so A~B and B~C make one group
{A, B, C}. Each group keeps one **canonical** DOI, chosen deterministically
by, in order: a published type (:data:`PUBLISHED_TYPES`, such as
``journal-article``) before a work of another or unknown type, before a
preprint (type ``posted-content``, the subject of an ``is-preprint-of`` or
the object of a ``has-preprint`` relation); then the higher
``is_referenced_by_count``; then the higher ``references_count`` (missing
counts as 0); then the smaller DOI key. The other members are its
``aliases``, sorted. Groups are returned sorted by canonical DOI, and the
result does not depend on the order of the input.

Candidates are found by bucketing works by normalised title (a dict) and,
inside a bucket, by first author; works are then sorted by year and only
year-order neighbours are compared (which gives the same groups as comparing
every pair), so the cost is about linear in the number of works, even when
thousands share one title (10^5 works take about a second).

Examples
--------
Hand-made unit-test records (not Crossref data): a preprint and its article.

>>> works = [
...     {"doi": "10.1101/2019.01.01.123", "title": "The <i>BRCA1</i> gene: a review of its roles",
...      "year": 2019, "type": "posted-content", "first_author": "Doe"},
...     {"doi": "10.1000/j.gene.2020.1", "title": "The BRCA1 Gene - A Review of its Roles.",
...      "year": 2020, "type": "journal-article", "first_author": "Doe"},
...     {"doi": "10.1000/other", "title": "Editorial", "year": 2020},
... ]
>>> (group,) = find_duplicates(works)
>>> group.canonical, group.aliases, group.years
('10.1000/j.gene.2020.1', ('10.1101/2019.01.01.123',), (2020, 2019))
>>> print(group.evidence)
same title, years 2019/2020
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from citegraph.doi import normalize_doi
from citegraph.errors import InvalidDOIError, UsageError
from citegraph.store import Store

__all__ = [
    "PREPRINT_RELATIONS",
    "PREPRINT_TYPES",
    "PUBLISHED_TYPES",
    "RELATION_TYPES",
    "DuplicateGroup",
    "find_duplicates",
    "merge_duplicates",
    "normalise_title",
    "unmerged",
]

log = logging.getLogger(__name__)

#: Crossref ``relation`` types that say two DOIs are the same work.
RELATION_TYPES: frozenset[str] = frozenset(
    {"is-preprint-of", "has-preprint", "is-version-of", "has-version", "is-identical-to", "is-same-as"}
)

#: ``relation`` types and which side they mark as the preprint: ``"subject"``
#: (the record carrying the relation) or ``"object"`` (the DOI it points to).
PREPRINT_RELATIONS: Mapping[str, str] = {"is-preprint-of": "subject", "has-preprint": "object"}

#: Crossref types of published versions; they win the canonical choice.
PUBLISHED_TYPES: frozenset[str] = frozenset(
    {
        "journal-article",
        "proceedings-article",
        "book-chapter",
        "book-section",
        "book-part",
        "book",
        "monograph",
        "edited-book",
        "reference-book",
        "reference-entry",
        "report",
        "dissertation",
        "standard",
    }
)

#: Crossref types of preprints; they lose the canonical choice.
PREPRINT_TYPES: frozenset[str] = frozenset({"posted-content"})

_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>")
_NON_ALNUM = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Case-fold, decompose (NFKD) and drop combining marks."""
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def normalise_title(title: str | None) -> str:
    """A title reduced to the form compared when looking for duplicates.

    Markup tags (JATS ``<jats:italic>``, HTML ``<i>``, ``<sub>``...) are
    removed, HTML entities unescaped, the text case-folded, decomposed
    (Unicode NFKD) with combining marks dropped, and every run of characters
    that are not letters or digits replaced by one space.

    Parameters
    ----------
    title : str or None
        A work title as stored.

    Returns
    -------
    str
        The normalised title; ``""`` for a missing or empty title.

    Examples
    --------
    >>> normalise_title("The <i>BRCA1</i> gene: a Review.")
    'the brca1 gene a review'
    >>> normalise_title("CO<jats:sub>2</jats:sub> &amp; Café  au lait")
    'co2 cafe au lait'
    >>> normalise_title(None), normalise_title("  ")
    ('', '')
    """
    if not title:
        return ""
    text = _TAG.sub("", title)
    if "&" in text:
        text = _TAG.sub("", html.unescape(text))  # markup that arrived escaped (&lt;i&gt;)
    text = _fold(text)
    return _NON_ALNUM.sub(" ", text).strip()


def _author_key(work: Mapping[str, Any]) -> str:
    """Normalised family name of the first author, or ``""`` when unknown."""
    name = work.get("first_author")
    if not isinstance(name, str) or not name.strip():
        authors = work.get("authors")
        if isinstance(authors, (list, tuple)) and authors and isinstance(authors[0], str):
            name = authors[0]
        else:
            return ""
    family = name.split(",", 1)[0]
    return _NON_ALNUM.sub("", _fold(family))


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _relations(work: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(relation type, target DOI key)`` for the same-work relations of a record."""
    relation = work.get("relation")
    if not isinstance(relation, Mapping):
        raw = work.get("raw_json")
        if not isinstance(raw, str) or '"relation"' not in raw:
            return []
        try:
            record = json.loads(raw)
        except ValueError:
            log.debug("work %s: raw_json is not JSON", work.get("doi"))
            return []
        relation = record.get("relation") if isinstance(record, Mapping) else None
        if not isinstance(relation, Mapping):
            return []
    found: list[tuple[str, str]] = []
    for name, targets in relation.items():
        if name not in RELATION_TYPES:
            continue
        if isinstance(targets, Mapping):
            targets = [targets]
        if not isinstance(targets, list):
            continue
        for target in targets:
            if not isinstance(target, Mapping) or str(target.get("id-type", "")).lower() != "doi":
                continue
            ident = target.get("id")
            if not isinstance(ident, str):
                continue
            try:
                found.append((name, normalize_doi(ident).key))
            except InvalidDOIError as exc:
                log.debug("work %s: relation %s: %s", work.get("doi"), name, exc)
    return found


@dataclass(frozen=True)
class DuplicateGroup:
    """Works that are likely one work under several DOIs.

    Attributes
    ----------
    canonical : str
        The DOI key kept.
    aliases : tuple of str
        The DOI keys to merge into it, sorted.
    title : str
        The canonical work's title, for display (``""`` when it has none).
    years, types : tuple
        Year and Crossref type of the canonical work first, then of each
        alias in order.
    evidence : str
        Why they were grouped, e.g. ``"same title, years 2019/2020; Crossref
        relation is-preprint-of"``; recorded as the merge reason.

    Examples
    --------
    >>> g = DuplicateGroup("10.1/a", ("10.1/b",), "A title", (2020, None),
    ...                    ("journal-article", None), "different titles, year 2020; Crossref relation has-version")
    >>> g.as_row()["years"], g.as_row()["types"]
    ('2020/?', 'journal-article/?')
    """

    canonical: str
    aliases: tuple[str, ...]
    title: str
    years: tuple[int | None, ...]
    types: tuple[str | None, ...]
    evidence: str

    def as_row(self) -> dict[str, str]:
        """The group as one row of a printed or CSV table.

        Keys: ``canonical``, ``aliases`` (joined with ``"; "``), ``title``,
        ``years`` and ``types`` (joined with ``/``, ``?`` when unknown) and
        ``evidence``.

        Examples
        --------
        >>> DuplicateGroup("10.1/a", ("10.1/b", "10.1/c"), "T", (2020, 2019, 2019),
        ...                ("journal-article", "posted-content", "posted-content"), "same title").as_row()
        ... # doctest: +NORMALIZE_WHITESPACE
        {'canonical': '10.1/a', 'aliases': '10.1/b; 10.1/c', 'title': 'T', 'years': '2020/2019/2019',
         'types': 'journal-article/posted-content/posted-content', 'evidence': 'same title'}
        """
        return {
            "canonical": self.canonical,
            "aliases": "; ".join(self.aliases),
            "title": self.title,
            "years": "/".join("?" if y is None else str(y) for y in self.years),
            "types": "/".join(t or "?" for t in self.types),
            "evidence": self.evidence,
        }


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra
            self.parent.setdefault(ra, ra)


#: Crossref fields that say where a work sits in its journal.
_PLACE_FIELDS = ("volume", "issue", "page", "article-number")
_PAGE_SPLIT = re.compile(r"[-\u2010-\u2015,;\s]+")

#: A work's place in its journal: (volume, issue, first page), ``None`` where unknown.
Placement = tuple[str | None, str | None, str | None]


def _place_value(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = " ".join(_fold(str(value)).split())
    return text or None


def _placement(work: Mapping[str, Any]) -> Placement:
    """Volume, issue and first page of a work (from its keys, else its ``raw_json``).

    The first page is the start of ``page`` (else ``article-number``) and is
    kept only when the work also gives a volume or an issue.
    """
    record: Mapping[str, Any] = work
    if not any(k in work for k in _PLACE_FIELDS):
        raw = work.get("raw_json")
        if not isinstance(raw, str) or not any(f'"{k}"' in raw for k in _PLACE_FIELDS):
            return (None, None, None)
        try:
            parsed = json.loads(raw)
        except ValueError:
            return (None, None, None)
        if not isinstance(parsed, Mapping):
            return (None, None, None)
        record = parsed
    volume = _place_value(record.get("volume"))
    issue = _place_value(record.get("issue"))
    page = _place_value(record.get("page"))
    if page is not None:
        page = next((p for p in _PAGE_SPLIT.split(page) if p), None)
    if page is None:
        page = _place_value(record.get("article-number"))
    if volume is None and issue is None:
        page = None
    return (volume, issue, page)


@dataclass
class _Work:
    doi: str
    title: str
    norm: str
    year: int | None
    type: str | None
    author: str
    cited: int
    refs: int
    place: Placement = (None, None, None)


def _same_place_parts(group: list[_Work]) -> list[list[_Work]]:
    """Split works sharing a title and first author into those that can be one item.

    When no two of them give different volumes, issues or first pages, they
    are one part. Otherwise each distinct placement is a part of its own (a
    work without any placement, unable to say which item it is, goes with
    the other unplaced works). Parts keep the order of ``group``.
    """
    places = [w.place for w in group]
    if all(len({p[i] for p in places if p[i] is not None}) <= 1 for i in range(3)):
        return [group]
    parts: dict[Placement, list[_Work]] = defaultdict(list)
    for w, place in zip(group, places, strict=True):
        parts[place].append(w)
    return list(parts.values())


def _window_pairs(items: list[_Work], gap: int, uf: _UnionFind) -> None:
    """Group works (sorted by year) whose years are at most ``gap`` apart, transitively.

    In a list sorted by year, two works within ``gap`` have every work
    between them within ``gap`` of both, so uniting neighbours gives the
    same groups as uniting every close pair, in linear time.
    """
    for a, b in itertools.pairwise(items):
        assert a.year is not None and b.year is not None
        if b.year - a.year <= gap:
            uf.union(a.doi, b.doi)


def _title_pairs(bucket: list[_Work], gap: int, uf: _UnionFind) -> None:
    dated = sorted((w for w in bucket if w.year is not None), key=lambda w: (w.year, w.doi))
    by_author: dict[str, list[_Work]] = defaultdict(list)
    for w in dated:
        if w.author:  # title-only evidence needs a known, equal first author
            by_author[w.author].append(w)
    for group in by_author.values():
        if len(group) < 2:
            continue
        for part in _same_place_parts(group):
            _window_pairs(part, gap, uf)


def _plural(word: str, n: int) -> str:
    return word if n == 1 else word + "s"


def find_duplicates(
    works: Iterable[Mapping[str, Any]],
    *,
    max_year_gap: int = 1,
    min_title_words: int = 4,
    min_title_chars: int = 25,
) -> list[DuplicateGroup]:
    """Find groups of works that are likely one work under different DOIs.

    Nothing is merged: the groups are for a report, and for
    :func:`merge_duplicates` when the user asks for it. The rules are in the
    module documentation.

    Parameters
    ----------
    works : iterable of mappings
        Works as yielded by :meth:`citegraph.store.Store.works` (keys
        ``doi``, ``title``, ``year``, ``type``, ``first_author``,
        ``authors``, ``is_referenced_by_count``, ``references_count``,
        ``raw_json``; all but ``doi`` may be missing). A DOI seen twice keeps
        its first work.
    max_year_gap : int
        Largest difference in years for a pair by title.
    min_title_words, min_title_chars : int
        Shortest normalised title, in words and in characters, that may pair
        by title.

    Returns
    -------
    list of DuplicateGroup
        Sorted by canonical DOI.

    Raises
    ------
    UsageError
        When a limit is negative.

    Examples
    --------
    Hand-made unit-test records (not Crossref data), linked by a relation:

    >>> import json
    >>> works = [
    ...     {"doi": "10.1000/art", "title": "Cats and dogs in cities", "year": 2021,
    ...      "type": "journal-article", "raw_json": "{}"},
    ...     {"doi": "10.1101/pre", "title": "Dogs and cats", "year": 2020, "type": "posted-content",
    ...      "raw_json": json.dumps({"relation": {"is-preprint-of": [
    ...          {"id-type": "doi", "id": "10.1000/ART", "asserted-by": "subject"}]}})},
    ... ]
    >>> [g.as_row() for g in find_duplicates(works)]  # doctest: +NORMALIZE_WHITESPACE
    [{'canonical': '10.1000/art', 'aliases': '10.1101/pre', 'title': 'Cats and dogs in cities',
      'years': '2021/2020', 'types': 'journal-article/posted-content',
      'evidence': 'different titles, years 2020/2021; Crossref relation is-preprint-of'}]
    """
    for name, value in (("max_year_gap", max_year_gap), ("min_title_words", min_title_words),
                        ("min_title_chars", min_title_chars)):
        if value < 0:
            raise UsageError(f"{name} must be 0 or more, not {value}")

    table: dict[str, _Work] = {}
    relations: dict[str, list[tuple[str, str]]] = {}
    buckets: dict[str, list[_Work]] = defaultdict(list)
    for raw in works:
        doi = raw.get("doi")
        if not isinstance(doi, str) or not doi:
            log.debug("skipping a work without a DOI key")
            continue
        if doi in table:
            log.debug("work %s given twice; keeping the first", doi)
            continue
        title = raw.get("title") if isinstance(raw.get("title"), str) else None
        norm = normalise_title(title)
        w = _Work(
            doi=doi,
            title=title or "",
            norm=norm,
            year=_year(raw.get("year")),
            type=raw.get("type") if isinstance(raw.get("type"), str) else None,
            author=_author_key(raw),
            cited=_count(raw.get("is_referenced_by_count")),
            refs=_count(raw.get("references_count")),
        )
        table[doi] = w
        rels = _relations(raw)
        if rels:
            relations[doi] = rels
        if norm and len(norm) >= min_title_chars and norm.count(" ") + 1 >= min_title_words:
            if w.author and w.year is not None:  # it may pair by title: where is it in its journal?
                w.place = _placement(raw)
            buckets[norm].append(w)

    uf = _UnionFind()
    for bucket in buckets.values():
        if len(bucket) > 1:
            _title_pairs(bucket, max_year_gap, uf)

    preprints: set[str] = set()
    pair_relations: dict[frozenset[str], set[str]] = defaultdict(set)
    for doi, rels in relations.items():
        for name, target in rels:
            side = PREPRINT_RELATIONS.get(name)
            if side == "subject":
                preprints.add(doi)
            elif side == "object" and target in table:
                preprints.add(target)
            if target == doi or target not in table:
                continue
            pair_relations[frozenset((doi, target))].add(name)
            uf.union(doi, target)

    members: dict[str, list[str]] = defaultdict(list)
    for doi in uf.parent:
        members[uf.find(doi)].append(doi)

    def rank(doi: str) -> tuple[int, int, int, str]:
        w = table[doi]
        if w.type in PREPRINT_TYPES or doi in preprints:
            tier = 2
        elif w.type in PUBLISHED_TYPES:
            tier = 0
        else:
            tier = 1
        return (tier, -w.cited, -w.refs, doi)

    rel_by_member: dict[str, set[str]] = defaultdict(set)
    for pair, names in pair_relations.items():
        for doi in pair:
            rel_by_member[doi].update(names)

    groups: list[DuplicateGroup] = []
    for dois in members.values():
        if len(dois) < 2:
            continue
        canonical = min(dois, key=rank)
        aliases = tuple(sorted(d for d in dois if d != canonical))
        ordered = [table[canonical], *(table[a] for a in aliases)]
        groups.append(
            DuplicateGroup(
                canonical=canonical,
                aliases=aliases,
                title=table[canonical].title,
                years=tuple(w.year for w in ordered),
                types=tuple(w.type for w in ordered),
                evidence=_evidence(ordered, set[str]().union(*(rel_by_member[d] for d in dois))),
            )
        )
    groups.sort(key=lambda g: g.canonical)
    log.info("%d likely duplicate %s among %d works", len(groups), _plural("group", len(groups)), len(table))
    return groups


def _evidence(ordered: list[_Work], relation_names: set[str]) -> str:
    titles = {w.norm for w in ordered}
    if len(titles) == 1:
        title_part = "same title"
    else:
        counts: dict[str, int] = defaultdict(int)
        for w in ordered:
            counts[w.norm] += 1
        shared = max(counts.values())
        title_part = (
            "different titles"
            if shared == 1
            else f"same title for {shared} of {len(ordered)} works"
        )
    known = sorted({w.year for w in ordered if w.year is not None})
    if not known:
        year_part = "years unknown"
    else:
        year_part = f"{_plural('year', len(known))} {'/'.join(map(str, known))}"
        missing = sum(w.year is None for w in ordered)
        if missing:
            year_part += f" ({missing} unknown)"
    text = f"{title_part}, {year_part}"
    if relation_names:
        text += f"; Crossref {_plural('relation', len(relation_names))} {', '.join(sorted(relation_names))}"
    return text


def unmerged(groups: Iterable[DuplicateGroup], merges: Mapping[str, str]) -> list[DuplicateGroup]:
    """The groups not yet fully merged (``merges`` is :meth:`Store.merges`).

    Examples
    --------
    >>> g = DuplicateGroup("10.1/a", ("10.1/b",), "T", (2020, 2020), (None, None), "same title")
    >>> unmerged([g], {}) == [g], unmerged([g], {"10.1/b": "10.1/a"})
    (True, [])
    """
    return [g for g in groups if any(merges.get(alias) != g.canonical for alias in g.aliases)]


def merge_duplicates(store: Store, groups: Iterable[DuplicateGroup]) -> int:
    """Record the merges of the given groups in the store, on explicit request.

    Every alias is recorded as the same work as its group's canonical DOI,
    with the group's evidence as the reason; from then on
    :meth:`~citegraph.store.Store.citation_edges` maps the alias to the
    canonical DOI. All merges are written in one transaction.

    Parameters
    ----------
    store : Store
        An open, writable store.
    groups : iterable of DuplicateGroup
        The groups to merge, e.g. those of :func:`find_duplicates` the user
        accepted.

    Returns
    -------
    int
        The number of merges recorded.

    Examples
    --------
    >>> g = DuplicateGroup("10.1/a", ("10.1/b",), "T", (2020, 2019),
    ...                    ("journal-article", "posted-content"), "same title, years 2019/2020")
    >>> with Store(":memory:") as store:
    ...     merge_duplicates(store, [g]), store.merges()
    (1, {'10.1/b': '10.1/a'})
    """
    rows: list[tuple[str, str, str]] = []
    for group in groups:
        for alias in group.aliases:
            log.info("merging %s into %s (%s)", alias, group.canonical, group.evidence)
            rows.append((alias, group.canonical, group.evidence))
    n = store.add_merges(rows)
    log.info("recorded %d %s", n, _plural("merge", n))
    return n
