"""The citation graph: every stored work, what it cites and who asserted each link.

:func:`citation_graph` builds a ``DiGraph`` citing -> cited over every stored
work, plus the cited (or citing) works that are not stored, described from
their reference entries. Node attributes are scalars (ready for GraphML);
edges carry their provenance (``sources``, ``asserted_by``). Merged
duplicates (:mod:`citegraph.store.duplicates`) count as their canonical work.
:func:`node_label` gives the "Surname Year" label of a work (the one label rule of every output), and
:func:`topic_documents` the texts of the graph's works that the topic model
(:mod:`citegraph.graphs.topics`) reads.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any

import networkx as nx

from citegraph.store import Store
from citegraph.store.database import REF_SOURCE_SQL, SOURCE_EDGES_SQL
from citegraph.store.records import plausible_years

__all__ = ["NOTICE_ORDER", "citation_graph", "family_name", "node_label", "text_author", "text_title", "text_year",
           "topic_documents", "unique_labels"]

log = logging.getLogger(__name__)


# -- labels ----------------------------------------------------------------------------------------------------

#: A run of initials, as one word: ``S``, ``MI``, ``RDK``, ``M.``, ``J.-P.``, ``G.-X.``.
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
#: Words that make a name an organisation's, kept whole: ``R Core Team``, ``WHO Study Group``.
_ORGANISATION = re.compile(
    r"\b(?:team|group|grp|consortium|collaboration|collaborators|committee|organi[sz]ation|association|society|"
    r"institute|agency|office|ministry|department|council|foundation|program(?:me)?|cent(?:er|re)|board|"
    r"commission|bureau|initiative|network|project|working|unit|survey|nations|union|university|corp|inc|ltd|"
    r"world|national|international|federal|government|authority|administration|service|services)\b",
    re.IGNORECASE)
#: Acronyms that start organisations' names, not initials.
_ACRONYMS = frozenset({"WHO", "CDC", "FAO", "NIH", "UN", "EU", "NHS", "OECD", "IEA", "IPCC", "USDA", "EPA", "NICE",
                       "IARC", "UNEP", "IMF", "ILO", "NASA", "NOAA", "ESA", "EFSA", "FDA", "AMA", "APA", "ISO", "IEEE"})
#: Where a list of several authors is cut to its first one.
_NEXT_AUTHOR = re.compile(r";|,|\s(?:and|&|et\.?\s*al\.?|others)\b|\s&\s", re.IGNORECASE)
_YEAR_IN_TEXT = re.compile(r"(?<![\d/.-])(1[5-9]\d\d|20\d\d)(?![\d/])")
_PAREN_YEAR = re.compile(r"\((1[5-9]\d\d|20\d\d)[a-z]?\)")
_YEAR_PUNCT = re.compile(r"(?<![\d/.-])(1[5-9]\d\d|20\d\d)[a-z]?(?=[.;,:)]|\s*$)")
#: A Web of Science cited reference, ``"Doe J, 2010, J STUD, V3, P1"``: no title in it.
_WOS_REFERENCE = re.compile(r"^[^,]{1,80}, (?:1[5-9]|20)\d\d, [^,]+(?:, [VP][^,]*)*(?:, DOI .*)?$")
_LEAD_YEAR = re.compile(r"\((?:1[5-9]\d\d|20\d\d)[a-z]?\)|(?<![\d/.-])(?:1[5-9]\d\d|20\d\d)[a-z]?\.(?=\s)")
_ACCESSED = re.compile(r"\b(?:accessed|retrieved|available|cited|viewed|visited|consulted)\b.*",
                       re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r"[“\"‘«]([^”\"’»]{12,300})[”\"’»]")
_SENTENCES = re.compile(r"(?<=[^\s.])[.?!]\s+|\s*:\s+(?=In\b)")
_NOT_TITLE = re.compile(r"^(?:in|available|accessed|retrieved|http|https|www|doi|proceedings|presented|"
                        r"thesis|phd|vol|pp|no)\b", re.IGNORECASE)
#: How many characters of a title a label without an author shows.
TITLE_LABEL_WIDTH = 32


def family_name(name: str | None) -> str | None:
    """The family name of the first author, whatever the format the source writes names in.

    The name is cut to its first author (at ``,``, ``;``, ``and``, ``&``,
    ``et al.``), initials are dropped before (``"S Polasky"``, ``"M. I.
    Krzywinski"``) or after it (``"Reye RDK"``, ``"Krzywinski M."``, WoS's
    ``"Gardner J W"``), particles stay (``"van Dijk"``, ``"JN och Dag"`` ->
    ``"och Dag"``), an all-capitals surname is written in title case
    (``"ROMEDER"``; acronyms of three letters or fewer stay), and an
    organisation's name is kept whole (``"R Core Team"``). ``"[Anonymous]"``
    and other bracketed placeholders give None.

    Examples
    --------
    >>> [family_name(n) for n in ("S Polasky", "Reye RDK", "MI Krzywinski", "Krzywinski M.", "Doe, Jane",
    ...                           "van Dijk", "Di Pierro", "W. Venables", "D. D. Van Slyke and others",
    ...                           "ROMEDER", "R Core Team", "Gardner J W", "DIK Sjøberg", "WHO Europe", "B. /. Omjotew",
    ...                           "[Anonymous]")]
    ['Polasky', 'Reye', 'Krzywinski', 'Krzywinski', 'Doe', 'van Dijk', 'Di Pierro', 'Venables', 'Van Slyke', \
'Romeder', 'R Core Team', 'Gardner', 'Sjøberg', 'WHO Europe', 'Omjotew', None]
    """
    if not name:
        return None
    return _family_name(str(name))


@functools.lru_cache(maxsize=1 << 16)
def _family_name(name: str) -> str | None:
    text = " ".join(name.split()).strip(" .,;:")
    if not text or text.startswith("["):
        return None
    if " " not in text and "," not in text and ";" not in text and "&" not in text:  # one word: most names
        return text.title() if text.isupper() and sum(c.isalpha() for c in text) > 3 else text
    text = _NEXT_AUTHOR.split(text, 1)[0].strip(" .,")
    if _ORGANISATION.search(text):
        return text or None
    words = [w for w in text.split() if any(c.isalnum() for c in w)]  # not "/" ("B. /. Omjotew")
    while len(words) > 1 and _INITIALS.match(words[-1]):  # "Reye RDK", "Gardner J W"
        words.pop()
    while len(words) > 1 and _INITIALS.match(words[0]) and words[0].strip(".") not in _ACRONYMS:
        words.pop(0)  # "S Polasky", "M. I. Krzywinski", "DIK Sjøberg"; not "WHO Europe"
    if not words:
        return None
    surname = " ".join(words).strip(" .,")
    if len(words) == 1 and surname.isupper() and sum(c.isalpha() for c in surname) > 3:
        surname = surname.title()  # "ROMEDER" -> "Romeder" (as the WoS importer writes cited surnames)
    return surname or None


def text_year(text: str | None, *, latest: int | None = None) -> int | None:
    """The publication year written in a citation string, or None.

    A year in parentheses wins (``"Doe J (2010) ..."``), then a year followed
    by punctuation or ending the string (``"... 2010. Title"``, ``"...
    2012;7:25"``), then the first year; what follows "accessed",
    "retrieved" or "available" is not read (access dates). Years outside
    :func:`~citegraph.store.records.plausible_years` are not taken, nor
    years after ``latest`` (give the citing work's year plus one: "Healthy
    People 2030" is not the year of a reference of 2021).

    Examples
    --------
    >>> text_year("Doe J, Roe K (2010) A study of 1999 data. J Stud 3:1"), text_year("Roe K. A study. 2012;7:25")
    (2010, 2012)
    >>> text_year("UCTE. Final report on the 28 September 2003 blackout. 2004"), text_year("n.d."), text_year(None)
    (2004, None, None)
    >>> text_year("Lidar metadata 2010. Accessed September 5, 2020."), text_year("Doe J. Title. 19721;4:1")
    (2010, None)
    >>> text_year("CPC Central Committee, HLTH CHIN 2030 PLAN", latest=2022)
    """
    if not text:
        return None
    text = _ACCESSED.sub("", text)
    first, last = plausible_years()
    if latest is not None:
        last = min(last, latest)
    for pattern in (_PAREN_YEAR, _YEAR_PUNCT, _YEAR_IN_TEXT):
        for match in pattern.finditer(text):
            year = int(match.group(1))
            if first <= year <= last:
                return year
    return None


def _title_like(segment: str, *, words_needed: int = 3) -> bool:
    """Whether a piece of a citation string reads as a title, not a list of names or a journal abbreviation.

    ``words_needed`` words or more; more than one comma only with more lower-case words than commas; two
    lower-case words, or five words.
    """
    words = segment.split()
    if len(words) < words_needed or _NOT_TITLE.match(segment) or _PAREN_YEAR.search(segment):
        return False
    if sum(map(str.isdigit, segment)) > len(segment) // 4:
        return False
    lower = sum(1 for w in words if w[:1].islower())
    commas = segment.count(",")
    if commas > 1 and lower <= commas:
        return False
    return lower >= 2 or len(words) >= 5 or words_needed < 3


def text_title(text: str | None) -> str | None:
    """The title of the work a citation string cites, or None when none can be told apart.

    A quoted title wins; then the sentence after a year in parentheses or
    ending a sentence, in the first half of the string (``"Doe J (2010)
    Title. Journal"``, ``"Doe, J. 2010. Title. Journal"``); then the first sentence that reads
    as a title: three words or more, two lower-case words or five words,
    more than one comma only with more lower-case words than commas (so
    author lists, journal abbreviations and WoS's ``"Doe J, 2010, J STUD,
    V3, P1"`` are not taken).

    Examples
    --------
    >>> text_title("Magarian EM, Fleming BC et al (2010) Delay of 2 weeks affects outcome. Am J Sports Med 38")
    'Delay of 2 weeks affects outcome'
    >>> text_title("Chou, P. Y. & Fasman, G. D. Empirical predictions of protein conformation. Annu. Rev. 47 (1978).")
    'Empirical predictions of protein conformation'
    >>> text_title("Rezende DJ, Mohamed S, Wierstra D. Stochastic backpropagation in deep models. 2014. arXiv:1401")
    'Stochastic backpropagation in deep models'
    >>> text_title("Cai, F., 1994, “Granular Piles Reinforced with Geosynthetics,” presented at the conference")
    'Granular Piles Reinforced with Geosynthetics'
    >>> text_title("Jähnke, Petra, und Karsten Balgar. 2011. Social entrepreneurship. Wiesbaden: Springer VS.")
    'Social entrepreneurship'
    >>> text_title("R. Scott, Finite element convergence for singular data, Numer. Math. 21 (1973/74), 317–327.")
    'Finite element convergence for singular data'
    >>> text_title("Yang WY, 2010, NEW ENGL J MED, V362, P1090, DOI 10.1056/NEJMoa0908292") is None
    True
    """
    if not text or _WOS_REFERENCE.match(text):
        return None
    text = " ".join(text.split())
    quoted = _QUOTED.search(text)
    if quoted and len(quoted.group(1).split()) >= 3:
        return quoted.group(1).strip(" ,.;:")
    lead = _LEAD_YEAR.search(text)
    if lead and lead.start() < len(text) // 2:  # "Doe J (2010) Title. Journal", "Doe, J. 2010. Title.": what follows
        after = _SENTENCES.split(text[lead.end():].lstrip(" .,:;"), 1)[0].strip(" ,.;:")
        if _title_like(after, words_needed=2):
            return after[:300]
    surname = text_author(text)
    for segment in _SENTENCES.split(text):
        segment = segment.strip(" ,.;:")
        if surname and segment.startswith(surname + ", "):  # "R. Scott, Title, Numer. Math.": no name, no journal
            segment = re.sub(r",\s*[A-Z][\w-]*$", "", segment[len(surname) + 2:])
        if _title_like(segment):
            return segment[:300]
    return None


def _short(text: str, width: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1].rstrip(" ,;:.-") + "…"


def node_label(first_author: str | None, year: int | None, fallback: str, title: str | None = None) -> str:
    """A work's label, the one rule of every figure, table, report and export: ``"Surname Year"``.

    The surname is :func:`family_name` of the first author (any format);
    without one, the label is the start of the title and the year; without
    a title either, ``fallback`` (the DOI). Labels that two works share are
    told apart by :func:`unique_labels` (``"Smith 2010a"``, ``"Smith 2010b"``).

    Examples
    --------
    >>> node_label("Doe", 2019, "10.1/x"), node_label(None, 2019, "10.1/x"), node_label("Doe", None, "10.1/x")
    ('Doe 2019', '10.1/x', 'Doe')
    >>> node_label("MI Krzywinski", 2009, "10.1/y"), node_label("[Anonymous]", 2020, "10.1/z", "Global burden")
    ('Krzywinski 2009', 'Global burden 2020')
    """
    surname = family_name(first_author)
    if surname is None and title and title.strip():
        surname = _short(title, TITLE_LABEL_WIDTH)
    if surname:
        return f"{surname} {year}" if year else surname
    return fallback


def _suffix(i: int) -> str:
    """``a``, ``b``, ... ``z``, ``aa``, ``ab``, ...: the i-th (0-based) work sharing a label."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def unique_labels(labels: Mapping[str, str], *, keep: Iterable[str] = ()) -> dict[str, str]:
    """Labels that differ: works sharing a label get ``a``, ``b``, ... in key order.

    A label ending in its year gets the letter right after it (``"Smith
    2010a"``), any other one after a space (``"Smith a"``). Keys in ``keep``
    (works labelled by their DOI, unique already) are left as they are.

    Examples
    --------
    >>> unique_labels({"10.1/b": "Smith 2010", "10.1/a": "Smith 2010", "10.1/c": "Roe", "10.1/d": "Roe",
    ...                "10.1/e": "Doe 2001"})
    {'10.1/b': 'Smith 2010b', '10.1/a': 'Smith 2010a', '10.1/c': 'Roe a', '10.1/d': 'Roe b', '10.1/e': 'Doe 2001'}
    """
    kept = set(keep)
    shared: dict[str, list[str]] = {}
    for key, label in labels.items():
        if key not in kept:
            shared.setdefault(label, []).append(key)
    out = dict(labels)
    for label, keys in shared.items():
        if len(keys) < 2:
            continue
        joint = "" if label[-4:].isdigit() else " "
        for i, key in enumerate(sorted(keys)):
            out[key] = f"{label}{joint}{_suffix(i)}"
    return out


_NAME = r"[A-Z\u00C0-\u024F][\w'’\-]+"
_TEXT_AUTHOR = (
    re.compile(rf"^({_NAME}(?:\s{_NAME})?),?\s+(?:[A-Z]\.?\s?-?){{1,3}}(?=[\s,.;:(&]|$)"),  # "Doe JA," "Doe, J. A."
    re.compile(rf"^((?:[A-Z]\.\s?-?)+)\s*({_NAME})(?=[\s,.;:(&]|$)"),  # "J. A. Doe,"
    re.compile(rf"^({_NAME}),\s+[A-Z\u00C0-\u024F][a-z\u00DF-\u024F]+"),  # "Doe, Jane"
)


def text_author(text: str | None) -> str | None:
    """The first author's family name written at the start of a citation string, or None.

    Only the common forms are read: ``"Doe JA, ..."``, ``"Doe, J. A., ..."``,
    ``"J. A. Doe, ..."``, ``"Doe, Jane, ..."``; anything else (an
    organisation, a title first) gives None.

    Examples
    --------
    >>> [text_author(t) for t in ("Magarian EM, Fleming BC (2010) Delay", "Chou, P. Y. & Fasman, G. D. Empirical",
    ...                           "S. C. Brenner, A general result", "BROWN, Tim. Design Thinking",
    ...                           "United Nations, Department of Economic Affairs. World prospects", None)]
    ['Magarian', 'Chou', 'Brenner', 'Brown', None, None]
    """
    if not text:
        return None
    text = " ".join(text.split())
    for i, pattern in enumerate(_TEXT_AUTHOR):
        match = pattern.match(text)
        if match:
            return family_name(match.group(2 if i == 1 else 1))
    return None


def _node_attrs(doi: str, label: str, title: str | None, year: int | None, journal: str | None, *, is_seed: bool,
                resolved: bool, citations_local: int, kind: str | None = None,
                citations_global: int | None = None) -> dict[str, Any]:
    """A node's attributes, in their one order; an unknown (None) one is left out: every value is a real scalar.

    ``notice`` is ``""`` (set by the caller for the works with notices).

    Examples
    --------
    >>> _node_attrs("10.1/X", "Doe 2020", None, 2020, "J Stud", is_seed=False, resolved=False, citations_local=2)
    {'doi': '10.1/X', 'label': 'Doe 2020', 'year': 2020, 'journal': 'J Stud', 'is_seed': False, 'resolved': False, \
'citations_local': 2, 'notice': ''}
    """
    attrs: dict[str, Any] = {"doi": doi, "label": label}  # ifs, not a filtered dict: 10^5 nodes, 4x faster
    if title is not None:
        attrs["title"] = title
    if year is not None:
        attrs["year"] = year
    if journal is not None:
        attrs["journal"] = journal
    if kind is not None:
        attrs["type"] = kind
    if citations_global is not None:
        attrs["citations_global"] = citations_global
    attrs["is_seed"] = is_seed
    attrs["resolved"] = resolved
    attrs["citations_local"] = citations_local
    attrs["notice"] = ""
    return attrs


def citation_graph(store: Store, *, merged: bool = True, stored_only: bool = False) -> nx.DiGraph:
    """The direct citation graph (citing -> cited) of a store.

    Nodes are DOI keys. Every stored work is a node (``resolved=True``), as is
    every DOI an edge touches that is not stored (``resolved=False``),
    described from its first reference entry (article title, journal title,
    year, first author; what none of its entries gives, read from the
    unstructured citation string). Node attributes: ``doi`` (as deposited),
    ``label`` (:func:`node_label`: "Surname Year", else the start of the title
    and the year, else the DOI; works sharing a label get ``a``, ``b``, ...
    in key order, :func:`unique_labels`), ``title``, ``year``, ``journal``, ``type``,
    ``citations_global`` (Crossref's ``is-referenced-by-count``),
    ``citations_local`` (in-degree here), ``is_seed``, ``resolved``,
    ``notice`` (``"retracted"``, ``"concern"`` (an expression of concern),
    ``"corrected"``, or ``""``: the strongest category of the editorial
    notices the store holds about the work, :meth:`Store.notice_flags
    <citegraph.store.Store.notice_flags>`, read in one query; on every node,
    stored or not); other attributes whose value is unknown are left out. Edge attributes:
    ``sources`` (e.g. ``"crossref;opencitations"``), ``asserted_by``
    (``"publisher"``/``"crossref"``, when Crossref says) and ``weight`` 1.
    With ``merged``, recorded duplicate merges map aliases to canonical DOIs.
    With ``stored_only``, the graph between the stored works alone (the
    records imported or fetched, as CitNetExplorer, VOSviewer and litstudy
    show an export): the same nodes, attributes and edges as the whole
    graph's induced subgraph on its ``resolved`` nodes, except that labels
    are made unique among these nodes only; built without reading the
    reference entries that describe the unstored works, so it costs a
    fraction of the whole graph.
    A year outside :func:`~citegraph.store.records.plausible_years` (left in
    a store by an older citegraph or another importer) counts as unknown,
    with a logged warning counting them, so no year range built on the graph
    spans billions of years.

    The edges are those of :meth:`citegraph.store.Store.citation_edges`, read
    here in three plain queries and merged in one pass over the sorted rows
    (no per-edge objects), and only the columns the nodes need are read
    (never the raw JSON records). Nodes come in DOI order, then the unstored
    DOIs in the order the sorted edges reach them; edges in (citing, cited)
    order. Each node's attribute dict is made once, whole, and the graph is
    then filled in one bulk step, with Python's cyclic garbage collector
    paused (the build makes some 10^5 objects that all live on).

    Examples
    --------
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s:   # hand-made unit-test records
    ...     _ = s.add_works([parse_work({"DOI": "10.1/A", "author": [{"family": "Doe"}],
    ...                                  "issued": {"date-parts": [[2020]]},
    ...                                  "reference": [{"key": "1", "DOI": "10.1/b", "year": "1999",
    ...                                                 "author": "Roe"}]}, source="t")])
    ...     G = citation_graph(s)
    ...     L = citation_graph(s, stored_only=True)
    >>> sorted(G.edges), G.nodes["10.1/a"]["label"], G.nodes["10.1/b"]["label"], G.nodes["10.1/b"]["resolved"]
    ([('10.1/a', '10.1/b')], 'Doe 2020', 'Roe 1999', False)
    >>> list(L.nodes), L.number_of_edges()
    (['10.1/a'], 0)
    """
    with _collector_paused():  # 10^5 containers made, none freed: nothing for the collector to find
        return _citation_graph(store, merged, stored_only)


def _citation_graph(store: Store, merged: bool, stored_only: bool = False) -> nx.DiGraph:
    """:func:`citation_graph`: each node's attributes made once, then the graph in one bulk step."""
    alias = store.merges() if merged else {}
    seeds = {alias.get(key, key) for (key,) in _tuples(store, "SELECT doi FROM seeds")}  # (no row objects)
    edges = _citation_edges(store, alias, stored_only=stored_only)
    if stored_only:  # both ends stored works, after the merges (a merge maps a stored alias to a stored work)
        stored = {alias.get(key, key) for (key,) in _tuples(store, "SELECT doi FROM works")}
        edges = [e for e in edges if e[0] in stored and e[1] in stored]
    in_degree = Counter(map(itemgetter(1), edges))  # edges are distinct and no loops: the in-degree
    nodes, years = _stored_nodes(store, alias, seeds, in_degree)
    missing: dict[str, None] = {}  # the unstored DOIs, in the order the sorted edges reach them (citing first)
    for u, v, _ in () if stored_only else edges:
        if u not in nodes:
            missing[u] = None  # (a key seen before keeps its place)
        if v not in nodes:
            missing[v] = None
    described = _describe_unresolved(store, missing.keys(), years)
    for key in missing:
        doi, title, journal, year, author = described.get(key) or (key, None, None, None, None)
        nodes[key] = _node_attrs(doi, node_label(author, year, doi, title), title, year, journal,
                                 is_seed=key in seeds, resolved=False, citations_local=in_degree.get(key, 0))
    for key, flag in _notice_flags(store, merged).items():  # one read of the notices table
        if key in nodes:
            nodes[key]["notice"] = flag
    _label_uniquely(nodes)
    return _digraph(nodes, edges)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a graph is built in bulk (when it runs; restored after).

    A build makes some 10^5-10^6 containers (rows, attribute dicts, adjacency dicts) that all live on;
    the collector would walk them again and again as they pile up (a third of the build time at 10^5
    nodes) and find no cycle to free.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _stored_nodes(store: Store, alias: Mapping[str, str], seeds: Container[str],
                  in_degree: Mapping[str, int]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """``{key: node attributes}`` of the stored works (not merged aliases) in DOI order, and ``{key: year}``
    of every stored work with a year (as stored), in one query.

    A year outside :func:`~citegraph.store.records.plausible_years` is left out of the attributes (with a
    logged warning counting them).
    """
    first, last = plausible_years()
    rows = _tuples(store, "SELECT doi, doi_original, title, year, container, type, first_author, "
                          "is_referenced_by_count FROM works ORDER BY doi")
    absurd = 0  # counted in the one pass over works, not by a second query
    nodes = {}
    years = {}
    for key, original, title, year, journal, kind, author, cited in rows:
        if year is not None:
            years[key] = year
        if year is not None and (not isinstance(year, (int, float)) or not first <= year <= last):
            absurd += 1
            year = None  # an absurd year is an unknown one
        if key not in alias:
            nodes[key] = _node_attrs(original, node_label(author, year, original, title), title, year, journal,
                                     is_seed=key in seeds, resolved=True, citations_local=in_degree.get(key, 0),
                                     kind=kind, citations_global=cited)
    if absurd:
        log.warning("citation graph: %d stored work(s) with a year outside the plausible years %d-%d: "
                    "taken as unknown", absurd, first, last)
    return nodes, years


def _digraph(nodes: Mapping[str, dict[str, Any]], edges: Iterable[tuple[str, str, dict[str, Any]]]) -> nx.DiGraph:
    """The ``DiGraph`` of these nodes (in their order) and edges, in one bulk step, keeping the attribute dicts.

    Every edge end is to be one of the nodes, and every edge listed once. The adjacency dicts are written
    directly (as :func:`_add_new_edges` does): the same graph as ``add_nodes_from(nodes.items())`` then
    ``add_edges_from(edges)``, without a copy and checks per node and edge.

    Examples
    --------
    >>> G = _digraph({"a": {"label": "A"}, "b": {}}, [("b", "a", {"weight": 1})])
    >>> list(G.nodes(data=True)), list(G.edges(data=True))
    ([('a', {'label': 'A'}), ('b', {})], [('b', 'a', {'weight': 1})])
    """
    G = nx.DiGraph()
    if not hasattr(nx, "_clear_cache") or not all(hasattr(G, name) for name in ("_node", "_succ", "_pred")):
        G.add_nodes_from(nodes.items())  # a networkx without these internals: the public way
        G.add_edges_from(edges)
        return G
    G._node.update(nodes)
    succ: dict[str, dict[str, Any]] = {key: {} for key in nodes}
    pred: dict[str, dict[str, Any]] = {key: {} for key in nodes}
    for u, v, attrs in edges:
        succ[u][v] = attrs
        pred[v][u] = attrs
    G._succ.update(succ)  # G._adj is G._succ: updated in place
    G._pred.update(pred)
    nx._clear_cache(G)
    return G


#: The notice categories, strongest first (:func:`citegraph.store.records.notice_category`).
NOTICE_ORDER = ("retracted", "concern", "corrected")


def _notice_flags(store: Store, merged: bool) -> dict[str, str]:
    """``{work key: the strongest category of its notices}`` (:data:`NOTICE_ORDER`), in one read of the notices.

    With ``merged`` (the graph maps duplicates to their canonical work), :meth:`Store.notice_flags`; without,
    each alias keeps its own notices.
    """
    if merged:
        return store.notice_flags()
    out: dict[str, str] = {}
    for key, notices in store.notices(merged=False).items():
        found = {n.category for n in notices}
        strongest = next((c for c in NOTICE_ORDER if c in found), None)
        if strongest is not None:
            out[key] = strongest
    return out


def _label_uniquely(nodes: Mapping[str, dict[str, Any]]) -> None:
    """Give the works that share a label ``a``, ``b``, ... (:func:`unique_labels`), in key order.

    ``nodes`` are ``{key: node attributes}``; the ones labelled by their DOI are left as they are.
    """
    labels = [attrs["label"] for attrs in nodes.values()]
    counts = Counter(labels)  # most labels are unique: only the shared ones are looked at
    shared = {key: label for key, label in zip(nodes, labels, strict=True) if counts[label] > 1}
    by_doi = [key for key, label in shared.items() if label == nodes[key]["doi"]]
    for key, label in unique_labels(shared, keep=by_doi).items():
        nodes[key]["label"] = label


def _add_new_edges(G: nx.Graph, edges: Iterable[tuple[Any, Any, dict[str, Any]]]) -> None:
    """``G.add_edges_from(edges)`` for edges ``G`` does not have yet, each listed once, keeping the given
    attribute dicts (not copied); a missing end becomes a node without attributes, as there.

    The adjacency dicts are written directly: no per-edge copy and checks, about 2.5x faster than
    ``add_edges_from`` at 10^6 edges; same graph. (These are networkx internals: without them, e.g. in a
    networkx older than 3.3, this falls back to ``add_edges_from``.)

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b")])
    >>> _add_new_edges(G, [("b", "c", {"weight": 1}), ("a", "c", {"weight": 2})])
    >>> list(G.nodes), list(G.edges(data="weight")), list(G.predecessors("c"))
    (['a', 'b', 'c'], [('a', 'b', None), ('a', 'c', 2), ('b', 'c', 1)], ['b', 'a'])
    """
    clear_cache = getattr(nx, "_clear_cache", None)
    if clear_cache is None or not hasattr(G, "_adj") or (G.is_directed() and not hasattr(G, "_pred")):
        G.add_edges_from(edges)  # a networkx without these internals: the public way
        return
    out, back = (G._succ, G._pred) if G.is_directed() else (G._adj, G._adj)
    for u, v, attrs in edges:
        if u not in out:
            G.add_node(u)
        if v not in out:
            G.add_node(v)
        out[u][v] = attrs
        back[v][u] = attrs
    clear_cache(G)


def _tuples(store: Store, sql: str) -> sqlite3.Cursor:
    """A query whose rows come as plain tuples (cheaper than the store's ``sqlite3.Row``)."""
    cursor = store.execute(sql)
    cursor.row_factory = None  # rows fetched from now on are tuples
    return cursor


def _citation_edges(store: Store, alias: Mapping[str, str], *,
                    stored_only: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    """``(citing, cited, attributes)`` of every citation, as :meth:`Store.citation_edges` finds them.

    One edge per (citing, cited) after ``alias`` (self-citations dropped), sorted, with ``sources`` and
    ``asserted_by`` (when known) joined by ``;`` and ``weight`` 1. With ``stored_only``, the rows whose
    ends are not stored works are left in SQLite (a superset of the stored works' edges: the caller keeps
    those whose ends are stored after ``alias``).
    """
    in_works = " AND cited IN (SELECT doi FROM works)" if stored_only else ""
    rows: list[tuple[str, str, str, str]] = _tuples(
        store, f"SELECT citing, cited, {REF_SOURCE_SQL} FROM refs WHERE cited IS NOT NULL{in_works}"
    ).fetchall()
    rows += _tuples(store, "SELECT citing, matched, COALESCE(rule, 'crossref-match'), '' FROM ref_matches "
                           "WHERE matched IS NOT NULL")
    rows += _tuples(store, "SELECT citing, cited, 'opencitations', '' FROM oc_citations"
                           + (" WHERE citing IN (SELECT doi FROM works)" + in_works if stored_only else ""))
    rows += _tuples(store, f"SELECT *, '' FROM ({SOURCE_EDGES_SQL})")
    if alias:
        get = alias.get
        rows = [(get(a, a), get(b, b), src, asr) for a, b, src, asr in rows]
    rows.sort()  # by citing, cited, source, asserted: an edge's rows are consecutive
    out: list[tuple[str, str, dict[str, Any]]] = []
    last_a = last_b = ""
    group: list[tuple[str, str]] = []  # (source, asserted) of the edge being read, when it has several rows
    for a, b, src, asr in rows:
        if a == b:
            continue
        if b == last_b and a == last_a:
            if not group:
                attrs = out[-1][2]
                group.append((attrs["sources"], attrs.get("asserted_by", "")))
            group.append((src, asr))
            out[-1] = (a, b, _merged_attrs(group))
            continue
        if group:
            group = []
        last_a, last_b = a, b
        out.append((a, b, {"sources": src, "asserted_by": asr, "weight": 1} if asr else
                    {"sources": src, "weight": 1}))
    return out


def _merged_attrs(group: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The attributes of an edge seen in several rows: sorted distinct sources and assertions."""
    sources = ";".join(sorted({src for src, _ in group}))
    asserted = ";".join(sorted({asr for _, asr in group if asr}))
    return {"sources": sources, "asserted_by": asserted, "weight": 1} if asserted else {"sources": sources,
                                                                                          "weight": 1}


#: What a reference entry says of a work that is not stored: DOI (as written), title, journal, year, first author.
_Described = tuple[str, str | None, str | None, int | None, str | None]


def _describe_unresolved(store: Store, keys: AbstractSet[str],
                         citing_years: Mapping[str, Any] | None = None) -> dict[str, _Described]:
    """Describe DOIs that are not stored from their first reference entry (by citing DOI, position).

    Gives ``{key: (doi, title, journal, year, first author)}``, None for what is unknown. A part the first
    entry lacks is taken from the next entries that give it; a part no entry gives (title, year, first
    author) is read from the first unstructured citation string (:func:`text_title`, :func:`text_year`,
    :func:`text_author`), when there is one; a year there is at most the citing work's year (as stored:
    ``citing_years``, read from the store when not given) plus one. DOIs only OpenCitations links (as
    citing works) get their DOI.

    One pass over the reference entries citing unstored DOIs (rather than one query per 500 keys), then
    over the OpenCitations links from unstored DOIs.

    Examples
    --------
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s:   # hand-made unit-test records
    ...     _ = s.add_works([parse_work({"DOI": "10.1/A", "reference": [
    ...         {"key": "1", "DOI": "10.1/B", "unstructured": "Roe K (1999) A study of things. J Stud 3"}]},
    ...         source="t")])
    ...     _describe_unresolved(s, {"10.1/b"})
    {'10.1/b': ('10.1/B', 'A study of things', None, 1999, 'Roe')}
    """
    if not keys:
        return {}
    first, last = plausible_years()
    absurd = 0
    # cited DOI -> [doi, title, journal, year, first author, first unstructured string, the DOI citing with it]
    entries: dict[str, list[Any]] = {}
    rows = _tuples(
        store, """SELECT cited, cited_original, article_title, journal_title, year, first_author, unstructured, citing
                  FROM refs WHERE cited IS NOT NULL AND cited NOT IN (SELECT doi FROM works)
                  ORDER BY citing, position"""
    )
    for cited, original, title, journal, year, author, unstructured, citing in rows:
        if cited not in keys:
            continue
        if year is not None and not first <= year <= last:
            absurd += 1
            year = None  # an absurd year is an unknown one
        entry = entries.get(cited)
        if entry is None:  # the first entry (most DOIs have one)
            entries[cited] = [original or cited, title, journal, year, author, unstructured or None, citing]
            continue
        if entry[1] is None:  # a later entry gives what the first one lacks
            entry[1] = title
        if entry[2] is None:
            entry[2] = journal
        if entry[3] is None:
            entry[3] = year
        if entry[4] is None:
            entry[4] = author
        if entry[5] is None and unstructured:
            entry[5], entry[6] = unstructured, citing
    if absurd:
        log.warning("citation graph: %d reference entr(ies) with a year outside the plausible years %d-%d: "
                    "taken as unknown", absurd, first, last)
    out: dict[str, _Described] = {}
    for cited, (doi, title, journal, year, author, text, citing) in entries.items():
        if text is not None:  # what no entry says outright, read from the first citation
            if title is None:
                title = text_title(text)
            if author is None:
                author = text_author(text)
            if year is None:
                if citing_years is None:
                    citing_years = dict(_tuples(store, "SELECT doi, year FROM works WHERE year IS NOT NULL"))
                citing_year = citing_years.get(citing)
                year = text_year(text, latest=citing_year + 1 if isinstance(citing_year, int) else None)
        out[cited] = (doi, title, journal, year, author)
    rows = _tuples(store, "SELECT citing, citing_original FROM oc_citations "
                          "WHERE citing NOT IN (SELECT doi FROM works) ORDER BY cited")
    for citing, original in rows:
        if citing in keys and citing not in out:
            out[citing] = (original or citing, None, None, None, None)
    return out


def topic_documents(store: Store, citation: nx.DiGraph | None = None) -> list[dict[str, Any]]:
    """The texts the topic model reads: every node of the citation graph that has one.

    Stored works give title, abstract and subjects; works that are only cited
    (not stored) give the article title of their reference entry, so
    clusters made of them get labels too. Merged aliases are left out (their
    canonical work stands for them).
    """
    G = citation if citation is not None else citation_graph(store)
    rows = _tuples(store, "SELECT doi, title, abstract, subjects FROM works ORDER BY doi")
    parsed: dict[str, Any] = {}  # subjects JSON -> value: works share a few subject lists
    docs = []
    for key, title, abstract, subjects in rows:
        if key in G:
            if subjects not in parsed:
                parsed[subjects] = json.loads(subjects)
            value = parsed[subjects]
            docs.append({"doi": key, "title": title, "abstract": abstract,
                         "subjects": list(value) if isinstance(value, list) else json.loads(subjects)})
    docs.extend({"doi": node, "title": title, "abstract": None, "subjects": []}
                for node, title in sorted((node, d["title"]) for node, d in G.nodes(data=True)
                                          if not d.get("resolved") and d.get("title")))
    return docs
