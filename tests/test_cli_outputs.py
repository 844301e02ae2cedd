"""`citegraph export`, `plot` and `report` end to end on a real store (the commonmeta-py records of ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.outputs.export import EXPORT_FORMATS, GRAPH_FORMATS


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commonmeta_store: Path):
    """Invoke the CLI in tmp_path on the commonmeta store; data/ and figures/ land in tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--store", str(commonmeta_store), *args], catch_exceptions=False)

    return invoke


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("citegraph: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_export_writes_every_format_into_data(run, tmp_path: Path) -> None:
    import igraph
    import networkx as nx

    result = run("export")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert names == sorted(["citegraph.graphml", "citegraph.gexf", "citegraph_nodes.csv", "citegraph_edges.csv",
                            "citegraph.net", "citegraph.json", "citegraph_vos_map.txt", "citegraph_vos_network.txt",
                            "citegraph.bib", "citegraph.ris"])
    G = nx.read_graphml(tmp_path / "data" / "citegraph.graphml")
    assert (G.number_of_nodes(), G.number_of_edges()) == (500, 450)
    clusters = {d["cluster"] for _, d in G.nodes(data=True)}
    assert all(isinstance(c, int) for c in clusters) and min(clusters) == 1
    assert all(isinstance(d["composite"], float) for _, d in G.nodes(data=True))
    g = igraph.Graph.Read_GraphML(str(tmp_path / "data" / "citegraph.graphml"))
    assert (g.vcount(), g.ecount()) == (500, 450)
    # every work with a record, in rank order: 50 entries
    bib = (tmp_path / "data" / "citegraph.bib").read_text(encoding="utf-8")
    assert bib.count("\n@") + bib.startswith("@") == 50
    assert (tmp_path / "data" / "citegraph.ris").read_text(encoding="utf-8").count("ER  - ") == 50


def test_export_one_format_to_a_file_and_the_top_works(run, tmp_path: Path) -> None:
    import rispy

    result = run("export", "--format", "ris", "-o", "out/top.ris", "--top", "10")
    assert result.exit_code == 0, result.stderr
    entries = rispy.loads((tmp_path / "out" / "top.ris").read_text(encoding="utf-8"))
    assert len(entries) == 10
    assert not (tmp_path / "data").exists()


def test_export_another_network(run, tmp_path: Path) -> None:
    import networkx as nx

    result = run("export", "--format", "gexf", "--network", "cocitation", "-o", "co.gexf")
    assert result.exit_code == 0, result.stderr
    G = nx.read_gexf(tmp_path / "co.gexf", version="1.3")
    assert not G.is_directed() and G.number_of_edges() > 0


def test_export_usage_errors(run) -> None:
    result = run("export", "-o", "x.graphml")
    assert result.exit_code == 2
    assert "give exactly one --format" in one_line_error(result)
    result = run("export", "--format", "svg")
    assert result.exit_code == 2 and "svg" in result.stderr


def test_export_formats_are_the_documented_ones() -> None:
    assert set(EXPORT_FORMATS) == {"graphml", "gexf", "csv", "pajek", "json", "vosviewer", "bibtex", "ris"}
    assert set(GRAPH_FORMATS) == set(EXPORT_FORMATS) - {"bibtex", "ris"}


def test_plot_writes_every_figure_as_png_and_svg(run, tmp_path: Path) -> None:
    from citegraph.outputs.plots import FIGURES

    result = run("plot")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names == sorted(f"{n}.{fmt}" for n in FIGURES for fmt in ("png", "svg"))
    assert all((tmp_path / "figures" / n).stat().st_size > 1000 for n in names)


def test_plot_some_figures_in_one_format(run, tmp_path: Path) -> None:
    result = run("plot", "ranking", "rpys", "--format", "pdf", "--out", "paper")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "paper").iterdir()) == ["ranking.pdf", "rpys.pdf"]
    assert (tmp_path / "paper" / "rpys.pdf").read_bytes().startswith(b"%PDF")


def test_plot_unknown_figure(run) -> None:
    result = run("plot", "pie")
    assert result.exit_code == 2
    assert "unknown figure 'pie': choose from network, historiograph" in one_line_error(result)


def test_report_writes_one_page_with_the_figures(run, tmp_path: Path) -> None:
    import base64

    result = run("report", "--max-nodes", "100")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "data" / "report.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir())[:2] == ["bursts.png", "cocitation.png"]
    embedded = (tmp_path / "figures" / "rpys.png").read_bytes()
    assert base64.b64encode(embedded).decode() in page  # the figures are inlined, not linked
    assert 'src="http' not in page and "<link" not in page


def test_report_without_figures_to_a_chosen_file(run, tmp_path: Path) -> None:
    result = run("report", "--no-figures", "-o", "out/r.html")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "r.html").exists() and not (tmp_path / "figures").exists()
