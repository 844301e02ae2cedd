"""``fetch --source``: OpenAlex alone and merged with Crossref (and OpenCitations) against the replays.

The seeds are real DOIs of the recordings in ``../shared/``: two works of the
OpenAlex snowball recordings (``10.48550/arxiv.2007.14454``,
``10.1145/3383583.3398584``), a work both Crossref and OpenAlex hold
(``10.7717/peerj.4375``) and a Crossref work with recorded OpenCitations
citations (``10.1108/jd-12-2013-0166``).
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.store import Store
from tests.replay.openalex import OpenAlexReplay

KEY = "test-key"
MAILTO = "citegraph-tests@example.org"
SEEDS = ["10.7717/peerj.4375", "10.1108/jd-12-2013-0166", "10.48550/arxiv.2007.14454", "10.1145/3383583.3398584"]
OA_SEEDS = ["10.48550/arxiv.2007.14454", "10.1145/3383583.3398584"]


@pytest.fixture
def openalex(make_openalex_replay: Callable[..., OpenAlexReplay]) -> Callable[..., OpenAlexReplay]:
    return make_openalex_replay


@pytest.fixture
def fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_server: Any) -> Callable[..., Any]:
    """Run ``citegraph fetch`` in-process against the Crossref/OpenCitations replay and a given OpenAlex replay."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)

    def run(oa: OpenAlexReplay | None, *args: str, store: str = "s.sqlite", key: str | None = KEY) -> Any:
        env = {"CITEGRAPH_CROSSREF_URL": replay_server.url, "CITEGRAPH_OPENCITATIONS_URL": replay_server.url,
               "CITEGRAPH_MAILTO": MAILTO}
        if oa is not None:
            env["CITEGRAPH_OPENALEX_URL"] = oa.url
        if key is not None:
            env["CITEGRAPH_OPENALEX_KEY"] = key
        return CliRunner().invoke(cli, ["--store", store, "fetch", *args], env=env, catch_exceptions=False)

    run.crossref = replay_server  # type: ignore[attr-defined]
    return run


def edges(path: str) -> dict[tuple[str, str], tuple[str, ...]]:
    with Store(path, readonly=True) as store:
        return {(e.citing, e.cited): e.sources for e in store.citation_edges()}


