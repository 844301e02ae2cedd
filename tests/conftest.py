"""Shared fixtures: the recorded data in ``../shared/`` and the replay server over it."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:  # the repository root on sys.path (python -m pytest, or tests/ made a package)
    from tests.replay import ReplayServer
except ImportError:  # plain `pytest`: pytest puts tests/ itself on sys.path
    from replay import ReplayServer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _citegraph_logging_restored() -> Iterator[None]:
    """Undo what a command run in-process does to the ``citegraph`` loggers (its own handler, a level, no
    propagation), so a later test's ``caplog`` sees every record whatever ran before it."""
    yield
    root = logging.getLogger("citegraph")
    root.handlers[:] = []
    root.setLevel(logging.NOTSET)
    root.propagate = True
    logging.getLogger("citegraph.progress").setLevel(logging.NOTSET)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared``: the recorded Crossref and OpenCitations data."""
    path = REPO.parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared/ not found beside the repo: recorded Crossref data needed")
    return path


@pytest.fixture(scope="session")
def shared_corpus(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding every record of ``../shared/crossref/works-*.jsonl.gz`` (6,587 works), built once.

    Open it with ``Store(shared_corpus, readonly=True)``.
    """
    import gzip
    import json

    from citegraph.store import Store
    from citegraph.store.records import parse_work

    path = tmp_path_factory.mktemp("corpus") / "shared.sqlite"
    with Store(path) as store:
        for name in sorted((shared_dir / "crossref").glob("works-*.jsonl.gz")):
            with gzip.open(name, "rt", encoding="utf-8") as fh:
                store.add_works([parse_work(json.loads(line), source=f"file:{name.name}") for line in fh
                                 if line.strip()])
    return path


@pytest.fixture(scope="session")
def commonmeta_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real store: the 50 records of ``../shared/crossref/works-commonmeta-py.jsonl.gz``.

    500 works in the citation graph (50 resolved, 450 cited only), 450 citation links; built once.
    Open it with ``Store(commonmeta_store, readonly=True)``.
    """
    import gzip
    import json

    from citegraph.store import Store
    from citegraph.store.records import parse_work

    name = shared_dir / "crossref" / "works-commonmeta-py.jsonl.gz"
    path = tmp_path_factory.mktemp("commonmeta") / "commonmeta.sqlite"
    with Store(path) as store, gzip.open(name, "rt", encoding="utf-8") as fh:
        store.add_works([parse_work(json.loads(line), source=f"file:{name.name}") for line in fh if line.strip()])
    return path


@pytest.fixture(scope="session")
def commonmeta_analysis(commonmeta_store: Path) -> Any:
    """``citegraph.analysis.pipeline.analyse`` of :func:`commonmeta_store` with default options (about 1 s), built once.

    Treat it as read-only: it is shared by every test of the session.
    """
    from citegraph.analysis.pipeline import analyse
    from citegraph.store import Store

    with Store(commonmeta_store, readonly=True) as store:
        return analyse(store)


@pytest.fixture(scope="session")
def connected_seeds(shared_dir: Path) -> list[Any]:
    """The 14 shared Crossref records that cite at least one other shared record, as DOIs.

    A depth-1 fetch from them finds records (the cited shared works) and many
    not-found DOIs: a small real snowball.
    """
    import gzip
    import json

    from citegraph.doi import normalize_doi

    recs: dict[str, dict[str, Any]] = {}
    for path in sorted((shared_dir / "crossref").glob("works-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    recs.setdefault(r["DOI"].lower(), r)
    out = []
    for key, r in sorted(recs.items()):
        cited = {x["DOI"].lower() for x in r.get("reference", []) if "DOI" in x} - {key}
        if cited & recs.keys():
            out.append(normalize_doi(r["DOI"]))
    assert len(out) == 14
    return out


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
def make_openalex_replay(shared_dir: Path) -> Iterator[Callable[..., Any]]:
    """Factory: ``make_openalex_replay(**options)`` starts an OpenAlexReplay; all are stopped after the test.

    Skips when ``../shared/openalex/`` (the recorded OpenAlex data) is absent.
    """
    from tests.replay.openalex import OpenAlexReplay

    if not (shared_dir / "openalex").is_dir():
        pytest.skip(f"{shared_dir / 'openalex'} not found beside the repo: the recorded OpenAlex data is needed")
    servers: list[OpenAlexReplay] = []

    def make(**options: Any) -> OpenAlexReplay:
        server = OpenAlexReplay(shared_dir, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def replay_server(make_replay_server: Callable[..., ReplayServer]) -> ReplayServer:
    """A running ReplayServer with default options (limits of the live pools enforced)."""
    return make_replay_server()


#: Debian chromium's flags for the report's browser tests: headless, offline, no background services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian chromium per test module (skips without playwright or chromium)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); the browser tests need it")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the browser tests need it")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
