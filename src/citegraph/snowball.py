"""Snowball from seed DOIs through reference lists, level by level.

Level 0 is the seeds; level ``k + 1`` is every DOI cited by the works of
levels ``0..k`` that is not already in the network. With ``max_works`` a
level keeps only its ``max_works`` candidates most cited by the works of the
earlier levels (ties broken by DOI), so the choice is deterministic and
depends only on data already stored. Seeds are never capped.

Resumability follows from that: every level is recomputed from the store,
works and not-found DOIs already stored cost no request, and each request's
answer is stored in one transaction. A run killed at any moment and started
again therefore ends with exactly the store an uninterrupted run produces.

Examples
--------
>>> import json, tempfile, pathlib
>>> from citegraph.filesource import FileSource
>>> from citegraph.store import Store
>>> from citegraph.doi import normalize_doi
>>> p = pathlib.Path(tempfile.mkdtemp()) / "fixture.jsonl"   # hand-made unit-test records
>>> recs = [{"DOI": "10.1/seed", "reference": [{"key": "a", "DOI": "10.1/b"},
...                                            {"key": "b", "DOI": "10.1/datacite"}]},
...         {"DOI": "10.1/b", "reference": [{"key": "c", "DOI": "10.1/c"}]},
...         {"DOI": "10.1/c"}]
>>> _ = p.write_text("\\n".join(json.dumps(r) for r in recs))
>>> with Store(":memory:") as store:
...     report = snowball(store, FileSource(p), [normalize_doi("10.1/seed")], depth=1)
...     sorted(store.stored_keys(["10.1/seed", "10.1/b", "10.1/c"]))
['10.1/b', '10.1/seed']
>>> [(lv.level, lv.candidates, lv.fetched, lv.not_found) for lv in report.levels]
[(0, 1, 1, 0), (1, 2, 1, 1)]
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from tqdm import tqdm

from citegraph.crossref import Resolution
from citegraph.doi import DOI
from citegraph.errors import RecordError, UsageError
from citegraph.records import ParsedWork, parse_work
from citegraph.store import Store

__all__ = ["Source", "LevelReport", "FetchReport", "snowball", "plan_level"]

log = logging.getLogger(__name__)


class Source(Protocol):
    """What :func:`snowball` needs of a source (API or local file)."""

    name: str

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]: ...


@dataclass
class LevelReport:
    """What one snowball level did.

    ``candidates``: works at this level; ``capped``: candidates dropped by
    ``max_works``; ``already_stored``/``known_missing``: candidates that cost
    nothing; ``asked``: DOIs sent to the source; ``fetched``/``not_found``:
    its answers; ``bad_records``: records that could not be parsed.
    """

    level: int
    candidates: int = 0
    capped: int = 0
    already_stored: int = 0
    known_missing: int = 0
    asked: int = 0
    fetched: int = 0
    not_found: int = 0
    bad_records: int = 0
    requests: int = 0


@dataclass
class FetchReport:
    """Everything a :func:`snowball` run did, level by level."""

    source: str
    depth: int
    max_works: int | None
    levels: list[LevelReport] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Requests made (0 for local files and warm re-runs)."""
        return sum(lv.requests for lv in self.levels)

    @property
    def fetched(self) -> int:
        """Works newly stored."""
        return sum(lv.fetched for lv in self.levels)

    @property
    def not_found(self) -> int:
        """DOIs newly recorded as not found."""
        return sum(lv.not_found for lv in self.levels)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for the run log)."""
        return {
            "source": self.source,
            "depth": self.depth,
            "max_works": self.max_works,
            "requests": self.requests,
            "fetched": self.fetched,
            "not_found": self.not_found,
            "levels": [asdict(lv) for lv in self.levels],
        }


def plan_level(
    store: Store, network: Sequence[str], previous: Sequence[str], *, max_works: int | None
) -> tuple[list[tuple[str, str]], int]:
    """The candidates of the next level, most cited first.

    Parameters
    ----------
    store : Store
    network : sequence of str
        DOI keys already in the network (all earlier levels).
    previous : sequence of str
        DOI keys of the works whose references make the next level (all
        stored works of the earlier levels).
    max_works : int or None
        Keep at most this many candidates.

    Returns
    -------
    (candidates, capped)
        ``candidates`` as ``(key, original spelling)`` pairs, ordered by how
        many works of ``previous`` cite them (descending), then DOI key;
        ``capped`` is how many were dropped by ``max_works``.
    """
    in_network = set(network)
    counts = store.cited_by(previous)
    ranked = sorted((k for k in counts if k not in in_network), key=lambda k: (-counts[k], k))
    capped = 0
    if max_works is not None and len(ranked) > max_works:
        capped = len(ranked) - max_works
        ranked = ranked[:max_works]
    originals = _originals(store, ranked)
    return [(k, originals.get(k, k)) for k in ranked], capped


def _originals(store: Store, keys: Sequence[str]) -> dict[str, str]:
    """The cited DOIs' spelling as deposited (first reference wins, by citing DOI)."""
    out: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        chunk = list(keys[i : i + 500])
        marks = ",".join("?" * len(chunk))
        rows = store.execute(
            f"""SELECT cited, cited_original FROM refs WHERE cited IN ({marks})
                ORDER BY citing, position""",
            chunk,
        )
        for cited, original in rows:
            out.setdefault(cited, original or cited)
    return out


