"""The network map and the report's network view of a real field (issue 17).

The map draws the best works by the chosen score among every work of the
citation graph (cited-only classics included), never a block of seeds; the
links that hold them together (citation links and each work's strongest
links of the clusters' graph); the linked parts only, with a caption that
counts what was left out; labels off the nodes and each other; a cluster and
a size legend. The report's network view shows exactly ``max_nodes`` works,
seeds counted among them.

Data: small HAND-MADE stores (Crossref-shaped records written here, not
Crossref data) and, when ``../shared`` is present, a real Web of Science
export (``corpora/coffee-obesity-wos/data_1001_1047.txt``, 47 records)
imported here.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from citegraph.analysis.pipeline import Analysis, analyse
from citegraph.doi import normalize_doi
from citegraph.outputs import plots
from citegraph.outputs.report import _report_data
from citegraph.sources.importing import import_exports
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work

# -- hand-made stores ------------------------------------------------------------------------------------

#: HAND-MADE: four classics cited by every seed (cited-only works, not stored), eight seeds citing them.
CLASSICS = [("10.5555/nm-c0", "Alpha", "1970"), ("10.5555/nm-c1", "Beta", "1975"), ("10.5555/nm-c2", "Gamma", "1980"),
            ("10.5555/nm-c3", "Delta", "1985")]
SEEDS = [f"10.5555/nm-s{i}" for i in range(8)]


def record(doi: str, year: int, author: str, title: str, refs: list[tuple[str, str, str]],
           cited_by: int = 0) -> dict[str, Any]:
    """A hand-made Crossref-shaped record (not Crossref data)."""
    return {"DOI": doi, "type": "journal-article", "issued": {"date-parts": [[year]]}, "title": [title],
            "author": [{"family": author, "given": "A", "sequence": "first"}], "is-referenced-by-count": cited_by,
            "reference": [{"key": f"r{i}", "DOI": d, "author": a, "year": y} for i, (d, a, y) in enumerate(refs)]}


def seeded_records() -> list[dict[str, Any]]:
    """Eight seeds, each citing three of the four classics (cited-only); seed i is cited i * 10 times in all."""
    return [record(doi, 2010 + i, f"Seed{i}", f"Coffee and obesity study {i}",
                   [c for j, c in enumerate(CLASSICS) if j != i % 4], cited_by=10 * i)
            for i, doi in enumerate(SEEDS)]


def build(path: Path, records: list[dict[str, Any]], seeds: list[str]) -> Analysis:
    with Store(path) as store:
        store.add_seeds([Seed(normalize_doi(doi), "<argument>", role="seed") for doi in seeds])
        store.add_works([parse_work(r, source="hand-made") for r in records])
        return analyse(store)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    """HAND-MADE: 8 seeds citing 3 of 4 cited-only classics each (12 works, 24 citation links)."""
    return build(tmp_path_factory.mktemp("seeded") / "seeded.sqlite", seeded_records(), SEEDS)


# -- reading the figure -----------------------------------------------------------------------------------


def nodes_of(ax: Axes) -> PathCollection:
    found = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == "nodes"]
    assert len(found) == 1
    return found[0]


def drawn_links(ax: Axes) -> int:
    """The links drawn: segments of the map's LineCollection."""
    return sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection)
               and c.get_gid() == "edges")


def labels_of(ax: Axes) -> list[Text]:
    return [t for t in ax.texts if t.get_gid() == "node-label"]


def overlaps(ax: Axes) -> tuple[int, int]:
    """(label pairs that overlap, labels that overlap a node marker), in display coordinates."""
    fig = ax.figure
    assert isinstance(fig, Figure)
    fig.draw_without_rendering()
    boxes = [Text.get_window_extent(t) for t in labels_of(ax)]  # the text, not its leader line
    nodes = nodes_of(ax)
    centres = ax.transData.transform(nodes.get_offsets())
    radii = np.sqrt(nodes.get_sizes()) / 2 * fig.dpi / 72
    pairs = sum(1 for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j]))
    on_nodes = 0
    for b in boxes:
        nearest_x = np.clip(centres[:, 0], b.x0, b.x1)
        nearest_y = np.clip(centres[:, 1], b.y0, b.y1)
        on_nodes += int(((centres[:, 0] - nearest_x) ** 2 + (centres[:, 1] - nearest_y) ** 2 < radii ** 2).any())
    return pairs, on_nodes


