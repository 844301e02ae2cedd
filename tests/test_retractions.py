"""Editorial notices everywhere a user meets a work: graphs, rankings, summary, figures, report and exports.

One hand-made store (Crossref-shaped unit fixtures, not real data): ``rx-retracted`` carries a Retraction
Watch retraction in its ``updated-by`` (as Crossref deposits them), ``rx-concern`` a publisher's expression
of concern, ``rx-corrected`` a correction; ``rx-gone``, cited but not stored, is retracted by an OpenAlex
flag added with ``Store.add_notices``; ``rx-plain`` and the citers carry nothing.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from citegraph.analysis.notices import NoticeSummary, notice_message, notice_note, notice_summary
from citegraph.analysis.pipeline import Analysis, analyse
from citegraph.graphs.build import GRAPH_KINDS, build_graph
from citegraph.graphs.citation import citation_graph
from citegraph.outputs import plots
from citegraph.outputs.export import (
    export_graph,
    write_bibtex,
    write_csv,
    write_gexf,
    write_graphml,
    write_json,
    write_ris,
)
from citegraph.outputs.report import render_report
from citegraph.outputs.tables import write_outputs
from citegraph.store import Store
from citegraph.store.records import Notice, parse_work

RETRACTED, CONCERN, CORRECTED, GONE, PLAIN = (f"10.5555/rx-{n}" for n in ("retracted", "concern", "corrected",
                                                                          "gone", "plain"))
NOTICE_R, NOTICE_C, NOTICE_K = "10.5555/rx-notice-r", "10.5555/rx-notice-c", "10.5555/rx-notice-k"


def updated_by(doi: str, kind: str, label: str, source: str, date: tuple[int, int, int]) -> dict[str, Any]:
    """One hand-made ``updated-by`` entry, shaped like Crossref's."""
    y, m, d = date
    return {"DOI": doi, "type": kind, "label": label, "source": source,
            "updated": {"date-parts": [[y, m, d]], "date-time": f"{y:04d}-{m:02d}-{d:02d}T00:00:00Z"}}


