"""The figures of an analysis, drawn with matplotlib for papers and reports.

Every figure function takes an :class:`~citegraph.analysis.pipeline.Analysis` and
returns a :class:`matplotlib.figure.Figure`; given ``ax=``, it draws into
that Axes and returns ``ax.figure``. ``matplotlib.pyplot`` is never
imported (it keeps global state and leaks figures in long sessions):
figures are made with :class:`~matplotlib.figure.Figure` and saved with
:func:`save_figure`, which writes byte-identical files for the same analysis.

:data:`FIGURES` maps the file stem of each figure to its function:

``network``
    :func:`network_map`: the best-scored works and the citation and hybrid
    links that hold them together.
``historiograph``
    :func:`historiograph`: the most locally cited works by publication year,
    with the citation links between them (Garfield's historiograph).
``cocitation``
    :func:`cocitation_map`: the most cited works, linked by co-citation.
``ranking``
    :func:`ranking_bar`: the top works by a score.
``publications``
    :func:`publications_chart`: stored works per publication year.
``rpys``
    :func:`rpys_chart`: reference publication year spectroscopy, peaks named.
``bursts``
    :func:`bursts_chart`: citation bursts on a timeline.

Clusters have the same colour in every figure, the report and the GEXF export
(:func:`citegraph.outputs.palette.cluster_colour`:
cluster 1 is the largest; the nine largest get a colour of Paul Tol's
colour-blind safe "muted" palette, the rest grey). Every figure carries a
caption line at the bottom (:func:`caption`) naming the data and parameters
that made it. The selection and graph options (``--years``, ``--types``,
``--min-count``, ...) shape the graph the clusters are found in, not the works
drawn. The caption names those that differ from their defaults (in the words
of :func:`citegraph.analysis.pipeline.options_note`): beside the clusters in
the figures coloured by cluster (works outside the selection are grey,
"outside the selection" in the legend), as "not filtered" in the others. The
co-citation map draws its links with the same ``normalise``, ``min_count`` and
``min_weight``. Layouts are seeded; ties are broken by DOI key.

Works an editorial notice flags (the citation graph's ``notice``, see
:func:`citegraph.graphs.citation.citation_graph`) are marked in every figure
that draws works: a retracted work gets a thick red ring and a red cross on
its marker (:func:`network_map`, :func:`cocitation_map`,
:func:`historiograph`) or a red-hatched bar (:func:`ranking_bar`), and its
label ends in ``[RETRACTED]``, in bold red (also the rows of
:func:`bursts_chart` and the peak labels of :func:`rpys_chart`); an
expression of concern gets an amber ring and ``(concern)``, a correction a
thin grey ring and ``(corrected)`` (:data:`NOTICE_COLOURS`,
:data:`NOTICE_TAGS`). The legend names each mark drawn, and only those.

Examples
--------
>>> from citegraph.analysis.pipeline import analyse
>>> from citegraph.store.records import parse_work
>>> from citegraph.store import Store
>>> records = [{"DOI": f"10.5555/w{i}", "issued": {"date-parts": [[2000 + i]]}, "title": ["Graph study"],
...             "author": [{"family": "Doe"}], "reference": [{"key": "r", "DOI": "10.5555/old", "year": "1990"}]}
...            for i in range(3)]   # hand-made example records, not Crossref data
>>> with Store(":memory:") as store:
...     _ = store.add_works([parse_work(r, source="example") for r in records])
...     analysis = analyse(store)
>>> fig = network_map(analysis, labels=2)
>>> fig.axes[0].get_title(loc="left")
'Citation network: top 4 works by composite'
"""

from __future__ import annotations

import io
import logging
import math
import re
import textwrap
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.text import Annotation
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from citegraph._version import __version__
from citegraph.analysis.rank import SCORES
from citegraph.errors import UsageError
from citegraph.graphs.cooccurrence import cocitation_graph
from citegraph.outputs.files import check_output_files, write_bytes_atomic
from citegraph.outputs.palette import CLUSTER_COLOURS, OTHER_COLOUR, cluster_colour

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from citegraph.analysis.pipeline import Analysis

__all__ = [
    "FIGURES",
    "FORMATS",
    "NOTICE_COLOURS",
    "NOTICE_LEGEND",
    "NOTICE_TAGS",
    "bursts_chart",
    "caption",
    "cocitation_map",
    "figure_paths",
    "historiograph",
    "network_map",
    "publications_chart",
    "ranking_bar",
    "rpys_chart",
    "save_figure",
    "save_figures",
    "shorten",
]

log = logging.getLogger(__name__)


#: The file formats :func:`save_figure` writes.
FORMATS = ("pdf", "png", "svg")

#: Metadata that would make files differ between runs or versions is left out.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

_STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "font.size": 9.0,
    "axes.titlesize": 11.0,
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 8.0,
    "legend.title_fontsize": 8.0,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.hashsalt": "citegraph",  # fixed ids in SVG files
    "svg.fonttype": "path",
}

_CAPTION_SIZE = 7.0
_LABEL_SIZE = 7.0
_TEXT_COLOUR = "#222222"
_EDGE_COLOUR = "#555555"
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
#: How co-citation links are weighted, by ``GraphOptions.normalise``.
_WEIGHT_NAMES = {"count": "co-citation counts", "cosine": "Salton's cosine", "association": "association strength",
                 "jaccard": "Jaccard index"}
_SCORE_NAMES = {
    "composite": "composite score (mean percentile rank)",
    "local": "local citations",
    "global": "global citations (Crossref)",
    "per_year": "global citations per year",
    "pagerank": "PageRank",
    "authority": "HITS authority",
    "hub": "HITS hub",
    "betweenness": "betweenness centrality",
    "cocitation_seeds": "co-citations with the seeds",
}


# -- helpers: text, colours, captions -------------------------------------------------------


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to at most ``width`` characters with an ellipsis.

    Examples
    --------
    >>> shorten("From noise to knowledge:  how randomness generates novel phenomena", 24)
    'From noise to knowledge…'
    >>> shorten("Short", 24)
    'Short'
    """
    one_line = " ".join(str(text).split())
    if len(one_line) <= width:
        return one_line
    return one_line[: max(width - 1, 0)].rstrip(" ,;:.-") + "…"


_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _plain(text: str) -> str:
    r"""Data text shown as is: ``$`` would start matplotlib's mathtext; control and bidi-override characters
    (no font has glyphs for them) are dropped.

    >>> _plain("Cost $5\x00 \u202eok")
    'Cost \\$5 ok'
    """
    return _INVISIBLE.sub("", text).replace("$", r"\$")



def _example_analysis() -> Analysis:
    """The analysis of the doctests: 3 HAND-MADE records (not Crossref data), each citing one older work.

    It is built as in the module's example: records parsed with
    :func:`citegraph.store.records.parse_work` into an in-memory store, then
    :func:`citegraph.analysis.pipeline.analyse`.
    """
    from citegraph.analysis.pipeline import analyse
    from citegraph.store import Store
    from citegraph.store.records import parse_work

    records = [{"DOI": f"10.5555/w{i}", "issued": {"date-parts": [[2000 + i]]}, "title": ["Graph study"],
                "author": [{"family": "Doe"}], "reference": [{"key": "r", "DOI": "10.5555/old", "year": "1990"}]}
               for i in range(3)]
    with Store(":memory:") as store:
        store.add_works([parse_work(r, source="example") for r in records])
        return analyse(store)

def caption(analysis: Analysis, what: str, *, source: str | None = None) -> str:
    """The caption line of a figure: the citegraph version that made the analysis, the data, what was drawn.

    ``source`` names the data (e.g. the store's file name); ``what`` says
    what the figure shows and with which parameters.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> with Store(":memory:") as store:   # a hand-made example record, not Crossref data
    ...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "title": ["Graph study"]}, source="example")])
    ...     analysis = analyse(store)
    >>> caption(analysis, "top 20 by composite", source="example.sqlite")
    'citegraph 0.1.0 · example.sqlite · top 20 by composite'
    """
    version = analysis.summary.get("versions", {}).get("citegraph", __version__)
    parts = [f"citegraph {version}"]
    if source:
        parts.append(source)
    if what:
        parts.append(what)
    return " · ".join(parts)


def _cluster_note(analysis: Analysis) -> str:
    """How the clusters were found; with a selection or graph options other than the defaults, a second part
    naming them and the works clustered (the rest, outside the selection, are in no cluster)."""
    from citegraph.analysis.pipeline import options_note

    o = analysis.options
    method = o.cluster_method
    if method == "leiden":
        method += " (until stable)" if o.cluster_iterations == -1 else f" ({o.cluster_iterations} iterations)"
    text = f"clusters: {method} on {o.graph}, resolution {o.resolution:g}, seed {o.seed}"
    note = options_note(o.graph_options, o.graph)
    if note:
        text += f" · clusters from {analysis.graph.number_of_nodes():,} works: {note}"
    return text


def _selection_note(analysis: Analysis) -> str:
    """For a figure without clusters, drawn from every work: the selection given, which only shaped the
    clusters ("" without one)."""
    from citegraph.analysis.pipeline import options_note

    note = options_note(analysis.options.graph_options, links=False)
    return f"not filtered: the selection ({note}) only shapes the clusters" if note else ""


def _with(what: str, note: str) -> str:
    """``what`` and ``note`` joined as caption parts (``what`` alone when the note is empty)."""
    return f"{what} · {note}" if note else what


def _graph_note(analysis: Analysis) -> str:
    G = analysis.citation
    return f"citation graph of {G.number_of_nodes():,} works, {G.number_of_edges():,} links"


def _wrap_caption(text: str, width_inches: float) -> str:
    """Wrap at the `` · `` separators so that each line fits the figure."""
    limit = max(int(width_inches * 72 / (0.56 * _CAPTION_SIZE)), 40)
    lines: list[str] = []
    current = ""
    for part in text.split(" · "):
        candidate = f"{current} · {part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        wrapped = textwrap.wrap(part, limit) or [""]
        lines.extend(wrapped[:-1])
        current = wrapped[-1]
    if current:
        lines.append(current)
    return "\n".join(lines)


def _add_caption(fig: Figure, text: str) -> None:
    """The caption is the figure's ``supxlabel`` (so constrained layout leaves room for it).

    Several citegraph panels drawn into one figure get one caption line each.
    """
    line = _plain(_wrap_caption(text, fig.get_figwidth()))
    existing = fig.get_supxlabel()
    if existing and line not in existing.split("\n"):
        line = f"{existing}\n{line}"
    elif existing:
        line = existing
    fig.supxlabel(line, x=0.01, ha="left", fontsize=_CAPTION_SIZE, color="#555555", linespacing=1.3)


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_STYLE):
        yield


def _root(ax: Axes) -> Figure:
    """The top-level Figure of an Axes, also inside a SubFigure (on every matplotlib from 3.8 on)."""
    fig: Any = ax.figure
    if not isinstance(fig, Figure):
        fig = getattr(fig, "figure", None)  # a SubFigure's root figure
    if not isinstance(fig, Figure):
        raise UsageError("the Axes given as ax= is not in a figure")
    return fig


def _figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return _root(ax), ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _note(ax: Axes, text: str) -> None:
    """A centred note in an empty plot (instead of failing)."""
    ax.text(0.5, 0.5, _plain(text), transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color="#555555", gid="note")
    ax.set_xticks([])
    ax.set_yticks([])


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{name} {value!r} must be a whole number, at least {minimum}")


def _check_score(score: str) -> None:
    if score not in SCORES:
        raise UsageError(f"score {score!r} is not one of {', '.join(SCORES)}")


# -- helpers: editorial notices ------------------------------------------------------------

#: How a work's editorial notice is marked: the colour of its ring (and of a retracted work's cross and label).
NOTICE_COLOURS = {"retracted": "#C0001A", "concern": "#E69F00", "corrected": "#8C8C8C"}
#: The tag a notice adds to a work's label: loud for a retraction, quiet for a concern or correction.
NOTICE_TAGS = {"retracted": " [RETRACTED]", "concern": " (concern)", "corrected": " (corrected)"}
#: The legend entry of each mark, shown only when the figure draws one.
NOTICE_LEGEND = {"retracted": "retracted", "concern": "expression of concern", "corrected": "corrected"}
#: Ring widths (points): a retraction's ring is thick, a concern's thinner, a correction's thin.
_RING_WIDTHS = {"retracted": 1.8, "concern": 1.3, "corrected": 0.9}


def _notice(G: nx.Graph, key: Any) -> str:
    """The ``notice`` of a node (``"retracted"``, ``"concern"``, ``"corrected"``), ``""`` when none or unknown."""
    flag = G.nodes[key].get("notice") if key in G else None
    return flag if flag in NOTICE_TAGS else ""


def _tagged(text: str, notice: str) -> str:
    """A label with its notice tag: ``"Doe 2001 [RETRACTED]"``, ``"Doe 2001 (concern)"``.

    >>> _tagged("Doe 2001", "retracted"), _tagged("Doe 2001", "corrected"), _tagged("Doe 2001", "")
    ('Doe 2001 [RETRACTED]', 'Doe 2001 (corrected)', 'Doe 2001')
    """
    return text + NOTICE_TAGS.get(notice, "")


def _style_notice_text(text: Any, notice: str) -> None:
    """A retracted work's label in red and bold; the others as they are."""
    if notice == "retracted":
        text.set_color(NOTICE_COLOURS["retracted"])
        text.set_fontweight("bold")