def size_legend(ax: Axes) -> Legend:
    found = [a for a in ax.artists if isinstance(a, Legend)]
    assert len(found) == 1
    return found[0]


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# -- hand-made: the choice of works and links ------------------------------------------------------------


def test_hand_made_map_chooses_by_score_over_every_work_not_the_seeds(seeded: Analysis) -> None:
    # 8 seeds, max_nodes 4: the old map drew the seeds alone, unlinked; now the four classics everyone cites
    fig = plots.network_map(seeded, score="local", max_nodes=4, labels=4)
    ax = fig.axes[0]
    assert len(nodes_of(ax).get_offsets()) == 4
    assert [to_hex(c) for c in nodes_of(ax).get_edgecolors()].count("#000000") == 0  # no seed among them
    assert sorted(t.get_text() for t in labels_of(ax)) == ["Alpha 1970", "Beta 1975", "Delta 1985", "Gamma 1980"]
    # cited-only works have no citation links among them: the co-citation (hybrid) links hold them together
    assert drawn_links(ax) > 0
    assert "0 citation links + " in fig.get_supxlabel() and "left out" not in fig.get_supxlabel()


def test_hand_made_map_draws_every_citation_link_among_the_chosen(seeded: Analysis) -> None:
    ax = plots.network_map(seeded, score="local", max_nodes=12, labels=0).axes[0]
    assert len(nodes_of(ax).get_offsets()) == 12
    assert [to_hex(c) for c in nodes_of(ax).get_edgecolors()].count("#000000") == 8  # seeds marked
    _, _, H, alone, small = plots._map_selection(seeded, "local", 12)
    cited = {tuple(sorted(e)) for e in seeded.citation.edges()}
    assert len(cited) == 24 and cited <= {tuple(sorted(e)) for e in H.edges()}
    assert drawn_links(ax) == H.number_of_edges() >= 24
    assert (alone, small) == (0, 0)


def test_hand_made_map_follows_the_score(seeded: Analysis) -> None:
    by_local = plots._map_selection(seeded, "local", 4)[0]
    by_global = plots._map_selection(seeded, "global", 4)[0]
    assert set(by_local) == {c for c, _, _ in CLASSICS}
    assert by_global == [SEEDS[7], SEEDS[6], SEEDS[5], SEEDS[4]]  # cited 70, 60, 50, 40 times
    local = plots.network_map(seeded, score="local", max_nodes=4, labels=4)
    glob = plots.network_map(seeded, score="global", max_nodes=4, labels=4)
    assert [t.get_text() for t in labels_of(glob.axes[0])] == ["Seed7 2017", "Seed6 2016", "Seed5 2015", "Seed4 2014"]
    assert drawn_links(glob.axes[0]) > 0  # the seeds share references: coupling links
    assert png(local) != png(glob)
    assert png(glob) == png(plots.network_map(seeded, score="global", max_nodes=4, labels=4))  # byte-stable


