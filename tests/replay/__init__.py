"""citegraph's replay server: Crossref and OpenCitations answered from ``../shared/``.

Use it from tests through the ``replay_server`` / ``make_replay_server`` fixtures
(``tests/conftest.py``), from code as::

    with ReplayServer(latency=0.05) as server:
        Crossref(base_url=server.url, mailto="a@b.org").works(ids="10.1371/journal.pone.0033693")

or standalone with ``python -m tests.replay --port 8000 --shared ../shared``.
:class:`OpenAlexReplay` (``tests/replay/openalex.py``) replays the OpenAlex works API on its own port
(``python -m tests.replay.openalex --port 8001``).
"""

from .openalex import OpenAlexCorpus, OpenAlexReplay, load_openalex_corpus
from .server import FAULT_KINDS, POOLS, Corpus, ReplayServer, default_shared_dir, load_corpus

__all__ = [
    "FAULT_KINDS",
    "POOLS",
    "Corpus",
    "OpenAlexCorpus",
    "OpenAlexReplay",
    "ReplayServer",
    "default_shared_dir",
    "load_corpus",
    "load_openalex_corpus",
]
