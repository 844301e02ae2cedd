"""Fetch part 2: forward citations, provenance, topic queries, matching, duplicates, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from citegraph.config import load_settings
from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.sources.crossref import CrossrefSource
from citegraph.sources.fetch import FetchOptions, run_fetch
from citegraph.sources.localfiles import FileSource
from citegraph.sources.seeds import Seed
from citegraph.sources.snowball import snowball
from citegraph.store import Store

MAILTO = "citegraph-tests@example.org"
OC_SEED = "10.1108/jd-12-2013-0166"


def recorded_citing(shared_dir: Path, doi: str) -> set[str]:
    """Citing DOIs of ``doi`` in the recorded OpenCitations v1 answer."""
    for f in sorted((shared_dir / "opencitations" / "responses").glob("oc_coci_cites*.json")):
        exchange = json.loads(f.read_text())
        if exchange["request"]["uri"].lower().endswith("/citations/" + doi):
            return {row["citing"].lower() for row in exchange["response"]["json"]}
    raise AssertionError(f"no recording for {doi}")


def settings_for(server, **extra: object):
    return load_settings({"crossref_url": server.url, "opencitations_url": server.url, "mailto": MAILTO,
                          **extra}, env={}, start_dir=None)


def seed(doi: str) -> Seed:
    return Seed(normalize_doi(doi), "<argument>", role="seed")


# -- forward and both ---------------------------------------------------------

@pytest.mark.parametrize("direction", ["forward", "both"])
def test_forward_level_is_the_citing_works(replay_server, shared_dir: Path, direction: str) -> None:
    citing = recorded_citing(shared_dir, OC_SEED)
    with Store(":memory:") as store:
        outcome = run_fetch(store, settings_for(replay_server), [seed(OC_SEED)],
                            FetchOptions(depth=1, direction=direction))
        lv0, lv1 = outcome.report.levels
        assert (lv0.forward_checked, lv0.forward_citations) == (1, len(citing))
        level1 = lv1.candidates
        oc_edges = {(e.citing, e.cited) for e in store.citation_edges() if "opencitations" in e.sources}
        assert oc_edges == {(c, OC_SEED) for c in citing}
        assert store.forward_checked([OC_SEED], source="opencitations") == {OC_SEED}
        refs = {r.cited for r in store.references(OC_SEED) if r.cited}
    if direction == "forward":
        assert level1 == len(citing)
    else:
        assert level1 == len(citing | refs)
    assert replay_server.stats["by_path"]["oc-v2"] == 1


def test_edge_seen_by_crossref_and_opencitations_is_one_edge(tmp_path: Path, shared_dir: Path) -> None:
    """OpenCitations' v1 references of the seed overlap its Crossref reference list."""
    from citegraph.sources.opencitations import parse_citation_row

    with Store(":memory:") as store:
        snowball(store, FileSource(shared_dir / "crossref" / "works-opencitations-index.jsonl.gz"),
                 [normalize_doi(OC_SEED)], depth=0)
        refs_rec = json.loads((shared_dir / "opencitations" / "responses" / "oc_coci_refs__0.json").read_text())
        rows = [parse_citation_row(r) for r in refs_rec["response"]["json"]]
        by_cited: dict[str, list] = {}
        for c in rows:
            if c is not None:
                by_cited.setdefault(c.cited.key, []).append(c)
        for cited, cits in by_cited.items():
            store.add_forward_citations(cited, cits, source="opencitations")
        edges = {e.cited: e.sources for e in store.citation_edges() if e.citing == OC_SEED}
        crossref_refs = {r.cited for r in store.references(OC_SEED) if r.cited}
    both = {k for k, v in edges.items() if v == ("crossref", "opencitations")}
    assert both and both == crossref_refs & set(by_cited)
    assert len(edges) == len(crossref_refs | set(by_cited))


def test_opencitations_down_degrades_and_a_later_run_fills_the_gap(make_replay_server, shared_dir: Path) -> None:
    server = make_replay_server(faults={"500": 1.0}, fault_paths="^/index/")
    with Store(":memory:") as store:
        settings = settings_for(server, retries=1)
        first = run_fetch(store, settings, [seed(OC_SEED)], FetchOptions(depth=1, direction="both"))
        assert first.report.degraded and "citing works of 1 works missing" in first.report.degraded[0]
        assert first.report.levels[1].candidates == len({r.cited for r in store.references(OC_SEED) if r.cited})
        assert store.runs()[-1]["status"] == "degraded"
        server.faults = {}
        second = run_fetch(store, settings, [], FetchOptions(depth=1, direction="both"))
        assert second.report.degraded == []
        assert second.report.levels[0].forward_checked == 1
        assert store.forward_checked([OC_SEED], source="opencitations") == {OC_SEED}
        assert store.counts()["opencitations_edges"] == len(recorded_citing(shared_dir, OC_SEED))


