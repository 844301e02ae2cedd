"""Issue 17: the historiograph's arrows and widening, the bursts figure and its options, main path ties.

Hand-made stores (Crossref-shaped records written here, not Crossref data) fix each behaviour; the real
coffee/obesity Web of Science export (``../shared/corpora``, skipped without it) checks the bursts figure.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.patches import FancyArrowPatch, Rectangle

from citegraph import cli as cli_module
from citegraph.analysis.bursts import citation_bursts
from citegraph.analysis.mainpath import (
    MAIN_PATH_TIE_RULE,
    global_main_path,
    knowledge_flow_dag,
    main_path_analysis,
    spc_weights,
)
from citegraph.analysis.pipeline import AnalyseOptions, Analysis, analyse
from citegraph.cli import cli
from citegraph.graphs.citation import citation_graph
from citegraph.outputs import plots
from citegraph.store import Store
from citegraph.store.records import parse_work

# -- hand-made stores ----------------------------------------------------------------------------------------


def rec(doi: str, year: int, author: str, refs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A hand-made Crossref-shaped record (not Crossref data)."""
    return {"DOI": doi, "type": "journal-article", "issued": {"date-parts": [[year]]},
            "author": [{"family": author, "given": "A", "sequence": "first"}],
            "title": [f"Citation study by {author}"],
            "reference": [{"key": f"r{i}", **r} for i, r in enumerate(refs or [])]}


def ref(doi: str, year: int) -> dict[str, str]:
    return {"DOI": doi, "year": str(year)}


def analysed(path: Path, records: list[dict[str, Any]], options: AnalyseOptions | None = None) -> Analysis:
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in records])
        return analyse(store, options)


def chain_records() -> list[dict[str, Any]]:
    """HAND-MADE: four works that cite each other (b -> a; c -> a, b; d -> b, c) and six later works citing them.

    Local citations: a 3, b 4, c 3, d 2; the six citers none, so the top four are a, b, c, d.
    """
    a, b, c, d = (f"10.5555/ch-{x}" for x in "abcd")
    out = [rec(a, 1990, "Alpha"), rec(b, 1995, "Beta", [ref(a, 1990)]),
           rec(c, 2000, "Gamma", [ref(a, 1990), ref(b, 1995)]), rec(d, 2005, "Delta", [ref(b, 1995), ref(c, 2000)])]
    cites = [[a], [b], [b], [c], [d], [d]]
    out += [rec(f"10.5555/ch-citer{i}", 2010 + i, f"Citer{i}", [ref(x, 1990) for x in refs])
            for i, refs in enumerate(cites)]
    return out


def classics_records() -> list[dict[str, Any]]:
    """HAND-MADE: four cited-only classics (1980-1995) that cannot cite each other (their references are unknown).

    ``hub`` (2010) cites all four; ``pair`` (2011) cites two; ``k0``-``k3`` (2012) one each.
    """
    classics = [(f"10.5555/cl-{i}", 1980 + 5 * i) for i in range(4)]
    out = [rec("10.5555/cl-hub", 2010, "Hub", [ref(d, y) for d, y in classics]),
           rec("10.5555/cl-pair", 2011, "Pair", [ref(d, y) for d, y in classics[:2]])]
    out += [rec(f"10.5555/cl-k{i}", 2012, f"Kay{i}", [ref(d, y)]) for i, (d, y) in enumerate(classics)]
    return out


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analysed(tmp_path_factory.mktemp("chain") / "chain.sqlite", chain_records())


@pytest.fixture(scope="module")
def classics(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analysed(tmp_path_factory.mktemp("classics") / "classics.sqlite", classics_records())


def arrows(ax: Axes) -> list[FancyArrowPatch]:
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == "link"]


def points(ax: Axes, gid: str) -> list[tuple[float, float]]:
    found = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == gid]
    return [(float(x), float(y)) for c in found for x, y in c.get_offsets()]


# -- historiograph -------------------------------------------------------------------------------------------


