"""One source down does not cost the other's data: the run keeps what it could fetch, says in one line what is
missing (exit 5), and the same command run later, with the source back, fills the gap to the clean store."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import assert_one_line_error, server_env

from citegraph.store import Store

DOWN = {"crossref": "^/works", "opencitations": "^/index/"}


@pytest.mark.parametrize("down", ["opencitations", "crossref"])
def test_one_source_down(make_replay_server, run_citegraph, tmp_path: Path, seed_file: Path, down: str) -> None:
    clean_server = make_replay_server()
    clean = tmp_path / "clean.sqlite"
    args = ("fetch", str(seed_file), "--depth", "1", "--direction", "both")
    result = run_citegraph("--store", str(clean), "-q", *args, env=server_env(clean_server))
    assert result.returncode == 0, result.stderr

    server = make_replay_server(faults={"503": 1.0}, fault_paths=DOWN[down])
    store = tmp_path / "store.sqlite"
    env = server_env(server, retries="1")
    first = run_citegraph("--store", str(store), *args, env=env)
    line = assert_one_line_error(first, 5)
    with Store(store, readonly=True) as s:
        counts = s.counts()
        assert s.integrity_check() == "ok"
    if down == "opencitations":
        assert "citing works of 14 works missing" in line
        assert counts["works"] > 14 and counts["opencitations_edges"] == 0
    else:
        assert "crossref: records of 14 works missing" in line and "server error 503" in line
        assert counts["works"] == 0 and counts["opencitations_edges"] > 0
    server.faults = {}
    second = run_citegraph("--store", str(store), "-q", *args, env=env)
    assert second.returncode == 0, second.stderr
    with Store(store, readonly=True) as a, Store(clean, readonly=True) as b:
        assert a.snapshot() == b.snapshot()