def _notice_handles(notices: Iterable[str], *, bars: bool = False) -> list[Any]:
    """Legend entries of the notice marks drawn, strongest first (none when none is drawn).

    ``bars``: the marks of :func:`ranking_bar` (a hatched red bar; a label tag for the others).
    """
    found = set(notices)
    handles: list[Any] = []
    for flag in ("retracted", "concern", "corrected"):
        if flag not in found:
            continue
        colour = NOTICE_COLOURS[flag]
        if bars:
            if flag == "retracted":
                handles.append(Patch(facecolor="white", edgecolor=colour, hatch="xxx", linewidth=1.0,
                                     label=f"{NOTICE_LEGEND[flag]} (hatched, label in red)"))
            else:  # only the label is tagged: an entry without a mark
                handles.append(Patch(facecolor="none", edgecolor="none", linewidth=0.0,
                                     label=f"{NOTICE_TAGS[flag].strip()}: {NOTICE_LEGEND[flag]}"))
            continue
        if flag == "retracted":  # a ring with a cross, as on the markers
            handles.append(Line2D([], [], marker=r"$\otimes$", linestyle="none", markersize=11, color=colour,
                                  markeredgewidth=0.0, label=NOTICE_LEGEND[flag]))
        else:
            handles.append(Line2D([], [], marker="o", linestyle="none", markersize=7, markerfacecolor="none",
                                  markeredgecolor=colour, markeredgewidth=_RING_WIDTHS[flag],
                                  label=NOTICE_LEGEND[flag]))
    return handles


def _mark_notices(ax: Axes, points: Sequence[tuple[float, float, float, str]], *, zorder: float = 2.5,
                  transform: Any = None) -> None:
    """Mark flagged works drawn as markers: ``(x, y, marker area in points², notice)``.

    A retracted work gets a thick red ring around its marker and a red cross
    on it; an expression of concern an amber ring, a correction a thin grey
    one. Works without a notice get nothing.
    """
    kwargs: dict[str, Any] = {"transform": transform} if transform is not None else {}
    for flag in ("corrected", "concern", "retracted"):
        chosen = [(x, y, area) for x, y, area, notice in points if notice == flag]
        if not chosen:
            continue
        colour = NOTICE_COLOURS[flag]
        width = _RING_WIDTHS[flag]
        rings = [(math.sqrt(area) + 2 * width + 1.5) ** 2 for _, _, area in chosen]
        ax.scatter([x for x, _, _ in chosen], [y for _, y, _ in chosen], s=rings, facecolors="none",
                   edgecolors=colour, linewidths=width, zorder=zorder, gid=f"notice-{flag}", **kwargs)
        if flag == "retracted":
            crosses = [max(area * 0.55, 30.0) for _, _, area in chosen]
            ax.scatter([x for x, _, _ in chosen], [y for _, y, _ in chosen], s=crosses, marker="x",
                       c=colour, linewidths=1.6, zorder=zorder + 0.1, gid="notice-retracted-cross",
                       path_effects=[patheffects.withStroke(linewidth=3.2, foreground="white")], **kwargs)


# -- helpers: data --------------------------------------------------------------------------


def _node_keys(analysis: Analysis) -> dict[str, str]:
    """DOI as deposited (as the rankings show it) -> node key of the citation graph."""
    return {str(d.get("doi", n)): str(n) for n, d in analysis.citation.nodes(data=True)}


def _ranked(analysis: Analysis, score: str) -> list[tuple[str, dict[str, Any]]]:
    """(node key, ranking row) of every ranked work with a value of ``score``, sorted by (-score, key)."""
    keys = _node_keys(analysis)
    rows = []
    for row in analysis.rankings:
        value = row.get(score)
        if value is None:
            continue
        rows.append((keys.get(str(row["doi"]), str(row["doi"]).lower()), row))
    rows.sort(key=lambda kr: (-float(kr[1][score]), kr[0]))
    return rows


def _year(d: Mapping[str, Any]) -> int | None:
    year = d.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) else None


def _local(G: nx.DiGraph, key: str) -> int:
    return int(G.nodes[key].get("citations_local", G.in_degree(key)))


def _most_cited(G: nx.DiGraph, top: int, *, need_year: bool = False) -> list[str]:
    """The ``top`` works with the most local citations (at least one), by (-local citations, key)."""
    found = [(_local(G, str(n)), str(n)) for n, d in G.nodes(data=True)
             if (not need_year or _year(d) is not None)]
    found = [(c, n) for c, n in found if c > 0]
    found.sort(key=lambda cn: (-cn[0], cn[1]))
    return [n for _, n in found[:top]]


_LABEL_YEAR = re.compile(r"^(.*\S)\s+(\d{4}[a-z]{0,3})$")


def _node_label(G: nx.DiGraph, key: str, width: int = 30) -> str:
    """A node's label in at most ``width`` characters; a long "Surname Year" keeps its year (and a/b suffix).

    >>> G = nx.DiGraph()
    >>> G.add_node("a", label="Westerterp-Plantenga 2005a")
    >>> _node_label(G, "a", 24), _node_label(G, "a", 30), _node_label(G, "missing", 24)
    ('Westerterp-Plante… 2005a', 'Westerterp-Plantenga 2005a', 'missing')
    """
    d = G.nodes[key] if key in G else {}
    text = " ".join(str(d.get("label") or d.get("doi") or key).split())
    match = _LABEL_YEAR.match(text)
    if len(text) > width and match and len(match.group(2)) + 3 < width:
        year = match.group(2)
        return f"{shorten(match.group(1), width - len(year) - 1)} {year}"
    return shorten(text, width)


