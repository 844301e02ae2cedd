"""Decide which references without DOI to look up, and which hits to believe.

Reference matching (``fetch --match-references``) sends a reference's text to
Crossref's ``query.bibliographic`` and takes the top hit. Crossref always
answers with *something*, so two things are checked here, independently of
the source asked:

**Before a query is sent** (:func:`reference_query`): the reference must be
able to identify a work. Its query text (:func:`~citegraph.store.records.reference_text`)
is cut into words; *informative words* are words of at least three letters
that are not numbers, initials, common function words (:data:`STOPWORDS`,
such as "the", "and", "et", "al", "vol", "pp") nor words of the structured
first-author field. The query is sent when the text has

1. at least :data:`MIN_WORDS` (3) informative words, or
2. a first author (structured ``author`` field), a year (structured, or one
   written in the text) and at least one informative word besides: author,
   year and a title fragment ("Hardt Empire 2000").

Anything else is *skipped* with a reason (:attr:`ReferenceQuery.skip`): no
text at all, a year alone ("2013"), no words, an author alone ("Lefebvre"),
an author and a year only ("Anderson 2017"), or one or two informative words
("Networked microgrids 2021", "Z. Elektrochem. 1921").

**Before a hit is accepted** (:func:`check_hit`): it must not be the citing
work itself, and it must agree with the reference wherever both say
something (a check whose two sides are not both known is not made):

- the publication year, within one year (the reference's structured year,
  else the years written in its text);
- the first author's family name, compared without case, accents and
  punctuation: one of the words of the reference's structured author;
- the title: a Dice similarity of the two titles' word sets of at least
  :data:`MIN_TITLE_SIMILARITY` when the reference has an ``article-title``;
- the journal or book title: at least half the informative words of the
  reference's one must begin a word of the hit's title or journal title, or
  be begun by one ("Front Microbiol" agrees with "Frontiers in
  Microbiology");
- a reference that is only a deposited citation text gives its authors and
  title inside the text: the hit's first-author family name must be the
  first name of the text (initials and particles such as "van" passed over),
  or :data:`MIN_TITLE_CONTAINED` of the hit's title words must occur in it.

The relevance-score threshold is applied by the caller on top.

Examples
--------
Hand-made unit-test references (not Crossref data):

>>> from citegraph.store.records import ReferenceRow
>>> def ref(text=None, title=None, journal=None, year=None, author=None):
...     return ReferenceRow("10.1/citing", 1, None, None, None, "k", text, title, journal, year, author)
>>> reference_query(ref("2013")).skip
'a year alone'
>>> reference_query(ref(journal="Networked microgrids", year=2021)).skip
'2 informative words'
>>> q = reference_query(ref(journal="Empire", year=2000, author="Hardt"))
>>> q.text, q.skip
('Hardt Empire 2000', None)
>>> hit = {"DOI": "10.1/other", "score": 12.5, "issued": {"date-parts": [[2008]]},
...        "author": [{"family": "Hardt", "sequence": "first"}], "title": ["Empire"]}
>>> check_hit(q, hit, citing="10.1/citing")
'year 2008, the reference says 2000'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from citegraph.doi import normalize_doi
from citegraph.errors import InvalidDOIError
from citegraph.store.duplicates import normalise_title
from citegraph.store.records import ReferenceRow, record_year, reference_text

__all__ = [
    "MIN_TITLE_CONTAINED",
    "MIN_TITLE_SIMILARITY",
    "MIN_WORDS",
    "NOT_SENT",
    "REJECTED",
    "STOPWORDS",
    "ReferenceQuery",
    "annotate",
    "check_hit",
    "hit_doi",
    "read_note",
    "reference_query",
    "title_similarity",
]

#: Informative words a query needs without a structured author and year.
MIN_WORDS = 3

#: Lowest Dice similarity of word sets between a reference's article title and a hit's title.
MIN_TITLE_SIMILARITY = 0.5

#: Share of a hit's title words a deposited citation text must contain when it does not name the hit's first author.
MIN_TITLE_CONTAINED = 0.8

#: Words that say nothing about which work is meant (compared case-folded).
STOPWORDS: frozenset[str] = frozenset(
    """the and for with from into onto that this are was were its his her their our your
    about between under over upon via not but all any per than then also
    et al etal vol vols pp pages page no nos ed eds edn edition editor editors
    press publ published doi http https www org com accessed available online retrieved
    der die das und von zur des les une pour dans del los las por con""".split()
)

_WORD = re.compile(r"[^\W\d_]+")
#: A year written in a reference's text; not a page ("1993;39:1773-8") nor either end of a range.
_YEAR = re.compile(r"(?<![\d:\u2010-\u2015-])(1[5-9]\d\d|20\d\d|21\d\d)(?![\d\u2010-\u2015-])")
_ALNUM = re.compile(r"[\W_]+")
#: Name particles that never make two family names agree on their own.
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "la", "le", "du", "di", "da", "del", "dos", "bin", "al", "el"}
)


@dataclass(frozen=True)
class ReferenceQuery:
    """What is known of one reference without DOI, and whether it may be sent.

    Attributes
    ----------
    citing : str
        DOI key of the work whose reference list holds it.
    position : int
        Its 1-based position in that list.
    text : str
        The query text (:func:`~citegraph.store.records.reference_text`).
    years : tuple of int
        The reference's year (structured), else the distinct years written
        in its text; empty when unknown.
    author : str or None
        The structured first-author field, as deposited.
    title : str or None
        The structured article title.
    container : str or None
        The structured journal, book or series title.
    words : int
        Informative words in ``text`` (see the module documentation).
    deposited : bool
        ``text`` is the citation text as deposited (``unstructured``), not
        assembled from the structured fields.
    skip : str or None
        Why no query is sent (``None``: send it).
    """

    citing: str
    position: int
    text: str
    years: tuple[int, ...]
    author: str | None
    title: str | None
    words: int
    skip: str | None
    deposited: bool = False
    container: str | None = None


def _fold_words(text: str) -> list[str]:
    return [w for w in normalise_title(text).split() if w]


def _author_words(author: str | None) -> set[str]:
    return {w for w in _fold_words(author or "") if len(w) >= 2}


def reference_query(ref: ReferenceRow) -> ReferenceQuery:
    """The query for a reference without DOI, with the decision to send it or not.

    Parameters
    ----------
    ref : ReferenceRow
        One entry of a reference list (``cited`` is ``None``).

    Returns
    -------
    ReferenceQuery
        ``skip`` is ``None`` when the text can identify a work (the rule is
        in the module documentation), else the reason it was not sent.

    Examples
    --------
    Hand-made unit-test references (not Crossref data):

    >>> from citegraph.store.records import ReferenceRow
    >>> r = ReferenceRow("10.1/a", 4, None, None, None, "k", None, None, None, 2017, "Anderson")
    >>> reference_query(r).skip
    'an author and a year only'
    >>> r = ReferenceRow("10.1/a", 5, None, None, None, "k", "Smith J. Hair loss in mice. 1999;3:1773-9.",
    ...                  None, None, None, None)
    >>> q = reference_query(r)
    >>> q.years, q.words, q.skip
    ((1999,), 4, None)
    """
    text = reference_text(ref).strip()
    if ref.year is not None:
        years: tuple[int, ...] = (ref.year,)
    else:
        years = tuple(sorted({int(y) for y in _YEAR.findall(text)}))
    author = ref.first_author.strip() if ref.first_author and ref.first_author.strip() else None
    author_words = _author_words(author)
    informative = [
        w for w in _fold_words(" ".join(_WORD.findall(text)))
        if len(w) >= 3 and w not in STOPWORDS and w not in author_words
    ]
    n = len(informative)
    skip: str | None = None
    if not text:
        skip = "no text"
    elif n >= MIN_WORDS or (author_words and years and n >= 1):
        skip = None
    elif not _WORD.search(text) and years:
        skip = "a year alone"
    elif not _WORD.search(text):
        skip = "no words"
    elif author_words and n == 0:
        skip = "an author and a year only" if years else "an author alone"
    else:
        skip = f"{n} informative word{'' if n == 1 else 's'}"
    return ReferenceQuery(ref.citing, ref.position, text, years, author, ref.article_title, n, skip,
                          deposited=bool(ref.unstructured and ref.unstructured.strip()), container=ref.journal_title)


def hit_doi(hit: Mapping[str, Any]) -> str | None:
    """The DOI key of a Crossref hit, or ``None`` when it has no valid DOI.

    Examples
    --------
    >>> hit_doi({"DOI": "10.1109/TLT.2016.2622268"}), hit_doi({"DOI": "nope"})
    ('10.1109/tlt.2016.2622268', None)
    """
    try:
        return normalize_doi(str(hit.get("DOI", ""))).key
    except InvalidDOIError:
        return None


def _hit_family(hit: Mapping[str, Any]) -> str | None:
    """Family name of a hit's first person author (``None`` for none or an organisation)."""
    people = hit.get("author")
    if not isinstance(people, list):
        return None
    persons = [p for p in people if isinstance(p, Mapping)]
    lead = next((p for p in persons if p.get("sequence") == "first"), persons[0] if persons else None)
    if lead is None:
        return None
    family = lead.get("family")
    return family.strip() if isinstance(family, str) and family.strip() else None


