"""One set of cluster colours for every figure, the HTML report and the GEXF export.

Cluster 1 is the largest (see :mod:`citegraph.analysis.clusters`). Clusters 1-9 get
Paul Tol's "muted" qualitative palette, which stays distinguishable with the
common forms of colour blindness; every other cluster, and works in none, are
grey. A work therefore has the same colour in ``figures/network.png``, in the
report's network view and in Gephi.

Examples
--------
>>> cluster_colour(1), cluster_colour(10), cluster_colour(None)
('#CC6677', '#BBBBBB', '#BBBBBB')
>>> cluster_rgb(2)
(51, 34, 136)
"""

from __future__ import annotations

__all__ = ["CLUSTER_COLOURS", "OTHER_COLOUR", "cluster_colour", "cluster_rgb"]

#: Paul Tol's "muted" qualitative palette (colour-blind safe): clusters 1..9.
CLUSTER_COLOURS: tuple[str, ...] = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99",
                                    "#999933", "#AA4499")
#: Every other cluster, and works without one.
OTHER_COLOUR = "#BBBBBB"


def cluster_colour(cluster: int | None) -> str:
    """The colour (``#RRGGBB``) of a cluster: 1-9 coloured, any other (or ``None``) grey."""
    if cluster is None or not 1 <= cluster <= len(CLUSTER_COLOURS):
        return OTHER_COLOUR
    return CLUSTER_COLOURS[cluster - 1]


def cluster_rgb(cluster: int | None) -> tuple[int, int, int]:
    """:func:`cluster_colour` as 0-255 red, green, blue."""
    colour = cluster_colour(cluster)
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
