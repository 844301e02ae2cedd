"""Snowball from seed DOIs through reference lists, level by level.

Level 0 is the seeds; level ``k + 1`` is every work linked to the works of
levels ``0..k`` that is not already in the network: the works they cite
(``direction="backward"``, from Crossref reference lists and, with reference
matching, from references matched by bibliographic query), the works citing
them (``"forward"``, from OpenCitations), or both. With ``max_works`` a level
keeps only its ``max_works`` candidates with the most links to the earlier
levels (ties broken by DOI), so the choice is deterministic and depends only
on data already stored. Seeds are never capped.

When OpenCitations fails after its retries, the run goes on backwards, says
which works miss their forward citations (:attr:`FetchReport.degraded`), and
a later run asks only for those.

Resumability follows from that: every level is recomputed from the store,
works and not-found DOIs already stored cost no request, and each request's
answer is stored in one transaction. A run killed at any moment and started
again therefore ends with exactly the store an uninterrupted run produces.

Examples
--------
>>> import json, tempfile, pathlib
>>> from citegraph.sources.localfiles import FileSource
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

from citegraph.doi import DOI, is_doi_key
from citegraph.errors import RecordError, SourceError, UsageError
from citegraph.sources.crossref import Resolution
from citegraph.sources.matching import (
    NOT_SENT,
    REJECTED,
    ReferenceQuery,
    annotate,
    check_hit,
    hit_doi,
    reference_query,
)
from citegraph.store import Store
from citegraph.store.records import ParsedWork, parse_work

__all__ = [
    "DIRECTIONS",
    "CitationSource",
    "FetchReport",
    "LevelReport",
    "Matcher",
    "RecordSource",
    "Source",
    "plan_level",
    "snowball",
]

#: Valid values of ``direction``.
DIRECTIONS = ("backward", "forward", "both")

log = logging.getLogger(__name__)
#: Lines that say what a long step is doing; the CLI shows them at its default verbosity (not under -q).
progress_log = logging.getLogger("citegraph.progress")


class Source(Protocol):
    """What :func:`snowball` needs of a source of records (API or local file)."""

    name: str

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]: ...


class CitationSource(Protocol):
    """What :func:`snowball` needs of a forward-citation source (OpenCitations)."""

    name: str

    def citations_many(self, dois: Iterable[DOI]) -> Iterator[tuple[DOI, list[Any]]]: ...


class RecordSource(Protocol):
    """What :func:`snowball` needs of a further source of records and links (OpenAlex)."""

    name: str

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Any]: ...

    def works_by_id(self, ids: Iterable[str]) -> Iterator[Any]: ...

    def citing(self, ids: Iterable[str]) -> Iterator[Any]: ...


class Matcher(Protocol):
    """What :func:`snowball` needs to match references without DOI."""

    def match_many(self, queries: Sequence[tuple[Any, str]]) -> Iterator[tuple[Any, list[dict[str, Any]], int]]:
        """Yield ``(tag, hits, requests)`` per ``(tag, text)``: the ranked hits and the requests they cost."""
        ...


@dataclass
class LevelReport:
    """What one snowball level did.

    ``candidates``: works at this level; ``capped``: candidates dropped by
    ``max_works``; ``already_stored``/``known_missing``: candidates that cost
    nothing; ``asked``: DOIs sent to the source; ``fetched``/``not_found``:
    its answers; ``bad_records``: records that could not be parsed;
    ``forward_checked``/``forward_citations``/``forward_failed``: works whose
    citing works were asked of OpenCitations, the citations found, and the
    works left unchecked after a failure; ``references_tried``: references
    without DOI sent as a query; ``references_skipped``: those not sent
    because their text cannot identify a work
    (:func:`~citegraph.sources.matching.reference_query`);
    ``references_rejected``: hits refused because they disagree with the
    reference or are the citing work
    (:func:`~citegraph.sources.matching.check_hit`);
    ``references_matched``: hits accepted at or above the threshold;
    ``requests``: every request of the level (records and matching, every
    source), ``match_requests`` those spent on matching;
    ``openalex_asked``/``openalex_fetched``/``openalex_not_found``: works asked
    of OpenAlex by DOI or OpenAlex id and its answers, ``openalex_citing``:
    works OpenAlex found citing the network's works, ``openalex_requests``: the
    requests OpenAlex cost (included in ``requests``).
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
    forward_checked: int = 0
    forward_citations: int = 0
    forward_failed: int = 0
    references_tried: int = 0
    references_matched: int = 0
    references_skipped: int = 0
    references_rejected: int = 0
    match_requests: int = 0
    openalex_asked: int = 0
    openalex_fetched: int = 0
    openalex_not_found: int = 0
    openalex_citing: int = 0
    openalex_requests: int = 0


