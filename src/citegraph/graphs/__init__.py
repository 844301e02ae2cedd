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
the stages were split); :mod:`~citegraph.graphs.topics` is left out here so
that importing a graph module does not load scikit-learn.

Examples
--------
>>> import networkx as nx
>>> co = cocitation_graph(nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]), normalise="count")
>>> co["x"]["y"]["count"]
2
"""

from citegraph.graphs.arrays import CitationMatrix, GraphArrays, citation_matrix, edge_arrays, edge_index
from citegraph.graphs.build import GRAPH_KINDS, GraphOptions, build_graph, filter_graph, graph_summary
from citegraph.graphs.citation import citation_graph, node_label, topic_documents
from citegraph.graphs.cooccurrence import NORMALISATIONS, cocitation_graph, cooccurrence_edges, coupling_graph
from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS, hybrid_graph

__all__ = [
    "DEFAULT_HYBRID_WEIGHTS",
    "GRAPH_KINDS",
    "NORMALISATIONS",
    "CitationMatrix",
    "GraphArrays",
    "GraphOptions",
    "build_graph",
    "citation_graph",
    "citation_matrix",
    "cocitation_graph",
    "cooccurrence_edges",
    "coupling_graph",
    "edge_arrays",
    "edge_index",
    "filter_graph",
    "graph_summary",
    "hybrid_graph",
    "node_label",
    "topic_documents",
]
