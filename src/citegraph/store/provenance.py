"""Which source found what, and where the sources disagree.

Two reports over one store, for ``citegraph status``:

:func:`source_coverage`
    one :class:`SourceCoverage` row per source that contributed anything:
    the works it gave a record of, the citation edges it found, those only
    it found, and the keys it said it does not know.
:func:`source_disagreements`
    the works whose title or year differs between two sources, and the
    citation edges one source has while the other source's complete
    reference list of the citing work lacks them (:class:`Disagreements`,
    rendered by :func:`format_disagreements`).

Source names
------------
A ``works`` row is credited by its ``source`` column (:func:`source_label`):
``file:<name>`` (Crossref records read from a file) is ``file``; an imported
record (``<format>:<file>``) is its database (``wos-tab`` and ``wos-bib`` are
``wos``, ``openalex-csv`` is ``openalex``); ``openalex`` is OpenAlex; any other
value names the source of a Crossref-shaped record (the API's is
``crossref``). Edges are credited by :meth:`Store.citation_edges
<citegraph.store.database.Store.citation_edges>`'s ``sources``, each folded
into the source that made it: a match rule goes with its source
(``crossref-match`` with ``crossref``, ``wos-key`` and ``wos-key+source`` with
``wos``, ``lens-id`` with ``lens``), and the reference entries of a
Crossref-shaped record (``crossref`` in ``citation_edges``) go to that
record's source, so a store built from files shows them under ``file``.

Examples
--------
>>> from citegraph.store import Store
>>> from citegraph.store.records import parse_work
>>> with Store(":memory:") as store:                     # a hand-made unit fixture
...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "reference": [{"key": "1", "DOI": "10.5555/b"}]},
...                                     source="crossref")])
...     [row.as_dict() for row in source_coverage(store)]
...     format_disagreements(source_disagreements(store))
[{'source': 'crossref', 'works': 1, 'edges': 1, 'edges_only': 1, 'edges_matched': 0, 'not_found': 0}]
['disagreements: none (title 0, year 0, edges 0)']
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from citegraph.store.database import IMPORT_DATABASES, RECORD_SOURCES, CitationEdge, Store

__all__ = [
    "COMPARED_FIELDS",
    "EDGE_KINDS",
    "Disagreements",
    "EdgeDisagreement",
    "FieldDisagreement",
    "SourceCoverage",
    "format_disagreements",
    "normalise_title",
    "source_coverage",
    "source_disagreements",
    "source_label",
]

log = logging.getLogger(__name__)

#: The fields compared between sources by :func:`source_disagreements`.
COMPARED_FIELDS: tuple[str, ...] = ("title", "year")

#: The kinds of edge disagreement, as ``(has, lacks)``.
EDGE_KINDS: tuple[tuple[str, str], ...] = (("crossref", "openalex"), ("openalex", "crossref"))

_OPENALEX = "openalex"
_CROSSREF = "crossref"
_IMPORTS_SQL = ", ".join(f"'{d}'" for d in IMPORT_DATABASES)

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_NOT_WORD = re.compile(r"[\W_]+")


# ----------------------------------------------------------------------------------------------- names


def source_label(source: str) -> str:
    """The source a ``works.source`` (or ``not_found.source``, ``field_conflicts``) value stands for.

    Examples
    --------
    >>> [source_label(s) for s in ("crossref", "file:works.jsonl.gz", "wos-tab:savedrecs.txt",
    ...                            "openalex-csv:works.csv", "openalex", "scopus:scopus.csv")]
    ['crossref', 'file', 'wos', 'openalex', 'openalex', 'scopus']
    """
    prefix, colon, _ = source.partition(":")
    if prefix == "file":
        return "file"
    if colon:
        database = prefix.split("-", 1)[0]
        if database in IMPORT_DATABASES:
            return database
    return source if not colon else prefix


def _is_record_label(label: str) -> bool:
    """Whether works rows credited to ``label`` hold Crossref-shaped records (parsed by ``parse_work``)."""
    return label not in IMPORT_DATABASES and label not in RECORD_SOURCES


def _edge_origin(source: str) -> str:
    """The source an edge source of ``citation_edges`` belongs to (``wos-key+source`` -> ``wos``)."""
    return source.split("-", 1)[0]


# ------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class SourceCoverage:
    """What one source contributed to a store.

    Attributes
    ----------
    source : str
        The source's name (see the module's *Source names*).
    works : int
        Works whose record the source gave: ``works`` rows of its records,
        records kept in ``source_records`` (OpenAlex), works imported from
        its exports (``imported``), Crossref records found for imported works
        by ``import --enrich``; for ``opencitations``, the works it named as
        citing or cited. Counted by stored key (no duplicate merging).
    edges : int
        Citation edges (after duplicate merges, as ``citation_edges``) the
        source found, by a DOI or identifier or through a match rule.
    edges_only : int
        Edges no other source found.
    edges_matched : int
        Edges the source gave only through a reference entry matched to a
        record (``crossref-match``, ``wos-key``, ``lens-id``...), none by a DOI.
    not_found : int
        Keys the source said it does not know (``not_found``; enrichment
        answers without a record).
    """

    source: str
    works: int = 0
    edges: int = 0
    edges_only: int = 0
    edges_matched: int = 0
    not_found: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (the field names as keys)."""
        return asdict(self)