def test_forward_without_citation_source_is_a_usage_error(replay_server) -> None:
    with Store(":memory:") as store, CrossrefSource(replay_server.url, MAILTO) as src:
        with pytest.raises(UsageError, match="needs a citation source"):
            snowball(store, src, [normalize_doi(OC_SEED)], direction="forward")
        with pytest.raises(UsageError, match="direction 'sideways' is not one of backward, forward, both"):
            snowball(store, src, [normalize_doi(OC_SEED)], direction="sideways")


# -- topic queries ---------------------------------------------------------------

def test_query_pages_with_a_cursor(replay_server) -> None:
    with CrossrefSource(replay_server.url, MAILTO) as src:
        everything = src.search("alopecia", 1000)
        paged = src.search("alopecia", 25, page_size=10)
    assert len(everything) >= 45
    assert [r["DOI"] for r in paged] == [r["DOI"] for r in everything[:25]]
    assert replay_server.stats["by_path"]["works-list"] == 1 + 3  # one page of 1000, then 10 + 10 + 5
    assert all("cursor=" in path for _, path, _, _ in replay_server.log)


def test_query_seeds_the_store_from_the_api(replay_server) -> None:
    with Store(":memory:") as store:
        outcome = run_fetch(store, settings_for(replay_server), [],
                            FetchOptions(query="alopecia areata", rows=10, depth=0))
        seeds = store.seeds()
        assert outcome.query_seeds == len(seeds) == 10
        assert {s.role for s in seeds} == {"query"} and {s.origin for s in seeds} == {"query:alopecia areata"}
        assert store.counts()["works"] == 10
        assert all("alopecia" in (s.note or "").lower() for s in seeds)
    # the query's records are stored at once: the depth-0 snowball asked nothing more
    assert outcome.report.requests == 0


def test_query_over_a_local_file_builds_the_alopecia_corpus(shared_dir: Path) -> None:
    path = shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz"
    with Store(":memory:") as store:
        outcome = run_fetch(store, load_settings({}, env={}, start_dir=None), [],
                            FetchOptions(from_file=path, query="alopecia", rows=1000, depth=1))
        assert outcome.query_seeds == 45  # every record with "alopecia" in its title
        works = list(store.works())
        assert len(works) == 45 and all("alopecia" in w["title"].lower() for w in works)
        # these 1960-1981 records carry no references: the network has no level 1
        assert outcome.report.levels[1].candidates == 0


def test_empty_query_and_bad_rows_are_usage_errors(shared_dir: Path) -> None:
    settings = load_settings({}, env={}, start_dir=None)
    path = shared_dir / "crossref" / "works-opencitations-index.jsonl.gz"
    with Store(":memory:") as store:
        with pytest.raises(UsageError, match="--query is empty"):
            run_fetch(store, settings, [], FetchOptions(from_file=path, query="  "))
        with pytest.raises(UsageError, match="rows 0 must be between 1 and 100000"):
            run_fetch(store, settings, [], FetchOptions(from_file=path, query="x", rows=0))
        with pytest.raises(UsageError, match="no seeds"):
            run_fetch(store, settings, [], FetchOptions(from_file=path))


# -- reference matching ------------------------------------------------------------

def test_references_without_doi_are_matched_above_the_threshold(replay_server, tmp_path: Path) -> None:
    target = replay_server.corpus.works["10.1371/journal.pone.0033693"]
    title = target["title"][0]
    # a hand-made citing record whose references carry no DOI (unit-test fixture)
    fixture = tmp_path / "citing.jsonl"
    fixture.write_text(json.dumps({"DOI": "10.5555/citing", "reference": [
        {"key": "r1", "unstructured": title},
        {"key": "r2", "unstructured": "zzqx unmatched words qqzx"},
        {"key": "r3"}]}) + "\n")
    with Store(":memory:") as store, CrossrefSource(replay_server.url, MAILTO) as src:
        report = snowball(store, FileSource(fixture), [normalize_doi("10.5555/citing")], depth=1,
                          matcher=src, match_threshold=3)
        lv0 = report.levels[0]
        assert (lv0.references_tried, lv0.references_matched) == (2, 1)
        edges = {(e.citing, e.cited): e.sources for e in store.citation_edges()}
        assert edges == {("10.5555/citing", "10.1371/journal.pone.0033693"): ("crossref-match",)}
        # the matched work joins the next level
        assert report.levels[1].candidates == 1
        rows = {r[1]: (r[2], r[3]) for r in store.execute("SELECT * FROM ref_matches")}
        assert rows[1][0] == "10.1371/journal.pone.0033693" and rows[1][1] >= 3
        assert rows[3] == (None, None)
        # a rerun tries nothing again
        again = snowball(store, FileSource(fixture), [normalize_doi("10.5555/citing")], depth=1,
                         matcher=src, match_threshold=3)
        assert again.levels[0].references_tried == 0
    with Store(":memory:") as strict, CrossrefSource(replay_server.url, MAILTO) as src:
        report = snowball(strict, FileSource(fixture), [normalize_doi("10.5555/citing")], depth=1,
                          matcher=src, match_threshold=1000)
        assert report.levels[0].references_matched == 0 and strict.citation_edges() == []