def test_historiograph_draws_an_arrow_for_every_citation_among_the_top_works(chain: Analysis) -> None:
    fig = plots.historiograph(chain, top=4)
    ax = fig.axes[0]
    assert sorted(x for x, _ in points(ax, "nodes")) == [1990.0, 1995.0, 2000.0, 2005.0]
    # b -> a, c -> a, c -> b, d -> b, d -> c: five arrows, each from the cited (older) to the citing work
    drawn = sorted((round(float(a.get_path().vertices[0, 0])), round(float(a.get_path().vertices[:, 0].max())))
                   for a in arrows(ax))  # data coordinates: the start, and the head's tip
    assert drawn == [(1990, 1995), (1990, 2000), (1995, 2000), (1995, 2005), (2000, 2005)]
    assert points(ax, "connectors") == []  # they cite each other: nothing to widen
    assert ax.get_title(loc="left") == "Historiograph: the 4 most locally cited works"
    assert "(5 links among them)" in fig.get_supxlabel() and "arrows: cited → citing" in fig.get_supxlabel()


def test_historiograph_widens_to_the_works_that_connect_unlinked_classics(classics: Analysis) -> None:
    fig = plots.historiograph(classics, top=4)
    ax = fig.axes[0]
    assert sorted(x for x, _ in points(ax, "nodes")) == [1980.0, 1985.0, 1990.0, 1995.0]
    # hub cites all four: it is the one connecting work (pair links two, but none still unlinked after hub)
    assert [x for x, _ in points(ax, "connectors")] == [2010.0]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "connector-label"] == ["Hub 2010"]
    assert len(arrows(ax)) == 4
    assert ax.get_title(loc="left") == "Historiograph: the 4 most locally cited works and 1 that connect them"
    caption = fig.get_supxlabel().replace("\n", " ")
    assert "(0 links among them, 4 without any)" in caption and "widened by 1 work that connect them" in caption
    legend = ax.get_legend()
    assert legend is not None and "connecting work (not in the top)" in [t.get_text() for t in legend.get_texts()]
    # widen=False keeps Garfield's strict figure: no arrows, and the caption says none link
    strict = plots.historiograph(classics, top=4, widen=False)
    assert arrows(strict.axes[0]) == [] and points(strict.axes[0], "connectors") == []
    assert "(0 links among them, 4 without any)" in strict.get_supxlabel().replace("\n", " ")


def test_connectors_prefer_the_work_linking_the_most_unlinked() -> None:
    """HAND-MADE graph: x links a, b; y links b, c, d; z links a and only the already linked c."""
    G = nx.DiGraph([("x", "a"), ("x", "b"), ("y", "b"), ("y", "c"), ("y", "d"), ("z", "a"), ("z", "c"),
                    ("w", "a")])
    nx.set_node_attributes(G, dict.fromkeys(G, 2000), "year")
    assert plots._connectors(G, ["a", "b", "c", "d"], [], 10) == ["y", "x"]
    assert plots._connectors(G, ["a", "b", "c", "d"], [], 1) == ["y"]
    assert plots._connectors(G, ["a", "b", "c", "d"], [("c", "d"), ("b", "c")], 10) == ["x"]
    G.nodes["x"]["year"] = None  # a work without a year cannot be placed
    assert plots._connectors(G, ["a", "b", "c", "d"], [], 10) == ["y", "z"]


# -- bursts --------------------------------------------------------------------------------------------------


def test_bursts_chart_on_one_citing_year_says_why_it_is_empty(tmp_path: Path) -> None:
    """HAND-MADE: every citing work is of 2017 (as in the CRISPR export): nothing to compare, the note says so."""
    records = [rec(f"10.5555/one-{i}", 2017, f"One{i}", [ref("10.5555/one-cited", 2013)]) for i in range(6)]
    analysis = analysed(tmp_path / "one.sqlite", records)
    assert analysis.bursts == []
    ax = plots.bursts_chart(analysis).axes[0]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "note"] == [
        "No citation bursts: every citing work is of 2017\n(a burst needs years to compare)"]


COFFEE = ("data_1_500.txt", "data_501_1000.txt", "data_1001_1047.txt")