def _credit(sources: tuple[str, ...], label: str) -> tuple[tuple[str, bool], ...]:
    """``((source, found by a DOI or identifier), ...)`` for an edge's ``sources``; ``label``: the citing row's."""
    direct: dict[str, bool] = {}
    for name in sources:
        origin = _edge_origin(name)
        if origin == _CROSSREF:  # a Crossref-shaped record's entry: credited to that record's source
            origin = label if _is_record_label(label) else _CROSSREF
        direct[origin] = direct.get(origin, False) or "-" not in name
    return tuple(sorted(direct.items()))


def source_coverage(store: Store, citation_edges: Iterable[CitationEdge] | None = None) -> list[SourceCoverage]:
    """One :class:`SourceCoverage` per source that contributed anything, ordered by source name.

    Parameters
    ----------
    store : Store
        An open store (read only).
    citation_edges : iterable of CitationEdge, optional
        ``store.citation_edges()`` when the caller has it already (it is most
        of the time taken: about 1.7 s for 150,000 references); read when not given.

    Returns
    -------
    list of SourceCoverage
        Empty for an empty store.

    Examples
    --------
    >>> from citegraph.store import Store
    >>> with Store(":memory:") as store:
    ...     source_coverage(store)
    []
    """
    q = store.execute
    works: dict[str, set[str]] = defaultdict(set)
    row_label: dict[str, str] = {}
    for key, source in q("SELECT doi, source FROM works"):
        label = source_label(source)
        row_label[key] = label
        if _is_record_label(label):  # imports and OpenAlex are counted from their own tables below
            works[label].add(key)
    for key, source in q("SELECT work, source FROM source_records"):
        works[source].add(key)
    for key, fmt in q("SELECT d.work, i.format FROM imported d JOIN imports i ON i.id = d.import"):
        works[source_label(f"{fmt}:")].add(key)
    for key, source in q("SELECT work, source FROM enrichments WHERE record IS NOT NULL"):
        works[source_label(source)].add(key)
    for (key,) in q("SELECT citing FROM oc_citations UNION SELECT cited FROM oc_citations"):
        works["opencitations"].add(key)

    missing: dict[str, set[str]] = defaultdict(set)
    for key, source in q("SELECT doi, source FROM not_found"):
        missing[source_label(source)].add(key)
    for key, source in q("SELECT work, source FROM enrichments WHERE record IS NULL"):
        missing[source_label(source)].add(key)

    edges: dict[str, int] = defaultdict(int)
    only: dict[str, int] = defaultdict(int)
    matched: dict[str, int] = defaultdict(int)
    credits: dict[tuple[tuple[str, ...], str], tuple[tuple[str, bool], ...]] = {}
    for edge in store.citation_edges() if citation_edges is None else citation_edges:
        crossref = any(_edge_origin(name) == _CROSSREF for name in edge.sources)
        label = row_label.get(edge.citing, _CROSSREF) if crossref else ""
        credit = credits.get((edge.sources, label))
        if credit is None:
            credit = credits[edge.sources, label] = _credit(edge.sources, label)
        for origin, by_doi in credit:
            edges[origin] += 1
            matched[origin] += not by_doi
        if len(credit) == 1:
            only[credit[0][0]] += 1

    names = sorted(set(works) | set(missing) | set(edges))
    rows = [SourceCoverage(name, len(works.get(name, ())), edges.get(name, 0), only.get(name, 0),
                           matched.get(name, 0), len(missing.get(name, ()))) for name in names]
    log.debug("source coverage: %s", ", ".join(f"{r.source} {r.works} works {r.edges} edges" for r in rows))
    return rows