@dataclass
class FetchReport:
    """Everything a :func:`snowball` run did, level by level."""

    source: str
    depth: int
    max_works: int | None
    direction: str = "backward"
    levels: list[LevelReport] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Requests made for records and for reference matching (0 for local files and warm re-runs)."""
        return sum(lv.requests for lv in self.levels)

    @property
    def openalex_requests(self) -> int:
        """Requests made to OpenAlex (included in :attr:`requests`)."""
        return sum(lv.openalex_requests for lv in self.levels)

    @property
    def match_requests(self) -> int:
        """Requests made for reference matching (included in :attr:`requests`)."""
        return sum(lv.match_requests for lv in self.levels)

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
            "direction": self.direction,
            "requests": self.requests,
            "match_requests": self.match_requests,
            "openalex_requests": self.openalex_requests,
            "fetched": self.fetched,
            "not_found": self.not_found,
            "degraded": list(self.degraded),
            "levels": [asdict(lv) for lv in self.levels],
        }


def plan_level(
    store: Store, network: Sequence[str], previous: Sequence[str], *, max_works: int | None,
    direction: str = "backward",
) -> tuple[list[tuple[str, str]], int]:
    """The candidates of the next level, most linked first.

    Parameters
    ----------
    store : Store
    network : sequence of str
        DOI keys already in the network (all earlier levels).
    previous : sequence of str
        DOI keys of the works whose links make the next level (all stored
        works of the earlier levels).
    max_works : int or None
        Keep at most this many candidates.
    direction : {"backward", "forward", "both"}
        Follow references (cited works), citations (citing works), or both.

    Returns
    -------
    (candidates, capped)
        ``candidates`` as ``(key, original spelling)`` pairs, ordered by how
        many works of ``previous`` they are linked to (descending), then DOI
        key; ``capped`` is how many were dropped by ``max_works``.
    """
    in_network = set(network)
    counts: dict[str, int] = {}
    if direction in ("backward", "both"):
        for key, n in store.cited_by(previous).items():
            counts[key] = counts.get(key, 0) + n
    if direction in ("forward", "both"):
        for key, n in store.citing(previous).items():
            counts[key] = counts.get(key, 0) + n
    ranked = sorted((k for k in counts if k not in in_network), key=lambda k: (-counts[k], k))
    capped = 0
    if max_works is not None and len(ranked) > max_works:
        capped = len(ranked) - max_works
        ranked = ranked[:max_works]
    originals = _originals(store, ranked)
    return [(k, originals.get(k, k)) for k in ranked], capped


def _originals(store: Store, keys: Sequence[str]) -> dict[str, str]:
    """The DOIs' spelling as deposited (first reference wins, by citing DOI; then OpenCitations)."""
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
        rows = store.execute(
            f"SELECT citing, citing_original FROM oc_citations WHERE citing IN ({marks}) ORDER BY cited, source",
            chunk,
        )
        for citing_key, original in rows:
            out.setdefault(citing_key, original or citing_key)
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


def _bar(total: int, desc: str, progress: bool) -> Any:
    return tqdm(total=total, desc=desc, unit="DOI", disable=not (progress and sys.stderr.isatty()), leave=False)