def _hit_title(hit: Mapping[str, Any]) -> str | None:
    title = hit.get("title")
    if isinstance(title, list):
        title = next((t for t in title if isinstance(t, str) and t.strip()), None)
    return title if isinstance(title, str) and title.strip() else None


def _title_words(title: str) -> set[str]:
    words = _fold_words(title)
    return {w for w in words if len(w) >= 3 and w not in STOPWORDS} or set(words)


def title_similarity(a: str, b: str) -> float:
    """Dice similarity of the two titles' word sets (normalised; words under 3 letters and function words dropped).

    Examples
    --------
    >>> title_similarity("Frozen shoulder", "Frozen shoulder: a review of the literature")
    0.666...
    >>> title_similarity("Widget, widget on the wall", "Widget, Widget on the <i>Wall</i>")
    1.0
    >>> title_similarity("", "Anything")
    0.0
    """
    wa = _title_words(a)
    wb = _title_words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def check_hit(query: ReferenceQuery, hit: Mapping[str, Any], *, citing: str) -> str | None:
    """Why a Crossref hit is not the reference's work, or ``None`` when it agrees.

    Parameters
    ----------
    query : ReferenceQuery
        The reference, from :func:`reference_query`.
    hit : mapping
        A Crossref work record as returned by the query (``DOI``, ``title``,
        ``author``, ``issued``... as selected).
    citing : str
        DOI key of the citing work: a hit on it is always refused.

    Returns
    -------
    str or None
        The first check that failed, in the order: no valid DOI, the citing
        work itself, year, first author, title.

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> from citegraph.store.records import ReferenceRow
    >>> q = reference_query(ReferenceRow("10.1/a", 1, None, None, None, "k", None,
    ...                                  "Hair loss in mice", "J Derm", 1999, "Smith J"))
    >>> hit = {"DOI": "10.1/b", "issued": {"date-parts": [[2000]]}, "title": ["Hair loss in mice."],
    ...        "container-title": ["Journal of Dermatology"],
    ...        "author": [{"family": "Smith", "given": "Jo", "sequence": "first"}]}
    >>> check_hit(q, hit, citing="10.1/a") is None
    True
    >>> check_hit(q, {**hit, "DOI": "10.1/A"}, citing="10.1/a")
    'the citing work itself'
    >>> check_hit(q, {**hit, "author": [{"family": "Jones"}]}, citing="10.1/a")
    "first author Jones, the reference says 'Smith J'"
    >>> check_hit(q, {**hit, "title": ["Hair growth in goats"]}, citing="10.1/a")
    "title 'Hair growth in goats' differs (similarity 0.33)"
    >>> check_hit(q, {**hit, "container-title": ["Acta Zoologica"]}, citing="10.1/a")
    "'J Derm' is neither its title nor its journal"
    >>> deposited = reference_query(ReferenceRow("10.1/a", 2, None, None, None, "k",
    ...                                          "Smith J. Hair loss in mice. J Derm. 1999;3:1-9.", None, None,
    ...                                          None, None))
    >>> check_hit(deposited, hit, citing="10.1/a") is None
    True
    >>> check_hit(deposited, {**hit, "author": [{"family": "Jones"}]}, citing="10.1/a") is None  # title in text
    True
    >>> check_hit(deposited, {**hit, "author": [{"family": "Jones"}], "title": ["Goats"]}, citing="10.1/a")
    'the reference names neither its first author Jones nor its title'
    """
    key = hit_doi(hit)
    if key is None:
        return "no valid DOI"
    if key == citing:
        return "the citing work itself"
    year = record_year(hit)
    if query.years and year is not None and all(abs(year - y) > 1 for y in query.years):
        said = "/".join(map(str, query.years))
        return f"year {year}, the reference says {said}"
    family = _hit_family(hit)
    title = _hit_title(hit)
    if query.author and family and not _names(family, _author_words(query.author)):
        return f"first author {family}, the reference says {query.author!r}"
    if query.title and title:
        similarity = title_similarity(query.title, title)
        if similarity < MIN_TITLE_SIMILARITY:
            return f"title {title[:80]!r} differs (similarity {similarity:.2f})"
    if query.container and (title or _hit_containers(hit)):
        wanted = _title_words(query.container)
        offered = _title_words(" ".join([title or "", *_hit_containers(hit)]))
        shared = sum(any(w.startswith(o) or o.startswith(w) for o in offered) for w in wanted)
        if wanted and shared < 0.5 * len(wanted):
            return f"{query.container[:80]!r} is neither its title nor its journal"
    if query.deposited and not query.author and not query.title and (family or title):
        text_words = set(_fold_words(query.text))
        first = _first_name(query.text)
        named = family is not None and first is not None and _names(family, {first})
        title_words = _title_words(title) if title else set()
        contained = bool(title_words) and len(title_words & text_words) >= MIN_TITLE_CONTAINED * len(title_words)
        if not (named or contained):
            if family:
                return f"the reference names neither its first author {family} nor its title"
            return "the reference does not contain its title"
    return None


