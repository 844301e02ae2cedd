"""The selection and graph options used, written into every output: figure captions, GraphML/GEXF/JSON graph
attributes, the report header and its parameters (issue 18).

Every store here is built from HAND-MADE records (not Crossref data), in memory.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from matplotlib.collections import LineCollection

from citegraph.analysis.pipeline import AnalyseOptions, Analysis, analyse, analyse_graph_options, options_note
from citegraph.graphs.build import GraphOptions
from citegraph.outputs import plots
from citegraph.outputs.export import export, export_graph, export_metadata
from citegraph.outputs.report import render_report
from citegraph.store import Store
from citegraph.store.records import parse_work

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://gexf.net/1.3}"


def hand_made_records() -> list[dict[str, Any]]:
    """HAND-MADE Crossref-shaped records: old1 and old2 are cited together twice, old3 with each of them once."""

    def rec(doi: str, year: int, refs: list[tuple[str, str]]) -> dict[str, Any]:
        return {"DOI": doi, "type": "journal-article", "issued": {"date-parts": [[year]]},
                "author": [{"family": doi[-2:].upper(), "given": "A"}], "title": [f"Coffee and weight {doi[-2:]}"],
                "reference": [{"key": f"r{i}", "DOI": d, "year": y} for i, (d, y) in enumerate(refs)]}

    old1, old2, old3 = ("10.5555/om-old1", "1990"), ("10.5555/om-old2", "1995"), ("10.5555/om-old3", "2000")
    return [rec("10.5555/om-p1", 2012, [old1, old2]), rec("10.5555/om-p2", 2013, [old1, old2, old3]),
            rec("10.5555/om-p3", 2005, [old3])]


def analysed(graph_options: GraphOptions | None = None, **more: Any) -> Analysis:
    options = AnalyseOptions(graph_options=graph_options or analyse_graph_options(), **more)
    with Store(":memory:") as store:
        store.add_works([parse_work(r, source="hand-made") for r in hand_made_records()])
        return analyse(store, options)


SELECTED = replace(analyse_graph_options(), years=(2010, 2020), min_count=2)


@pytest.fixture(scope="module")
def default() -> Analysis:
    return analysed()


@pytest.fixture(scope="module")
def selected() -> Analysis:
    """``--years 2010-2020 --min-count 2``."""
    return analysed(SELECTED)


def one_line(fig: Any) -> str:
    return str(fig.get_supxlabel()).replace("\n", " ")


def link_count(fig: Any) -> int:
    lines = fig.axes[0].collections[0]
    assert isinstance(lines, LineCollection)
    return len(lines.get_segments())


# -- the note ------------------------------------------------------------------------------------------


def test_options_note_names_only_what_differs_from_the_defaults_and_concerns_the_graph() -> None:
    base = analyse_graph_options()
    assert all(options_note(base, kind) == "" for kind in ("citation", "cocitation", "coupling", "topic", "hybrid"))
    assert options_note(GraphOptions(top_k=20)) == ""  # the command line's defaults, top-k 20 included
    every = replace(base, years=(1990, 2020), types=("journal-article", "book-chapter"), min_local_citations=1,
                    largest_component=True, stored_only=True, keep_seeds=False, normalise="association", min_count=3,
                    min_weight=0.25, top_k=None, topic_k=5, topic_threshold=0.2,
                    hybrid_weights={"citation": 2.0, "cocitation": 1.0, "coupling": 1.0, "topic": 1.0})
    selection = ("years 1990–2020; types journal-article, book-chapter; min 1 local citation; largest component; "
                 "stored works only; seeds not kept")
    assert options_note(every, "citation") == selection
    assert options_note(every, "hybrid", links=False) == selection
    assert options_note(every, "coupling") == (selection + "; coupling: association, min-count 3, min weight 0.25, "
                                               "every link (no top-k)")
    assert options_note(every, "topic") == selection + "; topic: 5 neighbours, similarity ≥ 0.2"
    assert options_note(every, "hybrid").endswith(
        "; co-citation/coupling: association, min-count 3, min weight 0.25, every link (no top-k); "
        "topic: 5 neighbours, similarity ≥ 0.2; hybrid weights citation 2, cocitation 1, coupling 1, topic 1")
    assert options_note(replace(base, years=(None, 2000), top_k=5), "cocitation") == \
        "years to 2000; co-citation: top-k 5"
    assert options_note(replace(base, years=(2001, 2001)), "citation") == "year 2001"
    # hybrid weights given but equal to the defaults are not named
    assert options_note(replace(base, hybrid_weights={"citation": 1.0, "cocitation": 1.0, "coupling": 1.0,
                                                      "topic": 1.0}), "hybrid") == ""


# -- figure captions -----------------------------------------------------------------------------------


def test_captions_of_default_figures_carry_no_selection_note(default: Analysis) -> None:
    for name, draw in plots.FIGURES.items():
        text = one_line(draw(default, source="hand-made.sqlite"))
        assert "clusters from" not in text and "selection" not in text and "min-count" not in text, name
        assert text.startswith("citegraph 0.1.0 · hand-made.sqlite · "), name
    legend = plots.network_map(default).axes[0].get_legend()
    assert not any("selection" in t.get_text() for t in legend.get_texts())


def test_captions_of_a_selection_name_it_where_it_applies(selected: Analysis) -> None:
    clustered = f"clusters from {selected.graph.number_of_nodes()} works: years 2010–2020; co-citation/coupling: " \
                "min-count 2"
    for name in ("network", "historiograph", "cocitation", "ranking"):  # figures coloured by the clusters
        fig = plots.FIGURES[name](selected)
        assert clustered in one_line(fig), name
        legend = fig.axes[0].get_legend()
        assert "outside the selection" in [t.get_text() for t in legend.get_texts()], name
    for name in ("publications", "rpys", "bursts"):  # drawn from every work: said so, link options not named
        text = one_line(plots.FIGURES[name](selected))
        assert "not filtered: the selection (years 2010–2020) only shapes the clusters" in text, name
        assert "min-count" not in text, name
    # the co-citation map draws its links with the shared options, and says so
    assert "co-citation (Salton's cosine, pairs co-cited 2+ times)" in one_line(plots.cocitation_map(selected))


def test_cocitation_map_links_follow_min_count_and_normalise(default: Analysis) -> None:
    every = plots.cocitation_map(default)
    assert "3 co-citation links" in one_line(every) and "(Salton's cosine)" in one_line(every)
    assert link_count(every) == 3
    twice = plots.cocitation_map(analysed(replace(analyse_graph_options(), min_count=2, normalise="count")))
    assert "1 co-citation links" in one_line(twice)
    assert "(co-citation counts, pairs co-cited 2+ times)" in one_line(twice)
    assert link_count(twice) == 1  # old1-old2 only, cited together twice


def test_long_captions_wrap_at_the_separators() -> None:
    every = replace(SELECTED, types=("journal-article", "book-chapter", "proceedings-article"), min_local_citations=2,
                    largest_component=True, normalise="jaccard", top_k=None)
    fig = plots.network_map(analysed(every), source="a-store-with-a-long-name.sqlite")
    lines = fig.get_supxlabel().split("\n")
    fits = fig.get_figwidth() * 72 / (0.56 * 7.0)  # characters of the 7 pt caption font across the figure
    assert len(lines) >= 2 and all(len(line) <= min(fits, 230) for line in lines)
    assert "largest component" in one_line(fig) and "jaccard, min-count 2, every link (no top-k)" in one_line(fig)


def test_the_score_figures_default_to_the_analysis_score() -> None:
    a = analysed(score="local")
    assert plots.ranking_bar(a).axes[0].get_title(loc="left").endswith("works by local")
    assert plots.network_map(a).axes[0].get_title(loc="left").endswith("works by local")
    assert plots.ranking_bar(a, score="global").axes[0].get_title(loc="left").endswith("works by global")


# -- GraphML, GEXF, JSON graph attributes -----------------------------------------------------------------


def exported(a: Analysis, network: str = "hybrid") -> nx.Graph:
    base = a.citation if network == "citation" else a.graph
    return export_graph(base, rankings=a.rankings, cluster_of=a.cluster_of,
                        metadata=export_metadata(a, network, store=Path("/somewhere/coffee.sqlite")))


def test_graphml_carries_the_values_used_as_graph_attributes(selected: Analysis, tmp_path: Path) -> None:
    first = export("graphml", tmp_path / "a.graphml", graph=exported(selected))[0]
    second = export("graphml", tmp_path / "b.graphml", graph=exported(selected))[0]
    assert first.read_bytes() == second.read_bytes()  # byte-stable: no timestamps, keys sorted
    attrs = {k: v for k, v in nx.read_graphml(first).graph.items() if not k.endswith("_default")}
    assert attrs == {
        "citegraph_version": "0.1.0", "network": "hybrid", "store": "coffee.sqlite", "score": "composite",
        "cluster_graph": "hybrid", "cluster_method": "leiden", "cluster_iterations": 2, "resolution": 1.0, "seed": 0,
        "reference_year": "latest", "years": "2010-2020", "types": "all", "min_local_citations": 0,
        "largest_component": False, "stored_only": False, "keep_seeds": True, "normalise": "cosine", "min_count": 2,
        "min_weight": 0.0, "top_k": 20, "topic_k": 10, "topic_threshold": 0.1,
        "hybrid_weights": "citation=1,cocitation=1,coupling=1,topic=1",
        "options": "years 2010–2020; co-citation/coupling: min-count 2",
    }
    keys = ET.parse(first).getroot().findall(f"{GRAPHML}key[@for='graph']")
    assert [k.get("attr.name") for k in keys] == sorted(attrs)
    assert {k.get("attr.name"): k.get("attr.type") for k in keys}["min_count"] == "long"


def test_metadata_of_other_options(default: Analysis, tmp_path: Path) -> None:
    every = replace(analyse_graph_options(), years=(2005, None), types=("journal-article", "book-chapter"),
                    top_k=None, largest_component=True, hybrid_weights={"citation": 2.0, "topic": 0.5})
    a = analysed(every, cluster_method="louvain", resolution=1.5, seed=7, reference_year=2020, score="pagerank")
    meta = export_metadata(a, "citation")
    assert "store" not in meta and list(meta) == sorted(meta)
    assert (meta["network"], meta["years"], meta["types"], meta["top_k"], meta["largest_component"]) == \
        ("citation", "2005-", "journal-article,book-chapter", 0, True)
    assert (meta["cluster_method"], meta["resolution"], meta["seed"], meta["reference_year"], meta["score"]) == \
        ("louvain", 1.5, 7, 2020, "pagerank")
    assert meta["hybrid_weights"] == "citation=2,topic=0.5"
    assert meta["options"] == "years 2005 on; types journal-article, book-chapter; largest component"
    assert export_metadata(default)["options"] == "defaults" and export_metadata(default)["network"] == "hybrid"


def test_gexf_and_json_carry_them_too(selected: Analysis, tmp_path: Path) -> None:
    H = exported(selected, "citation")
    gexf = export("gexf", tmp_path / "g.gexf", graph=H)[0]
    assert gexf.read_bytes() == export("gexf", tmp_path / "h.gexf", graph=exported(selected, "citation"))[0] \
        .read_bytes()
    description = ET.parse(gexf).getroot().find(f"{GEXF}meta/{GEXF}description")
    assert description is not None and description.text is not None
    pairs = dict(part.split("=", 1) for part in description.text.split(" | "))
    assert pairs["network"] == "citation" and pairs["years"] == "2010-2020" and pairs["min_count"] == "2"
    assert pairs["options"] == "years 2010–2020"  # min-count does not concern the citation network
    nx.read_gexf(gexf, version="1.3")  # still a GEXF networkx reads
    data = json.loads(export("json", tmp_path / "g.json", graph=H)[0].read_text(encoding="utf-8"))
    assert data["graph"]["store"] == "coffee.sqlite" and data["graph"]["min_count"] == 2
    assert nx.node_link_graph(data, edges="links").graph["years"] == "2010-2020"


def test_without_metadata_no_graph_attributes_are_written(default: Analysis, tmp_path: Path) -> None:
    H = export_graph(default.citation, rankings=default.rankings, cluster_of=default.cluster_of)
    graphml = export("graphml", tmp_path / "g.graphml", graph=H)[0]
    assert ET.parse(graphml).getroot().findall(f"{GRAPHML}key[@for='graph']") == []
    assert "<description>" not in export("gexf", tmp_path / "g.gexf", graph=H)[0].read_text(encoding="utf-8")
    assert json.loads(export("json", tmp_path / "g.json", graph=H)[0].read_text(encoding="utf-8"))["graph"] == {}


# -- the report --------------------------------------------------------------------------------------------


def header(page: str) -> str:
    import lxml.html

    doc = lxml.html.fromstring(page)
    return str(doc.xpath("//header//p[@class='meta']")[0].text_content())


def test_report_header_states_the_selection(default: Analysis, selected: Analysis) -> None:
    assert header(render_report(default, source="store hand-made.sqlite")) == (
        "source: store hand-made.sqlite · citegraph 0.1.0 · ranked by composite · clusters from the hybrid graph")
    page = render_report(selected, source="store hand-made.sqlite")
    assert header(page) == ("source: store hand-made.sqlite · citegraph 0.1.0 · ranked by composite · clusters "
                            "from the hybrid graph (years 2010–2020; co-citation/coupling: min-count 2)")
    assert "Only the clusters come from this selection" in page
    assert "Only the clusters come from this selection" not in render_report(default)


def test_report_parameters_list_every_value_used(selected: Analysis) -> None:
    import lxml.html

    doc = lxml.html.fromstring(render_report(selected, source="store hand-made.sqlite", max_nodes=40, seed=3))
    rows = {str(tr.xpath("th")[0].text_content()): str(tr.xpath("td")[0].text_content())
            for tr in doc.xpath("//details//table//tr")}
    for name in ("years", "types", "min_local_citations", "largest_component", "stored_only", "keep_seeds", "normalise",
                 "min_count", "min_weight", "top_k", "topic_k", "topic_threshold", "hybrid_weights"):
        assert f"graph_options.{name}" in rows, name
    assert rows["graph_options.years"] == "[2010, 2020]" and rows["graph_options.min_count"] == "2"
    assert rows["graph_options.types"] == "all" and rows["graph_options.hybrid_weights"].endswith("(default)")
    assert rows["reference_year"] == "latest publication year in the store"
    assert rows["options differing from the defaults"] == "years 2010–2020; co-citation/coupling: min-count 2"
    assert (rows["report.source"], rows["report.network_max_nodes"], rows["report.network_layout_seed"]) == \
        ("store hand-made.sqlite", "40", "3")
    for name in ("score", "graph", "cluster_method", "resolution", "seed"):
        assert name in rows, name


def test_the_export_command_writes_the_selection_and_its_values(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``export --network citation --years`` writes the selected citation graph (it wrote every work before),
    with the values used as GraphML graph attributes."""
    from click.testing import CliRunner

    from citegraph.cli import cli

    monkeypatch.chdir(tmp_path)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_works([parse_work(r, source="hand-made") for r in hand_made_records()])
    runner = CliRunner()
    for name, extra in (("all.graphml", []), ("selected.graphml", ["--years", "2010-2020"])):
        result = runner.invoke(cli, ["export", "--store", "s.sqlite", "--format", "graphml", "--network", "citation",
                                     "-o", name, "-q", *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    everything, selected = nx.read_graphml(tmp_path / "all.graphml"), nx.read_graphml(tmp_path / "selected.graphml")
    assert sorted(everything) == ["10.5555/om-old1", "10.5555/om-old2", "10.5555/om-old3", "10.5555/om-p1",
                                  "10.5555/om-p2", "10.5555/om-p3"]
    # p3 (2005) and the cited-only works without a year are outside 2010-2020; the seeds-kept rule keeps none
    # here (the store has no seeds)
    assert sorted(selected) == ["10.5555/om-p1", "10.5555/om-p2"]
    assert (selected.graph["network"], selected.graph["years"], selected.graph["store"]) == (
        "citation", "2010-2020", "s.sqlite")
    assert everything.graph["years"] == "all"
