"""The litstudy side of ``bench/peers.py``: litstudy 1.0.6's graph builders, timed, in a fresh process.

litstudy is not a dependency of citegraph and clashes with its test extra (litstudy 1.0.6 imports
``bibtexparser.latexenc``, which bibtexparser 2 no longer has), so it lives in its own venv, e.g.::

    python -m venv .venv-peers && .venv-peers/bin/pip install -r bench/requirements-peers.txt

``bench/peers.py`` runs this file with its own interpreter through ``bench/graphs.py``'s runner (same
timeout, address-space cap and peak-RSS reading); the file then replaces itself (``os.execv``, same
process) by the interpreter named in the spec (``"python"``) when litstudy is not importable here. It needs
only the standard library and litstudy; it never imports citegraph.

Input: a JSON-lines file written by ``bench/peers.py`` from the records citegraph stored, one document per
line: ``{"crossref": {...}}`` (a Crossref work record, read by litstudy's own
``litstudy.sources.crossref.CrossRefDocument``) or ``{"doi": ..., "title": ..., "refs": [DOI, ...]}`` (records
imported from a Web of Science export, which litstudy has no reader for: given to litstudy through its
``Document`` interface). The documents become one ``litstudy.DocumentSet``; loading is not timed. Then each
operation of the spec is timed: ``build_citation_network(docs)``, ``build_cocitation_network(docs,
max_edges=M)``, ``build_coupling_network(docs, max_edges=M)``. With ``"dump"``, the edges are written as
``i<TAB>j<TAB>weight`` lines (document numbers, in input order) for ``bench/peers.py`` to compare.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

ENV_FLAG = "CITEGRAPH_PEERS_EXECED"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def documents(path: str) -> Any:
    """The documents of ``path`` as a ``litstudy.DocumentSet`` (see the module docstring)."""
    import litstudy  # type: ignore[import-not-found,unused-ignore]
    from litstudy.sources.crossref import CrossRefDocument  # type: ignore[import-not-found,unused-ignore]
    from litstudy.types import Document, DocumentIdentifier  # type: ignore[import-not-found,unused-ignore]

    class StoredDocument(Document):  # type: ignore[misc]  # litstudy's Document interface over a stored record
        def __init__(self, record: dict[str, Any]) -> None:
            super().__init__(DocumentIdentifier(record.get("title"), doi=record.get("doi")))
            self._refs = [DocumentIdentifier(None, doi=d) for d in record.get("refs", [])]

        @property
        def title(self) -> Any:
            return self.id.title

        @property
        def authors(self) -> Any:
            return None

        @property
        def references(self) -> Any:
            return self._refs

    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            docs.append(CrossRefDocument(record["crossref"]) if "crossref" in record else StoredDocument(record))
    return litstudy.DocumentSet(docs)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    import importlib.metadata
    from collections.abc import Callable

    import litstudy  # type: ignore[import-not-found,unused-ignore]

    docs = documents(spec["docs"])
    op, max_edges = spec["op"], spec.get("max_edges")
    call: Callable[[], Any]
    if op == "citation":
        call = lambda: litstudy.build_citation_network(docs)
    elif op == "cocitation":
        call = lambda: litstudy.build_cocitation_network(docs, max_edges=max_edges)
    elif op == "coupling":
        call = lambda: litstudy.build_coupling_network(docs, max_edges=max_edges)
    else:
        raise ValueError(f"unknown litstudy operation {op!r}")
    base = _maxrss_mb()
    t0 = time.perf_counter()
    g = call()
    seconds = time.perf_counter() - t0
    peak = _maxrss_mb()
    out: dict[str, Any] = {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": peak,
                           "nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "documents": len(docs),
                           "version": importlib.metadata.version("litstudy")}
    if spec.get("dump"):
        with open(spec["dump"], "w", encoding="utf-8") as fh:
            for u, v, d in g.edges(data=True):
                fh.write(f"{u}\t{v}\t{d.get('weight', 1)}\n")
    return out


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] != "--child":
        sys.exit(f"usage: {sys.argv[0]} --child SPEC_JSON (run by bench/peers.py)")
    spec = json.loads(sys.argv[2])
    try:
        import litstudy  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        python = spec.get("python")
        if python and not os.environ.get(ENV_FLAG):  # become the interpreter that has litstudy (same process)
            os.environ[ENV_FLAG] = "1"
            os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])
        raise
    t0 = time.perf_counter()
    try:
        if "runs" in spec:  # bench/peers.py --smoke: several runs in one process
            print(json.dumps({"results": [run({**one, "python": None}) for one in spec["runs"]]}))
        else:
            print(json.dumps(run(spec)))
    except MemoryError:  # the address-space cap: say how far it got (bench/graphs.py's child protocol)
        print(json.dumps({"memory_error": True, "seconds": time.perf_counter() - t0, "peak_rss_mb": _maxrss_mb()}))
        sys.exit(3)


if __name__ == "__main__":
    main()
