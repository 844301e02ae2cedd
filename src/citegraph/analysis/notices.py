"""Editorial notices in the map: how many works are retracted, cite a retracted work, carry a concern or a correction.

The store holds the notices about works (:meth:`citegraph.store.Store.notices`:
retractions, expressions of concern, corrections, from Crossref's
``updated-by``/``update-to`` and OpenAlex); the citation graph carries each
work's strongest category as its ``notice`` node attribute (``"retracted"``,
``"concern"``, ``"corrected"`` or ``""``, see
:func:`citegraph.graphs.citation.citation_graph`). This module counts them
and words them, for every output to say the same thing:

- :func:`notice_summary`: the four counts (:class:`NoticeSummary`) of a
  citation graph or a store;
- :func:`notice_message`: the one line ``citegraph analyse`` prints ("" when
  nothing is flagged);
- :func:`notice_note`: a work's notices as one line of text (the BibTeX
  ``note`` and RIS ``N1`` of a flagged work).

Examples
--------
>>> import networkx as nx
>>> G = nx.DiGraph([("c1", "r"), ("c2", "r"), ("c2", "k")])   # hand-made example graph
>>> nx.set_node_attributes(G, {"r": "retracted", "k": "concern"}, "notice")
>>> s = notice_summary(G)
>>> s.retracted_works, s.works_citing_retracted, s.concern_works, s.corrected_works
(1, 2, 1, 0)
>>> notice_message(s)
'1 work in the map is retracted; 2 works cite it; 1 carries an expression of concern'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx

from citegraph.graphs.citation import NOTICE_ORDER
from citegraph.store import Store
from citegraph.store.records import Notice

__all__ = ["NOTICE_LABELS", "NOTICE_ORDER", "NoticeSummary", "notice_message", "notice_note", "notice_summary"]

#: How each category is named where a work is shown (badges, notes), strongest first.
NOTICE_LABELS: dict[str, str] = {
    "retracted": "Retracted",
    "concern": "Expression of concern",
    "corrected": "Corrected",
}


@dataclass(frozen=True)
class NoticeSummary:
    """How many works of the map editorial notices flag.

    Attributes
    ----------
    retracted_works : int
        Works of the citation graph a notice retracts (also withdrawn, removed).
    works_citing_retracted : int
        Distinct works of the citation graph that cite at least one of them
        (a retracted work citing another counts too).
    concern_works : int
        Works whose strongest notice is an expression of concern.
    corrected_works : int
        Works whose strongest notice is a correction.
    """

    retracted_works: int = 0
    works_citing_retracted: int = 0
    concern_works: int = 0
    corrected_works: int = 0

    def as_dict(self) -> dict[str, int]:
        """The four counts by name, as ``summary.json`` records them."""
        return asdict(self)

    def __bool__(self) -> bool:
        """Whether any work is flagged."""
        return any(self.as_dict().values())


def notice_summary(source: nx.DiGraph | Store) -> NoticeSummary:
    """The notice counts of a citation graph (its ``notice`` node attributes), or of a store's citation graph.

    Parameters
    ----------
    source : networkx.DiGraph or Store
        A citation graph (citing -> cited) as
        :func:`~citegraph.graphs.citation.citation_graph` builds it (nodes
        without ``notice`` count as unflagged); a store is read through that
        function.

    Returns
    -------
    NoticeSummary

    Raises
    ------
    TypeError
        ``source`` is neither a directed graph nor a store.

    Examples
    --------
    >>> notice_summary(nx.DiGraph([("a", "b")]))
    NoticeSummary(retracted_works=0, works_citing_retracted=0, concern_works=0, corrected_works=0)
    """
    if isinstance(source, Store):
        from citegraph.graphs.citation import citation_graph

        source = citation_graph(source)
    if not isinstance(source, nx.DiGraph):
        raise TypeError(f"notice_summary needs a citation graph (a networkx.DiGraph) or a Store, not "
                        f"{type(source).__name__}")
    counts = dict.fromkeys(NOTICE_ORDER, 0)
    retracted: list[Any] = []
    for node, flag in source.nodes(data="notice"):
        if flag in counts:
            counts[flag] += 1
            if flag == "retracted":
                retracted.append(node)
    citing = {u for node in retracted for u in source.predecessors(node) if u != node}
    return NoticeSummary(counts["retracted"], len(citing), counts["concern"], counts["corrected"])


def _works(n: int) -> str:
    return f"{n:,} work{'' if n == 1 else 's'}"


def notice_message(counts: NoticeSummary | Mapping[str, Any]) -> str:
    """The line ``citegraph analyse`` prints about notices; ``""`` when nothing is flagged.

    Parameters
    ----------
    counts : NoticeSummary or mapping
        The counts, or a mapping holding them by name (``summary.json``, or
        :meth:`NoticeSummary.as_dict`); missing counts are 0.

    Returns
    -------
    str
        The parts with a count above zero, joined by ``"; "``; the first
        names "work(s) in the map".

    Examples
    --------
    >>> notice_message({"retracted_works": 3, "works_citing_retracted": 41, "concern_works": 2,
    ...                 "corrected_works": 5})
    '3 works in the map are retracted; 41 works cite them; 2 carry an expression of concern; 5 were corrected'
    >>> notice_message({"corrected_works": 1}), notice_message({})
    ('1 work in the map was corrected', '')
    """
    d = counts.as_dict() if isinstance(counts, NoticeSummary) else counts
    retracted, citing = int(d.get("retracted_works") or 0), int(d.get("works_citing_retracted") or 0)
    concern, corrected = int(d.get("concern_works") or 0), int(d.get("corrected_works") or 0)
    parts: list[str] = []

    def subject(n: int) -> str:
        return f"{_works(n)} in the map" if not parts else f"{n:,}"

    if retracted:
        parts.append(f"{subject(retracted)} {'is' if retracted == 1 else 'are'} retracted")
        them = "it" if retracted == 1 else "them"
        parts.append(f"{_works(citing)} cite{'s' if citing == 1 else ''} {them}" if citing
                     else f"no work cites {them}")
    if concern:
        parts.append(f"{subject(concern)} carr{'ies' if concern == 1 else 'y'} an expression of concern")
    if corrected:
        parts.append(f"{subject(corrected)} {'was' if corrected == 1 else 'were'} corrected")
    return "; ".join(parts)


def notice_note(notices: Iterable[Notice]) -> str:
    """A work's flagged notices as one line: each category, strongest first, with its notices' source, date and DOI.

    Notices that say the same (category, source, notice DOI, date), as when
    the work's record and the notice's both report it, are named once;
    notices of no category (a new version) are left out. This is the BibTeX
    ``note`` and the RIS ``N1`` of a flagged work.

    Examples
    --------
    >>> notes = [Notice("10.5555/a", "retraction", "retraction-watch", "crossref", "10.5555/a", "10.5555/n",
    ...                 "2024-03-05"),   # hand-made unit fixtures
    ...          Notice("10.5555/a", "correction", "publisher", "crossref", "10.5555/a", "10.5555/c", "2021-01-02"),
    ...          Notice("10.5555/a", "retraction", "openalex", "openalex", "10.5555/a")]
    >>> notice_note(notes)
    'Retracted (retraction-watch, 2024-03-05; notice 10.5555/n | openalex). Corrected (publisher, 2021-01-02; \
notice 10.5555/c)'
    >>> notice_note([])
    ''
    """
    by_category: dict[str, list[str]] = {}
    for n in notices:
        category = n.category
        if category not in NOTICE_LABELS:
            continue
        text = ", ".join(part for part in (n.source, n.date) if part)
        if n.notice_doi:
            text = f"{text}; notice {n.notice_doi}" if text else f"notice {n.notice_doi}"
        found = by_category.setdefault(category, [])
        if text not in found:
            found.append(text)
    parts = []
    for category in NOTICE_ORDER:
        if category in by_category:
            details = " | ".join(t for t in by_category[category] if t)
            parts.append(f"{NOTICE_LABELS[category]} ({details})" if details else NOTICE_LABELS[category])
    return ". ".join(parts)
