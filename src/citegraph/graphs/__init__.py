"""Stage 3, graphs: the networks built from the store.

- :mod:`~citegraph.graphs.citation`: the citation graph (citing -> cited,
  with the provenance of every link) and node labels;
- :mod:`~citegraph.graphs.cooccurrence`: co-citation and bibliographic
  coupling (sparse products, normalisations, thresholds, top-k);
- :mod:`~citegraph.graphs.topics`: topic similarity (TF-IDF of title,
  abstract and subjects) and keyword graphs;
- :mod:`~citegraph.graphs.hybrid`: all of the above in one weighted graph;
- :mod:`~citegraph.graphs.build`: one graph of a given kind from a store,
  filtered (what ``citegraph graph`` builds);
- :mod:`~citegraph.graphs.arrays`: graphs as index arrays, the one form the
  analyses compute on (:class:`~citegraph.graphs.arrays.GraphArrays`).

Graphs are networkx graphs for users and exports; the analyses read their
array form. May import: the shared modules and :mod:`citegraph.store`.

The names below are importable from ``citegraph.graphs`` itself (as before
the stages were split), each loaded on first use (a module ``__getattr__``):
importing one graph module, or the package, loads no other, so
``citegraph.graphs.citation`` costs networkx but not SciPy.
:mod:`~citegraph.graphs.topics` is left out here so that no name of the
package loads scikit-learn.

Examples
--------
>>> import networkx as nx
>>> from citegraph.graphs import cocitation_graph
>>> co = cocitation_graph(nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]), normalise="count")
>>> co["x"]["y"]["count"]
2
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ below imports each on first use
    from citegraph.graphs.arrays import CitationMatrix, GraphArrays, citation_matrix, edge_arrays, edge_index
    from citegraph.graphs.build import (
        GRAPH_KINDS,
        GraphOptions,
        build_graph,
        build_graph_with_arrays,
        filter_graph,
        graph_summary,
    )
    from citegraph.graphs.citation import citation_graph, node_label, topic_documents
    from citegraph.graphs.cooccurrence import (
        NORMALISATIONS,
        Pairs,
        cocitation_graph,
        cocitation_pairs,
        cooccurrence_edges,
        coupling_graph,
        coupling_pairs,
    )
    from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS, hybrid_graph

__all__ = [
    "DEFAULT_HYBRID_WEIGHTS",
    "GRAPH_KINDS",
    "NORMALISATIONS",
    "CitationMatrix",
    "GraphArrays",
    "GraphOptions",
    "Pairs",
    "build_graph",
    "build_graph_with_arrays",
    "citation_graph",
    "citation_matrix",
    "cocitation_graph",
    "cocitation_pairs",
    "cooccurrence_edges",
    "coupling_graph",
    "coupling_pairs",
    "edge_arrays",
    "edge_index",
    "filter_graph",
    "graph_summary",
    "hybrid_graph",
    "node_label",
    "topic_documents",
]

#: The module of each name above (``citegraph.graphs.<module>``).
_HOMES = {
    **dict.fromkeys(("CitationMatrix", "GraphArrays", "citation_matrix", "edge_arrays", "edge_index"), "arrays"),
    **dict.fromkeys(("GRAPH_KINDS", "GraphOptions", "build_graph", "build_graph_with_arrays", "filter_graph",
                     "graph_summary"), "build"),
    **dict.fromkeys(("citation_graph", "node_label", "topic_documents"), "citation"),
    **dict.fromkeys(("NORMALISATIONS", "Pairs", "cocitation_graph", "cocitation_pairs", "cooccurrence_edges",
                     "coupling_graph", "coupling_pairs"), "cooccurrence"),
    **dict.fromkeys(("DEFAULT_HYBRID_WEIGHTS", "hybrid_graph"), "hybrid"),
}

_MODULES = frozenset(_HOMES.values())


def __getattr__(name: str) -> Any:
    """``citegraph.graphs.NAME``: the name from its module, imported now and kept (PEP 562).

    The five modules the package once imported on its own are attributes too, as they were
    (``citegraph.graphs.build`` after ``import citegraph.graphs``).
    """
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import sets the attribute
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