def _store(store: Store, source: Source, resolution: Resolution, report: LevelReport) -> None:
    parsed: list[ParsedWork] = []
    for record in resolution.records:
        try:
            parsed.append(parse_work(record, source=source.name))
        except RecordError as exc:
            report.bad_records += 1
            log.warning("%s: a record was skipped: %s", source.name, exc)
    reason = (
        "absent from Crossref's answer to a DOI filter or /works/{doi} (not a Crossref DOI?)"
        if source.name == "crossref"
        else f"not in {source.name[len('file:'):]}"
    )
    fetched, missing = store.add_resolution(
        parsed, [(d.key, d.original) for d in resolution.missing], source=source.name, reason=reason
    )
    report.fetched += fetched
    report.not_found += missing
    report.requests += resolution.requests


def snowball(
    store: Store,
    source: Source,
    seeds: Sequence[DOI],
    *,
    depth: int = 1,
    max_works: int | None = None,
    retry_not_found: bool = False,
    progress: bool = False,
) -> FetchReport:
    """Fetch the seeds and, level by level, the works they cite.

    Parameters
    ----------
    store : Store
        Where works and not-found DOIs are written (and read, to resume).
    source : Source
        A :class:`~citegraph.crossref.CrossrefSource` or
        :class:`~citegraph.filesource.FileSource`.
    seeds : sequence of DOI
        Level 0. They should already be in the store's seed table.
    depth : int
        0 fetches the seeds only; 1 also the works they cite; and so on.
    max_works : int, optional
        Cap on each level after the seeds (most cited first).
    retry_not_found : bool
        Ask again for DOIs this source did not know before.
    progress : bool
        Show a progress bar per level (on a terminal).

    Returns
    -------
    FetchReport

    Raises
    ------
    UsageError
        ``depth`` or ``max_works`` out of range.
    SourceError
        The source kept failing; what was fetched before is stored.
    """
    if depth < 0:
        raise UsageError(f"depth {depth} is negative: use 0 (seeds only), 1, 2, ...")
    if max_works is not None and max_works < 1:
        raise UsageError(f"max_works {max_works} must be at least 1 (or unset for no cap)")
    report = FetchReport(source=source.name, depth=depth, max_works=max_works)
    network: list[str] = []
    network_set: set[str] = set()
    level_candidates = list({d.key: (d.key, d.original) for d in seeds}.values())
    capped = 0
    for level in range(depth + 1):
        if level > 0:
            stored_network = sorted(store.stored_keys(network))
            level_candidates, capped = plan_level(store, network, stored_network, max_works=max_works)
        lv = LevelReport(level=level, candidates=len(level_candidates), capped=capped)
        report.levels.append(lv)
        keys = [k for k, _ in level_candidates]
        stored = store.stored_keys(keys)
        missing_known = set() if retry_not_found else store.not_found_keys(keys, source=source.name)
        lv.already_stored = len(stored)
        lv.known_missing = len(missing_known - stored)
        ask = [DOI(k, o) for k, o in level_candidates if k not in stored and k not in missing_known]
        lv.asked = len(ask)
        log.info(
            "level %d: %d works (%d stored, %d known missing, %d to ask %s%s)",
            level, lv.candidates, lv.already_stored, lv.known_missing, lv.asked, source.name,
            f"; {capped} more dropped by --max-works" if capped else "",
        )
        if ask:
            bar = tqdm(
                total=len(ask), desc=f"level {level}", unit="DOI",
                disable=not (progress and sys.stderr.isatty()), leave=False,
            )
            try:
                for resolution in source.resolve(ask):
                    _store(store, source, resolution, lv)
                    bar.update(len(resolution.records) + len(resolution.missing))
            finally:
                bar.close()
        network.extend(k for k in keys if k not in network_set)
        network_set.update(keys)
        if level < depth and not lv.candidates:
            log.info("level %d is empty: nothing further to snowball", level)
    return report