def _check_forward(store: Store, citations: CitationSource, network: Sequence[str], lv: LevelReport,
                   report: FetchReport, progress: bool, *, also: Sequence[str] = (),
                   retry_empty: bool = False) -> None:
    """Ask for the citing works of every stored network work not checked yet.

    ``also``: works whose records the primary source failed to give; they are
    checked too, so a Crossref outage does not also cost their citing works.
    """
    # works imported without a DOI (keyed wos:..., scopus:...) have nothing a DOI-based index can be asked about
    stored = {k for k in store.stored_keys(network) | set(also) if is_doi_key(k)}
    checked = store.forward_checked(stored, source=citations.name, found_only=retry_empty)
    todo = sorted(stored - checked)
    if not todo:
        return
    originals = store.original_dois(todo)
    bar = _bar(len(todo), f"level {lv.level} citing works", progress)
    done = 0
    try:
        for doi, found in citations.citations_many(DOI(k, originals.get(k, k)) for k in todo):
            lv.forward_citations += store.add_forward_citations(doi.key, found, source=citations.name)
            lv.forward_checked += 1
            done += 1
            bar.update(1)
    except SourceError as exc:
        lv.forward_failed = len(todo) - done
        message = f"{citations.name}: citing works of {lv.forward_failed} works missing ({exc})"
        report.degraded.append(message)
        log.warning("%s; going on without them", message)
    finally:
        bar.close()


def _match_references(store: Store, matcher: Matcher, works: Sequence[str], threshold: float,
                      lv: LevelReport, progress: bool) -> None:
    """Match the references without DOI of these works by bibliographic query.

    A reference whose text cannot identify a work is not sent
    (:func:`~citegraph.sources.matching.reference_query`); it is stored
    unmatched, its ``query`` noted ``[not sent: reason]``. Of a sent query's
    hits, the first that is not the citing work is checked against the
    reference (:func:`~citegraph.sources.matching.check_hit`): a hit that
    disagrees is stored unmatched with its score, noted ``[rejected DOI:
    reason]``; one that agrees counts at or above ``threshold``. Every
    reference is stored, so none is tried twice; the level's report counts
    them and the requests spent.
    """
    refs = store.unmatched_references(works)
    if not refs:
        return
    queries: list[tuple[Any, str]] = []
    sent: dict[tuple[str, int], ReferenceQuery] = {}
    skipped: list[tuple[str, int, str | None, float | None, str]] = []
    for ref in refs:
        query = reference_query(ref)
        if query.skip is not None:
            skipped.append((ref.citing, ref.position, None, None, annotate(query.text, f"{NOT_SENT}: {query.skip}")))
            log.debug("reference %s #%d not sent (%s): %.80r", ref.citing, ref.position, query.skip, query.text)
        else:
            sent[(ref.citing, ref.position)] = query
            queries.append(((ref.citing, ref.position), query.text))
    if skipped:
        store.add_ref_matches(skipped, threshold=threshold)
        lv.references_skipped += len(skipped)
    bar = _bar(len(queries), f"level {lv.level} matching references", progress)
    pending: list[tuple[str, int, str | None, float | None, str]] = []
    try:
        for tag, hits, requests in matcher.match_many(queries):
            query = sent[tag]
            lv.references_tried += 1
            lv.requests += requests
            lv.match_requests += requests
            row, rejected = _judge(query, hits)
            lv.references_rejected += rejected
            pending.append(row)
            bar.update(1)
            if len(pending) >= 50:
                lv.references_matched += store.add_ref_matches(pending, threshold=threshold)
                pending = []
    finally:
        if pending:
            lv.references_matched += store.add_ref_matches(pending, threshold=threshold)
        bar.close()
    log.info("level %d: %d references without DOI matched, %d sent, %d not sent (cannot identify a work), "
             "%d hits refused by the checks, %d requests", lv.level, lv.references_matched, lv.references_tried,
             lv.references_skipped, lv.references_rejected, lv.match_requests)


_MatchRow = tuple[str, int, str | None, float | None, str]