def test_unlinked_works_are_left_out_and_counted(tmp_path: Path) -> None:
    # HAND-MADE: the seeded store plus five stored works cited by nobody, citing nothing, on other topics
    topics = ["Volcanic ash dispersion", "Medieval court poetry", "Quantum dot lasers", "Glacier retreat rates",
              "Jazz harmony teaching"]
    lonely = [record(f"10.5555/nm-x{i}", 2020, f"Lonely{i}", topic, [], cited_by=900 + i)
              for i, topic in enumerate(topics)]
    a = build(tmp_path / "lonely.sqlite", seeded_records() + lonely, SEEDS)
    top, drawn, H, alone, small = plots._map_selection(a, "global", 9)
    assert set(top[:5]) == {f"10.5555/nm-x{i}" for i in range(5)}  # the five best by global citations
    assert all(H.degree(k) > 0 for k in drawn) and len(drawn) + alone + small == 9
    fig = plots.network_map(a, score="global", max_nodes=9)
    ax = fig.axes[0]
    assert len(nodes_of(ax).get_offsets()) == len(drawn) == 9 - alone - small
    assert alone >= 1 and f"left out: {alone} linked to no other top work" in fig.get_supxlabel()
    assert ax.get_title(loc="left") == f"Citation network: {len(drawn)} of the top 9 works by global"
    # nothing linked at all: a note, never a grid of isolated circles
    alone_only = build(tmp_path / "alone.sqlite", lonely[:2], [])
    empty = plots.network_map(alone_only, score="global").axes[0]
    assert [t.get_text() for t in empty.texts if t.get_gid() == "note"] == [
        "None of the top 2 works by global is linked to another"]
    assert not [c for c in empty.collections if c.get_gid() == "nodes"]


def test_legends_name_clusters_sizes_and_link_kinds(seeded: Analysis) -> None:
    ax = plots.network_map(seeded, score="local", max_nodes=12).axes[0]
    clusters = ax.get_legend()
    assert clusters is not None and clusters.get_title().get_text() == "Cluster (works)"
    assert "seed work" in [t.get_text() for t in clusters.get_texts()]
    sizes = size_legend(ax)
    texts = [t.get_text() for t in sizes.get_texts()]
    assert sizes.get_title().get_text() == "Area: local"
    assert texts == ["6", "0", "citation link", "hybrid link"]  # classics cited 6 times, seeds never
    markers = [h.get_markersize() for h in sizes.legend_handles[:2]]  # type: ignore[union-attr]
    assert markers == sorted(markers, reverse=True) and markers[0] > markers[-1]


def test_labels_keep_off_the_nodes_and_each_other(seeded: Analysis) -> None:
    ax = plots.network_map(seeded, score="local", max_nodes=12, labels=12).axes[0]
    assert len(labels_of(ax)) == 12
    assert overlaps(ax) == (0, 0)


# -- the report's network view ----------------------------------------------------------------------------


def test_report_network_obeys_max_nodes_seeds_included(seeded: Analysis) -> None:
    for limit in (1, 3, 5, 12):
        data = _report_data(seeded, limit, 0)["network"]
        assert len(data["nodes"]) == limit
    assert len(_report_data(seeded, 500, 0)["network"]["nodes"]) == 12  # every work, none twice