# -------------------------------------------------------------------------------------- disagreements


@dataclass(frozen=True)
class FieldDisagreement:
    """One field of one work on which two sources disagree.

    ``value_a`` is the value the store's ``works`` row keeps (from
    ``source_a``), ``value_b`` the other source's; years are integers,
    titles as given (compared after :func:`normalise_title`).
    """

    work: str
    field: str
    value_a: str | int
    source_a: str
    value_b: str | int
    source_b: str


@dataclass(frozen=True)
class EdgeDisagreement:
    """A citation ``citing -> cited`` that source ``has`` finds and source ``lacks`` explicitly does not.

    ``unlinked`` counts the entries of the lacking reference list that give
    no DOI and were not matched to one (only Crossref lists have such
    entries): when it is above 0 the missing citation may be one of them,
    so the disagreement is not certain.
    """

    citing: str
    cited: str
    has: str
    lacks: str
    unlinked: int = 0


@dataclass
class Disagreements:
    """What :func:`source_disagreements` found.

    Attributes
    ----------
    fields : list of FieldDisagreement
        Ordered by field, work, sources; at most ``limit`` per field.
    edges : list of EdgeDisagreement
        Ordered by kind (:data:`EDGE_KINDS`), citing, cited; at most ``limit`` per kind.
    counts : dict
        Totals (whatever the limit): ``title`` and ``year`` (disagreeing
        pairs of values; a work can disagree with two sources),
        ``crossref_not_openalex`` and ``openalex_not_crossref`` (edge
        disagreements), ``openalex_not_crossref_unlinked`` (those of the
        latter whose Crossref list has entries without DOI, which might be
        the missing citation), and ``<kind>_undecided``: edges of a citing
        work both sources have a record of, found by one source, where the
        other's reference list is incomplete (OpenAlex: ``refs`` differs
        from ``referenced_works_count`` or is 0; Crossref: the number of
        entries differs from ``references_count`` or is 0) or the cited
        work is unknown to it (no OpenAlex record; no DOI). Edges of a citing
        work only one source has a record of are not compared at all.
    """

    fields: list[FieldDisagreement] = field(default_factory=list)
    edges: list[EdgeDisagreement] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``counts``, ``fields`` and ``edges`` (lists of dicts)."""
        return {"counts": dict(self.counts), "fields": [asdict(f) for f in self.fields],
                "edges": [asdict(e) for e in self.edges]}


def normalise_title(title: str | None) -> str:
    """A title as compared between sources: no markup, entities, accents, case, punctuation or spaces.

    Examples
    --------
    >>> normalise_title("<i>CRISPR</i>–Cas9:  a   Review &amp; Outlook.")
    'crisprcas9areviewoutlook'
    >>> normalise_title("Müller's state-of-the-art") == normalise_title("Mullers state of the art")
    True
    """
    if not title:
        return ""
    text = html.unescape(_TAG.sub(" ", html.unescape(title)))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub("", text.casefold())


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _differ(name: str, a: Any, b: Any) -> tuple[str | int, str | int] | None:
    """The two values when they disagree (both given, different after normalisation), else None."""
    if name == "year":
        ya, yb = _year(a), _year(b)
        return (ya, yb) if ya is not None and yb is not None and ya != yb else None
    if not isinstance(a, str) or not isinstance(b, str):
        return None
    na, nb = normalise_title(a), normalise_title(b)
    return (a, b) if na and nb and na != nb else None


def _field_disagreements(store: Store) -> list[FieldDisagreement]:
    out: list[FieldDisagreement] = []
    rows = store.execute(
        """SELECT w.doi, w.source, w.title, w.year,
                  CASE WHEN json_type(r.record, '$.title') = 'text' THEN json_extract(r.record, '$.title')
                       WHEN json_type(r.record, '$.display_name') = 'text'
                       THEN json_extract(r.record, '$.display_name') END,
                  CASE WHEN json_type(r.record, '$.publication_year') = 'integer'
                       THEN json_extract(r.record, '$.publication_year') END
           FROM works w JOIN source_records r ON r.work = w.doi AND r.source = ?
           WHERE w.source != ? AND json_valid(r.record) AND json_type(r.record) = 'object'""",
        (_OPENALEX, _OPENALEX))
    for key, source, title, year, oa_title, oa_year in rows:
        for name, a, b in (("title", title, oa_title), ("year", year, oa_year)):
            pair = _differ(name, a, b)
            if pair is not None:
                out.append(FieldDisagreement(key, name, pair[0], source_label(source), pair[1], _OPENALEX))
    marks = ",".join("?" * len(COMPARED_FIELDS))
    for key, name, kept, kept_source, other, other_source in store.execute(
            f"SELECT work, field, kept, kept_source, other, other_source FROM field_conflicts "
            f"WHERE field IN ({marks})", COMPARED_FIELDS):
        pair = _differ(name, kept, other)
        if pair is not None:
            out.append(FieldDisagreement(key, name, pair[0], source_label(kept_source), pair[1],
                                         source_label(other_source)))
    out.sort(key=lambda f: (COMPARED_FIELDS.index(f.field), f.work, f.source_a, f.source_b, str(f.value_b)))
    return out


@dataclass
class _CrossrefList:
    """One Crossref-shaped record's reference list: size, declared size, cited keys, entries without DOI."""

    entries: int = 0
    declared: int | None = None
    cited: set[str] = field(default_factory=set)
    cited_by_doi: set[str] = field(default_factory=set)
    unlinked: int = 0

    @property
    def complete(self) -> bool:
        return self.declared is not None and self.declared > 0 and self.entries == self.declared