def _judge(query: ReferenceQuery, hits: Sequence[dict[str, Any]]) -> tuple[_MatchRow, bool]:
    """The ``ref_matches`` row for a sent query's hits, and whether the hit was refused."""
    if not hits:
        return (query.citing, query.position, None, None, query.text), False
    others = [h for h in hits if hit_doi(h) != query.citing]
    hit = others[0] if others else hits[0]
    raw_score = hit.get("score")
    score = float(raw_score) if isinstance(raw_score, (int, float)) and not isinstance(raw_score, bool) else None
    doi = hit_doi(hit)
    reason = check_hit(query, hit, citing=query.citing)
    if reason is not None:
        log.debug("reference %s #%d: hit %s refused (%s): %.80r", query.citing, query.position, doi, reason,
                  query.text)
        return (query.citing, query.position, None, score, annotate(query.text, f"{REJECTED} {doi}: {reason}")), True
    return (query.citing, query.position, doi, score, query.text), False


def _native_key(key: str, source: str) -> str | None:
    """``"W123"`` for a candidate ``"openalex:W123"`` of that source, else None."""
    prefix = source + ":"
    return key[len(prefix):] if key.startswith(prefix) else None


def _translate(store: Store, candidates: list[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    """Candidates named by a source's identifier (``openalex:W123``) renamed to their work's key when known."""
    natives = {k: n for k, _ in candidates if (n := _native_key(k, source)) is not None}
    if not natives:
        return candidates
    known = store.keys_for_native(natives.values(), source=source)
    out: dict[str, tuple[str, str]] = {}
    for key, original in candidates:
        native = natives.get(key)
        if native is not None and native in known:
            key = original = known[native]
        out.setdefault(key, (key, original))
    return list(out.values())


def _store_records(store: Store, source: RecordSource, answer: Any, lv: LevelReport, reason: str) -> None:
    """Store one batch answer of a further source: its records, and the keys it does not know."""
    records = [w.source_record() for w in answer.works]
    missing: list[tuple[str, str]] = []
    for m in answer.missing:
        if isinstance(m, DOI):
            missing.append((m.key, m.original))
        else:
            missing.append((f"{source.name}:{m}", f"{source.name}:{m}"))
    fetched, not_found = store.add_source_records(records, missing, source=source.name, reason=reason)
    lv.openalex_fetched += fetched
    lv.openalex_not_found += not_found
    lv.bad_records += answer.bad_records
    lv.requests += answer.requests
    lv.openalex_requests += answer.requests


def _resolve_further(store: Store, source: RecordSource, candidates: list[tuple[str, str]], lv: LevelReport,
                     retry_not_found: bool, progress: bool) -> list[tuple[str, str]]:
    """Ask a further source (OpenAlex) for the records of the candidates it has not given yet.

    DOIs first (``filter=doi:``), then the candidates only it names
    (``openalex:W...``) that the DOI answers did not already give
    (``filter=openalex:``). Returns the candidates renamed to their work's
    key where the answers told it.
    """
    candidates = _translate(store, candidates, source.name)
    keys = [k for k, _ in candidates]
    have = store.source_record_keys(keys, source=source.name)
    known_missing = set() if retry_not_found else store.not_found_keys(keys, source=source.name)
    ask_dois = [DOI(k, o) for k, o in candidates if k not in have and k not in known_missing and is_doi_key(k)]
    ask_ids = [k for k, _ in candidates if k not in have and k not in known_missing and _native_key(k, source.name)]
    lv.openalex_asked += len(ask_dois) + len(ask_ids)
    if not ask_dois and not ask_ids:
        return candidates
    bar = _bar(len(ask_dois) + len(ask_ids), f"level {lv.level} {source.name}", progress)
    try:
        for answer in source.resolve(ask_dois):
            _store_records(store, source, answer, lv, f"absent from {source.name}'s answer to a DOI filter")
            bar.update(len(answer.works) + len(answer.missing))
        remaining = _translate(store, [(k, k) for k in ask_ids], source.name)
        ids = [n for k, _ in remaining if (n := _native_key(k, source.name)) is not None]
        bar.update(len(ask_ids) - len(ids))
        for answer in source.works_by_id(ids):
            _store_records(store, source, answer, lv, f"absent from {source.name}'s answer to an id filter")
            bar.update(len(answer.works) + len(answer.missing))
    finally:
        bar.close()
    return _translate(store, candidates, source.name)


def _forward_further(store: Store, source: RecordSource, network: Sequence[str], lv: LevelReport,
                     retry_empty: bool, progress: bool) -> None:
    """Ask a further source (OpenAlex) for the works citing each network work it knows, once per work.

    The citing works arrive as full records (with their reference lists) and
    are stored as such, so they cost nothing more at the next level.
    """
    natives = store.native_ids(network, source=source.name)
    checked = store.forward_checked(natives, source=source.name, found_only=retry_empty)
    todo = {k: n for k, n in sorted(natives.items()) if k not in checked}
    if not todo:
        return
    by_native = {n: k for k, n in todo.items()}
    bar = _bar(len(todo), f"level {lv.level} citing works ({source.name})", progress)
    try:
        for answer in source.citing(list(todo.values())):
            store.add_source_records([w.source_record() for w in answer.works], source=source.name)
            found = dict.fromkeys(answer.cited, 0)
            for work in answer.works:
                for cited in set(work.referenced) & found.keys():
                    found[cited] += 1
            store.mark_forward_checked({by_native[n]: c for n, c in found.items() if n in by_native},
                                       source=source.name)
            lv.openalex_citing += len(answer.works)
            lv.bad_records += answer.bad_records
            lv.requests += answer.requests
            lv.openalex_requests += answer.requests
            lv.forward_checked += len(answer.cited)
            lv.forward_citations += sum(found.values())
            bar.update(len(answer.cited))
    finally:
        bar.close()


def snowball(
    store: Store,
    source: Source | None,
    seeds: Sequence[DOI],
    *,
    depth: int = 1,
    max_works: int | None = None,
    retry_not_found: bool = False,
    progress: bool = False,
    direction: str = "backward",
    citations: CitationSource | None = None,
    matcher: Matcher | None = None,
    match_threshold: float = 60.0,
    openalex: RecordSource | None = None,
) -> FetchReport:
    """Fetch the seeds and, level by level, the works linked to them.

    Parameters
    ----------
    store : Store
        Where works and not-found DOIs are written (and read, to resume).
    source : Source or None
        A :class:`~citegraph.sources.crossref.CrossrefSource` or
        :class:`~citegraph.sources.localfiles.FileSource`: asked for the
        record (with its reference list) of every DOI in the network that
        has no record of its own yet (none, or one only ``openalex`` gave).
        None: OpenAlex alone.
    seeds : sequence of DOI
        Level 0. They should already be in the store's seed table.
    depth : int
        0 fetches the seeds only; 1 also the works linked to them; and so on.
    max_works : int, optional
        Cap on each level after the seeds (most linked first).
    retry_not_found : bool
        Ask again for DOIs this source did not know before.
    progress : bool
        Show a progress bar per level (on a terminal).
    direction : {"backward", "forward", "both"}
        Follow references, citing works (needs ``citations``), or both.
    citations : CitationSource, optional
        Where citing works come from
        (:class:`~citegraph.sources.opencitations.OpenCitationsSource`).
    matcher : Matcher, optional
        Match references without DOI (``CrossrefSource``), level by level,
        before the next level is planned; a match counts as a reference.
    match_threshold : float
        Lowest score a match needs to count.
    openalex : RecordSource, optional
        A further source of records, references and citing works
        (:class:`~citegraph.sources.openalex.OpenAlexSource`), asked first at
        each level for the works it has not given yet (by DOI, or by its own
        id for works only it names), and, when ``direction`` follows citing
        works, for the works citing each network work it knows. Its records
        and links are stored beside the others'; every edge names its
        sources.

    Returns
    -------
    FetchReport

    Raises
    ------
    UsageError
        ``depth``, ``max_works`` or ``direction`` out of range, or forward
        without a citation source.
    SourceError
        The record source kept failing; what was fetched before is stored.
        (A failing citation source only degrades the run: see
        :attr:`FetchReport.degraded`. So does a failing record source when
        ``direction`` asks for citing works: the citation source is still
        asked about the level's works, then the snowball stops.)
    """
    if depth < 0:
        raise UsageError(f"depth {depth} is negative: use 0 (seeds only), 1, 2, ...")
    if max_works is not None and max_works < 1:
        raise UsageError(f"max_works {max_works} must be at least 1 (or unset for no cap)")
    if direction not in DIRECTIONS:
        raise UsageError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if source is None and openalex is None:
        raise UsageError("no source of records: give Crossref, a record file or OpenAlex")
    forward = direction in ("forward", "both")
    if forward and citations is None and openalex is None:
        raise UsageError(f"direction {direction!r} needs a citation source (OpenCitations or OpenAlex)")
    names = [x.name for x in (source, openalex) if x is not None]
    report = FetchReport(source="+".join(names), depth=depth, max_works=max_works, direction=direction)
    network: list[str] = []
    network_set: set[str] = set()
    level_candidates = list({d.key: (d.key, d.original) for d in seeds}.values())
    capped = 0
    for level in range(depth + 1):
        if level > 0:
            stored_network = sorted(store.stored_keys(network))
            level_candidates, capped = plan_level(
                store, network, stored_network, max_works=max_works, direction=direction
            )
        lv = LevelReport(level=level, candidates=len(level_candidates), capped=capped)
        report.levels.append(lv)
        if level > 0 and not level_candidates:
            # nothing links out of the network any more: deeper levels would be empty too
            log.info("level %d is empty: nothing further to snowball (stopping before depth %d)", level, depth)
            break
        if openalex is not None:
            level_candidates = _resolve_further(store, openalex, level_candidates, lv, retry_not_found, progress)
        keys = [k for k, _ in level_candidates]
        ask: list[DOI] = []
        if source is not None:
            # a work whose only record is a further source's (OpenAlex) is still asked for its own
            stored = store.stored_keys(keys, excluding_source=openalex.name if openalex is not None else None)
            missing_known = set() if retry_not_found else store.not_found_keys(keys, source=source.name)
            lv.already_stored = len(stored)
            lv.known_missing = len(missing_known - stored)
            ask = [DOI(k, o) for k, o in level_candidates
                   if k not in stored and k not in missing_known and is_doi_key(k)]
            lv.asked = len(ask)
        progress_log.info(
            "level %d: %d works (%s%s)", level, lv.candidates,
            "; ".join(part for part in (
                f"{lv.already_stored} stored, {lv.known_missing} known missing, {lv.asked} to ask {source.name}"
                if source is not None else "",
                f"{lv.openalex_asked} asked of {openalex.name}, {lv.openalex_fetched} found "
                f"({lv.openalex_requests} requests)" if openalex is not None else "") if part),
            f"; {capped} more dropped by --max-works" if capped else "",
        )
        unanswered: list[str] = []
        if ask and source is not None:
            bar = _bar(len(ask), f"level {level}", progress)
            try:
                for resolution in source.resolve(ask):
                    _store(store, source, resolution, lv)
                    bar.update(len(resolution.records) + len(resolution.missing))
            except SourceError as exc:
                if not forward:
                    raise
                # the citation source still answers: take what it has for this level, then stop
                answered = store.stored_keys(d.key for d in ask) | store.not_found_keys(
                    [d.key for d in ask], source=source.name)
                unanswered = sorted({d.key for d in ask} - answered)
                message = f"{source.name}: records of {len(unanswered)} works missing ({exc})"
                report.degraded.append(message)
                log.warning("%s; going on with %s for this level, then stopping", message,
                            citations.name if citations is not None else "the citation source")
            finally:
                bar.close()
        network.extend(k for k in keys if k not in network_set)
        network_set.update(keys)
        if level < depth:
            if matcher is not None and direction != "forward" and not unanswered:
                _match_references(store, matcher, sorted(store.stored_keys(keys)), match_threshold, lv, progress)
            if forward and citations is not None:
                _check_forward(store, citations, network, lv, report, progress, also=unanswered,
                               retry_empty=retry_not_found)
            if forward and openalex is not None:
                _forward_further(store, openalex, network, lv, retry_not_found, progress)
        if unanswered:
            log.warning("stopping after level %d: %s did not answer", level, source.name if source else "")
            break
    return report
