"""One graph from a store, filtered: what ``citegraph graph`` builds.

- :func:`build_graph`: one of :data:`GRAPH_KINDS` from a store, with
  :class:`GraphOptions` (normalisation, thresholds, topic and hybrid
  options, filters);
- :func:`filter_graph`: year range, work types, minimum local citations,
  largest connected component; seeds are always kept;
- :func:`graph_summary`: the counts and heaviest links ``citegraph graph`` prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays
from citegraph.graphs.citation import citation_graph, topic_documents
from citegraph.graphs.cooccurrence import _check_pair_options, cocitation_graph, coupling_graph
from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS, _hybrid_of_citations
from citegraph.store import Store

__all__ = ["GRAPH_KINDS", "GraphOptions", "build_graph", "build_graph_with_arrays", "filter_graph", "graph_summary"]

log = logging.getLogger(__name__)
GRAPH_KINDS = ("citation", "cocitation", "coupling", "topic", "hybrid")


def _induced_copy(G: nx.Graph, nodes: set[Any]) -> nx.Graph:
    """A copy of ``G`` restricted to ``nodes``, nodes and edges in ``G``'s order (attributes copied)."""
    if len(nodes) == G.number_of_nodes():
        return G.copy()
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from((n, d.copy()) for n, d in G.nodes(data=True) if n in nodes)
    H.add_edges_from((u, v, d.copy()) for u, v, d in G.edges(data=True) if u in nodes and v in nodes)
    return H


def filter_graph(
    G: nx.Graph,
    *,
    years: tuple[int | None, int | None] | None = None,
    types: Iterable[str] | None = None,
    min_local_citations: int = 0,
    keep_seeds: bool = True,
    largest_component: bool = False,
    stored_only: bool = False,
) -> nx.Graph:
    """A filtered copy of a graph; seeds survive every filter when ``keep_seeds``.

    The copy keeps ``G``'s node and edge order (and copies its attributes).

    Parameters
    ----------
    years : (first, last), optional
        Keep works published in this range (either end may be None); works
        of unknown year are dropped by a year filter.
    types : iterable of str, optional
        Keep these Crossref work types (``journal-article``, ...).
    min_local_citations : int
        Keep works cited at least this often within the network
        (``citations_local``, else the in-degree).
    largest_component : bool
        Keep only the largest (weakly) connected component, plus the seeds.
    stored_only : bool
        Keep only the stored works (``resolved`` not False: the records
        imported or fetched), not the works they cite that the store has no
        record of; this drops a seed without a record too. The links among
        the stored works are those of ``G`` (coupling counts every shared
        reference, stored or not).

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> G.nodes["a"].update(year=2001, is_seed=True); G.nodes["b"].update(year=1990); G.nodes["c"].update(year=2005)
    >>> sorted(filter_graph(G, years=(2000, None)).nodes)
    ['a', 'c']
    >>> G.nodes["b"]["resolved"] = False  # cited, but not stored
    >>> sorted(filter_graph(G, stored_only=True).edges)
    []
    """
    type_set = set(types) if types is not None else None
    if years is None and type_set is None and not min_local_citations and not stored_only:
        keep: set[Any] = set(G.nodes)
    else:
        keep = set()
        for node, d in G.nodes(data=True):
            if stored_only and d.get("resolved") is False:
                continue
            if years is not None:
                y = d.get("year")
                lo, hi = years
                if y is None or (lo is not None and y < lo) or (hi is not None and y > hi):
                    continue
            if type_set is not None and d.get("type") not in type_set:
                continue
            if min_local_citations:
                local = d.get("citations_local")
                if local is None:
                    local = G.in_degree(node) if G.is_directed() else G.degree(node)
                if local < min_local_citations:
                    continue
            keep.add(node)
    seeds = ({n for n, d in G.nodes(data=True) if d.get("is_seed") and not (stored_only and d.get("resolved") is False)}
             if keep_seeds else set())
    nodes = keep | seeds
    if largest_component and nodes:
        view = G if len(nodes) == G.number_of_nodes() else G.subgraph(nodes)
        parts = nx.weakly_connected_components(view) if view.is_directed() else nx.connected_components(view)
        # the largest; among equals, the one holding the smallest node id (deterministic)
        biggest = min(parts, key=lambda c: (-len(c), min(map(str, c))))
        nodes = set(biggest) | (seeds & nodes)
    return _induced_copy(G, nodes)


