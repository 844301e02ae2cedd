"""Issue 19, the store's part of "Reliability, round two": bad records, absurd years, read-only folders,
damaged and foreign SQLite files, killed runs and usage errors.

Every record here is HAND-MADE (Crossref-shaped, DOIs under the test prefix 10.5555); none is Crossref data.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import assert_one_line_error, cli_command

from citegraph.errors import EXIT_STORE, EXIT_USAGE, StoreError
from citegraph.store import Store
from citegraph.store.records import parse_work

# -- helpers ----------------------------------------------------------------------------------------------


def work(doi: str, year: int = 2010, cites: tuple[str, ...] = (), **more: Any) -> dict[str, Any]:
    """A HAND-MADE Crossref-shaped record."""
    return {"DOI": doi, "title": [f"Work {doi}"], "type": "journal-article",
            "author": [{"family": f"Author{doi[-1]}", "sequence": "first"}],
            "issued": {"date-parts": [[year]]}, "is-referenced-by-count": 3, "references-count": len(cites),
            "reference": [{"key": f"r{i}", "DOI": d, "year": str(year - 1)} for i, d in enumerate(cites, 1)],
            **more}


def good_records(n: int = 6) -> list[dict[str, Any]]:
    """``n`` sane works from 2001 on, each citing the ones before it."""
    dois = [f"10.5555/good-{i}" for i in range(n)]
    return [work(d, 2001 + i, tuple(dois[:i])) for i, d in enumerate(dois)]


def make_store(path: Path, records: list[dict[str, Any]]) -> Path:
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in records])
    return path


def clean_env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEGRAPH_")}
    env.update(more)
    return env


# -- case 2: one bad record does not stop a fetch -----------------------------------------------------------

BAD = {
    "10.5555/count-1e20": {"is-referenced-by-count": 10**20},
    "10.5555/year-1e19": {"issued": {"date-parts": [[10**19]]}},
    "10.5555/count-superscript": {"references-count": "²"},
    "10.5555/count-negative": {"is-referenced-by-count": -4},
}


def bad_records() -> list[dict[str, Any]]:
    records = good_records(3)
    for doi, fields in BAD.items():
        records.append({**work(doi, 2015, ("10.5555/good-0",)), **fields})
    # an absurd reference year (int, not text) in an otherwise sane work
    records.append(work("10.5555/ref-year", 2016, ("10.5555/good-1", "10.5555/good-2")))
    records[-1]["reference"][0]["year"] = 10**19
    return records


def test_one_bad_record_is_cleaned_named_and_the_whole_batch_stored(run_citegraph, tmp_path: Path) -> None:
    records = bad_records()
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    store = tmp_path / "s.sqlite"
    dois = [r["DOI"] for r in records]
    args = ("--store", str(store), "fetch", *dois, "--from", str(source), "--depth", "0")
    first = run_citegraph(*args, env=clean_env())
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    # each cleaned record is named in a warning, with the field it lost
    for doi, field in [("10.5555/count-1e20", "is-referenced-by-count"), ("10.5555/year-1e19", "year"),
                       ("10.5555/count-superscript", "references-count"),
                       ("10.5555/count-negative", "is-referenced-by-count"), ("10.5555/ref-year", "reference 1")]:
        assert any(doi in line and field in line for line in first.stderr.splitlines()), (doi, first.stderr)
    with Store(store, readonly=True) as s:
        assert s.stored_keys(dois) == set(dois)  # nothing of the batch lost
        row = {d: s.work(d) for d in dois}
        refs = s.references("10.5555/ref-year")
    assert row["10.5555/count-1e20"]["is_referenced_by_count"] is None
    assert row["10.5555/count-negative"]["is_referenced_by_count"] is None
    assert row["10.5555/count-superscript"]["references_count"] is None
    assert row["10.5555/count-superscript"]["is_referenced_by_count"] == 3  # only the absurd field dropped
    assert row["10.5555/year-1e19"]["year"] is None
    assert row["10.5555/year-1e19"]["references_count"] == 1
    assert [r.year for r in refs] == [None, 2015]
    assert [r.cited for r in refs] == ["10.5555/good-1", "10.5555/good-2"]
    # the record as received is kept verbatim
    assert json.loads(row["10.5555/count-1e20"]["raw_json"])["is-referenced-by-count"] == 10**20
    again = run_citegraph(*args, env=clean_env())  # a rerun neither crashes nor asks again
    assert again.returncode == 0, again.stderr


def test_parse_work_cleans_each_absurd_field_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="citegraph")
    parsed = [parse_work(r, source="hand-made") for r in bad_records()]
    by_doi = {p.work.doi: p.work for p in parsed}
    assert by_doi["10.5555/count-1e20"].is_referenced_by_count is None
    assert by_doi["10.5555/year-1e19"].year is None
    assert by_doi["10.5555/count-superscript"].references_count is None
    assert by_doi["10.5555/good-2"].year == 2003 and by_doi["10.5555/good-2"].is_referenced_by_count == 3
    named = {doi for doi in by_doi if any(doi in r.getMessage() for r in caplog.records)}
    assert named == set(BAD) | {"10.5555/ref-year"}
    # a later plausible date field is used when the first one is absurd
    rec = work("10.5555/two-dates", 2012)
    rec["issued"] = {"date-parts": [[4_000_000_000]]}
    rec["published-print"] = {"date-parts": [[2012, 3]]}
    assert parse_work(rec, source="hand-made").work.year == 2012


def test_the_store_refuses_nothing_of_a_batch_built_without_parse_work(caplog: pytest.LogCaptureFixture) -> None:
    """An importer building rows itself: an out-of-range integer is dropped at the store, not a crash."""
    from dataclasses import replace

    good, bad = (parse_work(r, source="hand-made") for r in good_records(2))
    bad = replace(bad, work=replace(bad.work, year=4 * 10**9, references_count=10**20),
                  references=tuple(replace(r, year=-(10**19)) for r in bad.references))
    with Store(":memory:") as s:
        assert s.add_works([good, bad]) == 2
        assert s.work(bad.work.doi)["year"] is None and s.work(bad.work.doi)["references_count"] is None
        assert [r.year for r in s.references(bad.work.doi)] == [None]
    assert any(bad.work.doi in r.getMessage() for r in caplog.records)


# -- case 3: absurd years already in a store do not break the analysis -----------------------------------------


def absurd_store(path: Path) -> Path:
    """A store as an older citegraph or another importer may have left it: absurd years in works and refs."""
    make_store(path, good_records(6))
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE works SET year = 4000000000 WHERE doi = '10.5555/good-5'")
        con.execute("UPDATE refs SET year = 1 WHERE citing = '10.5555/good-4' AND position = 1")
        con.execute("UPDATE refs SET year = 2000000000 WHERE citing = '10.5555/good-4' AND position = 2")
    con.close()
    return path


def _limit_memory() -> None:  # in the child: 3 GiB of address space, so an absurd range fails fast
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_absurd_years_in_a_store_are_ignored_by_the_analysis(tmp_path: Path) -> None:
    store = absurd_store(tmp_path / "absurd.sqlite")
    out = tmp_path / "out"
    result = subprocess.run(cli_command("--store", str(store), "analyse", "--out", str(out), "--top", "0"),
                            env=clean_env(MPLBACKEND="Agg"), capture_output=True, text=True, timeout=90,
                            preexec_fn=_limit_memory)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "outside the plausible" in result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rpys_years = [int(line.split(",")[0]) for line in (out / "rpys.csv").read_text().splitlines()[1:]]
    assert rpys_years and min(rpys_years) >= 1000 and max(rpys_years) <= 2100
    assert all(1000 <= year <= 2100 for year, _ in summary["publications_per_year"])


def test_the_year_ranges_of_the_analysis_ignore_absurd_years(caplog: pytest.LogCaptureFixture) -> None:
    import networkx as nx

    from citegraph.analysis.bursts import citation_bursts
    from citegraph.analysis.indicators import indicators, publications_per_year
    from citegraph.analysis.rpys import rpys

    caplog.set_level("WARNING", logger="citegraph")
    rows = rpys([1, 2000, 2001, 2001, 2_000_000_000], window=3)
    assert [r.year for r in rows] == [2000, 2001]
    G = nx.DiGraph()
    for year in range(2010, 2016):
        for i in range(5):
            G.add_node(f"p{year}-{i}", year=year, resolved=True)
            G.add_edge(f"p{year}-{i}", "t" if i < (4 if year in (2012, 2013) else 1) else f"x{year}-{i}")
    G.add_node("absurd", year=4_000_000_000, resolved=True)
    G.add_edge("absurd", "t")
    bursts = citation_bursts(G)
    assert [(b.doi, b.start, b.end) for b in bursts] == [("t", 2012, 2013)]
    assert (2010, 5) in publications_per_year(G) and all(y < 2100 for y, _ in publications_per_year(G))
    assert indicators(G, [{"year": 1999}, {"year": 4_000_000_000}, {"year": 0}])["years"] == (1999, 1999)
    assert sum("outside the plausible" in r.getMessage() for r in caplog.records) >= 4


# -- case 10: a store in a read-only folder can be read ------------------------------------------------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="citegraph-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(path)


def test_a_store_in_a_read_only_folder_can_be_read(shared_tmp: Path) -> None:
    folder = shared_tmp / "ro"
    folder.mkdir()
    store = make_store(folder / "s.sqlite", good_records(4))
    home = shared_tmp / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    folder.chmod(0o555)
    store.chmod(0o444)
    before = sorted(p.name for p in folder.iterdir())
    # root writes anywhere: read as `nobody` then, for whom the folder is read-only
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: the folder cannot be made read-only")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = clean_env(HOME=str(home), MPLCONFIGDIR=str(home))
    if prefix:
        # `nobody` must reach this checkout and its venv: a clone inside a private folder (mktemp's 0700) hides
        # them, and Python then starts without the venv
        probe = subprocess.run([*prefix, sys.executable, "-c", "import citegraph.cli"], env=env,
                               capture_output=True, text=True, timeout=120, cwd=home)
        if probe.returncode != 0:
            pytest.skip("the unprivileged user cannot import citegraph from this checkout (a parent folder is "
                        f"private to root): {probe.stderr.strip().splitlines()[-1]}")
    result = subprocess.run([*prefix, *cli_command("--store", str(store), "status", "--json")], env=env,
                            capture_output=True, text=True, timeout=120, cwd=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["works"] == 4
    graph = subprocess.run([*prefix, *cli_command("--store", str(store), "graph", "--json")], env=env,
                           capture_output=True, text=True, timeout=120, cwd=home)
    assert graph.returncode == 0, graph.stderr
    assert json.loads(graph.stdout)["edges"] == 6
    out = home / "out"
    analysed = subprocess.run([*prefix, *cli_command("--store", str(store), "-q", "analyse", "--out", str(out))],
                              env=env, capture_output=True, text=True, timeout=120, cwd=home)
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["citation_graph"]["edges"] == 6
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written beside it


# -- case 11: a damaged store is exit 4, a foreign SQLite file is refused untouched ---------------------------


def test_a_store_with_a_corrupted_page_is_exit_4(run_citegraph, tmp_path: Path) -> None:
    store = make_store(tmp_path / "s.sqlite", good_records(4) + [work(f"10.5555/bulk-{i}", 2005,
                                                                          abstract="x" * 2000)
                                                                     for i in range(200)])
    con = sqlite3.connect(store)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    # the root page of the works' DOI index, which counting and listing the works read
    (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_works_1'").fetchone()
    con.close()
    with store.open("r+b") as fh:  # overwrite that one page with garbage
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * page_size)
    for command in (["status"], ["analyse", "--out", str(tmp_path / "out")], ["export", "--format", "csv",
                                                                              "-o", str(tmp_path / "x.csv")]):
        result = run_citegraph("--store", str(store), *command)
        assert_one_line_error(result, EXIT_STORE, str(store), "malformed")


def foreign_database(path: Path) -> bytes:
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.executemany("INSERT INTO notes (body) VALUES (?)", [(f"note {i}",) for i in range(50)])
    con.close()
    return path.read_bytes()


@pytest.mark.parametrize("command", [["fetch", "10.5555/good-0", "--depth", "0"], ["status"],
                                     ["duplicates", "--merge"]])
def test_another_applications_sqlite_file_is_refused_untouched(run_citegraph, tmp_path: Path,
                                                                command: list[str]) -> None:
    path = tmp_path / "notes.db"
    original = foreign_database(path)
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(work("10.5555/good-0")) + "\n", encoding="utf-8")
    extra = ["--from", str(source)] if command[0] == "fetch" else []
    result = run_citegraph("--store", str(path), *command, *extra)
    assert_one_line_error(result, EXIT_STORE, str(path), "not a citegraph store")
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db", "records.jsonl"]
    with pytest.raises(StoreError, match="not a citegraph store"):
        Store(path)
    assert path.read_bytes() == original


def test_an_empty_file_and_an_old_store_still_open(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with Store(empty) as s:
        assert s.counts()["works"] == 0
    old = tmp_path / "old.sqlite"  # a version-1 store (before OpenCitations edges): migrated
    con = sqlite3.connect(old)
    from citegraph.store.database import MIGRATIONS

    con.executescript(MIGRATIONS[0] + ";PRAGMA user_version = 1;")
    con.close()
    with Store(old) as s:
        assert s.schema_version == len(MIGRATIONS)


# -- case 16: killed runs are interrupted; usage errors leave nothing behind ---------------------------------

_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from citegraph.store import Store
    with Store(sys.argv[1]) as s, s.writer_lock():
        s.start_run("fetch", {"seeds_given": 1})
        print("running", flush=True)
        time.sleep(60)
""")