@pytest.fixture(scope="module")
def coffee_graph(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> nx.DiGraph:
    """The citation graph of the real coffee/obesity WoS export (1,047 records), imported into a tmp store."""
    from citegraph.sources.importing import import_exports

    folder = shared_dir / "corpora" / "coffee-obesity-wos"
    if not all((folder / name).is_file() for name in COFFEE):
        pytest.skip(f"{folder} not found: the real coffee/obesity WoS export is needed")
    path = tmp_path_factory.mktemp("coffee") / "coffee.sqlite"
    with Store(path) as store:
        import_exports(store, [folder / name for name in COFFEE])
    with Store(path, readonly=True) as store:
        return citation_graph(store)


def test_bursts_figure_is_full_on_the_real_coffee_export(coffee_graph: nx.DiGraph, tmp_path: Path) -> None:
    """Real data: with the defaults (CiteSpace's s=2, gamma=1, minimum duration 2) the figure shows 25 bursts."""
    o = AnalyseOptions()
    assert (o.burst_s, o.burst_gamma, o.burst_min_duration) == (2.0, 1.0, 2)
    bursts = citation_bursts(coffee_graph, s=o.burst_s, gamma=o.burst_gamma, min_citations=o.burst_min_citations,
                             min_duration=o.burst_min_duration)
    assert len(bursts) >= 100 and all(b.end - b.start >= 1 for b in bursts)
    # per citing work, not per citation: reference lists grew (28 a record in 2004, 77 in 2024), which made the
    # first years look bursty for every older work; recent bursts (2018 on) now reach the top 25
    by_citations = citation_bursts(coffee_graph, totals="citations")
    first = min(b.start for b in by_citations)
    assert sum(b.start == first for b in bursts) < sum(b.start == first for b in by_citations)
    assert any(b.start >= 2018 for b in bursts[:25])
    small = analysed(tmp_path / "tiny.sqlite", chain_records())  # only for its options, clusters, summary
    analysis = replace(small, citation=coffee_graph, bursts=bursts, cluster_of={})
    fig = plots.bursts_chart(analysis)
    ax = fig.axes[0]
    red = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(red) == 25 and len(ax.get_yticklabels()) == 25
    assert ax.get_title(loc="left") == "Top 25 references with the strongest citation bursts"
    assert [t.get_text() for t in ax.texts if t.get_gid() == "note"] == []
    shown = {(b.start, round(b.strength, 2)) for b in bursts[:25]}
    begins = [int(t.get_text()) for t in ax.texts if t.get_gid() == "burst-begin"]
    strengths = [float(t.get_text()) for t in ax.texts if t.get_gid() == "burst-strength"]
    assert set(zip(begins, strengths, strict=True)) == shown and begins == sorted(begins)
    assert f"{len(bursts):,} bursts, the 25 strongest shown" in fig.get_supxlabel().replace("\n", " ")


def test_burst_options_reach_the_analysis(tmp_path: Path) -> None:
    """HAND-MADE store (the chain): the options change the bursts found and are recorded in the summary."""
    path = tmp_path / "chain.sqlite"
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in chain_records()])
    result = CliRunner().invoke(cli, ["--store", str(path), "analyse", "-o", str(tmp_path / "data"), "--json",
                                      "--burst-s", "3", "--burst-gamma", "0.5", "--burst-min-citations", "2",
                                      "--burst-min-duration", "1", "--key-routes", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    parameters = json.loads(result.stdout)["parameters"]
    assert {k: parameters[k] for k in ("burst_s", "burst_gamma", "burst_min_citations", "burst_min_duration",
                                       "key_routes")} == {"burst_s": 3.0, "burst_gamma": 0.5,
                                                          "burst_min_citations": 2, "burst_min_duration": 1,
                                                          "key_routes": 2}
    for bad in (["--burst-s", "1"], ["--burst-gamma", "-1"], ["--burst-min-citations", "0"],
                ["--burst-min-duration", "0"], ["--key-routes", "0"], ["--betweenness-budget", "-1"]):
        failed = CliRunner().invoke(cli, ["--store", str(path), "plot", "bursts", *bad])
        assert failed.exit_code == 2, bad


def test_the_betweenness_budget_reaches_the_analysis(tmp_path: Path) -> None:
    """HAND-MADE store (the chain): a budget of 0 makes betweenness sampled (every node a pivot on so small a
    graph, so the values stay exact), and the summary records the budget."""
    path = tmp_path / "chain.sqlite"
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in chain_records()])
    runs = {}
    for budget in ("0", "15000000"):
        result = CliRunner().invoke(cli, ["--store", str(path), "analyse", "-o", str(tmp_path / budget), "--json",
                                          "--betweenness-budget", budget], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        runs[budget] = json.loads(result.stdout)
    assert runs["0"]["parameters"]["betweenness_budget"] == 0
    assert runs["0"]["betweenness"]["budget"] == 0 and runs["15000000"]["betweenness"]["budget"] == 15_000_000
    assert runs["15000000"]["betweenness"]["exact"] is True


def test_the_cli_defaults_are_the_analysis_defaults() -> None:
    o = AnalyseOptions()
    assert (cli_module._BURST_S, cli_module._BURST_GAMMA, cli_module._BURST_MIN_CITATIONS,
            cli_module._BURST_MIN_DURATION, cli_module._KEY_ROUTES, cli_module._BETWEENNESS_BUDGET,
            cli_module._CLUSTER_ITERATIONS) == (
        o.burst_s, o.burst_gamma, o.burst_min_citations, o.burst_min_duration, o.key_routes, o.betweenness_budget,
        o.cluster_iterations)


# -- main path ties ------------------------------------------------------------------------------------------


def ladder(rungs: int) -> nx.DiGraph:
    """HAND-MADE: ``rungs`` diamonds in a row (``n0 <- u0, v0 <- n1 <- ...``): 2**rungs equally heavy paths."""
    G = nx.DiGraph()
    for i in range(rungs):
        for side in ("u", "v"):
            G.add_edge(f"{side}{i}", f"n{i}")
            G.add_edge(f"n{i + 1}", f"{side}{i}")
    return G


def test_main_path_ties_are_counted_and_the_rule_named() -> None:
    mp = main_path_analysis(ladder(5))
    assert mp.ties == 2**5
    assert mp.main_path == ["n0", "u0", "n1", "u1", "n2", "u2", "n3", "u3", "n4", "u4", "n5"]  # u before v
    assert mp.main_path == global_main_path(ladder(5))
    assert "DOI key" in MAIN_PATH_TIE_RULE
    single = main_path_analysis(nx.DiGraph([("b", "a"), ("c", "b")]))
    assert (single.ties, single.weight) == (1, 2.0)
    assert main_path_analysis(nx.DiGraph()).ties == 0


def brute_force(G: nx.DiGraph) -> tuple[int, list[str]]:
    """Every source-to-sink path of the knowledge flow, summed exactly: how many are heaviest, the smallest."""
    dag = knowledge_flow_dag(G)[0]
    w = spc_weights(G)
    sources = [n for n in dag if dag.in_degree(n) == 0 and dag.out_degree(n) > 0]
    sinks = {n for n in dag if dag.out_degree(n) == 0}
    paths = [p for s in sources for t in sinks for p in nx.all_simple_paths(dag, s, t)]
    weight = {tuple(p): sum(w[e] for e in itertools.pairwise(p)) for p in paths}
    best = max(weight.values())
    tied = sorted([list(map(str, p)) for p, x in weight.items() if x == best])
    return len(tied), tied[0]


@pytest.mark.parametrize("seed", range(6))
def test_main_path_ties_agree_with_a_brute_force_count(seed: int) -> None:
    """HAND-MADE seeded random citation graphs (works cite older works), often with ties."""
    rng = random.Random(seed)
    G = nx.DiGraph()
    for i in range(14):
        G.add_node(f"w{i:02d}", year=2000 + i // 3)
        for j in rng.sample(range(i), min(i, rng.randint(1, 3))) if i else []:
            G.add_edge(f"w{i:02d}", f"w{j:02d}")
    mp = main_path_analysis(G)
    assert (mp.ties, mp.main_path) == brute_force(G)


def test_the_analysis_reports_the_ties(classics: Analysis) -> None:
    """The classics store: hub and pair link the classics to the citers; several paths tie."""
    ties, _ = brute_force(classics.citation)
    assert ties > 1
    assert classics.summary["main_path_ties"] == ties
    assert classics.summary["main_path_tie_rule"] == MAIN_PATH_TIE_RULE
    assert classics.summary["main_path_weight"] > 0


def test_a_tie_is_said_on_the_progress_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="citegraph.progress"):
        analysed(tmp_path / "classics.sqlite", classics_records())
    said = [r.getMessage() for r in caplog.records if "paths tie for the largest total SPC" in r.getMessage()]
    assert len(said) == 1 and MAIN_PATH_TIE_RULE in said[0]
