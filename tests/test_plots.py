"""Figures: what each one draws (points, bars, labels, captions), on hand-made and real analyses, and saving."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from citegraph.analysis.pipeline import Analysis, analyse
from citegraph.analysis.rpys import rpys_start
from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.graphs.cooccurrence import cocitation_graph
from citegraph.outputs import palette, plots
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work

REPO = Path(__file__).resolve().parents[1]

# -- the hand-made fixture ---------------------------------------------------------------------------

#: Hand-made burst pattern: in each year 2010-2015 five works cite one work each; this many cite hm-burst.
HITS = {2010: 1, 2011: 1, 2012: 4, 2013: 4, 2014: 1, 2015: 1}


def hand_made_records() -> list[dict[str, Any]]:
    """Hand-made Crossref-shaped records (not Crossref data): two classics, a seed, a bursting work, 30 citers."""

    def rec(doi: str, year: int, author: str, title: str, refs: list[dict[str, str]] | None = None) -> dict[str, Any]:
        return {"DOI": doi, "type": "journal-article", "issued": {"date-parts": [[year]]},
                "author": [{"family": author, "given": "A", "sequence": "first"}], "title": [title],
                "reference": [{"key": f"r{i}", **r} for i, r in enumerate(refs or [])]}

    out = [
        rec("10.5555/hm-classic", 1990, "Classic", "Citation graphs of science"),
        rec("10.5555/hm-second", 1995, "Second", "Citation networks and science maps",
            [{"DOI": "10.5555/hm-classic", "year": "1990"}]),
        rec("10.5555/hm-seed", 2009, "Seed", "Mapping citation networks of science",
            [{"DOI": "10.5555/hm-classic", "year": "1990"}, {"DOI": "10.5555/hm-second", "year": "1995"},
             {"DOI": "10.5555/hm-old", "year": "1965", "author": "Old", "article-title": "Networks of papers"}]),
        rec("10.5555/hm-burst", 2008, "Burst", "Protein folding kinetics measured",
            [{"DOI": "10.5555/hm-old", "year": "1965"}]),
    ]
    topics = ["Citation networks of science", "Protein folding kinetics"]
    for year, hits in HITS.items():
        for i in range(5):
            if i < hits:
                refs = [{"DOI": "10.5555/hm-burst", "year": "2008"}]
            elif i % 2:
                refs = [{"DOI": "10.5555/hm-classic", "year": "1990"}]
            else:
                refs = [{"DOI": "10.5555/hm-second", "year": "1995"}]
            out.append(rec(f"10.5555/hm-p{year}-{i}", year, f"Author{i}", f"{topics[i % 2]} study {year}", refs))
    return out


def build_hand_made(path: Path) -> Analysis:
    with Store(path) as store:
        store.add_seeds([Seed(normalize_doi("10.5555/hm-seed"), "<argument>", role="seed")])
        store.add_works([parse_work(r, source="hand-made") for r in hand_made_records()])
        return analyse(store)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    """``analyse`` of a store of the hand-made records above (35 works, 35 links, one burst, one seed)."""
    return build_hand_made(tmp_path_factory.mktemp("hand-made") / "hm.sqlite")


# -- helpers -----------------------------------------------------------------------------------------


def nodes_of(ax: Axes) -> PathCollection:
    found = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == "nodes"]
    assert len(found) == 1
    return found[0]


def texts(ax: Axes, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def bars(ax: Axes) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def ranked(analysis: Analysis, score: str) -> list[dict[str, Any]]:
    """Rankings rows sorted by (-score, DOI key): the order every figure uses."""
    rows = [r for r in analysis.rankings if r[score] is not None]
    return sorted(rows, key=lambda r: (-r[score], r["doi"].lower()))


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


CLUSTERS = "clusters: leiden (2 iterations) on hybrid, resolution 1, seed 0"


# -- the hand-made analysis is what the tests below assume --------------------------------------------


def test_the_hand_made_analysis(hand_made: Analysis) -> None:
    assert (hand_made.citation.number_of_nodes(), hand_made.citation.number_of_edges()) == (35, 35)
    assert [(b.doi, b.start, b.end) for b in hand_made.bursts] == [("10.5555/hm-burst", 2012, 2013)]
    assert hand_made.citation.nodes["10.5555/hm-seed"]["is_seed"]
    assert 2008 in hand_made.peaks


# -- network map -------------------------------------------------------------------------------------


def map_links(analysis: Analysis, keys: list[str], k: int = plots.MAP_LINKS) -> set[tuple[str, str]]:
    """The links the network map should draw among ``keys``, computed here: every citation link, plus each
    work's ``k`` strongest links of the clusters' graph to another of ``keys`` that are not citation links."""
    inside = set(keys)
    cited = {tuple(sorted(e)) for e in analysis.citation.subgraph(inside).edges() if e[0] != e[1]}
    out = set(cited)
    for u in inside:
        similar = sorted(((-float(d.get("weight", 1.0)), v) for v, d in analysis.graph[u].items()
                          if v in inside and v != u and tuple(sorted((u, v))) not in cited))
        out |= {tuple(sorted((u, v))) for _, v in similar[:k]}
    return out  # type: ignore[return-value]


def segments(ax: Axes) -> int:
    found = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "edges"]
    return sum(len(c.get_segments()) for c in found)


def test_network_map_draws_the_best_works_and_does_not_force_the_seed(hand_made: Analysis) -> None:
    fig = plots.network_map(hand_made, max_nodes=10, labels=3, source="hand-made.sqlite")
    ax = fig.axes[0]
    rows = ranked(hand_made, "composite")
    seed = [r for r in rows if r["is_seed"]]
    assert seed and seed[0] not in rows[:10]  # the seed is not among the ten best by score: not drawn
    assert len(nodes_of(ax).get_offsets()) == 10
    assert [to_hex(c) for c in nodes_of(ax).get_edgecolors()].count("#000000") == 0
    assert texts(ax, "node-label") == [r["label"] for r in rows[:3]] == ["Burst 2008", "Classic 1990", "Second 1995"]
    colours = {to_hex(c).upper() for c in nodes_of(ax).get_facecolors()}
    assert colours == {palette.cluster_colour(r["cluster"]) for r in rows[:10]}
    assert ax.get_title(loc="left") == "Citation network: top 10 works by composite"
    assert "1: folding, folding kinetics, kinetics (14)" in legend_texts(ax)  # Leiden, 2 iterations
    assert "seed work" not in legend_texts(ax)
    cap = fig.get_supxlabel().replace("\n", " ")
    assert "hand-made.sqlite" in cap and "top 10 works by composite score (mean percentile rank): 10 drawn" in cap
    assert "spring layout, seed 0" in cap and CLUSTERS in cap and "left out" not in cap
    # the citation links among the ten (every work citing classic, second or burst) and the strongest hybrid ones
    keys = [r["doi"].lower() for r in rows[:10]]
    links = map_links(hand_made, keys)
    cited = {tuple(sorted(e)) for e in hand_made.citation.subgraph(keys).edges()}
    assert segments(ax) == len(links) > len(cited) > 0
    assert f"{len(cited)} citation links + {len(links) - len(cited)} hybrid links" in cap


def test_network_map_other_scores_and_all_nodes(hand_made: Analysis) -> None:
    ax = plots.network_map(hand_made, score="local", max_nodes=1000, labels=2, seed=3).axes[0]
    assert len(nodes_of(ax).get_offsets()) == hand_made.citation.number_of_nodes() == 35
    assert [to_hex(c) for c in nodes_of(ax).get_edgecolors()].count("#000000") == 1  # the seed, marked
    assert "seed work" in legend_texts(ax)
    assert texts(ax, "node-label") == ["Burst 2008", "Second 1995"]  # 12 and 11 local citations
    cap = ax.figure.get_supxlabel()
    assert "top 35 works by local citations: 35 drawn (1 seed)" in cap and "seed 3" in cap


def test_network_map_is_seeded(hand_made: Analysis) -> None:
    a = nodes_of(plots.network_map(hand_made, max_nodes=35, seed=1).axes[0]).get_offsets()
    b = nodes_of(plots.network_map(hand_made, max_nodes=35, seed=1).axes[0]).get_offsets()
    c = nodes_of(plots.network_map(hand_made, max_nodes=35, seed=2).axes[0]).get_offsets()
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_network_map_on_real_data(commonmeta_analysis: Analysis) -> None:
    fig = plots.network_map(commonmeta_analysis, max_nodes=40, labels=5)
    ax = fig.axes[0]
    top, drawn, H, alone, small = plots._map_selection(commonmeta_analysis, "composite", 40)
    rows = ranked(commonmeta_analysis, "composite")
    assert top == [r["doi"].lower() for r in rows[:40]]
    assert len(nodes_of(ax).get_offsets()) == len(drawn) == 40 - alone - small > 0
    inside = set(drawn)
    links = {(u, v) for u, v in map_links(commonmeta_analysis, top) if u in inside and v in inside}
    assert segments(ax) == len(links) == H.number_of_edges() > 0
    assert all(H.degree(k) > 0 for k in drawn)  # no isolated work drawn
    assert ax.get_title(loc="left") == f"Citation network: {len(drawn)} of the top 40 works by composite"
    labels = {r["doi"].lower(): r["label"] for r in rows}
    assert texts(ax, "node-label") == [plots.shorten(labels[k], 24) for k in drawn[:5]]
    assert ax.get_legend() is not None and any(t.startswith("1: ") or t == "other clusters"
                                               for t in legend_texts(ax))
    assert "citation graph of 500 works, 450 links" in fig.get_supxlabel()


def test_network_map_checks_its_options(hand_made: Analysis) -> None:
    with pytest.raises(UsageError, match="score 'fame' is not one of composite"):
        plots.network_map(hand_made, score="fame")
    with pytest.raises(UsageError, match="max_nodes 0 must be a whole number, at least 1"):
        plots.network_map(hand_made, max_nodes=0)
    with pytest.raises(UsageError, match="labels -1 must be"):
        plots.network_map(hand_made, labels=-1)


# -- historiograph -----------------------------------------------------------------------------------


def test_historiograph_places_works_at_their_years(hand_made: Analysis) -> None:
    fig = plots.historiograph(hand_made, top=4)
    ax = fig.axes[0]
    # local citations: burst 12, second 11, classic 10, old 2 (cited-only, year from the reference)
    assert sorted(nodes_of(ax).get_offsets()[:, 0].tolist()) == [1965.0, 1990.0, 1995.0, 2008.0]
    assert sorted(texts(ax, "node-label")) == ["Burst 2008", "Classic 1990", "Old 1965", "Second 1995"]
    # links among them: second -> classic and burst -> old, drawn from the cited to the citing work
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 2
    starts = sorted(round(float(a.get_path().vertices[0, 0])) for a in arrows)  # data coordinates
    assert starts == [1965, 1990]  # each arrow starts at the cited work (old, classic)
    assert "arrows: cited → citing" in fig.get_supxlabel() and "(2 links among them)" in fig.get_supxlabel()
    assert ax.get_xlabel() == "Publication year"


def test_historiograph_on_real_data(commonmeta_analysis: Analysis) -> None:
    ax = plots.historiograph(commonmeta_analysis, top=10).axes[0]
    G = commonmeta_analysis.citation
    with_year = sorted(((-d["citations_local"], n) for n, d in G.nodes(data=True)
                        if d.get("year") is not None and d["citations_local"] > 0))[:10]
    assert nodes_of(ax).get_offsets()[:, 0].tolist() == sorted(float(G.nodes[n]["year"]) for _, n in with_year)
    ys = nodes_of(ax).get_offsets()[:, 1]
    assert all(float(y).is_integer() for y in ys)  # rows


# -- co-citation map ---------------------------------------------------------------------------------


def test_cocitation_map_links_works_cited_together(hand_made: Analysis) -> None:
    fig = plots.cocitation_map(hand_made, top=4, labels=4)
    ax = fig.axes[0]
    assert len(nodes_of(ax).get_offsets()) == 4
    assert sorted(texts(ax, "node-label")) == ["Burst 2008", "Classic 1990", "Old 1965", "Second 1995"]
    # only the seed cites two of the four: classic, second and old are co-cited pairwise once
    co = cocitation_graph(hand_made.citation, normalise="cosine")
    four = ["10.5555/hm-burst", "10.5555/hm-classic", "10.5555/hm-old", "10.5555/hm-second"]
    pairs = sorted(tuple(sorted((u, v))) for u, v in co.subgraph(four).edges())
    assert pairs == [("10.5555/hm-classic", "10.5555/hm-old"), ("10.5555/hm-classic", "10.5555/hm-second"),
                     ("10.5555/hm-old", "10.5555/hm-second")]
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    weights = sorted(co[u][v]["weight"] for u, v in pairs)
    widths = sorted(np.asarray(lines.get_linewidths()).tolist())
    assert widths == pytest.approx([0.3 + 3.0 * w / weights[-1] for w in weights])
    assert "3 co-citation links" in fig.get_supxlabel() and "Salton's cosine" in fig.get_supxlabel()


def test_cocitation_map_on_real_data(commonmeta_analysis: Analysis) -> None:
    fig = plots.cocitation_map(commonmeta_analysis, top=30, labels=0)
    assert len(nodes_of(fig.axes[0]).get_offsets()) == 30 and texts(fig.axes[0], "node-label") == []
    assert "the 30 most locally cited works" in fig.get_supxlabel()


# -- ranking bars ------------------------------------------------------------------------------------


def test_ranking_bar_in_rank_order(hand_made: Analysis) -> None:
    ax = plots.ranking_bar(hand_made, top=4).axes[0]
    rows = ranked(hand_made, "composite")[:4]
    assert [b.get_width() for b in bars(ax)] == [r["composite"] for r in rows]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Burst 2008: Protein folding kinetics measured", "Classic 1990: Citation graphs of science",
        "Second 1995: Citation networks and science maps", "Old 1965: Networks of papers"]
    assert [b.get_y() + b.get_height() / 2 for b in bars(ax)] == [0, 1, 2, 3] and ax.yaxis_inverted()
    assert [to_hex(b.get_facecolor()).upper() for b in bars(ax)] == [palette.cluster_colour(r["cluster"])
                                                                     for r in rows]


def test_ranking_bar_marks_seeds(hand_made: Analysis) -> None:
    fig = plots.ranking_bar(hand_made, score="local", top=35)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    (seed,) = [i for i, t in enumerate(labels) if t.endswith("(seed)")]
    assert labels[seed] == "Seed 2009: Mapping citation networks of science (seed)"
    assert to_hex(bars(ax)[seed].get_edgecolor()) == "#000000"
    assert "seed work" in legend_texts(ax)
    assert [b.get_width() for b in bars(ax)][:3] == [12, 11, 10]
    assert "top 35 by local" in fig.get_supxlabel() and CLUSTERS in fig.get_supxlabel().replace("\n", " ")


def test_ranking_bar_on_real_data(commonmeta_analysis: Analysis) -> None:
    ax = plots.ranking_bar(commonmeta_analysis, top=10).axes[0]
    assert [b.get_width() for b in bars(ax)] == [r["composite"] for r in commonmeta_analysis.rankings[:10]]
    assert len(ax.get_yticklabels()) == 10


# -- publications, RPYS, bursts ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["hand_made", "commonmeta_analysis"])
def test_publications_and_rpys_bars_are_the_data(which: str, request: pytest.FixtureRequest) -> None:
    analysis: Analysis = request.getfixturevalue(which)
    ax = plots.publications_chart(analysis).axes[0]
    assert [(b.get_x() + b.get_width() / 2, b.get_height()) for b in bars(ax)] == [
        (pytest.approx(y), n) for y, n in analysis.publications]
    assert ax.get_title(loc="left") == "Publications per year" and ax.get_ylabel() == "Stored works"
    fig = plots.rpys_chart(analysis)
    ax = fig.axes[0]
    start = rpys_start(analysis.rpys)  # the axis starts where the first 1% of the references end
    shown = [r for r in analysis.rpys if start is not None and r.year >= start]
    assert [b.get_height() for b in bars(ax)] == [r.references for r in shown]
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "deviation"]
    assert line.get_ydata().tolist() == [r.deviation for r in shown]
    peaks = texts(ax, "peak-label")
    assert sorted(int(t.split(":")[0]) for t in peaks) == sorted(analysis.peaks)
    assert "5-year median" in fig.get_supxlabel()
    assert "peaks: " + ", ".join(str(p) for p in sorted(analysis.peaks)) in fig.get_supxlabel()


def test_rpys_peak_names(hand_made: Analysis, commonmeta_analysis: Analysis) -> None:
    peaks = texts(plots.rpys_chart(hand_made).axes[0], "peak-label")
    assert "2008: Burst 2008: Protein folding kinetics meas… · 12 of 12" in peaks  # the work, its count of the year's
    assert "1965: Old 1965: Networks of papers · 2 of 2" in peaks
    real = texts(plots.rpys_chart(commonmeta_analysis).axes[0], "peak-label")
    assert all(len(t.split(" · ")[0]) <= len("1938: ") + 42 for t in real)


def test_rpys_year_range(hand_made: Analysis) -> None:
    fig = plots.rpys_chart(hand_made, years=(1990, 2008))
    assert [b.get_x() + 0.5 for b in bars(fig.axes[0])] == list(range(1990, 2009))
    assert sorted(texts(fig.axes[0], "peak-label"))[0].startswith("1990:")
    assert "in 1990–2008 (2 outside not shown)" in fig.get_supxlabel()
    with pytest.raises(UsageError, match="year range 2008-1990 is reversed"):
        plots.rpys_chart(hand_made, years=(2008, 1990))


def test_bursts_chart_bars_span_the_burst_years(hand_made: Analysis) -> None:
    fig = plots.bursts_chart(hand_made)
    ax = fig.axes[0]
    # one red cell per burst year, centred on its tick: 2012..2013 is 2011.5 .. 2013.5
    assert [(b.get_x(), b.get_width()) for b in bars(ax)] == [(2011.5, 2)]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Burst 2008"]
    assert ax.get_title(loc="left") == "Top 1 references with the strongest citation bursts"
    assert "s=2, gamma=1, at least 2 years, works with at least 3 citations" in fig.get_supxlabel()
    assert (texts(ax, "burst-begin"), texts(ax, "burst-end")) == (["2012"], ["2013"])
    assert len(fig.axes) == 1  # no colour bar: the strengths are written beside the rows, as in CiteSpace


def test_bursts_chart_without_bursts_says_so(commonmeta_analysis: Analysis) -> None:
    assert commonmeta_analysis.bursts == []
    fig = plots.bursts_chart(commonmeta_analysis)
    ax = fig.axes[0]
    assert texts(ax, "note") == ["No citation bursts with s=2, gamma=1, at least 2 years\n"
                                 "(works with at least 3 citations examined)"]
    assert bars(ax) == [] and "no bursts" in fig.get_supxlabel()


# -- captions, ax=, text safety ------------------------------------------------------------------------


def test_every_figure_has_a_caption_with_its_parameters(hand_made: Analysis) -> None:
    for name, function in plots.FIGURES.items():
        fig = function(hand_made, source="hand-made.sqlite")
        cap = fig.get_supxlabel()
        assert cap.startswith("citegraph 0.1.0 · hand-made.sqlite · "), name
        assert fig.axes[0].get_title(loc="left"), name
    assert plots.caption(hand_made, "x") == "citegraph 0.1.0 · x"


def test_ax_given_draws_into_it(hand_made: Analysis) -> None:
    for name, function in plots.FIGURES.items():
        fig = Figure(figsize=(8, 6), layout="constrained")
        ax = fig.add_subplot()
        assert function(hand_made, ax=ax) is fig, name
        assert fig.axes[0] is ax and ax.get_title(loc="left"), name
    # an Axes inside a SubFigure: the top-level figure is returned
    root = Figure(figsize=(8, 4), layout="constrained")
    sub = root.subfigures(1, 2)[1]
    assert plots.ranking_bar(hand_made, top=3, ax=sub.add_subplot()) is root
    # two panels in one figure: one caption line each
    fig = Figure(figsize=(12, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    plots.publications_chart(hand_made, ax=left)
    plots.rpys_chart(hand_made, ax=right)
    lines = fig.get_supxlabel().split("\n")
    assert any("stored works with a publication year" in ln for ln in lines)
    assert any("cited references" in ln for ln in lines)


def test_dollar_signs_are_shown_not_parsed(tmp_path: Path) -> None:
    record = {"DOI": "10.5555/dollar", "issued": {"date-parts": [[2020]]}, "author": [{"family": "Doe"}],
              "title": ["What $x$ costs: $5 and $10"]}  # hand-made record
    with Store(tmp_path / "d.sqlite") as store:
        store.add_works([parse_work(record, source="hand-made")])
        analysis = analyse(store)
    fig = plots.ranking_bar(analysis)
    assert fig.axes[0].get_yticklabels()[0].get_text() == r"Doe 2020: What \$x\$ costs: \$5 and \$10"
    assert plots.save_figure(fig, tmp_path / "dollar", ("png",))[0].stat().st_size > 0


# -- saving ------------------------------------------------------------------------------------------


def test_save_figures_writes_every_figure_byte_stable(hand_made: Analysis, tmp_path: Path) -> None:
    """Every figure as PNG and SVG; a second run, in another interpreter with another string hash seed (started
    first, to run alongside), writes the same bytes."""
    script = (
        "import sys; from pathlib import Path\n"
        f"sys.path[:0] = [{str(REPO / 'tests')!r}, {str(REPO / 'src')!r}]\n"
        "from test_plots import build_hand_made\n"
        "from citegraph.outputs.plots import save_figures\n"
        f"a = build_hand_made(Path({str(tmp_path / 'again.sqlite')!r}))\n"
        f"save_figures(a, {str(tmp_path / 'b')!r}, source='hand-made', dpi=40)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    second = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path)
    try:
        first = plots.save_figures(hand_made, tmp_path / "a", source="hand-made", dpi=40)
    finally:
        assert second.wait(timeout=120) == 0
    assert [p.name for p in first] == [f"{n}.{f}" for n in plots.FIGURES for f in ("png", "svg")]
    for path in first:
        data = path.read_bytes()
        assert len(data) > 1000 and data == (tmp_path / "b" / path.name).read_bytes(), path.name
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"Software" not in data
        else:
            root = ET.fromstring(data)
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            assert b"<dc:date>" not in data and b"Matplotlib v" not in data


def test_save_figure_formats_and_failures(hand_made: Analysis, tmp_path: Path) -> None:
    fig = plots.publications_chart(hand_made)
    paths = plots.save_figure(fig, tmp_path / "deep" / "er" / "pubs", ("pdf", "png"), dpi=72)
    assert [p.name for p in paths] == ["pubs.pdf", "pubs.png"]
    again = plots.save_figure(fig, tmp_path / "again" / "pubs", ("pdf",), dpi=72)
    assert paths[0].read_bytes() == again[0].read_bytes() and paths[0].read_bytes().startswith(b"%PDF")
    with pytest.raises(UsageError, match="figure format 'jpg' is not one of pdf, png, svg"):
        plots.save_figure(fig, tmp_path / "x", ("png", "jpg"))
    assert not (tmp_path / "x.png").exists()  # checked before anything is written
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match=r"cannot create the output folder .*file"):
        plots.save_figure(fig, blocker / "pubs")
    (tmp_path / "taken" / "pubs.png").mkdir(parents=True)  # a folder where the file should go
    with pytest.raises(UsageError, match=r"cannot write '.*pubs\.png'"):
        plots.save_figure(fig, tmp_path / "taken" / "pubs", ("png",))


def test_save_figures_checks_names_and_formats(hand_made: Analysis, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown figure 'map': choose from network, historiograph, cocitation, "
                                         "ranking, publications, rpys, bursts"):
        plots.save_figures(hand_made, tmp_path, names=["ranking", "map"])
    with pytest.raises(UsageError, match="figure format 'gif' is not one of"):
        plots.save_figures(hand_made, tmp_path, formats=["gif"])
    assert list(tmp_path.iterdir()) == []
    written = plots.save_figures(hand_made, tmp_path / "some", names=["bursts"], formats=["svg"])
    assert written == [tmp_path / "some" / "bursts.svg"]


def test_cluster_colours_are_one_palette() -> None:
    assert len(set(palette.CLUSTER_COLOURS)) == len(palette.CLUSTER_COLOURS) == 9
    assert [palette.cluster_colour(c) for c in (1, 2, 9, 10, 211, None, 0)] == [
        *palette.CLUSTER_COLOURS[:2], palette.CLUSTER_COLOURS[8], *[palette.OTHER_COLOUR] * 4]
    assert plots.shorten("a b", 2) == "a…" and plots.shorten("abc", 3) == "abc"


def test_cocitation_map_keeps_each_works_strongest_links_and_says_so(commonmeta_analysis: Analysis) -> None:
    every = plots.cocitation_map(commonmeta_analysis, top=30, labels=0, links_per_work=0)
    (all_lines,) = [c for c in every.axes[0].collections if isinstance(c, LineCollection)]
    found = len(all_lines.get_segments())
    thin = plots.cocitation_map(commonmeta_analysis, top=30, labels=0, links_per_work=1)
    (lines,) = [c for c in thin.axes[0].collections if isinstance(c, LineCollection)]
    drawn = len(lines.get_segments())
    assert 0 < drawn <= 30 and drawn < found  # at most one strongest link per work (shared links count once)
    assert f"{drawn} of {found:,} co-citation links drawn (each work's 1 strongest)" in " ".join(
        thin.get_supxlabel().split())
    assert f"{found:,} co-citation links" in every.get_supxlabel() and "drawn" not in every.get_supxlabel()
    with pytest.raises(UsageError):
        plots.cocitation_map(commonmeta_analysis, links_per_work=-1)