def _scaled(values: Sequence[float], low: float, high: float) -> list[float]:
    """Map values linearly onto ``[low, high]`` (a quarter of the way up when they are all equal)."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi <= lo:
        return [low + 0.25 * (high - low) for _ in values]
    return [low + (high - low) * (v - lo) / (hi - lo) for v in values]


def _cluster_legend(ax: Axes, analysis: Analysis, clusters: Sequence[int | None], *, marker: str = "o",
                    seeds: bool = False, title: str | None = None, extra: Sequence[Any] = ()) -> Legend:
    """A legend of the coloured clusters drawn (number and first label terms), grey for the rest, seeds, and the
    ``extra`` handles (the notice marks drawn, :func:`_notice_handles`)."""
    info = {int(c["cluster"]): c for c in analysis.clusters}
    coloured = sorted({c for c in clusters if c is not None and cluster_colour(c) != OTHER_COLOUR})
    handles: list[Any] = []
    for c in coloured:
        terms = [t.strip() for t in str(info.get(c, {}).get("label") or "").split(";") if t.strip()]
        name = ", ".join(terms[:3]) if terms else "(no label terms)"
        size = info.get(c, {}).get("size")
        text = f"{c}: {shorten(name, 38)}" + (f" ({int(size):,})" if size is not None else "")
        handles.append(_handle(marker, cluster_colour(c), _plain(text)))
    if any(c is None or cluster_colour(c) == OTHER_COLOUR for c in clusters):
        # works in no cluster are outside the selection, when there is one (see _cluster_note)
        outside = any(c is None for c in clusters) and bool(_selection_note(analysis))
        others = any(c is not None and cluster_colour(c) == OTHER_COLOUR for c in clusters)
        label = "; ".join([name for name, shown in (("other clusters", others or not outside),
                                                    ("outside the selection", outside)) if shown])
        handles.append(_handle(marker, OTHER_COLOUR, label))
    if seeds:
        handles.append(_handle(marker, "white", "seed work", edge="black"))
    handles.extend(extra)
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     title=title, alignment="left", handletextpad=0.4)


def _handle(marker: str, colour: str, label: str, edge: str | None = None) -> Any:
    if marker == "s":
        return Patch(facecolor=colour, edgecolor=edge or colour, linewidth=1.4 if edge else 0.0, label=label)
    return Line2D([], [], marker="o", linestyle="none", markersize=7, markerfacecolor=colour,
                  markeredgecolor=edge or "white", markeredgewidth=1.4 if edge else 0.5, label=label)


# -- helpers: layout and labels ------------------------------------------------------------


def _packed_layout(H: nx.Graph, order: Mapping[str, int], group: Mapping[str, int], *, seed: int,
                   aspect: float = 1.0, weight: str | None = None,
                   iterations: int = 50,
                   level: bool = False) -> tuple[dict[str, tuple[float, float]], tuple[float, float] | None]:
    """Seeded spring layouts of the components of ``H`` with 3+ nodes, packed in rows, biggest first.

    Each component is scaled between "the median distance to the nearest
    neighbour is one unit" (no crowded cores, but long arms) and "the
    component's side is the square root of its size" (even density):
    by the geometric mean of both factors. With ``level``, each component is
    turned (distances kept) so that its longest axis lies across, its
    outlying arms pulled in (see :func:`_reined`). Pairs and single works follow in a grid below
    (one unit apart), grouped by ``group`` (cluster), then by ``order`` (rank).
    The packing aims at a width/height ratio of ``aspect``. Returns the
    positions and the top-left corner of the grid (None without one).
    """
    comps = [sorted(c, key=lambda n: (order[n], n)) for c in nx.connected_components(H)]
    comps.sort(key=lambda c: (-len(c), order[c[0]], c[0]))
    blocks: list[tuple[float, float, dict[str, tuple[float, float]]]] = []
    for comp in (c for c in comps if len(c) >= 3):
        nodes = sorted(comp)
        sub = nx.Graph()
        sub.add_nodes_from(nodes)
        sub.add_edges_from(sorted((min(u, v), max(u, v), d) for u, v, d in H.subgraph(comp).edges(data=True)))
        raw = nx.spring_layout(sub, seed=seed, iterations=iterations, weight=weight)
        xy = np.array([raw[n] for n in nodes], dtype=float)
        if level:
            xy = _levelled(_reined(xy))
        gaps = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        np.fill_diagonal(gaps, np.inf)
        nearest = float(np.median(gaps.min(axis=1)))  # scale 1 / nearest: no crowding, but long arms
        span = float((xy.max(axis=0) - xy.min(axis=0)).max())  # scale sqrt(n) / span: even density overall
        scale = math.sqrt(1.0 / max(nearest, 1e-9) * math.sqrt(len(nodes)) / max(span, 1e-9))
        xy = (xy - xy.min(axis=0)) * scale
        local = {n: (float(x), float(y)) for n, (x, y) in zip(nodes, xy, strict=True)}
        blocks.append((float(xy[:, 0].max()), float(xy[:, 1].max()), local))
    small = [c for c in comps if len(c) < 3]
    small.sort(key=lambda c: (min(group.get(n, 10**9) for n in c), order[c[0]], c[0]))
    cells = sum(len(c) for c in small)
    gap = 1.5
    area = sum((w + gap) * (h + gap) for w, h, _ in blocks) + cells
    width = max([w for w, _, _ in blocks] + [math.sqrt(area * max(aspect, 0.2)), 2.0])
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for w, h, local in blocks:
        if x > 0 and x + w > width:
            x, y, row_height = 0.0, y - row_height - gap, 0.0
        for n, (lx, ly) in local.items():
            pos[n] = (x + lx, y - h + ly)
        x += w + gap
        row_height = max(row_height, h)
    if not small:
        return pos, None
    columns = max(int(width) + 1, 2)
    top = y - row_height - 2 * gap if blocks else 0.0
    col = row = 0
    for comp in small:
        if col + len(comp) > columns:
            col, row = 0, row + 1
        for n in comp:
            pos[n] = (float(col), top - row)
            col += 1
    return pos, (0.0, top)


def _reined(xy: np.ndarray, quantile: float = 0.9, keep: float = 0.3) -> np.ndarray:
    """Points beyond the ``quantile`` of the distances from their median centre pulled in: the distance past
    it is cut to ``keep`` of itself (a spring layout pushes chains of weakly linked works far out, which
    shrinks the dense core of a map). Components of fewer than 20 points are left as they are.

    >>> xy = np.array([[float(i % 5), float(i // 5)] for i in range(20)] + [[40.0, 2.0]])
    >>> _reined(xy)[-1].round(2).tolist()
    [15.38, 2.0]
    """
    if len(xy) < 20:
        return xy
    centre = np.median(xy, axis=0)
    offsets = xy - centre
    distance = np.hypot(offsets[:, 0], offsets[:, 1])
    limit = float(np.quantile(distance, quantile))
    far = distance > limit
    factor = np.ones(len(xy))
    factor[far] = (limit + (distance[far] - limit) * keep) / distance[far]
    return np.asarray(centre + offsets * factor[:, None], dtype=float)


def _levelled(xy: np.ndarray) -> np.ndarray:
    """Points turned about their centre so that their principal axis lies along x (distances kept); the sign of
    each axis is fixed by the first point (left of and above the centre, where it can), so the result is
    deterministic.

    >>> _levelled(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])).round(3).tolist()
    [[-1.414, 0.0], [0.0, 0.0], [1.414, 0.0]]
    """
    centred = xy - xy.mean(axis=0)
    if len(xy) < 2:
        return np.asarray(centred, dtype=float)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    turned = centred @ vectors[:, ::-1]  # the largest eigenvalue's vector first: x
    for axis, sign in ((0, 1.0), (1, -1.0)):
        if sign * turned[0, axis] > 0:
            turned[:, axis] *= -1.0
    return np.asarray(turned + 0.0)


def _aspect(ax: Axes) -> float:
    """Width / height of the Axes once laid out (legend and caption included)."""
    _root(ax).draw_without_rendering()
    box = ax.get_window_extent()
    return float(box.width / box.height) if box.height > 0 else 1.0


def _outside(box: np.ndarray, frame: Bbox) -> float:
    """The area of ``box`` (x0, y0, x1, y1) outside ``frame``."""
    inside = _overlaps(box, np.array([[frame.x0, frame.y0, frame.x1, frame.y1]]))
    return float((box[2] - box[0]) * (box[3] - box[1])) - inside


_DIRECTIONS = ((1, 0.35), (1, -0.35), (-1, 0.35), (-1, -0.35), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1),
               (-1, -1))
#: Candidate label offsets: (direction right, direction up, extra distance in points, leader line).
_AROUND = tuple((dx, dy, extra, extra > 0) for extra in (0.0, 12.0, 26.0, 42.0, 60.0, 80.0)
                for dx, dy in _DIRECTIONS)
#: Candidate label offsets of the network maps: 16 directions, out to 176 points further, for crowded maps.
_AROUND_NODES = tuple((round(math.cos(a), 3), round(math.sin(a), 3), extra, extra > 0)
                      for extra in (0.0, 6.0, 14.0, 24.0, 36.0, 50.0, 66.0, 84.0, 104.0, 126.0, 150.0, 176.0)
                      for a in (i * math.pi / 8 for i in (0, 8, 1, 7, 15, 9, 2, 6, 14, 10, 4, 12, 3, 5, 13, 11)))


def _place_labels(ax: Axes, items: Sequence[tuple[float, float, str, float]], *, gid: str,
                  obstacles: Sequence[tuple[float, float, float]] = (),
                  candidates: Sequence[tuple[float, float, float, bool]] = _AROUND, distance: float = 3.0,
                  fontsize: float = _LABEL_SIZE, obstacle_weight: float = 0.3,
                  margin: float = 0.0, weights: Sequence[str] | None = None) -> list[Annotation]:
    """Label points ``(x, y, text, marker radius in points)`` without overlaps where possible.

    Each label tries the ``candidates`` offsets (a direction, scaled by the
    marker radius plus ``distance`` plus the extra distance, in points; far
    ones get a leader line) and keeps the first that overlaps no earlier
    label, no ``obstacles`` (markers: data x, data y, radius in points) and
    stays inside the Axes; otherwise the one with the least cost: the areas
    of overlap with labels (weight 6, or 1.5 ``obstacle_weight`` when more),
    with ``obstacles`` (``obstacle_weight``) and outside the Axes (10), plus
    8 per point of extra distance; each label keeps ``margin`` points clear
    of the rest. Earlier items win. The layout is settled first, so the
    figure should be complete apart from these labels. ``weights`` gives
    each label's font weight (``"bold"`` for a retracted work's), so that
    it is measured as drawn.
    """
    if not items:
        return []
    fig = _root(ax)
    fig.draw_without_rendering()
    frame = ax.get_window_extent()
    pixels = fig.dpi / 72.0
    if obstacles:
        centres = ax.transData.transform([(x, y) for x, y, _ in obstacles])
        radii = np.array([r for _, _, r in obstacles]) * pixels
        blocked = np.column_stack([centres[:, 0] - radii, centres[:, 1] - radii, centres[:, 0] + radii,
                                   centres[:, 1] + radii])
    else:
        blocked = np.zeros((0, 4))
    existing = [t.get_window_extent() for t in ax.texts if t.get_visible()]  # e.g. notes drawn before
    placed = np.array([[b.x0, b.y0, b.x1, b.y1] for b in existing]).reshape(-1, 4)
    out: list[Annotation] = []
    label_weight = max(6.0, 1.5 * obstacle_weight)  # labels on labels are worse than labels on markers
    gap = margin * pixels
    for i, (x, y, text, radius) in enumerate(items):
        weight = weights[i] if weights is not None else "normal"
        probe = ax.annotate(_plain(text), (x, y), xytext=(0, 0), textcoords="offset points", ha="left",
                            va="bottom", fontsize=fontsize, fontweight=weight)
        size = probe.get_window_extent()
        probe.remove()
        width, height = float(size.width), float(size.height)
        px, py = (float(v) for v in ax.transData.transform((x, y)))
        best: tuple[float, tuple[float, float], str, str, bool, np.ndarray] | None = None
        for dx, dy, extra, leader in candidates:
            step = radius + distance + extra
            norm = math.hypot(dx, dy) if extra > 0 else 1.0
            offset = (dx * step / norm, dy * step / norm)
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            va = "bottom" if dy > 0.5 else "top" if dy < -0.5 else "center"
            x0 = px + offset[0] * pixels - {"left": 0.0, "right": width, "center": width / 2}[ha]
            y0 = py + offset[1] * pixels - {"bottom": 0.0, "top": height, "center": height / 2}[va]
            box = np.array([x0, y0, x0 + width, y0 + height])
            padded = box + np.array([-gap, -gap, gap, gap])
            cost = (label_weight * _overlaps(padded, placed) + obstacle_weight * _overlaps(padded, blocked)
                    + 10.0 * _outside(box, frame) + 8.0 * extra)
            if best is None or cost < best[0]:
                best = (cost, offset, ha, va, leader, box)
            if cost <= 8.0 * extra:  # overlaps nothing
                break
        assert best is not None
        _, offset, ha, va, leader, box = best
        arrow = {"arrowstyle": "-", "color": "#888888", "lw": 0.6, "shrinkA": 1, "shrinkB": radius + 1}
        ann = ax.annotate(_plain(text), (x, y), xytext=offset, textcoords="offset points", ha=ha, va=va,
                          fontsize=fontsize, fontweight=weight, color=_TEXT_COLOUR, gid=gid, annotation_clip=False,
                          path_effects=_HALO, zorder=5, arrowprops=arrow if leader else None)
        ann.set_in_layout(False)
        placed = np.vstack([placed, box])
        out.append(ann)
    return out


def _overlaps(box: np.ndarray, others: np.ndarray) -> float:
    """Total overlap area of ``box`` (x0, y0, x1, y1) with the rows of ``others`` (the same)."""
    if not len(others):
        return 0.0
    w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return float((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


# -- figures -------------------------------------------------------------------------------


#: Links per work the network map draws from the clusters' graph (co-citation, coupling, topic), besides
#: every citation link among the works drawn.
MAP_LINKS = 3
#: Linked parts of the network map with fewer works are left out (counted in the caption).
MAP_MIN_PART = 3
_SIMILAR_COLOUR = "#4a78b0"
_GRAPH_LINKS = {"citation": "citation", "cocitation": "co-citation", "coupling": "coupling", "topic": "topic",
                "hybrid": "hybrid"}


def _map_links(analysis: Analysis, chosen: Sequence[str], k: int) -> nx.Graph:
    """The links of the network map among ``chosen``: every citation link, plus each work's ``k`` strongest
    links of the clusters' graph (``analysis.graph``) that are not citation links.

    Edges carry ``kind`` ("citation" or "similar") and ``weight`` (the link's weight in the clusters' graph, 1.0
    for a citation link not in it). A link of the clusters' graph is kept when either end keeps it; ties are
    broken by node key.

    >>> a = _example_analysis()   # 3 hand-made records citing one older work
    >>> H = _map_links(a, ["10.5555/old", "10.5555/w0", "10.5555/w1"], 1)
    >>> sorted((u, v, d["kind"]) for u, v, d in H.edges(data=True))[:2]
    [('10.5555/old', '10.5555/w0', 'citation'), ('10.5555/old', '10.5555/w1', 'citation')]
    """
    inside = set(chosen)
    G, P = analysis.citation, analysis.graph
    H = nx.Graph()
    H.add_nodes_from(sorted(inside))
    for u, v in sorted({(min(u, v), max(u, v)) for u, v in G.subgraph(inside).edges() if u != v}):
        H.add_edge(u, v, kind="citation", weight=1.0)
    directed = P.is_directed()
    cited = {(u, v) for u, v in H.edges()} | {(v, u) for u, v in H.edges()}
    for u in sorted(inside):
        if u not in P:
            continue
        around = [*P.succ[u], *P.pred[u]] if directed else list(P.adj[u])
        found: dict[str, float] = {}
        for v in around:
            if v == u or v not in inside:
                continue
            d = P.get_edge_data(u, v) or P.get_edge_data(v, u) or {}
            found[str(v)] = max(found.get(str(v), 0.0), float(d.get("weight", 1.0)))
        for v, w in found.items():
            if H.has_edge(u, v):
                H.edges[u, v]["weight"] = max(float(H.edges[u, v]["weight"]), w)
        similar = sorted(((w, v) for v, w in found.items() if (u, v) not in cited), key=lambda wv: (-wv[0], wv[1]))
        for w, v in similar[:k]:  # kept by either end
            H.add_edge(min(u, v), max(u, v), kind="similar", weight=w)
    return H


def _linked_part(H: nx.Graph, order: Mapping[str, int], smallest: int) -> tuple[list[str], int, int]:
    """The works of ``H`` in its linked parts of ``smallest`` works or more (the largest part alone when none
    is that big; none when nothing is linked), in ``order``; and how many works were left out with no link,
    and in smaller parts.

    >>> H = nx.Graph([("a", "b"), ("b", "c"), ("d", "e")]); H.add_node("f")
    >>> _linked_part(H, {n: i for i, n in enumerate("abcdef")}, 3)
    (['a', 'b', 'c'], 1, 2)
    """
    parts = [c for c in nx.connected_components(H) if len(c) > 1]
    kept = [c for c in parts if len(c) >= smallest]
    if not kept and parts:
        kept = [min(parts, key=lambda c: (-len(c), min(order[n] for n in c)))]
    drawn = sorted(set().union(*kept) if kept else set(), key=lambda n: (order[n], n))
    alone = sum(1 for n in H if H.degree(n) == 0)
    return drawn, alone, H.number_of_nodes() - len(drawn) - alone


def _map_selection(analysis: Analysis, score: str, max_nodes: int) -> tuple[list[str], list[str], nx.Graph, int, int]:
    """What :func:`network_map` draws: the top ``max_nodes`` works by ``score`` of the citation graph, those
    drawn (best first), their links, and how many were left out with no link and in smaller parts.

    >>> top, drawn, H, alone, small = _map_selection(_example_analysis(), "local", 3)
    >>> top == drawn, H.number_of_edges(), alone, small
    (True, 3, 0, 0)
    """
    G = analysis.citation
    top = [k for k, _ in _ranked(analysis, score) if k in G][:max_nodes]
    links = _map_links(analysis, top, MAP_LINKS)
    chosen, alone, small = _linked_part(links, {k: i for i, k in enumerate(top)}, MAP_MIN_PART)
    return top, chosen, nx.Graph(links.subgraph(chosen)), alone, small


def _score_text(value: float) -> str:
    """A score for the size legend, in 3 significant digits (5 for a fraction that would show as 1).

    >>> _score_text(0.99995893), _score_text(0.9691), _score_text(96.0), _score_text(8.033e-05)
    ('0.99996', '0.969', '96', '8.03e-05')
    """
    text = f"{value:.3g}"
    return f"{value:.5g}" if 0 < value < 1 and text == "1" else text


def network_map(analysis: Analysis, *, score: str | None = None, max_nodes: int = 300, labels: int = 15,
                seed: int = 0, ax: Axes | None = None, source: str | None = None) -> Figure:
    """The network of the ``max_nodes`` best-scored works and the links that hold them together.

    Works: the ``max_nodes`` best by ``score`` (a column of
    ``analysis.rankings``; ties by DOI key) among every work of the citation
    graph, cited-only works included (in an imported store the classics
    everyone cites are cited-only). Seeds compete like any other work: they
    are marked (black outline), never forced in; works an editorial notice
    flags are marked too (a red ring and cross for a retraction, an amber
    ring for an expression of concern, a thin grey one for a correction;
    labels tagged, retracted works beyond the first ``labels`` labelled as
    well, see :func:`_draw_map`). Links: every citation link
    among them (dark grey), plus each work's :data:`MAP_LINKS` strongest links
    of the clusters' graph (``analysis.graph``, hybrid by default:
    co-citation, coupling and topic similarity; blue) to another chosen work,
    so that works without references of their own (cited-only works) join
    the map where the data links them. Only the linked parts of
    :data:`MAP_MIN_PART` works or more are drawn (the largest linked part
    alone when none is that big): works with no link to another chosen work
    and smaller parts are left out, and the caption counts them. Node area
    grows with the score (size legend), colour is the cluster
    (:func:`cluster_colour`, cluster legend). Each linked part gets a seeded
    spring layout (unweighted, fixed iterations), turned so that its longest
    axis lies across the figure, its outlying arms pulled in; parts are
    packed biggest first. The ``labels`` best-scored works drawn are
    labelled ("Surname Year"), placed off the nodes and each other by
    :func:`_place_labels` (16 directions, leader lines out to 176 points;
    on the three real imported exports at 300 works no label overlaps a
    node or another label, so no label-placement library is needed).

    Parameters
    ----------
    analysis : Analysis
    score : str, optional
        One of :data:`citegraph.analysis.rank.SCORES`; by default the
        analysis' own (``analysis.options.score``, ``--score``).
    max_nodes : int
        How many works to choose (at least 1); at most this many are drawn.
    labels : int
        How many of the best-scored works drawn to label (0 for none).
    seed : int
        Seed of the layout.
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes instead of a new figure.
    source : str, optional
        The data's name, shown in the caption.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    UsageError
        An unknown score, or a count below its minimum.

    Examples
    --------
    >>> analysis = _example_analysis()   # 3 hand-made records citing one older work
    >>> fig = network_map(analysis, max_nodes=3, labels=1, score="local")
    >>> ax = fig.axes[0]   # 3 works; 2 citation links and the hybrid (coupling) link of the two citers
    >>> len(ax.collections[-1].get_offsets()), len(ax.collections[0].get_segments()), [t.get_text() for t in ax.texts]
    (3, 3, ['10.5555/old'])
    """
    score = analysis.options.score if score is None else score
    _check_score(score)
    _check_int("max_nodes", max_nodes, 1)
    _check_int("labels", labels, 0)
    G = analysis.citation
    top, chosen, H, alone, small = _map_selection(analysis, score, max_nodes)
    value: dict[str, float] = {}
    for k, r in _ranked(analysis, score):
        value.setdefault(k, float(r[score]))
    strength = dict(zip(chosen, _scaled([value[k] for k in chosen], 0.0, 1.0), strict=True))
    styles: dict[tuple[str, str], tuple[float, float]] = {}
    colours: dict[tuple[str, str], str] = {}
    for u, v, kind in H.edges(data="kind"):
        weak = min(strength[u], strength[v])
        styles[(u, v)] = (0.6, 0.15 + 0.45 * weak) if kind == "citation" else (0.5, 0.2 + 0.35 * weak)
        colours[(u, v)] = _EDGE_COLOUR if kind == "citation" else _SIMILAR_COLOUR
    cited = sum(1 for _, _, kind in H.edges(data="kind") if kind == "citation")
    similar = H.number_of_edges() - cited
    graph = _GRAPH_LINKS.get(analysis.options.graph, analysis.options.graph)
    n_seeds = sum(1 for k in chosen if G.nodes[k].get("is_seed"))
    drawn = f"{len(chosen):,} drawn" + (f" ({n_seeds:,} seed{'s' if n_seeds != 1 else ''})" if n_seeds else "")
    left = [f"{alone:,} linked to no other top work"] if alone else []
    left += [f"{small:,} in linked parts of fewer than {MAP_MIN_PART}"] if small else []
    links = f"{cited:,} citation links"
    if analysis.options.graph != "citation":
        links += f" + {similar:,} {graph} links (each work's {MAP_LINKS} strongest to another top work)"
    what = (f"{_graph_note(analysis)} · top {len(top):,} works by {_SCORE_NAMES.get(score, score)}: {drawn}"
            + (f", left out: {' and '.join(left)}" if left else "")
            + f" · {links} · spring layout, seed {seed} · " + _cluster_note(analysis))
    title = (f"Citation network: top {len(top):,} works by {score}" if len(chosen) == len(top)
             else f"Citation network: {len(chosen):,} of the top {len(top):,} works by {score}")
    sizes = _scaled([value[k] for k in chosen], 14.0, 260.0)
    area = dict(zip(chosen, sizes, strict=True))
    samples: list[tuple[str, str]] = []
    for k in (chosen[0], chosen[len(chosen) // 2], chosen[-1]) if chosen else ():
        if k not in [s for s, _ in samples] and _score_text(value[k]) not in [t for _, t in samples]:
            samples.append((k, _score_text(value[k])))
    kinds = [("citation link", _EDGE_COLOUR)] if cited else []
    kinds += [(f"{graph} link", _SIMILAR_COLOUR)] if similar else []
    with _style():
        fig, ax = _figure_and_axes(ax, (12.0, 7.5))
        ax.set_title(title)
        empty = ("No ranked works to draw" if not top else
                 f"None of the top {len(top):,} works by {score} is linked to another")
        _draw_map(ax, analysis, H, chosen, sizes, styles, labels=labels, seed=seed, weight=None, level=True,
                  seed_outline=1.0,
                  legend="Cluster (works)", grid_note="", empty=empty,
                  caption_text=caption(analysis, what, source=source), colours=colours,
                  size_legend=(f"Area: {score}", [(area[k], text) for k, text in samples], kinds))
    return fig


#: At most this many retracted works beyond the best-scored are labelled on a map (when labels are drawn at all).
_MAX_RETRACTED_LABELS = 10


def _draw_map(ax: Axes, analysis: Analysis, H: nx.Graph, chosen: Sequence[str], areas: Sequence[float],
              styles: Mapping[tuple[str, str], tuple[float, float]], *, labels: int, seed: int, weight: str | None,
              legend: str, grid_note: str, empty: str, caption_text: str,
              colours: Mapping[tuple[str, str], str] | None = None,
              size_legend: tuple[str, Sequence[tuple[float, str]], Sequence[tuple[str, str]]] | None = None,
              level: bool = False, seed_outline: float = 1.5) -> None:
    """Draw a node-link map: ``chosen`` in priority order (the first ``labels`` labelled, drawn on top).

    ``areas`` are the marker areas (points squared) of ``chosen``; ``styles``
    maps each edge of ``H`` (sorted node pair) to its (line width, alpha),
    ``colours`` to its colour (:data:`_EDGE_COLOUR` by default).
    ``size_legend`` is (title, [(marker area, text)], [(link label, colour)]):
    a second legend, below the cluster legend, of marker sizes (shrunk as the
    markers are) and link kinds. ``level`` turns each component's layout
    across (see :func:`_packed_layout`); seeds have a black outline
    ``seed_outline`` points wide. Labels keep off every marker and each other
    where they can (see :func:`_place_labels`). Works an editorial notice
    flags (the citation graph's ``notice``) are marked (:func:`_mark_notices`:
    a red ring and cross for a retraction, an amber ring for an expression
    of concern, a thin grey one for a correction), their labels tagged
    (:data:`NOTICE_TAGS`; a retracted work's in bold red) and the marks
    drawn named in the cluster legend; when labels are drawn, up to
    :data:`_MAX_RETRACTED_LABELS` retracted works beyond the first ``labels``
    are labelled too.
    """
    fig = _root(ax)
    G = analysis.citation
    ax.set_axis_off()
    if not chosen:
        _note(ax, empty)
        _add_caption(fig, caption_text)
        return
    order = {k: i for i, k in enumerate(chosen)}
    cluster = {k: analysis.cluster_of.get(k) for k in chosen}
    group = {k: c if c is not None and cluster_colour(c) != OTHER_COLOUR else 10**9 for k, c in cluster.items()}
    sizes = dict(zip(chosen, areas, strict=True))
    is_seed = {k: bool(G.nodes[k].get("is_seed")) if k in G else False for k in chosen}
    notice = {k: _notice(G, k) for k in chosen}
    _cluster_legend(ax, analysis, [cluster[k] for k in chosen], seeds=any(is_seed.values()), title=legend,
                    extra=_notice_handles(notice.values()))
    extra = _size_legend(ax, *size_legend) if size_legend is not None else None
    _add_caption(fig, caption_text)
    pos, grid = _packed_layout(H, order, group, seed=seed, aspect=_aspect(ax), weight=weight, level=level)
    log.debug("map layout: %d nodes, %d edges", len(pos), H.number_of_edges())
    ax.set_aspect("equal", adjustable="datalim")
    ax.update_datalim([(x - 1.0, y - 1.0) for x, y in pos.values()] + [(x + 1.0, y + 1.0) for x, y in pos.values()])
    ax.autoscale_view()
    # markers no wider than the layout's unit (the distance to the nearest neighbour), keeping their ratios
    fig.draw_without_rendering()
    unit = float(abs(ax.transData.transform((1.0, 0.0))[0] - ax.transData.transform((0.0, 0.0))[0]))
    unit *= 72.0 / fig.dpi  # points
    shrink = min(1.0, (0.9 * unit) ** 2 / max(sizes.values()))
    sizes = {k: max(v * shrink, 4.0) for k, v in sizes.items()}
    if extra is not None and size_legend is not None:
        for handle, (area, _) in zip(extra.legend_handles, size_legend[1], strict=False):
            if isinstance(handle, Line2D):
                handle.set_markersize(math.sqrt(max(area * shrink, 4.0)))
    thin = min(1.0, unit / 24.0)  # lines thin down with the markers in crowded maps
    edges = sorted(H.edges(), key=lambda e: (styles[e][1], e))  # the strongest on top
    if edges:
        ax.add_collection(LineCollection([[pos[u], pos[v]] for u, v in edges],
                                         colors=[to_rgba((colours or {}).get(e, _EDGE_COLOUR), styles[e][1])
                                                 for e in edges],
                                         linewidths=[max(styles[e][0] * thin, 0.2) for e in edges], zorder=1,
                                         gid="edges"),
                          autolim=False)
    drawn = sorted(chosen, key=lambda k: (-order[k], k))  # the first of chosen on top
    ax.scatter([pos[k][0] for k in drawn], [pos[k][1] for k in drawn], s=[sizes[k] for k in drawn],
               c=[cluster_colour(cluster[k]) for k in drawn],
               edgecolors=["black" if is_seed[k] else "white" for k in drawn],
               linewidths=[seed_outline if is_seed[k] else 0.4 for k in drawn], zorder=2, gid="nodes")
    _mark_notices(ax, [(pos[k][0], pos[k][1], sizes[k], notice[k]) for k in drawn if notice[k]])
    if grid is not None and len(grid_note) and H.number_of_edges():
        ax.annotate(grid_note, grid, xytext=(0, 9), textcoords="offset points", fontsize=_LABEL_SIZE,
                    color="#666666", style="italic", va="bottom", gid="grid-note")
    # a flagged work's ring is wider than its marker: its label keeps off the ring
    outer = {k: math.sqrt(sizes[k]) / 2 + (_RING_WIDTHS[notice[k]] + 0.75 if notice[k] else 0.0) for k in chosen}
    # the best ``labels`` works, and (when any are labelled) the retracted works drawn beyond them, a few
    named = list(chosen[:labels]) + ([k for k in chosen[labels:] if notice[k] == "retracted"][:_MAX_RETRACTED_LABELS]
                               if labels else [])
    placed = _place_labels(ax, [(pos[k][0], pos[k][1], _tagged(_node_label(G, k, 24), notice[k]), outer[k])
                                for k in named], gid="node-label",
                           obstacles=[(pos[k][0], pos[k][1],
                                       outer[k] + (seed_outline if is_seed[k] else 0.4) / 2) for k in chosen],
                           candidates=_AROUND_NODES, obstacle_weight=40.0, margin=1.0,
                           weights=["bold" if notice[k] == "retracted" else "normal" for k in named])
    for k, ann in zip(named, placed, strict=True):
        _style_notice_text(ann, notice[k])


def _size_legend(ax: Axes, title: str, samples: Sequence[tuple[float, str]],
                 links: Sequence[tuple[str, str]]) -> Legend:
    """A legend of marker sizes (area in points squared, text) and link kinds (label, colour), below the
    cluster legend (which stays the Axes' legend)."""
    handles: list[Any] = [Line2D([], [], marker="o", linestyle="none", markersize=math.sqrt(area),
                                 markerfacecolor=OTHER_COLOUR, markeredgecolor="white", markeredgewidth=0.4,
                                 label=_plain(text)) for area, text in samples]
    handles += [Line2D([], [], color=colour, linewidth=1.2, label=_plain(label)) for label, colour in links]
    legend = Legend(ax, handles, [h.get_label() for h in handles], loc="lower left", bbox_to_anchor=(1.01, 0.0),
                    borderaxespad=0.0, title=title, alignment="left", handletextpad=0.6, labelspacing=0.9,
                    handlelength=2.0)
    ax.add_artist(legend)
    return legend


#: The historiograph widens when more than this share of its top works has no link to another top work.
_UNLINKED_SHARE = 0.25
#: At most this many connecting works are added when the historiograph widens.
_MAX_CONNECTORS = 10
#: The marker area (points²) of a connecting work.
_CONNECTOR_SIZE = 70.0


def historiograph(analysis: Analysis, *, top: int = 30, widen: bool | None = None, ax: Axes | None = None,
                  source: str | None = None) -> Figure:
    """Garfield's historiograph: the most locally cited works by publication year, with the citations among them.

    The ``top`` works with the most local citations (citations within the
    citation graph; stored or cited-only works alike; ties by DOI key) among
    those with a known publication year are placed at their year on the x
    axis, each on the lowest row where its "Author Year" label does not run
    into the previous work's (so rows are deterministic). Every direct
    citation between two drawn works is an arrow from the cited to the
    citing work (knowledge flows forward in time), as the caption says.
    Marker area grows with local citations, colour is the cluster; works an
    editorial notice flags are ringed and tagged (a retracted one also
    crossed, its label in bold red; see the module notes).

    When the top works do not cite each other (more than a quarter of them
    have no link to another, as when they are classics cited by the records
    but not stored themselves), the figure widens: up to 10 works that
    connect them are added, chosen one at a time as the work linked (citing
    or cited) to the most top works still unlinked, then to the most top
    works, then the most locally cited, then by DOI key, each linked to at
    least two top works (:func:`_connectors`). They are drawn hollow; the
    title, the legend and the caption say so. ``widen=True`` widens
    whenever a top work is unlinked, ``False`` never.

    Examples
    --------
    >>> analysis = _example_analysis()   # 3 hand-made records citing one older work
    >>> fig = historiograph(analysis)
    >>> fig.axes[0].collections[0].get_offsets()[:, 0].tolist()
    [1990.0]
    >>> fig.axes[0].get_title(loc="left")
    'Historiograph: the 1 most locally cited works'
    """
    _check_int("top", top, 1)
    G = analysis.citation
    chosen = _most_cited(G, top, need_year=True)
    links = _links(G, chosen)
    linked = {k for link in links for k in link}
    unlinked = [k for k in chosen if k not in linked]
    wanted = bool(unlinked) and len(chosen) > 1 and (
        widen or (widen is None and len(unlinked) > _UNLINKED_SHARE * len(chosen)))
    added = _connectors(G, chosen, links, _MAX_CONNECTORS) if wanted else []
    drawn = chosen + added
    if added:
        links = _links(G, drawn)
    years = {k: int(G.nodes[k]["year"]) for k in drawn}
    local = {k: _local(G, k) for k in drawn}
    notice = {k: _notice(G, k) for k in drawn}
    labels = {k: _tagged(_node_label(G, k, 24), notice[k]) for k in drawn}
    among = (f"the {len(chosen)} most locally cited works with a known year ({_n_links(links, chosen)} among "
             f"them" + (f", {len(unlinked)} without any" if unlinked else "") + ")")
    if added:
        linked = {k for link in links for k in link}
        still = sum(1 for k in chosen if k not in linked)
        among += (f" · widened by {len(added)} work{'s' if len(added) > 1 else ''} that connect them (hollow; each "
                  f"linked to the most top works still unlinked): {len(links)} links in all"
                  + (f", {still} top works still without any" if still else ""))
    elif wanted:
        among += " · not widened: no other work links two of them"
    elif unlinked and widen is None and len(chosen) > 1:
        among += " · not widened (a quarter or fewer without links)"
    what = f"{_graph_note(analysis)} · {among} · arrows: cited → citing · " + _cluster_note(analysis)
    with _style():
        fig, ax = _figure_and_axes(ax, (11.0, 6.0))
        title = f"Historiograph: the {len(chosen)} most locally cited works"
        if added:
            title += f" and {len(added)} that connect them"
        ax.set_title(title)
        ax.set_xlabel("Publication year")
        ax.spines["left"].set_visible(False)
        ax.set_yticks([])
        if not chosen:
            _note(ax, "No cited works with a publication year")
            _add_caption(fig, caption(analysis, what, source=source))
        else:
            sizes = dict(zip(chosen, _scaled([float(local[k]) for k in chosen], 20.0, 220.0), strict=True))
            sizes.update(dict.fromkeys(added, _CONNECTOR_SIZE))  # hollow, of one size: not in the top
            cluster = {k: analysis.cluster_of.get(k) for k in drawn}
            legend = _cluster_legend(ax, analysis, [cluster[k] for k in drawn],
                                     title="Cluster (works); area: local citations",
                                     extra=_notice_handles(notice.values()))
            if added:
                _with_connector_handle(ax, legend)
            _add_caption(fig, caption(analysis, what, source=source))
            row, (low, high) = _rows(ax, drawn, years, labels, sizes, notice)
            for citing, cited in links:
                ax.add_patch(FancyArrowPatch(
                    (years[cited], row[cited]), (years[citing], row[citing]), arrowstyle="-|>", mutation_scale=9,
                    connectionstyle="arc3,rad=-0.15", color="#555555", alpha=0.75, linewidth=0.8,
                    shrinkA=math.sqrt(sizes[cited]) / 2 + 1, shrinkB=math.sqrt(sizes[citing]) / 2 + 1, zorder=1,
                    gid="link"))
            ordered = sorted(chosen, key=lambda k: (years[k], row[k], k))
            ax.scatter([years[k] for k in ordered], [row[k] for k in ordered], s=[sizes[k] for k in ordered],
                       c=[cluster_colour(cluster[k]) for k in ordered], edgecolors="white", linewidths=0.5,
                       zorder=2, gid="nodes")
            if added:
                extra = sorted(added, key=lambda k: (years[k], row[k], k))
                ax.scatter([years[k] for k in extra], [row[k] for k in extra], s=[sizes[k] for k in extra],
                           facecolors="white", edgecolors=[cluster_colour(cluster[k]) for k in extra],
                           linewidths=1.4, zorder=2, gid="connectors")
            _mark_notices(ax, [(years[k], row[k], sizes[k], notice[k]) for k in ordered + added if notice[k]])
            for k in sorted(drawn, key=lambda k: (years[k], row[k], k)):
                ring = _RING_WIDTHS[notice[k]] + 0.75 if notice[k] else 0.0
                ann = ax.annotate(_plain(labels[k]), (years[k], row[k]),
                                  xytext=(math.sqrt(sizes[k]) / 2 + ring + 2, 0),
                                  textcoords="offset points", ha="left", va="center", fontsize=_LABEL_SIZE,
                                  color=_TEXT_COLOUR, path_effects=_HALO, zorder=3,
                                  gid="connector-label" if k in added else "node-label",
                                  fontstyle="italic" if k in added else "normal")
                _style_notice_text(ann, notice[k])
            ax.set_ylim(-0.8, max(row.values()) + 0.8)
            ax.set_xlim(low, high)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _links(G: nx.DiGraph, works: Sequence[str]) -> list[tuple[str, str]]:
    """The direct citations among ``works``, citing -> cited, sorted (self-citations left out)."""
    return sorted((u, v) for u, v in G.subgraph(works).edges() if u != v)


def _n_links(links: Sequence[tuple[str, str]], works: Sequence[str]) -> str:
    inside = set(works)
    n = sum(1 for u, v in links if u in inside and v in inside)
    return f"{n} link{'' if n == 1 else 's'}"


def _connectors(G: nx.DiGraph, chosen: Sequence[str], links: Sequence[tuple[str, str]], limit: int) -> list[str]:
    """Works (of known year, not among ``chosen``) that link the ``chosen`` works still without a link.

    Greedy, at most ``limit``: each time the work linked (citing or cited, self-citations aside) to the most
    unlinked chosen works and to at least two chosen works in all, ties by the most chosen works linked, the
    most local citations, the DOI key. A work it links counts as linked from then on; it stops when none is
    left unlinked or no work qualifies.

    Examples
    --------
    Hand-made: ``a`` and ``b`` do not cite each other, ``x`` (2001) cites both, ``y`` cites ``a`` only.

    >>> G = nx.DiGraph([("x", "a"), ("x", "b"), ("y", "a")])
    >>> nx.set_node_attributes(G, {"a": 1990, "b": 1995, "x": 2001, "y": 2002}, "year")
    >>> _connectors(G, ["a", "b"], [], 10)
    ['x']
    """
    inside = set(chosen)
    unlinked = inside - {k for link in links for k in link}
    near: dict[str, set[str]] = {}
    for k in chosen:
        for other in (*G.predecessors(k), *G.successors(k)):
            if other not in inside and other != k and _year(G.nodes[other]) is not None:
                near.setdefault(str(other), set()).add(k)
    candidates = {k: v for k, v in near.items() if len(v) >= 2}
    added: list[str] = []
    while unlinked and candidates and len(added) < limit:
        best = min(candidates, key=lambda c: (-len(candidates[c] & unlinked), -len(candidates[c]), -_local(G, c), c))
        if not candidates[best] & unlinked:
            break
        added.append(best)
        unlinked -= candidates.pop(best)
    return added


def _with_connector_handle(ax: Axes, legend: Legend) -> None:
    """Add "connecting work" (a hollow marker) to the historiograph's cluster legend."""
    handles = list(legend.legend_handles)
    texts = [t.get_text() for t in legend.get_texts()]
    handles.append(Line2D([], [], marker="o", linestyle="none", markersize=7, markerfacecolor="white",
                          markeredgecolor="#666666", markeredgewidth=1.4))
    texts.append("connecting work (not in the top)")
    title = legend.get_title().get_text()
    legend.remove()
    ax.legend(handles=handles, labels=texts, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              title=title, alignment="left", handletextpad=0.4)


def _rows(ax: Axes, chosen: Sequence[str], years: Mapping[str, int], labels: Mapping[str, str],
          sizes: Mapping[str, float], notice: Mapping[str, str] | None = None
          ) -> tuple[dict[str, int], tuple[float, float]]:
    """Rows and x limits for the historiograph: each work on the lowest row free at its year.

    Labels sit right of the markers (and of the ring of a work a ``notice``
    flags; a retracted work's label is bold); the x limits leave room for
    them. The layout (legend, caption) is settled first so the Axes' width
    is known.
    """
    fig = _root(ax)
    fig.draw_without_rendering()
    pixels = fig.dpi / 72.0
    room = float(ax.get_window_extent().width) / pixels  # points
    flags = notice or {}
    widths = {}
    for k in chosen:
        flag = flags.get(k, "")
        probe = ax.text(0, 0, _plain(labels[k]), fontsize=_LABEL_SIZE,
                        fontweight="bold" if flag == "retracted" else "normal")
        ring = _RING_WIDTHS[flag] + 0.75 if flag in _RING_WIDTHS else 0.0
        widths[k] = math.sqrt(sizes[k]) / 2 + ring + 4 + float(probe.get_window_extent().width) / pixels
        probe.remove()
    first, last = min(years.values()), max(years.values())
    pad = max(1.0, 0.02 * (last - first))
    low = first - pad
    # the right limit: every label (w points wide) must end before it: y + w * (high - low) / room <= high
    high = max([last + pad] + [(years[k] * room - low * w) / (room - w) for k, w in widths.items() if w < room])
    years_per_pt = (high - low) / room
    ends: list[float] = []
    row: dict[str, int] = {}
    for k in sorted(chosen, key=lambda k: (years[k], -sizes[k], k)):
        start = years[k] - (math.sqrt(sizes[k]) / 2 + 3) * years_per_pt
        end = years[k] + widths[k] * years_per_pt
        for i, last_end in enumerate(ends):
            if last_end <= start:
                ends[i] = end
                row[k] = i
                break
        else:
            row[k] = len(ends)
            ends.append(end)
    return row, (low, high + 0.5 * pad)


def cocitation_map(analysis: Analysis, *, top: int = 100, seed: int = 0, labels: int = 15, ax: Axes | None = None,
                   source: str | None = None, links_per_work: int = 6) -> Figure:
    """The ``top`` most cited works, linked by co-citation (how often works cite both).

    Works are chosen by local citations (at least one; ties by DOI key).
    Links come from :func:`citegraph.graphs.cocitation_graph` over the
    citations these works receive, weighted as the analysis' graph options
    say (``analysis.options.graph_options``: ``normalise``, Salton's cosine
    by default; line width and opacity grow with the weight); only pairs cited
    together at least ``min_count`` times (once by default) and weighing at
    least ``min_weight`` are linked. ``top_k``, a sparsification of the
    clusters' graph, is not applied: the map has at most ``top`` works.
    In a dense field most of these works are co-cited with most others (the
    100 top CRISPR works: 4,587 links), and every link drawn makes a
    hairball; so each work keeps its ``links_per_work`` strongest links (a
    link stays when it is among the strongest of either end; 0 keeps all),
    the layout is made from those, and the caption says how many of how
    many are drawn. Layout: seeded spring layout weighted by co-citation,
    components packed as in :func:`network_map`. Colour: cluster; area:
    local citations. The ``labels`` most cited works are labelled.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> records = [{"DOI": f"10.5555/w{i}", "issued": {"date-parts": [[2000 + i]]}, "title": ["Graph study"],
    ...             "author": [{"family": "Doe"}], "reference": [{"key": "a", "DOI": "10.5555/old", "year": "1990"},
    ...                                                          {"key": "b", "DOI": "10.5555/new", "year": "1999"}]}
    ...            for i in range(3)]   # hand-made example records, not Crossref data
    >>> with Store(":memory:") as store:
    ...     _ = store.add_works([parse_work(r, source="example") for r in records])
    ...     analysis = analyse(store)
    >>> ax = cocitation_map(analysis).axes[0]
    >>> len(ax.collections[-1].get_offsets()), ax.collections[0].get_linewidths().round(2).tolist()
    (2, [3.3])
    """
    _check_int("top", top, 1)
    _check_int("labels", labels, 0)
    _check_int("links_per_work", links_per_work, 0)
    G = analysis.citation
    chosen = _most_cited(G, top)
    D = nx.DiGraph()
    D.add_edges_from(sorted((str(u), str(v)) for u, v in G.in_edges(chosen) if u != v))
    go = analysis.options.graph_options
    co = (cocitation_graph(D, normalise=go.normalise, min_count=go.min_count, min_weight=go.min_weight)
          if D.number_of_edges() else nx.Graph())
    H = nx.Graph()
    H.add_nodes_from(sorted(chosen))
    H.add_edges_from(sorted((min(u, v), max(u, v), {"weight": float(d["weight"]), "count": int(d["count"])})
                            for u, v, d in co.edges(data=True) if u in H and v in H))
    found = H.number_of_edges()
    if links_per_work and found:
        kept: set[tuple[str, str]] = set()
        for node in H:
            ranked = sorted(H[node].items(), key=lambda item: (-item[1]["weight"], item[0]))
            kept.update((min(node, other), max(node, other)) for other, _ in ranked[:links_per_work])
        H.remove_edges_from([(u, v) for u, v in list(H.edges()) if (min(u, v), max(u, v)) not in kept])
    edges = sorted(H.edges(data="weight"))
    top_weight = max([w for _, _, w in edges] + [1e-9])
    styles = {(u, v): (0.3 + 3.0 * w / top_weight, 0.15 + 0.5 * w / top_weight) for u, v, w in edges}
    links = _WEIGHT_NAMES.get(go.normalise, go.normalise)
    if go.min_count > 1:
        links += f", pairs co-cited {go.min_count}+ times"
    if go.min_weight > 0:
        links += f", weight ≥ {go.min_weight:g}"
    what = (f"co-citation ({links}) among the {len(chosen)} most locally cited works of the "
            f"{_graph_note(analysis)} · "
            + (f"{H.number_of_edges():,} of {found:,} co-citation links drawn (each work's {links_per_work} strongest)"
               if H.number_of_edges() < found else f"{found:,} co-citation links")
            + f" · spring layout, seed {seed} · "
            + _cluster_note(analysis))
    with _style():
        fig, ax = _figure_and_axes(ax, (10.0, 8.0))
        ax.set_title(f"Co-citation map: the {len(chosen)} most cited works")
        _draw_map(ax, analysis, H, chosen, _scaled([float(_local(G, k)) for k in chosen], 18.0, 260.0), styles,
                  labels=labels, seed=seed, weight="weight", legend="Cluster (works); area: local citations",
                  grid_note="Works co-cited with at most one other drawn work, by cluster",
                  empty="No cited works to draw", caption_text=caption(analysis, what, source=source),
                  level=True)
    return fig


def ranking_bar(analysis: Analysis, *, score: str | None = None, top: int = 20, ax: Axes | None = None,
                source: str | None = None) -> Figure:
    """Horizontal bars of the ``top`` works by ``score``, best at the top.

    Rows are labelled "Author Year: short title" (the DOI when there is no
    author), bars coloured by cluster, seeds outlined in black and marked
    "(seed)"; a retracted work's bar is hatched and outlined in red and its
    label ends in "[RETRACTED]" (bold red), a concern's or correction's
    label in "(concern)" or "(corrected)", and the legend says so. Works
    without a value of the score (e.g. no global count) are left out; ties
    by DOI key. ``score`` defaults to the analysis' own
    (``analysis.options.score``, ``--score``).

    Examples
    --------
    >>> analysis = _example_analysis()   # 3 hand-made records citing one older work
    >>> ax = ranking_bar(analysis, score="local", top=2).axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(p.get_width()) for p in ax.patches]
    (['10.5555/old', 'Doe 2000: Graph study'], [3.0, 0.0])
    """
    score = analysis.options.score if score is None else score
    _check_score(score)
    _check_int("top", top, 1)
    rows = _ranked(analysis, score)[:top]
    with _style():
        fig, ax = _figure_and_axes(ax, (11.0, max(2.6, 1.3 + 0.3 * len(rows))))
        ax.set_title(f"Top {len(rows)} works by {score}")
        ax.set_xlabel(_SCORE_NAMES.get(score, score))
        if not rows:
            _note(ax, f"No works with a {score} score")
        else:
            values = [float(r[score]) for _, r in rows]
            clusters = [analysis.cluster_of.get(k) for k, _ in rows]
            seeds = [bool(r.get("is_seed")) for _, r in rows]
            notices = [_row_notice(analysis, k, r) for k, r in rows]
            ys = list(range(len(rows)))
            bars = ax.barh(ys, values, height=0.7, color=[cluster_colour(c) for c in clusters],
                           edgecolor=["black" if s else "none" for s in seeds],
                           linewidth=[1.4 if s else 0.0 for s in seeds], gid="bars")
            for bar, flag in zip(bars, notices, strict=True):
                if flag == "retracted":  # hatched red over its cluster colour, outlined red
                    bar.set_hatch("xxx")
                    bar.set_edgecolor(NOTICE_COLOURS["retracted"])
                    bar.set_linewidth(1.2)
            ax.set_yticks(ys, [_plain(_bar_label(r, flag)) for (_, r), flag in zip(rows, notices, strict=True)])
            for tick, flag in zip(ax.get_yticklabels(), notices, strict=True):
                _style_notice_text(tick, flag)
            ax.tick_params(axis="y", length=0)
            ax.set_ylim(len(rows) - 0.5, -0.5)  # rank 1 at the top
            top_value = max(max(values), 0.0)
            low = min(values)
            bunched = low > 0 and top_value - low < 0.1 * top_value
            for y, v in zip(ys, values, strict=True):
                ax.annotate(f"{v:.5g}" if bunched else f"{v:.3g}", (max(v, 0.0), y), xytext=(3, 0),
                            textcoords="offset points", ha="left", va="center", fontsize=_LABEL_SIZE,
                            color="#444444", gid="value")
            if bunched:
                # bunched values (percentile scores: 0.998-1.0 over thousands of works): a bar from zero would
                # hide every difference, so the axis starts near the lowest value, and its label says so
                start = max(0.0, low - (top_value - low) * 0.5 - 1e-12)
                ax.set_xlim(start, top_value + (top_value - start) * 0.15)
                ax.set_xlabel(f"{_SCORE_NAMES.get(score, score)} (axis from {start:.4g}, not 0)")
            else:
                ax.set_xlim(min(0.0, low), top_value * 1.15 if top_value > 0 else 1.0)  # room for the values
            _cluster_legend(ax, analysis, clusters, marker="s", seeds=any(seeds), title="Cluster (works)",
                            extra=_notice_handles(notices, bars=True))
        what = (f"{len(analysis.rankings):,} ranked works of the {_graph_note(analysis)} · top {len(rows)} by "
                f"{score} · " + _cluster_note(analysis))
        _add_caption(fig, caption(analysis, what, source=source))
    return fig


def _titled(label: str, title: Any, doi: Any) -> str:
    """``"Label: title"``; only the label when there is no title, when the label is the DOI, or when the label is
    made of the title (a work without author: :func:`~citegraph.graphs.citation.node_label`).

    >>> _titled("Doe 2001", "Graph study", "10.1/x"), _titled("Graph study 2001", "Graph study", "10.1/x")
    ('Doe 2001: Graph study', 'Graph study 2001')
    >>> _titled("Graph study of cells and… 2001b", "Graph study of cells and networks", "10.1/x")
    'Graph study of cells and… 2001b'
    """
    if not title or label == doi:
        return label
    stem = label.rsplit(" ", 1)[0].rstrip("…") if " " in label else label
    return label if " " in stem and str(title).startswith(stem) else f"{label}: {title}"


def _bar_label(row: Mapping[str, Any], notice: str = "") -> str:
    """``"Label: short title"``, then ``(seed)`` and the notice tag (:data:`NOTICE_TAGS`).

    >>> _bar_label({"label": "Doe 2001", "title": "Graph study", "doi": "10.1/x", "is_seed": True}, "retracted")
    'Doe 2001: Graph study (seed) [RETRACTED]'
    """
    label = str(row.get("label") or row.get("doi"))
    text = shorten(_titled(shorten(label, 30), row.get("title"), row.get("doi")), 62)
    return _tagged(f"{text} (seed)" if row.get("is_seed") else text, notice)


def _row_notice(analysis: Analysis, key: str, row: Mapping[str, Any]) -> str:
    """A ranking row's notice: its ``notice`` column, else its node's."""
    flag = row.get("notice")
    return flag if flag in NOTICE_TAGS else _notice(analysis.citation, key)


def publications_chart(analysis: Analysis, *, ax: Axes | None = None, source: str | None = None) -> Figure:
    """Stored works per publication year (``analysis.publications``), one bar per year.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> records = [{"DOI": f"10.5555/w{i}", "issued": {"date-parts": [[2000 + i // 2]]}, "title": ["Graph study"]}
    ...            for i in range(3)]   # hand-made example records, not Crossref data
    >>> with Store(":memory:") as store:
    ...     _ = store.add_works([parse_work(r, source="example") for r in records])
    ...     analysis = analyse(store)
    >>> bars = publications_chart(analysis).axes[0].patches
    >>> [(float(p.get_x() + p.get_width() / 2), int(p.get_height())) for p in bars]
    [(2000.0, 2), (2001.0, 1)]
    """
    data = list(analysis.publications)
    with _style():
        fig, ax = _figure_and_axes(ax, (8.0, 4.0))
        ax.set_title("Publications per year")
        ax.set_xlabel("Publication year")
        ax.set_ylabel("Stored works")
        total = sum(n for _, n in data)
        if not data:
            _note(ax, "No stored works with a publication year")
            what = "no stored works with a publication year"
        else:
            ax.bar([y for y, _ in data], [n for _, n in data], width=0.8, color=CLUSTER_COLOURS[1], gid="bars")
            if len(data) <= 12:  # a few years: tick each (a locator would put 2016.6 ... 2017.4 under one bar)
                ax.set_xticks([y for y, _ in data])
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            what = (f"{total:,} stored works with a publication year, {data[0][0]}–{data[-1][0]} "
                    f"(cited-only works not counted)")
        _add_caption(fig, caption(analysis, _with(what, _selection_note(analysis)), source=source))
    return fig


def rpys_chart(analysis: Analysis, *, years: tuple[int, int] | None = None, start: int | None = None,
               ax: Axes | None = None, source: str | None = None) -> Figure:
    """Reference publication year spectroscopy: cited references per year, deviation from the median, peaks.

    Bars: cited references published each year (every reference instance
    counts). Line: the deviation from the median of the surrounding window
    (``analysis.options.rpys_window`` years). Each peak year
    (``analysis.peaks``) is marked on the line and named by the work cited
    most often among that year's identifiable references
    (``analysis.peak_works[year][0]``: never a reference that has only a
    year), with how many of the year's references cite it. The axis starts
    at ``start``, by default the year before which 1% of the references lie
    (:func:`~citegraph.analysis.rpys.rpys_start`: a few very old or misread
    years would stretch it over centuries); ``years`` (first, last) limits
    the plot to those reference years instead (inclusive). The caption says
    how many references fall outside.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> refs = [{"key": str(i), "DOI": f"10.5555/r{i}", "year": str(y)} for i, y in enumerate([1990, 1991, 1991])]
    >>> with Store(":memory:") as store:   # a hand-made example record, not Crossref data
    ...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "title": ["Graph study"], "reference": refs},
    ...                                     source="example")])
    ...     analysis = analyse(store)
    >>> ax = rpys_chart(analysis).axes[0]
    >>> [int(p.get_height()) for p in ax.patches], [t.get_text() for t in ax.texts]
    ([1, 2], ['1991: 10.5555/r1 · 1 of 2'])
    """
    from citegraph.analysis.rpys import rpys_start

    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed: give (first, last)")
    if years is None and analysis.rpys:
        first = rpys_start(analysis.rpys) if start is None else start
        years = (first if first is not None else analysis.rpys[0].year, analysis.rpys[-1].year)
        chosen = start is not None
    else:
        chosen = years is not None
    window = analysis.options.rpys_window
    rows = [r for r in analysis.rpys if years is None or years[0] <= r.year <= years[1]]
    total = sum(r.references for r in rows)
    outside = sum(r.references for r in analysis.rpys) - total
    peaks = [p for p in analysis.peaks if any(r.year == p for r in rows)]
    what = f"{total:,} cited references with a publication year"
    if years is not None and outside:
        what += (f" in {years[0]}–{years[1]} ({outside:,} outside not shown" +
                 ("" if chosen else f"; the first 1% of references, from {analysis.rpys[0].year}") + ")")
    what += f" · {window}-year median · peaks: {', '.join(str(p) for p in sorted(peaks)) or 'none'}"
    if peaks:
        what += " (named by the most cited identifiable work, with its count of the year's references)"
    what = _with(what, _selection_note(analysis))
    with _style():
        fig, ax = _figure_and_axes(ax, (10.0, 4.8))
        ax.set_title("Reference publication year spectroscopy (RPYS)")
        ax.set_xlabel("Reference publication year")
        ax.set_ylabel("Cited references")
        _add_caption(fig, caption(analysis, what, source=source))
        if not rows:
            _note(ax, "No cited references with a publication year" + (" in that range" if chosen else ""))
            return fig
        xs = [r.year for r in rows]
        ax.bar(xs, [r.references for r in rows], width=1.0, color="#88CCEE", edgecolor="none",
               label="cited references", gid="bars")
        ax.plot(xs, [r.deviation for r in rows], color="#CC3311", linewidth=1.0,
                label=f"deviation from the {window}-year median", gid="deviation")
        ax.axhline(0, color="#444444", linewidth=0.6)
        by_year = {r.year: r for r in rows}
        if peaks:
            ax.scatter(peaks, [by_year[p].deviation for p in peaks], s=22, color="#CC3311", edgecolor="white",
                       linewidth=0.8, zorder=4, label="peak", gid="peaks")
        ax.set_xlim(xs[0] - 1, xs[-1] + 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left")
        heights = {r.year: r.references for r in rows}
        top = max(heights.values())
        ax.set_ylim(top=top * 1.35 if top > 0 else 1.0)  # room for the peak labels
        up = [(dx, 1.0, extra, True) for extra in (12.0, 28.0, 44.0, 60.0, 76.0) for dx in (0.0, -0.8, 0.8)]
        named = sorted(peaks, key=lambda p: (-heights[p], p))
        flags = [_notice(analysis.citation, str(behind[0][0])) if (behind := analysis.peak_works.get(p)) else ""
                 for p in named]
        placed = _place_labels(ax, [(float(p), float(heights[p]), _peak_text(analysis, p), 0.0) for p in named],
                               gid="peak-label", candidates=up, distance=0.0,
                               weights=["bold" if flag == "retracted" else "normal" for flag in flags])
        for flag, ann in zip(flags, placed, strict=True):
            _style_notice_text(ann, flag)
    return fig


def _peak_text(analysis: Analysis, year: int) -> str:
    """``"year: Label: title · n of N"``: the most cited identifiable work of a peak year and its share.

    A work in the citation graph shows its label (and title when it has an
    author label); one without DOI, its description; a year without an
    identifiable work, only the year.
    """
    behind = analysis.peak_works.get(year) or []
    if not behind:
        return str(year)
    work, count = str(behind[0][0]), int(behind[0][1])
    flag = _notice(analysis.citation, work)
    if work in analysis.citation:
        d = analysis.citation.nodes[work]
        work = _titled(str(d.get("label") or work), d.get("title"), d.get("doi", work))
    total = next((r.references for r in analysis.rpys if r.year == year), 0)
    share = f" · {count:,} of {total:,}" if total else ""
    return f"{year}: {_tagged(shorten(work, 42), flag)}{share}"


#: CiteSpace's colours: burst years red, the years since publication blue, those before it pale.
_BURST_RED = "#D7301F"
_SINCE_BLUE = "#9ECAE1"
_BEFORE_GREY = "#EEEEEE"


def bursts_chart(analysis: Analysis, *, top: int = 25, ax: Axes | None = None, source: str | None = None) -> Figure:
    """The references with the strongest citation bursts, drawn as CiteSpace draws them.

    The ``top`` strongest bursts (``analysis.bursts`` order: strength, DOI
    key, start) get one row each, ordered by the first burst year, then
    strength, then label (a work bursting twice has two rows). Each row runs
    over the years examined (the first to the last year of a citing work):
    pale before the work's publication year, blue from it on, red in the
    burst years ``start .. end`` (one cell per year, centred on its tick).
    Beside the rows: the burst strength, first and last year. Without
    bursts, the plot carries a note naming the parameters (or saying that
    every citing work is of one year, which leaves nothing to compare).

    Examples
    --------
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> with Store(":memory:") as store:   # a hand-made example record, not Crossref data
    ...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "title": ["Graph study"]}, source="example")])
    ...     analysis = analyse(store)
    >>> [t.get_text() for t in bursts_chart(analysis).axes[0].texts]
    ['No citation bursts with s=2, gamma=1, at least 2 years\\n(works with at least 3 citations examined)']
    """
    _check_int("top", top, 1)
    o = analysis.options
    bursts = sorted(list(analysis.bursts)[:top],
                    key=lambda b: (b.start, -b.strength, _burst_label(analysis, b.doi, analysis.bursts), b.doi))
    span = _citing_span(analysis)
    params = f"s={o.burst_s:g}, gamma={o.burst_gamma:g}, at least {o.burst_min_duration} years"
    shown_from: int | None = None
    with _style():
        fig, ax = _figure_and_axes(ax, (10.0, max(2.6, 1.6 + 0.28 * len(bursts))))
        ax.set_title(f"Top {len(bursts)} references with the strongest citation bursts" if bursts
                     else "Citation bursts")
        if not bursts:
            if span is not None and span[0] == span[1]:
                _note(ax, f"No citation bursts: every citing work is of {span[0]}\n(a burst needs years to compare)")
            else:
                _note(ax, f"No citation bursts with {params}\n(works with at least {o.burst_min_citations} "
                          "citations examined)")
        else:
            published_in = {b.doi: _year(analysis.citation.nodes[b.doi]) if b.doi in analysis.citation else None
                            for b in bursts}
            first, last = span if span is not None else (min(b.start for b in bursts), max(b.end for b in bursts))
            # the axis starts with the oldest work drawn (or its first burst), not with a sparse early year
            oldest = min([b.start for b in bursts] + [y for y in published_in.values() if y is not None])
            if oldest > first:
                first = shown_from = oldest
            last = max(last, *(b.end for b in bursts))
            for i, b in enumerate(bursts):
                published = published_in[b.doi]
                since = first if published is None else min(max(published, first), last + 1)
                cells = [(x, w) for x, w in ((first - 0.5, since - first), (since - 0.5, last + 1 - since)) if w > 0]
                ax.broken_barh(cells, (i - 0.25, 0.5), facecolors=[_BEFORE_GREY, _SINCE_BLUE][-len(cells):],
                               linewidth=0, zorder=1, gid="years")
            ax.barh(list(range(len(bursts))), [b.end - b.start + 1 for b in bursts],
                    left=[b.start - 0.5 for b in bursts], height=0.5, color=_BURST_RED, linewidth=0, zorder=2,
                    gid="bars")
            flags = [_notice(analysis.citation, b.doi) for b in bursts]
            ax.set_yticks(list(range(len(bursts))),
                          [_plain(_tagged(_burst_label(analysis, b.doi, bursts), flag))
                           for b, flag in zip(bursts, flags, strict=True)])
            for tick, flag in zip(ax.get_yticklabels(), flags, strict=True):
                _style_notice_text(tick, flag)
            ax.tick_params(axis="y", length=0)
            ax.set_ylim(len(bursts) - 0.5, -0.5)
            ax.set_xlim(first - 0.5, last + 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.spines["left"].set_visible(False)
            ax.set_xlabel("Year (red: burst; blue: since publication)")
            where = ax.get_yaxis_transform()  # x in axes fractions, y in rows
            for x, head, gid, values in ((1.02, "Strength", "burst-strength", [f"{b.strength:.2f}" for b in bursts]),
                                         (1.1, "Begin", "burst-begin", [str(b.start) for b in bursts]),
                                         (1.165, "End", "burst-end", [str(b.end) for b in bursts])):
                ax.text(x, -0.9, head, transform=where, ha="left", va="center", fontsize=_LABEL_SIZE,
                        fontweight="bold", color=_TEXT_COLOUR, gid="burst-head")
                for i, value in enumerate(values):
                    ax.text(x, i, value, transform=where, ha="left", va="center", fontsize=_LABEL_SIZE,
                            color=_TEXT_COLOUR, gid=gid)
        found = (f"{len(analysis.bursts):,} bursts, the {len(bursts)} strongest shown" if bursts else "no bursts")
        if shown_from is not None:
            found += f" (axis from {shown_from}, the oldest work shown)"
        years = "" if span is None else f" in {span[0]}" if span[0] == span[1] else f" in {span[0]}–{span[1]}"
        what = (f"Kleinberg citation bursts{years} (share of each year's citing works), {params}, works with at "
                f"least {o.burst_min_citations} citations · {found} · {_graph_note(analysis)}")
        _add_caption(fig, caption(analysis, _with(what, _selection_note(analysis)), source=source))
    return fig


def _citing_span(analysis: Analysis) -> tuple[int, int] | None:
    """The first and last publication year of a work citing another (the years the bursts run over)."""
    G = analysis.citation
    found = [y for n, d in G.nodes(data=True) if (y := _year(d)) is not None and any(v != n for v in G.successors(n))]
    return (min(found), max(found)) if found else None


def _burst_label(analysis: Analysis, doi: str, bursts: Sequence[Any]) -> str:
    if doi in analysis.citation:
        return _node_label(analysis.citation, doi, 34)
    label = next((b.label for b in bursts if b.doi == doi), doi)
    return shorten(str(label), 34)


#: File stem -> figure function.
FIGURES: dict[str, Callable[..., Figure]] = {
    "network": network_map,
    "historiograph": historiograph,
    "cocitation": cocitation_map,
    "ranking": ranking_bar,
    "publications": publications_chart,
    "rpys": rpys_chart,
    "bursts": bursts_chart,
}

_SEEDED = frozenset({"network", "cocitation"})


# -- saving ---------------------------------------------------------------------------------


def _formats(formats: Sequence[str] | str) -> list[str]:
    chosen = [formats] if isinstance(formats, str) else list(formats)
    if not chosen:
        raise UsageError(f"no figure format given: choose from {', '.join(FORMATS)}")
    for fmt in chosen:
        if fmt not in FORMATS:
            raise UsageError(f"figure format {fmt!r} is not one of {', '.join(FORMATS)}")
    return list(dict.fromkeys(chosen))


def save_figure(fig: Figure, path_without_suffix: str | Path, formats: Sequence[str] = ("png", "svg"), *,
                dpi: int = 150) -> list[Path]:
    """Write ``fig`` as ``<path>.<format>`` for each format; byte-identical files for the same figure.

    PNG files carry no "Software" entry, SVG files no date or creator and
    fixed ids (``svg.hashsalt``), PDF files no dates, creator or producer,
    so the bytes depend on the figure only. The folder is created. Each
    file is drawn in memory, then written atomically
    (:func:`citegraph.outputs.files.write_bytes_atomic`): a full disk or a
    Ctrl-C while saving leaves the previous file whole; a symbolic link is
    written through; a folder, device or named pipe at a path is refused
    before anything is drawn.

    Returns
    -------
    list of Path
        The files written, in ``formats`` order.

    Raises
    ------
    UsageError
        An unknown format (the valid ones are named), or a folder or file
        that cannot be written (the previous file is left as it was).

    Examples
    --------
    >>> import tempfile
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.add_subplot().plot([1, 2])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in save_figure(fig, Path(tmp) / "out" / "line", ("png", "svg"))]
    ['line.png', 'line.svg']
    >>> save_figure(fig, "line", ("gif",))
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: figure format 'gif' is not one of pdf, png, svg
    """
    chosen = _formats(formats)
    _check_int("dpi", dpi, 1)
    base = Path(path_without_suffix)
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {str(base.parent)!r}: {exc.strerror or exc}") from exc
    paths = figure_paths(base.parent, [base.name], chosen)
    check_output_files(paths)
    for fmt, path in zip(chosen, paths, strict=True):
        # drawn into memory, then written by the one atomic writer: a full disk or a Ctrl-C while saving
        # leaves the previous file whole, never half a figure
        buffer = io.BytesIO()
        try:
            with _style(), warnings.catch_warnings():
                # titles in scripts the default font lacks (emoji, CJK) draw as boxes; say so once, quietly
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
                fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
        except OSError as exc:
            raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        write_bytes_atomic(path, buffer.getvalue())
        log.info("wrote %s", path)
    return paths


def figure_paths(out_dir: str | Path, names: Sequence[str], formats: Sequence[str]) -> list[Path]:
    """The files :func:`save_figures` writes for ``names`` and ``formats``: ``<out_dir>/<name>.<format>``.

    Figure by figure, format by format; the command line checks them
    (:func:`citegraph.outputs.files.check_output_files`) before it analyses.

    Examples
    --------
    >>> [str(p) for p in figure_paths("figures", ["rpys", "bursts"], ["png", "svg"])]
    ['figures/rpys.png', 'figures/rpys.svg', 'figures/bursts.png', 'figures/bursts.svg']
    """
    return [Path(out_dir) / f"{name}.{fmt}" for name in names for fmt in formats]


def save_figures(analysis: Analysis, out_dir: str | Path, *, formats: Sequence[str] = ("png", "svg"),
                 names: Sequence[str] | None = None, source: str | None = None, seed: int = 0,
                 dpi: int = 150, rpys_from: int | None = None) -> list[Path]:
    """Draw and save every figure of :data:`FIGURES` (or those in ``names``) as ``<out_dir>/<name>.<format>``.

    ``seed`` seeds the layouts of the network and co-citation maps;
    ``source`` names the data in every caption; ``dpi`` is the resolution
    of PNG files (see :func:`save_figure`); ``rpys_from`` the first year of
    the RPYS figure (default: from the data, see :func:`rpys_chart`).

    Returns
    -------
    list of Path
        The files written, figure by figure (in ``names`` or
        :data:`FIGURES` order), format by format.

    Raises
    ------
    UsageError
        An unknown figure name or format (the valid ones are named), or an
        unwritable folder.

    Examples
    --------
    >>> import tempfile
    >>> from citegraph.analysis.pipeline import analyse
    >>> from citegraph.store.records import parse_work
    >>> from citegraph.store import Store
    >>> with Store(":memory:") as store:   # a hand-made example record, not Crossref data
    ...     _ = store.add_works([parse_work({"DOI": "10.5555/a", "title": ["Graph study"]}, source="example")])
    ...     analysis = analyse(store)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in save_figures(analysis, tmp, formats=["svg"], names=["ranking", "bursts"])]
    ['ranking.svg', 'bursts.svg']
    """
    chosen = list(FIGURES) if names is None else list(dict.fromkeys([names] if isinstance(names, str) else names))
    unknown = [n for n in chosen if n not in FIGURES]
    if unknown:
        raise UsageError(f"unknown figure {unknown[0]!r}: choose from {', '.join(FIGURES)}")
    fmts = _formats(formats)
    _check_int("dpi", dpi, 1)
    out = Path(out_dir)
    check_output_files(figure_paths(out, chosen, fmts))  # every file, before the first figure is drawn
    written: list[Path] = []
    for name in chosen:
        kwargs: dict[str, Any] = {"source": source}
        if name in _SEEDED:
            kwargs["seed"] = seed
        if name == "rpys" and rpys_from is not None:
            kwargs["start"] = rpys_from
        fig = FIGURES[name](analysis, **kwargs)
        written.extend(save_figure(fig, out / name, fmts, dpi=dpi))
    return written