def _crossref_lists(store: Store, canon: dict[str, str]) -> dict[str, _CrossrefList]:
    """The reference lists of the works whose ``works`` row is a Crossref-shaped record."""
    lists: dict[str, _CrossrefList] = {}
    for key, source, declared in store.execute("SELECT doi, source, references_count FROM works"):
        if _is_record_label(source_label(source)):
            lists[key] = _CrossrefList(declared=declared)
    rows = store.execute(
        f"""SELECT r.citing, r.cited, m.matched FROM refs r
            LEFT JOIN ref_matches m ON m.citing = r.citing AND m.position = r.position AND m.matched IS NOT NULL
            WHERE r.doi_asserted_by IS NULL OR r.doi_asserted_by NOT IN ({_IMPORTS_SQL})""")
    for citing, cited, matched in rows:
        entry = lists.get(citing)
        if entry is None:
            continue
        entry.entries += 1
        if cited is not None:
            entry.cited.add(canon.get(cited, cited))
            entry.cited_by_doi.add(cited)
        if matched is not None:
            entry.cited.add(canon.get(matched, matched))
        if cited is None and matched is None:
            entry.unlinked += 1
    return lists


def _edge_disagreements(store: Store) -> tuple[list[EdgeDisagreement], dict[str, int]]:
    canon = store.merges()
    oa_native: dict[str, str] = {}
    oa_complete: set[str] = set()
    for key, native, refs, declared in store.execute(
            """SELECT work, native_id, refs,
                      CASE WHEN json_valid(record) AND json_type(record, '$.referenced_works_count') = 'integer'
                           THEN json_extract(record, '$.referenced_works_count') END
               FROM source_records WHERE source = ?""", (_OPENALEX,)):
        oa_native[key] = native
        if declared is not None and declared > 0 and refs == declared:
            oa_complete.add(key)
    oa_key = {native: key for key, native in oa_native.items()}
    oa_lists: dict[str, set[str]] = defaultdict(set)
    for citing, cited_id in store.execute("SELECT citing, cited_id FROM source_refs WHERE source = ?", (_OPENALEX,)):
        oa_lists[citing].add(cited_id)
    cr_lists = _crossref_lists(store, canon)

    counts = {"crossref_not_openalex": 0, "openalex_not_crossref": 0, "openalex_not_crossref_unlinked": 0,
              "crossref_not_openalex_undecided": 0, "openalex_not_crossref_undecided": 0}
    out: list[EdgeDisagreement] = []
    # Crossref has it (a DOI in the entry); is it in the citing work's OpenAlex list?
    for citing in sorted(cr_lists.keys() & oa_native.keys()):
        listed = oa_lists.get(citing, set())
        for cited in sorted(cr_lists[citing].cited_by_doi - {citing}):
            native = oa_native.get(cited) or oa_native.get(canon.get(cited, cited), "")
            if native in listed:
                continue
            if citing in oa_complete and native:
                out.append(EdgeDisagreement(citing, cited, _CROSSREF, _OPENALEX))
                counts["crossref_not_openalex"] += 1
            else:
                counts["crossref_not_openalex_undecided"] += 1
    # OpenAlex has it (both ends are OpenAlex records); is it in the citing work's Crossref list?
    for citing in sorted(oa_lists.keys() & cr_lists.keys()):
        entry = cr_lists[citing]
        cited_keys = sorted({oa_key[n] for n in oa_lists[citing] if n in oa_key} - {citing})
        for cited in cited_keys:
            if canon.get(cited, cited) in entry.cited:
                continue
            if entry.complete and not cited.startswith(f"{_OPENALEX}:"):
                out.append(EdgeDisagreement(citing, cited, _OPENALEX, _CROSSREF, entry.unlinked))
                counts["openalex_not_crossref"] += 1
                counts["openalex_not_crossref_unlinked"] += entry.unlinked > 0
            else:
                counts["openalex_not_crossref_undecided"] += 1
    return out, counts