def record(doi: str, year: int, author: str, title: str, cites: list[str],
           updates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A hand-made Crossref-shaped record (a unit fixture, not Crossref data)."""
    rec: dict[str, Any] = {
        "DOI": doi, "type": "journal-article", "issued": {"date-parts": [[year]]}, "title": [title],
        "author": [{"family": author, "given": "A", "sequence": "first"}], "container-title": ["Fixture Letters"],
        "reference": [{"key": f"r{i}", "DOI": c} for i, c in enumerate(cites)]}
    if updates:
        rec["updated-by"] = updates
    return rec


def hand_made_records() -> list[dict[str, Any]]:
    """Four flagged or plain works and eight citers (2017-2024); every citer cites rx-plain."""
    out = [
        record(PLAIN, 2005, "Plain", "Citation graphs of science", []),
        record(RETRACTED, 2015, "Fabricat", "Graph growth in fabricated networks", [PLAIN, GONE],
               [updated_by(NOTICE_R, "retraction", "Retraction", "retraction-watch", (2024, 3, 5))]),
        record(CONCERN, 2016, "Doubt", "Network effects under doubt", [PLAIN, RETRACTED],
               [updated_by(NOTICE_C, "expression_of_concern", "Expression of concern", "publisher", (2023, 6, 1))]),
        record(CORRECTED, 2014, "Fixed", "Corrected network measures", [PLAIN],
               [updated_by(NOTICE_K, "correction", "Correction", "publisher", (2022, 1, 10))]),
    ]
    for i in range(8):
        cites = [PLAIN, CORRECTED]
        if i < 4:
            cites.append(RETRACTED)
        if i % 2:
            cites.append(CONCERN)
        out.append(record(f"10.5555/rx-c{i}", 2017 + i, f"Citer{i}", f"Citation networks study {i}", cites))
    return out


#: Works citing a retracted work: rx-c0..c3 and rx-concern cite rx-retracted; rx-retracted cites rx-gone.
CITING_RETRACTED = 6


def build_store(path: Path | str) -> Store:
    store = Store(path)
    store.add_works([parse_work(r, source="crossref") for r in hand_made_records()])
    store.add_notices([Notice(GONE, "retraction", "openalex", "openalex", GONE)])
    return store


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("retractions") / "rx.sqlite"
    build_store(path).close()
    return path


@pytest.fixture(scope="module")
def analysis(store_path: Path) -> Analysis:
    with Store(store_path, readonly=True) as store:
        return analyse(store)


def data_json(page: str) -> dict[str, Any]:
    """The report's data block."""
    match = re.search(r'<script type="application/json" id="citegraph-data">(.*?)</script>', page, re.S)
    assert match is not None
    return dict(json.loads(match.group(1)))


def texts(fig: Figure) -> list[str]:
    """Every text of a figure: annotations, tick labels, legend entries."""
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    out += [t.get_text() for ax in fig.axes for legend in ax_legends(ax) for t in legend.get_texts()]
    return out


def ax_legends(ax: Any) -> list[Any]:
    """The Axes' legend and the legends added as artists."""
    found = [ax.get_legend()] if ax.get_legend() is not None else []
    return found + [a for a in ax.artists if type(a).__name__ == "Legend"]


# ------------------------------------------------------------------------------------------ store and graphs


def test_parse_work_reads_the_crossref_updated_by_entries(store_path: Path) -> None:
    with Store(store_path, readonly=True) as store:
        assert store.notice_flags() == {RETRACTED: "retracted", CONCERN: "concern", CORRECTED: "corrected",
                                        GONE: "retracted"}
        (notice,) = store.notices([RETRACTED])[RETRACTED]
    assert (notice.kind, notice.source, notice.notice_doi, notice.date) == (
        "retraction", "retraction-watch", NOTICE_R, "2024-03-05")


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_every_node_of_every_graph_kind_has_a_notice(store_path: Path, kind: str) -> None:
    with Store(store_path, readonly=True) as store:
        G = build_graph(store, kind)
    flags = dict(G.nodes(data="notice"))
    assert all(isinstance(f, str) for f in flags.values()) and len(flags) == G.number_of_nodes()
    expected = {RETRACTED: "retracted", CONCERN: "concern", CORRECTED: "corrected", GONE: "retracted", PLAIN: ""}
    assert {k: flags[k] for k in expected if k in G} == {k: v for k, v in expected.items() if k in G}
    assert RETRACTED in G  # every kind keeps the retracted work (it cites, is cited, has a title)


def test_the_notices_are_read_in_one_query(store_path: Path) -> None:
    with Store(store_path, readonly=True) as store:
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        try:
            G = citation_graph(store)
        finally:
            store._conn.set_trace_callback(None)
    assert sum("FROM notices" in s for s in statements) == 1
    assert G.nodes[GONE]["notice"] == "retracted" and G.nodes[GONE]["resolved"] is False  # cited-only, flagged


def test_without_merging_each_alias_keeps_its_notices(tmp_path: Path) -> None:
    with build_store(tmp_path / "s.sqlite") as store:
        store.add_merges([(CORRECTED, RETRACTED, "hand-made duplicate")])
        merged, apart = citation_graph(store), citation_graph(store, merged=False)
    assert CORRECTED not in merged and merged.nodes[RETRACTED]["notice"] == "retracted"
    assert apart.nodes[CORRECTED]["notice"] == "corrected" and apart.nodes[RETRACTED]["notice"] == "retracted"


# -------------------------------------------------------------------------------------- rankings and summary


def test_rankings_csv_has_retracted_and_notice_columns(analysis: Analysis, tmp_path: Path) -> None:
    write_outputs(analysis, tmp_path)
    with (tmp_path / "rankings.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = {r["doi"]: r for r in reader}
    assert header[-3:] == ["retracted", "notice", "cluster"]
    assert header.index("pct_cocitation_seeds") == header.index("retracted") - 1  # old columns keep their order
    assert {d: (rows[d]["retracted"], rows[d]["notice"]) for d in (RETRACTED, CONCERN, CORRECTED, GONE, PLAIN)} == {
        RETRACTED: ("true", "retracted"), CONCERN: ("false", "concern"), CORRECTED: ("false", "corrected"),
        GONE: ("true", "retracted"), PLAIN: ("false", "")}
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert {k: summary[k] for k in ("retracted_works", "works_citing_retracted", "concern_works",
                                    "corrected_works")} == {"retracted_works": 2, "works_citing_retracted":
                                                            CITING_RETRACTED, "concern_works": 1, "corrected_works": 1}


def test_notice_summary_of_a_graph_and_of_a_store(analysis: Analysis, store_path: Path) -> None:
    expected = NoticeSummary(retracted_works=2, works_citing_retracted=CITING_RETRACTED, concern_works=1,
                             corrected_works=1)
    assert notice_summary(analysis.citation) == expected
    with Store(store_path, readonly=True) as store:
        assert notice_summary(store) == expected
    assert notice_message(analysis.summary) == notice_message(expected) == (
        "2 works in the map are retracted; 6 works cite them; 1 carries an expression of concern; 1 was corrected")
    assert set(analysis.notices) == {RETRACTED, CONCERN, CORRECTED, GONE}


def test_notice_message_is_empty_when_nothing_is_flagged() -> None:
    G = nx.DiGraph([("a", "b")])
    assert not notice_summary(G) and notice_message(notice_summary(G)) == ""
    nx.set_node_attributes(G, {"a": "", "b": "retracted"}, "notice")
    assert notice_message(notice_summary(G)) == "1 work in the map is retracted; 1 work cites it"
    G.remove_edge("a", "b")
    assert notice_message(notice_summary(G)) == "1 work in the map is retracted; no work cites it"
    with pytest.raises(TypeError):
        notice_summary(nx.Graph())  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------- figures


@pytest.mark.parametrize("name", ["network", "historiograph", "cocitation", "ranking"])
def test_figures_mark_retracted_works_and_name_the_mark(analysis: Analysis, name: str) -> None:
    fig = plots.FIGURES[name](analysis)
    shown = texts(fig)
    assert any(t.endswith("[RETRACTED]") and "Fabricat 2015" in t for t in shown)
    assert "retracted" in " ".join(shown)  # the legend entry
    assert any(t.endswith("(concern)") for t in shown) and any(t.endswith("(corrected)") for t in shown)
    tagged = [t for ax in fig.axes for t in [*ax.texts, *ax.get_yticklabels()] if "[RETRACTED]" in t.get_text()]
    assert tagged and all(to_hex(t.get_color()) == plots.NOTICE_COLOURS["retracted"].lower() for t in tagged)
    ax = fig.axes[0]
    if name == "ranking":
        hatched = [p for p in ax.patches if p.get_hatch()]
        assert len(hatched) == 2  # the two retracted works
    else:
        gids = {c.get_gid() for c in ax.collections}
        assert {"notice-retracted", "notice-retracted-cross", "notice-concern", "notice-corrected"} <= gids


def test_bursts_and_rpys_tag_the_works_they_name(analysis: Analysis) -> None:
    bursts = plots.bursts_chart(analysis)
    assert "Fabricat 2015 [RETRACTED]" in [t.get_text() for t in bursts.axes[0].get_yticklabels()]
    plots.rpys_chart(analysis)  # draws (its peaks, if any, are tagged as the bursts are)


def test_a_figure_without_notices_draws_no_mark_nor_legend_entry(analysis: Analysis) -> None:
    plain = analysis.citation.copy()
    nx.set_node_attributes(plain, "", "notice")
    a = Analysis(**{**analysis.__dict__, "citation": plain, "rankings": [
        {**r, "notice": "", "retracted": False} for r in analysis.rankings]})
    for name in ("network", "historiograph", "ranking"):
        fig = plots.FIGURES[name](a)
        assert not any("RETRACTED" in t or t in ("retracted", "corrected") for t in texts(fig))
        assert not any(str(c.get_gid()).startswith("notice") for c in fig.axes[0].collections)


def test_figure_into_a_given_axes_returns_its_figure(analysis: Analysis) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.network_map(analysis, ax=ax) is fig
    assert any(c.get_gid() == "notice-retracted" for c in ax.collections)


# ------------------------------------------------------------------------------------------------------ report


def test_report_data_carries_the_flags_and_the_notices(analysis: Analysis) -> None:
    page = render_report(analysis)
    data = data_json(page)
    columns = data["works"]["columns"]
    works = [dict(zip(columns, row, strict=True)) for row in data["works"]["rows"]]
    by_doi = {w["doi"]: w for w in works}
    assert {d: by_doi[d]["notice"] for d in (RETRACTED, CONCERN, CORRECTED, GONE, PLAIN)} == {
        RETRACTED: "retracted", CONCERN: "concern", CORRECTED: "corrected", GONE: "retracted", PLAIN: None}
    index = str(works.index(by_doi[RETRACTED]))
    assert data["notices"][index] == [{"category": "retracted", "date": "2024-03-05", "doi": NOTICE_R,
                                       "kind": "retraction", "label": "Retraction", "source": "retraction-watch"}]
    assert data["notices"][str(works.index(by_doi[GONE]))][0]["doi"] is None  # OpenAlex names no notice
    assert data["notice_counts"] == {"retracted_works": 2, "works_citing_retracted": 6, "concern_works": 1,
                                     "corrected_works": 1}
    assert 'id="notice-summary"' in page and "2 works in the map are retracted" in page
    network = {works[n[0]]["doi"] for n in data["network"]["nodes"]}
    assert RETRACTED in network


def test_report_assets_draw_the_marks_and_badges() -> None:
    import citegraph.outputs.report as report_module

    script, styles = report_module._asset("report.js"), report_module._asset("report.css")
    for needle in ('"Retracted"', '"Expression of concern"', '"Corrected"', "noticeBadge", "noticeList", "marks()"):
        assert needle in script
    assert ".badge.notice.retracted" in styles and "tr.notice-retracted" in styles


def test_a_report_without_notices_says_nothing_about_them(analysis: Analysis) -> None:
    a = Analysis(**{**analysis.__dict__, "notices": {}, "summary": {
        k: v for k, v in analysis.summary.items() if "retracted" not in k and "_works" not in k}})
    page = render_report(a)
    assert 'id="notice-summary"' not in page and data_json(page)["notices"] == {}


def test_report_badge_is_visible_in_a_browser(analysis: Analysis, browser: Any, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    page_path.write_text(render_report(analysis), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(page_path.as_uri())
        badge = page.locator("#ranking-table .badge.notice.retracted").first
        assert badge.is_visible() and badge.inner_text().strip().lower() == "retracted"
        assert page.evaluate("window.citegraph.flagged") >= 1
        assert page.evaluate(f"window.citegraph.select({json.dumps(RETRACTED)})")
        assert NOTICE_R in page.locator("#net-details").inner_text()
    finally:
        page.close()


# ----------------------------------------------------------------------------------------------------- exports


def test_graphml_and_gexf_carry_notice_and_retracted(analysis: Analysis, tmp_path: Path) -> None:
    H = export_graph(analysis.graph, rankings=analysis.rankings, cluster_of=analysis.cluster_of)
    graphml = write_graphml(H, tmp_path / "g.graphml")[0]
    back = nx.read_graphml(graphml)
    assert back.nodes[RETRACTED]["notice"] == "retracted" and back.nodes[RETRACTED]["retracted"] is True
    assert back.nodes[CONCERN]["notice"] == "concern" and back.nodes[CONCERN]["retracted"] is False
    assert back.nodes[PLAIN]["notice"] == "" and back.nodes[PLAIN]["retracted"] is False
    keys = {k.get("attr.name"): k.get("attr.type") for k in ET.parse(graphml).getroot()
            if k.tag.endswith("key") and k.get("for") == "node"}
    assert keys["notice"] == "string" and keys["retracted"] == "boolean"

    gexf = write_gexf(H, tmp_path / "g.gexf")[0]
    ns = {"g": "http://gexf.net/1.3"}
    root = ET.parse(gexf).getroot()
    titles = {a.get("id"): a.get("title") for a in root.iterfind(".//g:attributes[@class='node']/g:attribute", ns)}
    values = {}
    for node in root.iterfind(".//g:node", ns):
        values[node.get("id")] = {titles[v.get("for")]: v.get("value") for v in node.iterfind(".//g:attvalue", ns)}
    assert (values[RETRACTED]["notice"], values[RETRACTED]["retracted"]) == ("retracted", "true")
    assert (values[CORRECTED]["notice"], values[CORRECTED]["retracted"]) == ("corrected", "false")


@pytest.mark.parametrize("kind", ["citation", "cocitation", "coupling", "hybrid"])
def test_every_graph_export_declares_the_notice(store_path: Path, tmp_path: Path, kind: str) -> None:
    with Store(store_path, readonly=True) as store:
        H = export_graph(build_graph(store, kind))
    nodes_csv, _ = write_csv(H, tmp_path / "g.csv")
    with nodes_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"notice", "retracted"} <= set(rows[0])
    flagged = {r["Id"]: (r["notice"], r["retracted"]) for r in rows if r["notice"]}
    assert flagged.get(RETRACTED) == ("retracted", "true")
    data = json.loads(write_json(H, tmp_path / "g.json")[0].read_text(encoding="utf-8"))
    assert all("notice" in n and isinstance(n["retracted"], bool) for n in data["nodes"])


def test_bibtex_note_and_ris_n1(store_path: Path, tmp_path: Path) -> None:
    keys = [RETRACTED, CONCERN, CORRECTED, GONE, PLAIN]
    with Store(store_path, readonly=True) as store:
        bib = write_bibtex(store, keys, tmp_path / "r.bib")[0].read_text(encoding="utf-8")
        ris = write_ris(store, keys, tmp_path / "r.ris")[0].read_text(encoding="utf-8")
    entries = {doi: e for e in bib.split("\n@") for doi in re.findall(r"doi = \{([^}]*)\}", e)}
    assert "  note = {Retracted (retraction-watch, 2024-03-05; notice 10.5555/rx-notice-r)}\n" in entries[RETRACTED]
    assert "note = {Expression of concern (publisher, 2023-06-01; notice 10.5555/rx-notice-c)}" in entries[CONCERN]
    assert "note = {Corrected (publisher, 2022-01-10; notice 10.5555/rx-notice-k)}" in entries[CORRECTED]
    assert "note = {Retracted (openalex)}" in entries[GONE]  # a cited-only work: a minimal entry, still flagged
    assert "note" not in entries[PLAIN]
    records = {doi: r for r in ris.split("ER  - ") for doi in re.findall(r"^DO  - (.*)$", r, re.M)}
    assert "N1  - Retracted (retraction-watch, 2024-03-05; notice 10.5555/rx-notice-r)" in records[RETRACTED]
    assert "N1  - Expression of concern (publisher, 2023-06-01; notice 10.5555/rx-notice-c)" in records[CONCERN]
    assert "N1  - " not in records[PLAIN]


def test_notice_note_names_each_notice_once() -> None:
    same = [Notice(RETRACTED, "retraction", "publisher", "crossref", where, NOTICE_R, "2024-03-05")
            for where in (RETRACTED, NOTICE_R)]  # the work's record and the notice's both report it
    assert notice_note(same) == "Retracted (publisher, 2024-03-05; notice 10.5555/rx-notice-r)"
    assert notice_note([Notice(RETRACTED, "new_version", "publisher", "crossref", RETRACTED)]) == ""


def test_vosviewer_description_says_retracted(analysis: Analysis, tmp_path: Path) -> None:
    from citegraph.outputs.export import write_vosviewer

    vmap, _ = write_vosviewer(export_graph(analysis.citation), tmp_path / "v.txt")
    rows = [line.split("\t") for line in vmap.read_text(encoding="utf-8").splitlines()[1:]]
    by_url = {r[3]: r[2] for r in rows}
    assert by_url[f"https://doi.org/{RETRACTED}"].startswith("RETRACTED<br>")
    assert by_url[f"https://doi.org/{CONCERN}"].startswith("Expression of concern<br>")
    assert not by_url[f"https://doi.org/{PLAIN}"].startswith(("RETRACTED", "Expression", "Corrected"))


def test_analyse_and_status_print_the_flagged_works(store_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from citegraph.cli import cli

    result = CliRunner().invoke(cli, ["--store", str(store_path), "analyse", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 works in the map are retracted; 6 works cite them; 1 carries an expression of concern; " \
           "1 was corrected" in result.output
    status = CliRunner().invoke(cli, ["--store", str(store_path), "status"])
    assert "notices: 2 works retracted, 1 with an expression of concern, 1 corrected" in status.output