def graph_summary(G: nx.Graph, *, top: int = 10) -> dict[str, Any]:
    """Counts, density, components and the heaviest edges of a graph.

    Examples
    --------
    >>> s = graph_summary(nx.Graph([("a", "b", {"weight": 2}), ("c", "d", {"weight": 1})]), top=1)
    >>> s["nodes"], s["edges"], s["components"], s["largest_component"], s["heaviest"]
    (4, 2, 2, 2, [('a', 'b', 2)])
    """
    n = G.number_of_nodes()
    comps = list(nx.weakly_connected_components(G) if G.is_directed() else nx.connected_components(G))
    edges = sorted(((str(u), str(v), d.get("weight", 1)) for u, v, d in G.edges(data=True)),
                   key=lambda e: (-float(e[2]), e[0], e[1]))
    return {
        "nodes": n,
        "edges": G.number_of_edges(),
        "density": round(nx.density(G), 6) if n > 1 else 0.0,
        "components": len(comps),
        "largest_component": max((len(c) for c in comps), default=0),
        "isolated": sum(1 for _, d in G.degree() if d == 0),
        "heaviest": edges[:top],
    }


@dataclass(frozen=True)
class GraphOptions:
    """How :func:`build_graph` builds and filters a graph (the options of ``citegraph graph``)."""

    normalise: str = "cosine"
    min_count: int = 1
    min_weight: float = 0.0
    top_k: int | None = None
    topic_k: int = 10
    topic_threshold: float = 0.1
    hybrid_weights: Mapping[str, float] | None = None
    years: tuple[int | None, int | None] | None = None
    types: tuple[str, ...] | None = None
    min_local_citations: int = 0
    largest_component: bool = False
    keep_seeds: bool = True
    stored_only: bool = False


def build_graph(store: Store, kind: str, options: GraphOptions | None = None, *,
                citation: nx.DiGraph | None = None, model: Any = None,
                arrays: GraphArrays | None = None) -> nx.Graph:
    """Build one kind of graph from a store and apply the filters.

    Parameters
    ----------
    kind : {"citation", "cocitation", "coupling", "topic", "hybrid"}
        ``topic`` links works by TF-IDF similarity of title, abstract
        and subjects (:func:`topic_documents`, :mod:`citegraph.graphs.topics`); ``hybrid`` combines the
        direct citations, co-citation, coupling and topic links with
        ``options.hybrid_weights`` (default :data:`DEFAULT_HYBRID_WEIGHTS`).
    options : GraphOptions, optional
    citation : nx.DiGraph, optional
        The store's :func:`citation_graph`, when the caller has it already.
    model : TopicModel, optional
        A topic model fitted on the store's works (see
        :func:`citegraph.graphs.topics.fit_topics`), when the caller has it already.
    arrays : GraphArrays, optional
        The citation graph's :class:`~citegraph.graphs.arrays.GraphArrays`,
        when the caller has them already (the hybrid graph reads them).

    Returns
    -------
    networkx.Graph
        Nodes carry the citation graph's attributes, ``notice``
        (``"retracted"``, ``"concern"``, ``"corrected"`` or ``""``, read once
        from the store by :func:`citation_graph`) on every node of every kind.

    Raises
    ------
    UsageError
        An unknown kind or option value.
    """
    return _build(store, kind, options, citation, model, arrays, with_arrays=False)[0]