def oa_records(shared_dir: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(shared_dir / "openalex" / "works-openalexPro.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in fh]
    return {r["id"].rsplit("/", 1)[-1]: r for r in recs}


def test_merged_fetch_names_the_sources_of_every_edge_and_holds_each_source_alone(fetch, openalex) -> None:
    oa = openalex()
    alone = {}
    for sources in ("crossref,opencitations", "openalex"):
        result = fetch(oa, *SEEDS, "--source", sources, "--direction", "both", "--depth", "1",
                       store=f"{sources.split(',')[0]}.sqlite")
        assert result.exit_code == 0, result.output
        alone[sources] = edges(f"{sources.split(',')[0]}.sqlite")
    result = fetch(oa, *SEEDS, "--source", "crossref,opencitations,openalex", "--direction", "both", "--depth", "1")
    assert result.exit_code == 0, result.output
    merged = edges("s.sqlite")
    assert all(merged.values())  # every edge names at least one source
    for own in alone.values():
        assert set(own) <= set(merged)  # nothing one source found alone is lost in the merge
    assert len(merged) >= max(len(e) for e in alone.values())
    assert {s for srcs in merged.values() for s in srcs} == {"crossref", "opencitations", "openalex"}
    # an edge's source set is exactly the sources that found it alone (the merge adds works, not claims)
    for pair, srcs in alone["openalex"].items():
        assert "openalex" in merged[pair] and srcs == ("openalex",)
    assert "openalex" in result.output and "requests:" in result.output


def test_openalex_costs_the_minimum_requests_and_nothing_on_a_warm_rerun(fetch, openalex, shared_dir) -> None:
    oa = openalex()
    result = fetch(oa, *OA_SEEDS, "--source", "openalex", "--direction", "both", "--depth", "1")
    assert result.exit_code == 0, result.output
    recs = oa_records(shared_dir)
    seeds = [w for w, r in recs.items() if (r.get("doi") or "").lower().removeprefix("https://doi.org/") in OA_SEEDS]
    assert len(seeds) == 2
    references = {w for s in seeds for w in recs[s]["referenced_works"]} - set(seeds)
    citing = [w for w, r in recs.items() if set(r["referenced_works"]) & set(seeds)]
    # seeds by DOI, their citing works (full records, 200 a page), their references by id (100 an id filter)
    minimum = math.ceil(2 / 100) + max(1, math.ceil(len(citing) / 200)) + math.ceil(len(references - set(citing)) / 100)
    assert oa.stats()["by_route"].get("list", 0) <= math.ceil(1.2 * minimum)
    with Store("s.sqlite", readonly=True) as store:
        stored = {r[0] for r in store.execute("SELECT native_id FROM source_records")}
        assert set(seeds) | set(citing) <= stored
        assert len(references & stored) == len([w for w in references if w in recs])
        assert store.execute("SELECT COUNT(*) FROM refs").fetchone()[0] == 0  # OpenAlex lists live apart
    oa.reset_stats()
    again = fetch(oa, *OA_SEEDS, "--source", "openalex", "--direction", "both", "--depth", "1")
    assert again.exit_code == 0 and oa.stats()["requests"] == 0
    assert "requests: 0" in again.output


def test_a_spent_budget_stops_with_exit_5_keeps_the_store_and_a_rerun_completes(fetch, openalex) -> None:
    oa = openalex(daily_budget=2)
    result = fetch(oa, *OA_SEEDS, "--source", "openalex", "--direction", "both", "--depth", "1")
    assert result.exit_code == 5
    line = [x for x in result.stderr.splitlines() if x.startswith("citegraph: error:")]
    assert len(line) == 1 and "budget" in line[0] and "resets at" in line[0] and KEY not in result.stderr
    with Store("s.sqlite", readonly=True) as store:
        kept = store.execute("SELECT COUNT(*) FROM source_records").fetchone()[0]
        assert kept >= 2  # what the two list calls brought is kept
        assert store.runs()[-1]["status"] == "failed"
    oa.reset_budget()
    done = fetch(oa, *OA_SEEDS, "--source", "openalex", "--direction", "both", "--depth", "1")
    assert done.exit_code == 0, done.output
    fresh = openalex()
    whole = fetch(fresh, *OA_SEEDS, "--source", "openalex", "--direction", "both", "--depth", "1", store="w.sqlite")
    assert whole.exit_code == 0
    assert edges("s.sqlite") == edges("w.sqlite")


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_missing_or_refused_key_is_one_line_naming_the_setting(fetch, openalex, key: str | None) -> None:
    oa = openalex()
    result = fetch(oa, OA_SEEDS[0], "--source", "openalex", key=key)
    assert result.exit_code == 2
    lines = [x for x in result.stderr.splitlines() if x.startswith("citegraph: error:")]
    assert len(lines) == 1 and "CITEGRAPH_OPENALEX_KEY" in lines[0] and "Traceback" not in result.output
    if key:
        assert key not in result.output


@pytest.mark.parametrize("retry_after", [True, False])
def test_429s_are_waited_out(fetch, openalex, retry_after: bool) -> None:
    oa = openalex(retry_after=retry_after)
    oa.fail_next(429, count=2, headers={"Retry-After": "0"} if retry_after else None)
    result = fetch(oa, *OA_SEEDS, "--source", "openalex", "--depth", "0")
    assert result.exit_code == 0, result.output
    with Store("s.sqlite", readonly=True) as store:
        assert store.execute("SELECT COUNT(*) FROM source_records").fetchone()[0] == 2


def test_the_key_is_never_stored(fetch, openalex) -> None:
    oa = openalex(api_key="a-secret-key-1234")
    result = fetch(oa, *OA_SEEDS, "--source", "openalex", "--depth", "0", key="a-secret-key-1234")
    assert result.exit_code == 0, result.output
    for name in os.listdir("."):
        if name.startswith("s.sqlite"):
            assert b"a-secret-key-1234" not in Path(name).read_bytes()
    assert "a-secret-key-1234" not in result.output
    with Store("s.sqlite", readonly=True) as store:
        assert store.runs()[-1]["arguments"]["openalex_key"] is True


@pytest.mark.parametrize(("args", "needle"), [
    (["--source", "crossref,scopus"], "'scopus' is not one of crossref, opencitations, openalex"),
    (["--source", "opencitations", "--direction", "forward"], "gives no records"),
    (["--source", "crossref", "--direction", "both"], "needs a source of citing works"),
    (["--source", "openalex", "--match-references"], "--match-references asks Crossref"),
])
def test_bad_source_choices_are_usage_errors(fetch, args: list[str], needle: str) -> None:
    result = fetch(None, OA_SEEDS[0], *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_a_retracted_work_from_openalex_is_flagged_and_a_crossref_record_keeps_its_row() -> None:
    from citegraph.sources.openalex import parse_openalex_work
    from citegraph.store.records import parse_work

    # hand-made unit fixtures: an OpenAlex-shaped record flagged is_retracted, and a Crossref-shaped record
    # of the same DOI with a retraction notice shaped like Crossref's updated-by entries
    oa = parse_openalex_work({"id": "https://openalex.org/W1", "doi": "https://doi.org/10.5555/R", "title": "OA title",
                              "publication_year": 2020, "is_retracted": True, "referenced_works": []})
    cr = parse_work({"DOI": "10.5555/r", "title": ["Crossref title"], "issued": {"date-parts": [[2019]]},
                     "updated-by": [{"DOI": "10.5555/notice", "type": "retraction", "label": "Retraction",
                                     "source": "retraction-watch",
                                     "updated": {"date-parts": [[2024, 3, 5]], "date-time": "2024-03-05T00:00:00Z"}}]},
                    source="crossref")
    with Store(":memory:") as store:
        store.add_works([cr])
        store.add_source_records([oa.source_record()], source="openalex")
        assert store.work("10.5555/r")["source"] == "crossref" and store.work("10.5555/r")["year"] == 2019
        notices = store.notices()["10.5555/r"]
        assert {(n.source, n.reported_by, n.notice_doi, n.date) for n in notices} == {
            ("openalex", "openalex", "", None), ("retraction-watch", "crossref", "10.5555/notice", "2024-03-05")}
        assert store.retracted() == {"10.5555/r"}
        store.add_works([parse_work({"DOI": "10.5555/r", "title": ["Crossref title"]}, source="crossref")])
        # the Crossref record no longer carries the notice: only OpenAlex's flag is left
        assert [n.source for n in store.notices()["10.5555/r"]] == ["openalex"]


def test_status_and_sources_show_each_source_and_the_graph_carries_every_edge(fetch, openalex) -> None:
    from citegraph.graphs.citation import citation_graph

    oa = openalex()
    assert fetch(oa, *SEEDS, "--source", "crossref,opencitations,openalex", "--direction", "both").exit_code == 0
    stored = edges("s.sqlite")
    with Store("s.sqlite", readonly=True) as store:
        G = citation_graph(store)
    assert {(a, b): tuple(d["sources"].split(";")) for a, b, d in G.edges(data=True)} == stored
    per_source = {s: sum(1 for srcs in stored.values() if s in srcs) for s in ("crossref", "opencitations", "openalex")}
    only = {s: sum(1 for srcs in stored.values() if srcs == (s,)) for s in per_source}
    result = CliRunner().invoke(cli, ["--store", "s.sqlite", "status"])
    assert result.exit_code == 0
    for name, n in per_source.items():
        assert f"  {name}: " in result.output and f", {n} edges ({only[name]} only here" in result.output
    coverage = CliRunner().invoke(cli, ["--store", "s.sqlite", "status", "--coverage", "--json"])
    assert {r["source"]: r["edges_only"] for r in json.loads(coverage.output)["sources"]} == only
    as_json = json.loads(CliRunner().invoke(cli, ["--store", "s.sqlite", "sources", "--json"]).output)
    assert {r["source"]: r["edges"] for r in as_json["sources"]} == per_source
    assert set(as_json["disagreements"]["counts"]) >= {"title", "year"}
    text = CliRunner().invoke(cli, ["--store", "s.sqlite", "sources"]).output
    assert text.splitlines()[1].startswith("by source") and "disagreements:" in text


def test_exports_carry_each_edges_sources(fetch, openalex) -> None:
    import csv

    import networkx as nx

    oa = openalex()
    assert fetch(oa, *SEEDS, "--source", "crossref,opencitations,openalex", "--direction", "both").exit_code == 0
    stored = edges("s.sqlite")
    for fmt in ("graphml", "csv"):
        result = CliRunner().invoke(cli, ["--store", "s.sqlite", "-q", "export", "--format", fmt, "-o", f"g.{fmt}"])
        assert result.exit_code == 0, result.output
    G = nx.read_graphml("g.graphml")
    assert {(a, b): d["sources"] for a, b, d in G.edges(data=True)} == {k: ";".join(v) for k, v in stored.items()}
    with open("g_edges.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["Source"], r["Target"]): r["sources"] for r in rows} == {k: ";".join(v) for k, v in stored.items()}
    assert any(r["sources"] == "openalex" for r in rows) and any("crossref" in r["sources"] for r in rows)


def test_the_report_names_each_links_sources_in_a_works_details(fetch, openalex, browser) -> None:
    import re

    oa = openalex()
    assert fetch(oa, *SEEDS, "--source", "crossref,opencitations,openalex", "--direction", "both").exit_code == 0
    result = CliRunner().invoke(cli, ["--store", "s.sqlite", "-q", "report", "-o", "report.html"])
    assert result.exit_code == 0, result.output
    html = Path("report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="citegraph-data">(.*?)</script>', html,
                                re.S).group(1))
    works = data["works"]["columns"].index("doi")
    rows = data["works"]["rows"]
    net = data["network"]
    dois = [d.lower() if d.startswith("10.") else d for d in (rows[n[0]][works] for n in net["nodes"])]  # as deposited
    stored = edges("s.sqlite")
    said = {(dois[a], dois[b]): net["edge_sources"][s] for a, b, s in net["edges"]}
    assert said and all(said[k] == ", ".join(stored[k]) for k in said)
    citing, cited = next(k for k, v in said.items() if "openalex" in v)
    page = browser.new_page()
    try:
        page.goto(Path("report.html").resolve().as_uri())
        assert page.evaluate(f"window.citegraph.select({json.dumps(citing)})")
        text = page.locator("#net-details").inner_text()
        assert "Cites" in text and f"({said[(citing, cited)]})" in text
    finally:
        page.close()


def test_the_issue_command_crossref_and_openalex_both_directions(fetch, openalex) -> None:
    oa = openalex()
    fetch.crossref.reset_stats()
    result = fetch(oa, *SEEDS, "--source", "crossref,openalex", "--direction", "both", "--depth", "1")
    assert result.exit_code == 0, result.output
    merged = edges("s.sqlite")
    assert merged and all(merged.values())
    assert {s for srcs in merged.values() for s in srcs} == {"crossref", "openalex"}  # OpenCitations not asked
    assert fetch.crossref.stats["by_path"].get("oc-v2", 0) == fetch.crossref.stats["by_path"].get("oc-v1", 0) == 0
