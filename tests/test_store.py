"""The SQLite store: schema, migrations, writes, errors, locks, kills."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from citegraph.doi import normalize_doi
from citegraph.errors import StoreError
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store import database as store_module
from citegraph.store.database import SCHEMA_VERSION
from citegraph.store.records import parse_work
from tests.hand_made import citation


def fixture_work(doi: str, refs: list[str | None], **extra: object) -> dict:
    """A hand-made unit-test record (not Crossref data)."""
    return {
        "DOI": doi,
        "title": [f"Fixture {doi}"],
        "reference": [
            {"key": f"k{i}", **({"DOI": r} if r else {"unstructured": f"ref {i}"})} for i, r in enumerate(refs)
        ],
        **extra,
    }


def test_new_store_has_schema_wal_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "s.sqlite"
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 4
        assert s.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in s.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"works", "refs", "not_found", "seeds", "runs"} <= tables


def test_add_works_stores_rows_and_is_idempotent(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        rec = fixture_work("10.5555/A", ["10.5555/b", None, "10.5555/C"], **{"is-referenced-by-count": 4})
        assert s.add_works([parse_work(rec, source="fixture")]) == 1
        assert s.add_works([parse_work(rec, source="fixture")]) == 0
        w = s.work("10.5555/a")
        assert w is not None
        assert (w["doi_original"], w["title"], w["is_referenced_by_count"], w["source"]) == (
            "10.5555/A", "Fixture 10.5555/A", 4, "fixture")
        assert json.loads(w["raw_json"]) == rec
        assert [(r.position, r.cited) for r in s.references("10.5555/a")] == [
            (1, "10.5555/b"), (2, None), (3, "10.5555/c")]
        assert s.counts()["references"] == 3 and s.counts()["references_without_doi"] == 1


def test_changed_record_replaces_work_and_references(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        s.add_works([parse_work(fixture_work("10.5555/a", ["10.5555/b", "10.5555/c"]), source="x")])
        s.add_works([parse_work(fixture_work("10.5555/a", ["10.5555/d"]), source="x")])
        assert [r.cited for r in s.references("10.5555/a")] == ["10.5555/d"]
        assert s.counts()["references"] == 1


def test_not_found_is_per_source_and_cleared_when_found(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        s.add_not_found([("10.5555/x", "10.5555/X")], source="crossref", reason="absent")
        s.add_not_found([("10.5555/x", "10.5555/X")], source="crossref", reason="absent")
        s.add_not_found([("10.5555/x", "10.5555/X")], source="file:a.jsonl", reason="absent")
        assert s.not_found_keys(["10.5555/x"], source="crossref") == {"10.5555/x"}
        assert s.not_found_keys(["10.5555/x"], source="file:b.jsonl") == set()
        assert s.execute("SELECT attempts FROM not_found WHERE source='crossref'").fetchone()[0] == 2
        s.add_works([parse_work(fixture_work("10.5555/X", []), source="x")])
        assert s.not_found_keys(["10.5555/x"]) == set()
        # a stored work is never recorded as not found
        assert s.add_not_found([("10.5555/x", "10.5555/x")], source="crossref", reason="r") == 0


def test_add_resolution_is_one_transaction(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        bad = parse_work(fixture_work("10.5555/a", []), source="x")
        with pytest.raises(sqlite3.IntegrityError):
            # a duplicate reference position fails the second work mid-batch
            dup = parse_work(fixture_work("10.5555/b", ["10.5555/c"]), source="x")
            broken = type(dup)(work=dup.work, references=dup.references * 2)
            s.add_resolution([bad, broken], [("10.5555/z", "10.5555/z")], source="crossref", reason="r")
        assert s.counts()["works"] == 0 and s.counts()["not_found"] == 0


def test_seeds_and_coverage(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        seeds = [Seed(normalize_doi("10.5555/S1"), "seeds.txt", 3, "seed", "note"),
                 Seed(normalize_doi("10.5555/s2"), "<argument>")]
        assert s.add_seeds(seeds) == 2 and s.add_seeds(seeds) == 0
        s.add_works([parse_work(fixture_work("10.5555/s1", ["10.5555/a", "10.5555/b", None], **{"references-count": 5}),
                                source="x"),
                     parse_work(fixture_work("10.5555/a", []), source="x")])
        s.add_not_found([("10.5555/b", "10.5555/b")], source="crossref", reason="r")
        cov = {c.doi: c for c in s.seed_coverage()}
        c1 = cov["10.5555/s1"]
        assert (c1.role, c1.stored, c1.references_count, c1.references_open, c1.with_doi, c1.resolved,
                c1.not_found) == ("seed", True, 5, 3, 2, 1, 1)
        assert cov["10.5555/s2"].stored is False
        assert [r.doi_original for r in s.seeds()] == ["10.5555/S1", "10.5555/s2"]


def test_seed_coverage_is_the_same_with_few_or_many_seeds(tmp_path: Path) -> None:
    """Most works seeds (one pass per count) or a few seeds among many works (seed by seed): the same counts."""
    with Store(tmp_path / "s.sqlite") as s:
        s.add_works([parse_work(fixture_work("10.5555/s1", ["10.5555/a", "10.5555/a", "10.5555/b", None, None,
                                                            "10.5555/s2"], **{"references-count": 7}), source="x"),
                     parse_work(fixture_work("10.5555/s2", ["10.5555/b", "10.5555/c"]), source="x"),
                     parse_work(fixture_work("10.5555/s3", []), source="x")])
        s.add_not_found([("10.5555/b", "10.5555/b")], source="crossref", reason="r")
        s.add_not_found([("10.5555/b", "10.5555/b")], source="openalex", reason="r")
        s.add_seeds([Seed(normalize_doi(d), "<argument>") for d in ("10.5555/s1", "10.5555/s2", "10.5555/s3",
                                                                      "10.5555/s4")])
        many = s.seed_coverage()
        # works no seed cites: the counts stay, and the seeds are now a few among many works
        s.add_works([parse_work(fixture_work(f"10.5555/other{i}", ["10.5555/s1", None]), source="x")
                     for i in range(12)])
        few = s.seed_coverage()
    assert many == few
    assert [(c.doi, c.stored, c.references_open, c.with_doi, c.resolved, c.not_found) for c in few] == [
        ("10.5555/s1", True, 6, 4, 1, 1), ("10.5555/s2", True, 2, 2, 0, 1), ("10.5555/s3", True, 0, 0, 0, 0),
        ("10.5555/s4", False, 0, 0, 0, 0)]


def test_run_log(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        rid = s.start_run("fetch", {"depth": 1})
        s.finish_run(rid, status="ok", counts={"fetched": 3})
        (run,) = s.runs()
        assert (run["command"], run["arguments"], run["status"], run["counts"]) == (
            "fetch", {"depth": 1}, "ok", {"fetched": 3})
        assert run["ended_at"] >= run["started_at"]


def test_snapshot_ignores_fetch_times(tmp_path: Path) -> None:
    recs = [parse_work(fixture_work("10.5555/a", ["10.5555/b"]), source="x")]
    with Store(tmp_path / "1.sqlite") as a, Store(tmp_path / "2.sqlite") as b:
        a.add_works(recs, fetched_at="2020-01-01T00:00:00Z")
        b.add_works(recs, fetched_at="2021-01-01T00:00:00Z")
        assert a.snapshot() == b.snapshot()


# -- errors ----------------------------------------------------------------

def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.sqlite"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        Store(p)


def test_readonly_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `citegraph fetch` or `citegraph import` first"):
        Store(tmp_path / "none.sqlite", readonly=True)


def test_readonly_store_refuses_writes(tmp_path: Path) -> None:
    Store(tmp_path / "s.sqlite").close()
    with Store(tmp_path / "s.sqlite", readonly=True) as s, pytest.raises(StoreError, match="read-only"):
        s.add_not_found([("10.1/a", "10.1/a")], source="x", reason="r")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError):
            Store(locked / "s.sqlite")
    finally:
        locked.chmod(0o700)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "s.sqlite"
    Store(p).close()
    con = sqlite3.connect(p)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(StoreError, match=r"schema version 99, but this citegraph .* knows versions up to 4"):
        Store(p)


def test_forward_migration_runs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "s.sqlite"
    with Store(p) as s:
        s.add_works([parse_work(fixture_work("10.5555/a", []), source="x")])
    nxt = SCHEMA_VERSION + 1
    step = "ALTER TABLE works ADD COLUMN language TEXT; CREATE INDEX works_year ON works(year)"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, step))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", nxt)
    with Store(p) as s:
        assert s.schema_version == nxt
        assert s.counts()["works"] == 1
        cols = [r[1] for r in s.execute("PRAGMA table_info(works)")]
        assert "language" in cols
    with Store(p) as s:  # already migrated: nothing to do
        assert s.schema_version == nxt


def test_writer_lock_refuses_a_second_process(tmp_path: Path) -> None:
    p = tmp_path / "s.sqlite"
    Store(p).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from citegraph.store import Store
            with Store({str(p)!r}) as s, s.writer_lock():
                print("locked", flush=True)
                time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        in_use = rf"in use by another citegraph process \(pid {holder.pid}\)"
        with Store(p) as s, pytest.raises(StoreError, match=in_use):
            with s.writer_lock():
                pass
    finally:
        holder.kill()
        holder.wait()
    with Store(p) as s, s.writer_lock():  # released by the holder's death
        pass


_WRITER = """
import sys
from citegraph.store.records import parse_work
from citegraph.store import Store
path, start = sys.argv[1], int(sys.argv[2])
with Store(path) as s:
    print("ready", flush=True)
    for b in range(start, start + 10_000):
        works = [parse_work({"DOI": f"10.5555/b{b}-w{i}", "title": ["fixture"],
                             "reference": [{"key": str(j), "DOI": f"10.5555/r{j}"} for j in range(40)]},
                            source="fixture") for i in range(25)]
        s.add_resolution(works, [(f"10.5555/missing-{b}", f"10.5555/missing-{b}")], source="crossref", reason="r")
