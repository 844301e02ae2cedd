"""Shared fixtures: the recorded data in ``../shared/`` and the replay server over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:  # the repository root on sys.path (python -m pytest, or tests/ made a package)
    from tests.replay import ReplayServer
except ImportError:  # plain `pytest`: pytest puts tests/ itself on sys.path
    from replay import ReplayServer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared``: the recorded Crossref and OpenCitations data."""
    path = REPO.parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared/ not found beside the repo: recorded Crossref data needed")
    return path


@pytest.fixture
def make_replay_server(shared_dir: Path) -> Iterator[Callable[..., ReplayServer]]:
    """Factory: ``make_replay_server(**options)`` starts a ReplayServer; all are stopped after the test."""
    servers: list[ReplayServer] = []

    def make(**options: Any) -> ReplayServer:
        server = ReplayServer(shared_dir, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def replay_server(make_replay_server: Callable[..., ReplayServer]) -> ReplayServer:
    """A running ReplayServer with default options (limits of the live pools enforced)."""
    return make_replay_server()