def build_graph_with_arrays(store: Store, kind: str, options: GraphOptions | None = None, *,
                            citation: nx.DiGraph | None = None, model: Any = None,
                            arrays: GraphArrays | None = None,
                            topic: nx.Graph | Callable[[], nx.Graph] | None = None) -> tuple[nx.Graph, GraphArrays]:
    """:func:`build_graph` and the graph's :class:`~citegraph.graphs.arrays.GraphArrays` (edge weights read).

    The arrays are what ``GraphArrays.from_graph(graph)`` gives; for the
    hybrid graph without a selection they come from the arrays the graph is
    built from rather than from a walk of the graph (3.8 s less at 10^6
    SYNTHETIC references, 2.7 M links), and for the citation graph without a
    selection they are ``arrays`` when given. ``citegraph analyse`` clusters
    on them.

    ``topic`` (``topic`` and ``hybrid`` graphs): the topic graph, when the
    caller has it (``topic_graph(model, k=options.topic_k,
    threshold=options.topic_threshold)``), or a function giving it, called
    once the hybrid graph's co-citation and coupling links are computed
    (``analyse`` computes the topic graph in a second process meanwhile);
    by default made here from ``model``.

    Examples
    --------
    >>> from citegraph.store import Store
    >>> with Store(":memory:") as store:  # an empty store: a graph without nodes
    ...     G, a = build_graph_with_arrays(store, "hybrid")
    >>> G.number_of_nodes(), a.n, a.src.tolist()
    (0, 0, [])
    """
    G, made = _build(store, kind, options, citation, model, arrays, with_arrays=True, topic=topic)
    return G, made if made is not None and made.matches(G) else GraphArrays.from_graph(G)


def _build(store: Store, kind: str, options: GraphOptions | None, citation: nx.DiGraph | None, model: Any,
           arrays: GraphArrays | None, *, with_arrays: bool,
           topic: nx.Graph | Callable[[], nx.Graph] | None = None) -> tuple[nx.Graph, GraphArrays | None]:
    """:func:`build_graph`; with ``with_arrays``, also the graph's arrays where building it gave them."""
    from citegraph.graphs.topics import topic_graph

    o = options or GraphOptions()
    if kind not in GRAPH_KINDS:
        raise UsageError(f"graph kind {kind!r} is not one of {', '.join(GRAPH_KINDS)}")
    _check_pair_options(o.normalise, o.min_count, o.top_k)
    if citation is None:
        citation = citation_graph(store)
    pair = {"normalise": o.normalise, "min_count": o.min_count, "min_weight": o.min_weight, "top_k": o.top_k}
    made: GraphArrays | None = None  # the arrays of G, when building it gave them
    if kind == "citation":
        G: nx.Graph = citation
        made = arrays
    elif kind == "cocitation":
        G = cocitation_graph(citation, **pair)  # type: ignore[arg-type]
    elif kind == "coupling":
        G = coupling_graph(citation, **pair)  # type: ignore[arg-type]
    else:
        cited = citation
        found: dict[str, Any] = {}

        def the_topic_graph() -> nx.Graph:
            """The topic graph (given, given later, or made now), its nodes with the citation graph's attributes."""
            if topic is None:
                T = topic_graph(model if model is not None else topic_documents(store, cited), k=o.topic_k,
                                threshold=o.topic_threshold)
            else:
                T = topic if isinstance(topic, nx.Graph) else topic()
            found["similarity"] = T.graph["similarity"]  # how the neighbours were searched (similarity_plan)
            for node in T.nodes:
                if node in cited:
                    T.nodes[node].update(cited.nodes[node])
            return T

        if kind == "topic":
            G = the_topic_graph()
        else:
            weights = dict(DEFAULT_HYBRID_WEIGHTS if o.hybrid_weights is None else o.hybrid_weights)
            G, made = _hybrid_of_citations(citation, the_topic_graph, weights, o, arrays, with_arrays=with_arrays)
    filtered = (o.years is not None or o.types is not None or o.min_local_citations or o.largest_component
                or o.stored_only)
    if not filtered:  # nothing to filter: no copy, except of the caller's citation graph
        out = citation.copy() if G is citation else G
    else:
        out = filter_graph(G, years=o.years, types=o.types, min_local_citations=o.min_local_citations,
                           keep_seeds=o.keep_seeds, largest_component=o.largest_component,
                           stored_only=o.stored_only)
        made = None
    for _, attrs in out.nodes(data=True):  # every node of every kind says whether a notice flags it
        attrs.setdefault("notice", "")
    if kind in ("topic", "hybrid"):
        out.graph["similarity"] = found["similarity"]
    return out, made