"""


@pytest.mark.slow
def test_store_survives_sigkill_mid_write(tmp_path: Path) -> None:
    """Kill a writer at random moments: no half batch, integrity ok, writes resume."""
    path = tmp_path / "s.sqlite"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    rng = random.Random(7)
    start = 0
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(start)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with Store(path) as s:
            assert s.integrity_check() == "ok"
            works = s.counts()["works"]
            batches = s.execute("SELECT COUNT(*) FROM not_found").fetchone()[0]
            # every batch is whole: its 25 works, their 40 references each, and its not-found row
            assert works == 25 * batches
            assert s.counts()["references"] == 40 * works
            start = 10_000 * (round_ + 1)
    assert batches > 0


def test_store_below_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder for store"):
        Store(tmp_path / "afile" / "s.sqlite")


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    """Connections opening a new store at the same moment all succeed; the schema is made once.

    Repeated on 25 new stores: SQLite refused about 1 in 12 such races at once ("database is locked" while
    switching to WAL, without waiting out the busy timeout) before the switch was retried."""
    import threading

    for attempt in range(25):
        path = tmp_path / f"s{attempt}.sqlite"
        barrier = threading.Barrier(6)
        errors: list[BaseException] = []

        def open_store(barrier: threading.Barrier, path: Path, errors: list[BaseException]) -> None:
            barrier.wait()
            try:
                Store(path).close()
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=open_store, args=(barrier, path, errors)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], attempt
        with Store(path) as s:
            assert s.schema_version == SCHEMA_VERSION and s.integrity_check() == "ok"


def test_version_1_store_migrates_to_the_current_schema_keeping_its_data(tmp_path: Path) -> None:
    p = tmp_path / "s.sqlite"
    con = sqlite3.connect(p)  # a version-1 store as citegraph 0.1 wrote it
    con.executescript(store_module.MIGRATIONS[0])
    con.execute("INSERT INTO works (doi, doi_original, source, fetched_at, raw_json) "
                "VALUES ('10.5555/a', '10.5555/A', 'x', 't', '{}')")
    con.execute("INSERT INTO refs (citing, position, cited) VALUES ('10.5555/a', 1, '10.5555/b')")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Store(p) as s:
        assert s.schema_version == 4
        assert [r.cited for r in s.references("10.5555/a")] == ["10.5555/b"]
        assert s.counts()["opencitations_edges"] == 0
        assert s.work("10.5555/a")["volume"] is None
        assert [(e.citing, e.cited, e.sources) for e in s.citation_edges()] == [("10.5555/a", "10.5555/b",
                                                                                  ("crossref",))]
        assert s.import_summary()["records"] == 0


def test_citation_edges_merge_provenance_and_aliases(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        rec = fixture_work("10.5555/a", ["10.5555/b", None, "10.5555/c"])
        rec["reference"][0]["doi-asserted-by"] = "publisher"
        s.add_works([parse_work(rec, source="x"), parse_work(fixture_work("10.5555/z", []), source="x")])
        # OpenCitations sees a->b again and z->a
        assert s.add_forward_citations("10.5555/b", [citation("10.5555/A", "10.5555/b")], source="opencitations") == 1
        assert s.add_forward_citations("10.5555/a", [citation("10.5555/z", "10.5555/a")], source="opencitations") == 1
        assert s.forward_checked(["10.5555/a", "10.5555/b", "10.5555/c"], source="opencitations") == {
            "10.5555/a", "10.5555/b"}
        # the reference without DOI is matched to d above the threshold
        assert [r.position for r in s.unmatched_references()] == [2]
        assert s.add_ref_matches([("10.5555/a", 2, "10.5555/d", 80.0, "ref 1")], threshold=50) == 1
        assert s.unmatched_references() == []
        edges = {(e.citing, e.cited): (e.sources, e.asserted_by) for e in s.citation_edges()}
        assert edges == {
            ("10.5555/a", "10.5555/b"): (("crossref", "opencitations"), ("publisher",)),
            ("10.5555/a", "10.5555/c"): (("crossref",), ()),
            ("10.5555/a", "10.5555/d"): (("crossref-match",), ()),
            ("10.5555/z", "10.5555/a"): (("opencitations",), ()),
        }
        assert s.citing(["10.5555/a", "10.5555/b"]) == {"10.5555/a": 1, "10.5555/z": 1}
        # c is a duplicate of b: edges to c now point to b and merge with a->b
        s.add_merges([("10.5555/c", "10.5555/b", "same title")])
        merged = {(e.citing, e.cited): e.sources for e in s.citation_edges()}
        assert merged[("10.5555/a", "10.5555/b")] == ("crossref", "opencitations")
        assert ("10.5555/a", "10.5555/c") not in merged
        assert s.merges() == {"10.5555/c": "10.5555/b"}


def test_match_below_threshold_is_stored_but_not_an_edge(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        s.add_works([parse_work(fixture_work("10.5555/a", [None]), source="x")])
        assert s.add_ref_matches([("10.5555/a", 1, "10.5555/d", 10.0, "q")], threshold=50) == 0
        assert s.citation_edges() == [] and s.unmatched_references() == []
        assert tuple(s.execute("SELECT matched, score FROM ref_matches").fetchone()) == (None, 10.0)


def test_merge_chains_resolve_to_the_final_canonical(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        s.add_merges([("10.5555/a", "10.5555/b", "r"), ("10.5555/b", "10.5555/c", "r")])
        assert s.merges() == {"10.5555/a": "10.5555/c", "10.5555/b": "10.5555/c"}


def test_a_read_command_brings_an_older_store_forward_once(tmp_path: Path) -> None:
    p = tmp_path / "s.sqlite"
    con = sqlite3.connect(p)  # a version-2 store, as the citegraph before `import` wrote it
    for script in store_module.MIGRATIONS[:2]:
        con.executescript(script)
    con.execute("INSERT INTO works (doi, doi_original, source, fetched_at, raw_json) "
                "VALUES ('10.5555/a', '10.5555/A', 'x', 't', '{}')")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    with Store(p, readonly=True) as s:  # status, analyse, plot, report open it read-only
        assert s.schema_version == 4 and s.readonly
        assert s.counts()["works"] == 1 and s.import_summary()["records"] == 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s.execute("DELETE FROM works")


def test_a_version_3_store_gets_the_notices_of_its_crossref_records_when_migrated(tmp_path: Path) -> None:
    import json

    p = tmp_path / "s.sqlite"
    con = sqlite3.connect(p)  # a version-3 store, as the citegraph before notices wrote it
    for script in store_module.MIGRATIONS[:3]:
        con.executescript(script)
    record = {"DOI": "10.5555/a", "updated-by": [  # hand-made unit fixture, shaped like Crossref's entries
        {"DOI": "10.5555/n", "type": "retraction", "label": "Retraction", "source": "retraction-watch",
         "updated": {"date-parts": [[2024, 3, 5]], "date-time": "2024-03-05T00:00:00Z"}}]}
    con.execute("INSERT INTO works (doi, doi_original, source, fetched_at, raw_json) VALUES (?, ?, ?, ?, ?)",
                ("10.5555/a", "10.5555/a", "crossref", "t", json.dumps(record)))
    con.execute("INSERT INTO works (doi, doi_original, source, fetched_at, raw_json) VALUES (?, ?, ?, ?, ?)",
                ("10.5555/b", "10.5555/b", "crossref", "t", "{not json"))  # a damaged record is passed over
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    with Store(p) as s:
        assert s.schema_version == 4
        assert s.retracted() == {"10.5555/a"}
        (notice,) = s.notices()["10.5555/a"]
        assert (notice.source, notice.notice_doi, notice.date, notice.reported_by) == (
            "retraction-watch", "10.5555/n", "2024-03-05", "crossref")