# -- a real export ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Web of Science export (47 records on coffee and obesity) imported into a new store: every
    imported record is a seed, its references are cited-only works."""
    path = tmp_path_factory.mktemp("wos") / "coffee47.sqlite"
    with Store(path) as store:
        import_exports(store, [shared_dir / "corpora" / "coffee-obesity-wos" / "data_1001_1047.txt"])
    return path


@pytest.fixture(scope="module")
def real(real_store: Path) -> Analysis:
    with Store(real_store, readonly=True) as store:
        return analyse(store)


def test_real_export_map_draws_the_top_works_linked(real: Analysis) -> None:
    G = real.citation
    seeds = [k for k, d in G.nodes(data=True) if d.get("is_seed")]
    assert len(seeds) == 47
    fig = plots.network_map(real, score="local", max_nodes=300, labels=15)
    ax = fig.axes[0]
    top, drawn, H, alone, small = plots._map_selection(real, "local", 300)
    assert len(top) == 300 and len(drawn) + alone + small == 300 and len(drawn) >= 250
    assert sum(1 for k in top if G.nodes[k].get("is_seed")) < 47  # seeds compete, not forced in as a block
    assert len(nodes_of(ax).get_offsets()) == len(drawn)
    assert drawn_links(ax) == H.number_of_edges() > len(drawn) - 1 > 0  # every drawn work linked
    assert all(H.degree(k) > 0 for k in drawn)
    cap = fig.get_supxlabel().replace("\n", " ")
    assert f"top 300 works by local citations: {len(drawn)} drawn" in cap
    assert f"left out: {alone} linked to no other top work and {small} in linked parts of fewer than 3" in cap
    assert overlaps(ax) == (0, 0)


def test_real_export_map_follows_the_score(real: Analysis) -> None:
    chosen = {score: plots._map_selection(real, score, 100)[1] for score in ("local", "pagerank", "composite")}
    assert chosen["local"] != chosen["pagerank"] and chosen["local"] != chosen["composite"]
    assert png(plots.network_map(real, score="local", max_nodes=100, labels=5)) != \
        png(plots.network_map(real, score="pagerank", max_nodes=100, labels=5))


def test_cli_plot_network_follows_score(real_store: Path, tmp_path: Path) -> None:
    from citegraph.cli import cli

    store = tmp_path / "copy.sqlite"
    store.write_bytes(real_store.read_bytes())
    runner = CliRunner()
    files = {}
    for name, score in (("a", "local"), ("b", "pagerank"), ("c", "local")):
        result = runner.invoke(cli, ["--store", str(store), "plot", "network", "-o", str(tmp_path / name),
                                     "--format", "png", "--score", score])
        assert result.exit_code == 0, result.output
        files[name] = (tmp_path / name / "network.png").read_bytes()
    assert files["a"] != files["b"] and files["a"] == files["c"]


def test_real_report_network_obeys_max_nodes(real: Analysis) -> None:
    data = _report_data(real, 20, 0)  # fewer than the 47 seeds: the seeds count against the limit
    assert len(data["network"]["nodes"]) == 20
    columns = data["works"]["columns"]
    rows = [dict(zip(columns, data["works"]["rows"][n[0]], strict=True)) for n in data["network"]["nodes"]]
    assert [r["doi"] for r in rows] == [r["doi"] for r in real.rankings[:20]]
    wide = _report_data(real, 500, 0)["network"]
    assert len(wide["nodes"]) == 500 and len(wide["edges"]) > 0


def test_the_ranking_figure_zooms_on_bunched_scores(real: Analysis) -> None:
    """Composite scores are percentile ranks over thousands of works (0.998-1.0 for the top 20 of the whole
    coffee/obesity export): bars from zero would all look full, so the axis starts near them and says so."""
    from dataclasses import replace

    from citegraph.outputs.plots import ranking_bar

    # the real analysis with its composite scores set by hand to such bunched values (0.9999, 0.9998, ...)
    bunched = [{**row, "composite": 1.0 - 0.0001 * (i + 1)} for i, row in enumerate(real.rankings)]
    ax = ranking_bar(replace(real, rankings=bunched), score="composite", top=20).axes[0]
    values = [float(p.get_width()) for p in ax.patches]
    left, right = ax.get_xlim()
    assert 0.99 < left <= min(values) and right > max(values)
    assert ax.get_xlabel().endswith(f"(axis from {left:.4g}, not 0)")
    assert [t.get_text() for t in ax.texts if t.get_gid() == "value"][:2] == ["0.9999", "0.9998"]
    wide = ranking_bar(real, score="local", top=20).axes[0]
    assert wide.get_xlim()[0] == 0 and "not 0" not in wide.get_xlabel()


def test_a_long_label_keeps_its_year(real: Analysis) -> None:
    """Labels cut to fit keep "Year" whole ("Westerterp-Plantenga 20…" lost it in the coffee/obesity gallery)."""
    import re

    G = real.citation
    long = next(k for k, d in G.nodes(data=True) if len(str(d.get("label", ""))) > 24
                and re.search(r" \d{4}[a-z]*$", str(d.get("label", ""))))
    cut = plots._node_label(G, long, 24)
    assert len(cut) <= 24 and cut.endswith(str(G.nodes[long]["label"]).rsplit(" ", 1)[1]) and "…" in cut