def _limited(items: Iterable[Any], kind: Any, limit: int | None) -> list[Any]:
    seen: dict[Any, int] = defaultdict(int)
    out = []
    for item in items:
        k = kind(item)
        if limit is None or seen[k] < limit:
            out.append(item)
        seen[k] += 1
    return out


def source_disagreements(store: Store, limit: int | None = None) -> Disagreements:
    """Works whose title or year differs between sources, and edges one source has and another lacks.

    Fields: the ``works`` row (Crossref's, a file's or an import's record)
    against the OpenAlex record of the same work, and the ``field_conflicts``
    rows (title and year) that ``import --enrich`` stored. Titles are compared
    after :func:`normalise_title`, years as integers; a value missing on one
    side is no disagreement.

    Edges, compared only where the citing work has a record in both Crossref
    (a Crossref-shaped ``works`` row, from the API or a file) and OpenAlex
    (``source_records``), by stored key (duplicate merges applied when
    looking an edge up):

    * ``has='crossref', lacks='openalex'``: a reference entry of the Crossref
      record gives the cited DOI, the cited work has an OpenAlex record, the
      citing work's OpenAlex list is complete (``refs`` equals the record's
      ``referenced_works_count``, above 0) and does not hold the cited work's id;
    * ``has='openalex', lacks='crossref'``: the citing work's OpenAlex list
      holds a work with an OpenAlex record keyed by a DOI, the Crossref list is
      complete (as many entries as ``references_count``, above 0) and no entry
      gives that DOI or was matched to it. ``unlinked`` counts the list's
      entries without DOI (the missing one may be among them;
      ``counts['openalex_not_crossref_unlinked']`` counts these edges).

    An edge whose other list is incomplete or whose cited work is unknown
    there is *undecided* (counted, not listed). Entries matched by search
    (``crossref-match``) count as present in the Crossref list, never as an
    edge Crossref asserts.

    Parameters
    ----------
    store : Store
        An open store (read only).
    limit : int, optional
        Keep at most this many rows per field and per edge kind (the counts
        stay complete).

    Returns
    -------
    Disagreements

    Examples
    --------
    >>> from citegraph.store import Store
    >>> from citegraph.store.records import ParsedWork, SourceRecord, WorkRow, parse_work
    >>> with Store(":memory:") as store:                 # a hand-made unit fixture
    ...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "title": ["A <i>study</i>"],
    ...                                      "issued": {"date-parts": [[2019]]}}, source="crossref")])
    ...     row = WorkRow("10.5555/a", "10.5555/a", "A Study.", 2020, None, None, None, (), None, None, None, (),
    ...                   "openalex", '{"title": "A Study.", "publication_year": 2020}')
    ...     _ = store.add_source_records([SourceRecord("10.5555/a", "openalex", "W1", ParsedWork(row))],
    ...                                  source="openalex")
    ...     found = source_disagreements(store)
    >>> found.counts["year"], found.counts["title"]
    (1, 0)
    >>> format_disagreements(found)[2]
    'year: 10.5555/a crossref 2019, openalex 2020'
    """
    fields = _field_disagreements(store)
    edges, counts = _edge_disagreements(store)
    all_counts = {name: sum(1 for f in fields if f.field == name) for name in COMPARED_FIELDS}
    all_counts.update(counts)
    log.debug("disagreements: %s", all_counts)
    return Disagreements(fields=_limited(fields, lambda f: f.field, limit),
                         edges=_limited(edges, lambda e: (e.has, e.lacks), limit), counts=all_counts)


