"""Two ``citegraph fetch`` processes on one store: the second stops at once with a clear message (exit 4), the
first finishes, the store is intact with no duplicate rows, and readers (``citegraph status``) keep working while
it is written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from reliability_helpers import assert_one_line_error, cli_command, server_env

from citegraph.store import Store

UNIQUE_KEYS = {  # table -> the columns that identify a row
    "works": "doi", "refs": "citing, position", "not_found": "doi, source", "seeds": "doi",
    "oc_citations": "citing, cited, source", "forward_checks": "doi, source",
}


def duplicate_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        out = {}
        for table, key in UNIQUE_KEYS.items():
            total = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            distinct = conn.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT {key} FROM {table})").fetchone()[0]
            out[table] = total - distinct
        return out


@pytest.mark.slow
def test_a_second_fetch_on_the_same_store_stops_with_a_clear_message(make_replay_server, run_citegraph,
                                                                      tmp_path: Path, seed_file: Path) -> None:
    reference = tmp_path / "reference.sqlite"
    quick = server_env(make_replay_server(), max_url_length="1000")
    assert run_citegraph("--store", str(reference), "-q", "fetch", str(seed_file), env=quick).returncode == 0
    # slow answers keep the first fetch busy (~8 s) while the second one and a reader are tried
    server = make_replay_server(latency=0.6)
    env = server_env(server, max_url_length="1000")

    store = tmp_path / "shared.sqlite"
    first = subprocess.Popen(cli_command("--store", str(store), "-q", "fetch", str(seed_file)), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = store.with_name(store.name + ".lock")
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert time.monotonic() < deadline, "the first fetch never took the store"
            time.sleep(0.05)
        second = run_citegraph("--store", str(store), "fetch", str(seed_file), env=env)
        assert_one_line_error(second, 4, "is in use by another citegraph process", f"pid {first.pid}",
                              "wait for it to finish, or use another --store")
        # a reader is not blocked by the writer
        status = run_citegraph("--store", str(store), "status", "--json", env=env)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["counts"]["seeds"] == 14
        assert first.poll() is None, "the first fetch ended before the second one was tried"
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    with Store(store, readonly=True) as a, Store(reference, readonly=True) as b:
        assert a.integrity_check() == "ok"
        assert a.snapshot() == b.snapshot()
    assert duplicate_rows(store) == dict.fromkeys(UNIQUE_KEYS, 0)
    # and once the first is done, the store is free again: a rerun has nothing left to ask
    server.reset_stats()
    again = run_citegraph("--store", str(store), "-q", "fetch", str(seed_file), env=env)
    assert again.returncode == 0 and server.stats["requests"] == 0