def test_a_killed_run_is_shown_and_marked_interrupted(run_citegraph, tmp_path: Path) -> None:
    store = make_store(tmp_path / "s.sqlite", good_records(2))
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "running"
        live = run_citegraph("--store", str(store), "status", "--json")
        assert json.loads(live.stdout)["last_run"]["status"] == "running"  # its process is alive
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    shown = run_citegraph("--store", str(store), "status", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["last_run"]["status"] == "interrupted"
    text = run_citegraph("--store", str(store), "status")
    assert "last run: fetch interrupted" in text.stdout
    # the next writer records it
    with Store(store) as s, s.writer_lock():
        pass
    con = sqlite3.connect(store)
    assert con.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    con.close()


@pytest.mark.parametrize("args", [["fetch", "--depth", "0"], ["fetch", "10.5555/good-0", "--query", " "]],
                         ids=["no-seeds", "empty-query"])
def test_a_usage_error_leaves_no_store_and_no_lock_behind(run_citegraph, tmp_path: Path, args: list[str]) -> None:
    store = tmp_path / "new" / "s.sqlite"
    result = run_citegraph("--store", str(store), *args)
    assert_one_line_error(result, EXIT_USAGE)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_finished_fetch_leaves_no_lock_file(run_citegraph, tmp_path: Path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(work("10.5555/good-0")) + "\n", encoding="utf-8")
    store = tmp_path / "s.sqlite"
    result = run_citegraph("--store", str(store), "fetch", "10.5555/good-0", "--from", str(source), "--depth", "0")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl", "s.sqlite"]
    # and a usage error on an existing store keeps the store (and its data)
    failed = run_citegraph("--store", str(store), "fetch", "--query", " ")
    assert_one_line_error(failed, EXIT_USAGE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl", "s.sqlite"]
    with Store(store, readonly=True) as s:
        assert s.stored_keys(["10.5555/good-0"]) == {"10.5555/good-0"}