def _hit_containers(hit: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name in ("container-title", "short-container-title"):
        value = hit.get(name)
        values = value if isinstance(value, list) else [value]
        out += [v for v in values if isinstance(v, str) and v.strip()]
    return out


def _first_name(text: str) -> str | None:
    """The first family name a citation text gives (folded), passing over initials and particles.

    Examples
    --------
    >>> _first_name("D. D. Van Slyke and others. Studies of urea excretion"), _first_name("YL Tsai CAMP receptor")
    ('slyke', 'tsai')
    >>> _first_name("Cozzo E, Kivelä M, Porter MA"), _first_name("2019")
    ('cozzo', None)
    """
    for word in _WORD.findall(text):
        if len(word) < 2 or (word.isupper() and len(word) <= 3) or word.casefold() in _PARTICLES:
            continue
        folded = _fold_words(word)
        return folded[0] if folded else None
    return None


def _names(family: str, words: set[str]) -> bool:
    """Whether a family name is among these (folded) words; a name of several words by any but a particle."""
    if not words:
        return True  # nothing to compare with
    family_words = {w for w in _fold_words(family) if w not in _PARTICLES} or set(_fold_words(family))
    joined = _ALNUM.sub("", normalise_title(family))
    return bool(family_words & words) or joined in words


#: How the ``query`` column of ``ref_matches`` marks a reference that was not sent.
NOT_SENT = "not sent"
#: How it marks a hit refused by :func:`check_hit`.
REJECTED = "rejected"


def annotate(text: str, note: str | None) -> str:
    """The ``query`` stored for a reference: its text, prefixed ``[note] `` when there is a note.

    The store's ``ref_matches`` table has no column for a reason, so a
    reference not sent, or a hit refused, is recorded with its reason in
    brackets before the query text (``matched`` stays NULL);
    :func:`read_note` splits it again.

    Examples
    --------
    >>> annotate("2013", "not sent: a year alone")
    '[not sent: a year alone] 2013'
    >>> annotate("Smith Hair loss 1999", None)
    'Smith Hair loss 1999'
    """
    if note is None:
        return text
    return f"[{note}] {text}".rstrip()


def read_note(stored: str) -> tuple[str | None, str]:
    """Split a stored ``query`` into ``(note or None, query text)``: the inverse of :func:`annotate`.

    Examples
    --------
    >>> read_note("[not sent: a year alone] 2013")
    ('not sent: a year alone', '2013')
    >>> read_note("[rejected 10.1/x: the citing work itself] Smith 1999")
    ('rejected 10.1/x: the citing work itself', 'Smith 1999')
    >>> read_note("[1] Smith J. A paper. 1999")
    (None, '[1] Smith J. A paper. 1999')
    """
    for kind in (NOT_SENT, REJECTED):
        if stored.startswith(f"[{kind}"):
            end = stored.find("] ")
            if end < 0 and stored.endswith("]"):
                return stored[1:-1], ""
            if end > 0:
                return stored[1:end], stored[end + 2 :]
    return None, stored
