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
    ``requests``: every request of the level (records and matching),
    ``match_requests`` those spent on matching.
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


def snowball(
    store: Store,
    source: Source,
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
) -> FetchReport:
    """Fetch the seeds and, level by level, the works linked to them.

    Parameters
    ----------
    store : Store
        Where works and not-found DOIs are written (and read, to resume).
    source : Source
        A :class:`~citegraph.sources.crossref.CrossrefSource` or
        :class:`~citegraph.sources.localfiles.FileSource`.
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
    forward = direction in ("forward", "both")
    if forward and citations is None:
        raise UsageError(f"direction {direction!r} needs a citation source (OpenCitations)")
    report = FetchReport(source=source.name, depth=depth, max_works=max_works, direction=direction)
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
        keys = [k for k, _ in level_candidates]
        stored = store.stored_keys(keys)
        missing_known = set() if retry_not_found else store.not_found_keys(keys, source=source.name)
        lv.already_stored = len(stored)
        lv.known_missing = len(missing_known - stored)
        ask = [DOI(k, o) for k, o in level_candidates if k not in stored and k not in missing_known]
        lv.asked = len(ask)
        progress_log.info(
            "level %d: %d works (%d stored, %d known missing, %d to ask %s%s)",
            level, lv.candidates, lv.already_stored, lv.known_missing, lv.asked, source.name,
            f"; {capped} more dropped by --max-works" if capped else "",
        )
        unanswered: list[str] = []
        if ask:
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
        if unanswered:
            log.warning("stopping after level %d: %s did not answer", level, source.name)
            break
    return report
