"""Snowballing: levels, caps, resume, and API/file equivalence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from citegraph.doi import DOI, normalize_doi
from citegraph.errors import UsageError
from citegraph.sources.crossref import CrossrefSource
from citegraph.sources.localfiles import FileSource
from citegraph.sources.snowball import snowball
from citegraph.store import Store
from citegraph.store.records import parse_work

MAILTO = "citegraph-tests@example.org"
WORK_FILES = ("works-habanero.jsonl.gz", "works-commonmeta-py.jsonl.gz",
              "works-oc_ds_converter.jsonl.gz", "works-opencitations-index.jsonl.gz")


def read_works(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def seeds_with_refs(shared_dir: Path) -> list[DOI]:
    recs = read_works(shared_dir / "crossref" / "works-habanero.jsonl.gz")
    return [normalize_doi(r["DOI"]) for r in recs if r.get("reference") and "indexed" in r][:12]


def write_fixture(path: Path, records: list[dict]) -> Path:
    """Hand-made unit-test records (not Crossref data)."""
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def ref(doi: str) -> dict:
    return {"key": doi, "DOI": doi}


# -- hand-made graphs ---------------------------------------------------------

@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    #   A -> X, Y, Z      B -> X, Z      X -> W      Z -> V      (Y, W, V: not in the file except W)
    return write_fixture(tmp_path / "fixture.jsonl", [
        {"DOI": "10.5555/A", "reference": [ref("10.5555/X"), ref("10.5555/Y"), ref("10.5555/Z")]},
        {"DOI": "10.5555/B", "reference": [ref("10.5555/X"), ref("10.5555/Z")]},
        {"DOI": "10.5555/X", "reference": [ref("10.5555/W")]},
        {"DOI": "10.5555/Z", "reference": [ref("10.5555/V")]},
        {"DOI": "10.5555/W"},
    ])


def seeds(*dois: str) -> list[DOI]:
    return [normalize_doi(d) for d in dois]


def test_levels_on_a_hand_made_graph(fixture_file: Path) -> None:
    with Store(":memory:") as store:
        report = snowball(store, FileSource(fixture_file), seeds("10.5555/A", "10.5555/B"), depth=2)
        assert sorted(store.stored_keys(["10.5555/" + c for c in "abxyzwv"])) == [
            "10.5555/a", "10.5555/b", "10.5555/w", "10.5555/x", "10.5555/z"]
        assert store.not_found_keys(["10.5555/y", "10.5555/v"]) == {"10.5555/y", "10.5555/v"}
    assert [(lv.level, lv.candidates, lv.fetched, lv.not_found) for lv in report.levels] == [
        (0, 2, 2, 0), (1, 3, 2, 1), (2, 2, 1, 1)]


def test_depth_zero_fetches_only_the_seeds(fixture_file: Path) -> None:
    with Store(":memory:") as store:
        snowball(store, FileSource(fixture_file), seeds("10.5555/A"), depth=0)
        assert store.counts()["works"] == 1 and store.counts()["not_found"] == 0


def test_max_works_keeps_the_most_cited_then_by_doi(fixture_file: Path) -> None:
    # level 1 candidates: X (cited by A and B), Z (A and B), Y (A only): X and Z tie, X < Z
    with Store(":memory:") as store:
        report = snowball(store, FileSource(fixture_file), seeds("10.5555/A", "10.5555/B"), depth=1, max_works=1)
        assert store.stored_keys(["10.5555/x", "10.5555/z"]) == {"10.5555/x"}
    assert (report.levels[1].candidates, report.levels[1].capped) == (1, 2)


def test_bad_depth_and_cap_are_usage_errors(fixture_file: Path) -> None:
    with Store(":memory:") as store:
        with pytest.raises(UsageError, match="depth -1 is negative"):
            snowball(store, FileSource(fixture_file), seeds("10.5555/A"), depth=-1)
        with pytest.raises(UsageError, match="max_works 0 must be at least 1"):
            snowball(store, FileSource(fixture_file), seeds("10.5555/A"), max_works=0)


def test_malformed_reference_list_is_tolerated(tmp_path: Path) -> None:
    f = write_fixture(tmp_path / "f.jsonl", [{"DOI": "10.5555/A", "reference": [ref("10.5555/B")]},
                                             {"DOI": "10.5555/B", "reference": "not a list"}])
    with Store(":memory:") as store:
        report = snowball(store, FileSource(f), seeds("10.5555/A"), depth=1)
        assert store.stored_keys(["10.5555/b"]) == {"10.5555/b"}
        assert store.references("10.5555/b") == []
    assert report.levels[1].bad_records == 0


def test_rerun_asks_nothing_and_retry_not_found_asks_again(fixture_file: Path) -> None:
    with Store(":memory:") as store:
        source = FileSource(fixture_file)
        snowball(store, source, seeds("10.5555/A"), depth=1)
        again = snowball(store, source, seeds("10.5555/A"), depth=1)
        assert [lv.asked for lv in again.levels] == [0, 0]
        assert [lv.known_missing for lv in again.levels] == [0, 1]
        retry = snowball(store, source, seeds("10.5555/A"), depth=1, retry_not_found=True)
        assert [lv.asked for lv in retry.levels] == [0, 1]
        assert store.execute("SELECT attempts FROM not_found WHERE doi='10.5555/y'").fetchone()[0] == 2


# -- against the replay server -------------------------------------------------

def test_api_snowball_and_warm_rerun_make_zero_requests(replay_server, seeds_with_refs: list[DOI]) -> None:
    with Store(":memory:") as store, CrossrefSource(replay_server.url, MAILTO) as src:
        first = snowball(store, src, seeds_with_refs, depth=1)
        assert first.levels[0].fetched == len(seeds_with_refs)
        assert first.levels[1].candidates == first.levels[1].fetched + first.levels[1].not_found > 100
        assert first.requests == replay_server.stats["requests"]
        # ~cited DOIs / batch size, not one request per DOI
        assert first.requests * 20 <= first.levels[1].candidates + len(seeds_with_refs)
        replay_server.reset_stats()
        second = snowball(store, src, seeds_with_refs, depth=1)
    assert second.requests == 0 and replay_server.stats["requests"] == 0
    assert (second.fetched, second.not_found) == (0, 0)


def test_api_and_file_snowballs_store_the_same_rows(replay_server, shared_dir: Path, tmp_path: Path,
                                                    connected_seeds: list[DOI]) -> None:
    # the same records as one local file (a temporary file, deleted with tmp_path)
    combined = tmp_path / "all.jsonl"
    with combined.open("w") as out:
        for name in WORK_FILES:
            for rec in read_works(shared_dir / "crossref" / name):
                out.write(json.dumps(rec) + "\n")
    with Store(":memory:") as api, Store(":memory:") as local, CrossrefSource(replay_server.url, MAILTO) as src:
        snowball(api, src, connected_seeds, depth=1)
        snowball(local, FileSource(combined), connected_seeds, depth=1)
        api_keys = {w["doi"] for w in api.works()}
        local_keys = {w["doi"] for w in local.works()}
        assert len(local_keys) > len(connected_seeds) and local_keys <= api_keys
        cols = ("title", "year", "container", "type", "first_author", "authors", "is_referenced_by_count",
                "references_count", "abstract", "subjects")
        for key in sorted(local_keys):
            a, b = api.work(key), local.work(key)
            assert a is not None and b is not None
            assert {c: a[c] for c in cols} == {c: b[c] for c in cols}, key
            assert api.references(key) == local.references(key)


@pytest.mark.parametrize("name", WORK_FILES)
def test_from_file_on_every_shared_works_file(shared_dir: Path, name: str) -> None:
    recs = read_works(shared_dir / "crossref" / name)
    by_key = {r["DOI"].lower(): r for r in recs}
    chosen = sorted(recs, key=lambda r: (-len(r.get("reference", [])), r["DOI"].lower()))[:3]
    seed_dois = [normalize_doi(r["DOI"]) for r in chosen]
    cited = {c for r in chosen for c in parse_work(r, source="x").cited_dois} - {d.key for d in seed_dois}
    with Store(":memory:") as store:
        report = snowball(store, FileSource(shared_dir / "crossref" / name), seed_dois, depth=1)
        assert report.levels[0].fetched == 3
        assert report.levels[1].fetched == len([c for c in cited if c in by_key])
        assert report.levels[1].not_found == len([c for c in cited if c not in by_key])
        assert store.counts()["works"] == 3 + report.levels[1].fetched
        assert report.requests == 0


def test_failure_mid_run_keeps_what_was_fetched_and_a_rerun_completes(
        make_replay_server, connected_seeds: list[DOI]) -> None:
    from citegraph.errors import SourceError

    server = make_replay_server()
    with Store(":memory:") as clean, CrossrefSource(server.url, MAILTO) as src:
        snowball(clean, src, connected_seeds, depth=1)
        expected = clean.snapshot()

    class BreaksAfter:
        """Crossref starts answering 500 after the third stored answer."""
        name = "crossref"

        def __init__(self, inner: CrossrefSource) -> None:
            self.inner = inner

        def resolve(self, dois):
            for i, res in enumerate(self.inner.resolve(dois), start=1):
                yield res
                if i == 3:
                    server.faults = {"500": 1.0}

    with Store(":memory:") as store:
        with CrossrefSource(server.url, MAILTO, max_url_length=1000, retries=1, backoff=0.01) as src:
            with pytest.raises(SourceError, match="server error 500"):
                snowball(store, BreaksAfter(src), connected_seeds, depth=1)
        kept = store.snapshot()
        assert store.integrity_check() == "ok"
        assert 0 < len(kept["works"]) and set(kept["works"]) <= set(expected["works"])
        assert set(kept["not_found"]) <= set(expected["not_found"])
        server.faults = {}
        with CrossrefSource(server.url, MAILTO) as src:
            snowball(store, src, connected_seeds, depth=1)
        assert store.snapshot() == expected