def _shown(value: str | int, width: int = 70) -> str:
    if isinstance(value, int):
        return str(value)
    text = " ".join(value.split())
    return '"' + (text if len(text) <= width else text[: width - 3] + "...") + '"'


def format_disagreements(d: Disagreements, limit: int = 10) -> list[str]:
    """Text lines for the CLI: a summary, then up to ``limit`` examples per field and edge kind.

    Examples
    --------
    >>> d = Disagreements([FieldDisagreement("10.1000/xyz", "year", 2019, "crossref", 2020, "openalex")],
    ...                   [EdgeDisagreement("10.1/a", "10.1/b", "openalex", "crossref", 2)],
    ...                   {"title": 0, "year": 1, "crossref_not_openalex": 0, "openalex_not_crossref": 1,
    ...                    "openalex_not_crossref_unlinked": 1, "crossref_not_openalex_undecided": 3,
    ...                    "openalex_not_crossref_undecided": 0})
    >>> print("\\n".join(format_disagreements(d)))
    disagreements: title 0, year 1
    edges: in crossref not openalex 0 (3 undecided); in openalex not crossref 1 (1 with entries without DOI)
    year: 10.1000/xyz crossref 2019, openalex 2020
    edge: 10.1/a -> 10.1/b in openalex, not in crossref (2 entries without DOI)
    """
    c = d.counts
    n_fields = sum(c.get(name, 0) for name in COMPARED_FIELDS)
    n_edges = sum(c.get(f"{has}_not_{lacks}", 0) for has, lacks in EDGE_KINDS)
    field_part = ", ".join(f"{name} {c.get(name, 0)}" for name in COMPARED_FIELDS)
    if not n_fields and not n_edges and not any(c.get(f"{h}_not_{x}_undecided", 0) for h, x in EDGE_KINDS):
        return [f"disagreements: none ({field_part}, edges 0)"]
    parts = []
    for has, lacks in EDGE_KINDS:
        name = f"{has}_not_{lacks}"
        notes = []
        if c.get(f"{name}_unlinked", 0):
            notes.append(f"{c[f'{name}_unlinked']} with entries without DOI")
        if c.get(f"{name}_undecided", 0):
            notes.append(f"{c[f'{name}_undecided']} undecided")
        parts.append(f"in {has} not {lacks} {c.get(name, 0)}" + (f" ({'; '.join(notes)})" if notes else ""))
    lines = [f"disagreements: {field_part}", f"edges: {'; '.join(parts)}"]
    for name in COMPARED_FIELDS:
        rows = [f for f in d.fields if f.field == name]
        for f in rows[:limit]:
            lines.append(f"{name}: {f.work} {f.source_a} {_shown(f.value_a)}, {f.source_b} {_shown(f.value_b)}")
        if c.get(name, 0) > min(len(rows), limit):
            lines.append(f"  ... {c[name] - min(len(rows), limit)} more {name} disagreements")
    for has, lacks in EDGE_KINDS:
        edge_rows = [e for e in d.edges if (e.has, e.lacks) == (has, lacks)]
        for e in edge_rows[:limit]:
            note = f" ({e.unlinked} entries without DOI)" if e.unlinked else ""
            lines.append(f"edge: {e.citing} -> {e.cited} in {has}, not in {lacks}{note}")
        total = c.get(f"{has}_not_{lacks}", 0)
        if total > min(len(edge_rows), limit):
            lines.append(f"  ... {total - min(len(edge_rows), limit)} more edges in {has} not in {lacks}")
    return lines
