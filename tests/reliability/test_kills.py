"""A closed laptop costs time, never data: ``citegraph fetch`` killed with SIGKILL at seeded random moments and
restarted each time ends with exactly the store of an uninterrupted run, and SQLite's integrity check passes."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from reliability_helpers import cli_command, server_env

from citegraph.store import Store


def fetch_command(store: Path, seed_file: Path, direction: str) -> list[str]:
    return cli_command("--store", str(store), "-q", "fetch", str(seed_file), "--depth", "1",
                       "--direction", direction)


@pytest.mark.slow
@pytest.mark.parametrize(("direction", "rng_seed"), [("backward", 42), ("both", 7)])
def test_killed_fetch_resumes_to_the_same_store(make_replay_server, tmp_path: Path, seed_file: Path,
                                                direction: str, rng_seed: int) -> None:
    server = make_replay_server(latency=0.3)
    # short URLs make ~30 batch requests, so the kills land mid-fetch
    env = server_env(server, max_url_length="1000")
    reference = tmp_path / "reference.sqlite"
    subprocess.run(fetch_command(reference, seed_file, direction), env=env, check=True, timeout=120)
    full_requests = server.stats["requests"]

    killed = tmp_path / "killed.sqlite"
    rng = random.Random(rng_seed)
    kills = 0
    for _ in range(4):
        asked = server.stats["requests"]
        proc = subprocess.Popen(fetch_command(killed, seed_file, direction), env=env)
        # the random moment counts from this run's first request, not the process start: on a loaded machine the
        # interpreter's start-up alone can outlast the delay, and every kill would land before any request (a
        # fresh-clone CI run under load failed so: the last run then asked for everything again)
        started = time.monotonic()
        while server.stats["requests"] <= asked and proc.poll() is None and time.monotonic() - started < 60:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.4, 2.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        if killed.exists():  # (a kill before the store was created leaves none)
            with Store(killed, readonly=True) as store:
                assert store.integrity_check() == "ok"
    assert kills >= 3
    with Store(killed, readonly=True) as store:
        assert store.counts()["works"] > 0  # the killed runs stored something: the last run has less to ask
    server.reset_stats()
    subprocess.run(fetch_command(killed, seed_file, direction), env=env, check=True, timeout=120)
    with Store(killed, readonly=True) as a, Store(reference, readonly=True) as b:
        assert a.integrity_check() == "ok"
        assert a.snapshot() == b.snapshot()
        assert a.counts()["works"] > 14 and a.counts()["not_found"] > 500
    # the final run only asked for what the killed runs had not stored
    assert server.stats["requests"] < full_requests
    server.reset_stats()
    subprocess.run(fetch_command(killed, seed_file, direction), env=env, check=True, timeout=120)
    assert server.stats["requests"] == 0
