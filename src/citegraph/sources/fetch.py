"""One fetch, end to end: what ``citegraph fetch`` does, as a library call.

:func:`run_fetch` stores the seeds (given, and found by a topic query),
opens the sources the options ask for (Crossref or a local file for records,
OpenCitations for citing works, OpenAlex for records, references and citing
works, Crossref for reference matching), snowballs,
logs the run in the store, and reports likely duplicates (merging them only
when asked).

Examples
--------
>>> import json, tempfile, pathlib
>>> from citegraph.config import load_settings
>>> from citegraph.store import Store
>>> p = pathlib.Path(tempfile.mkdtemp()) / "fixture.jsonl"   # hand-made unit-test records
>>> _ = p.write_text(json.dumps({"DOI": "10.5555/x", "title": ["Alopecia areata in twins"]}) + "\\n")
>>> with Store(":memory:") as store:
...     outcome = run_fetch(store, load_settings({}, env={}, start_dir=None), [],
...                         FetchOptions(from_file=p, query="alopecia", rows=5, depth=0))
...     [s.doi for s in store.seeds()], outcome.query_seeds
(['10.5555/x'], 1)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citegraph.config import Settings
from citegraph.doi import DOI, normalize_doi
from citegraph.errors import CitegraphError, RecordError, UsageError
from citegraph.sources.crossref import CrossrefSource
from citegraph.sources.localfiles import FileSource
from citegraph.sources.seeds import Seed
from citegraph.sources.snowball import DIRECTIONS, FetchReport, snowball
from citegraph.store import Store
from citegraph.store.records import parse_work

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "DEFAULT_SOURCES",
    "SOURCES",
    "FetchOptions",
    "FetchOutcome",
    "parse_sources",
    "run_fetch",
    "seed_from_query",
]

log = logging.getLogger(__name__)

#: Lowest Crossref relevance score a reference match needs by default.
#: Crossref's scores are unnormalised; for a full reference string a correct
#: top hit usually scores far above this, an unrelated one below.
DEFAULT_MATCH_THRESHOLD = 60.0

#: The sources ``fetch --source`` accepts: Crossref (records and publisher reference lists, also
#: references without a DOI, retraction and correction notices), OpenCitations (citing works, an
#: independent index), OpenAlex (records, reference lists and citing works; works without a DOI;
#: retraction flags; needs an API key).
SOURCES = ("crossref", "opencitations", "openalex")
#: The default: no key needed. OpenCitations is asked only when the direction follows citing works.
DEFAULT_SOURCES = ("crossref", "opencitations")


def parse_sources(value: str | Sequence[str]) -> tuple[str, ...]:
    """The sources named in ``value`` (``"crossref,openalex"``), in :data:`SOURCES` order.

    Raises
    ------
    UsageError
        An unknown name (naming the valid ones), or none at all.

    Examples
    --------
    >>> parse_sources("openalex, Crossref")
    ('crossref', 'openalex')
    >>> parse_sources("crossref,scopus")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: source 'scopus' is not one of crossref, opencitations, openalex (...)
    """
    names = value.split(",") if isinstance(value, str) else list(value)
    wanted = {n.strip().lower() for n in names if n.strip()}
    for name in sorted(wanted):
        if name not in SOURCES:
            raise UsageError(f"source {name!r} is not one of {', '.join(SOURCES)} (give them separated by commas, "
                             "e.g. --source crossref,openalex)")
    if not wanted:
        raise UsageError(f"no source given: name one or more of {', '.join(SOURCES)}")
    return tuple(n for n in SOURCES if n in wanted)


@dataclass(frozen=True)
class FetchOptions:
    """What to fetch and how (the options of ``citegraph fetch``)."""

    depth: int = 1
    max_works: int | None = None
    direction: str = "backward"
    retry_not_found: bool = False
    from_file: Path | None = None
    query: str | None = None
    rows: int = 100
    match_references: bool = False
    match_threshold: float = DEFAULT_MATCH_THRESHOLD
    merge_duplicates: bool = False
    sources: tuple[str, ...] = DEFAULT_SOURCES

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the run log."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


@dataclass
class FetchOutcome:
    """What :func:`run_fetch` did."""

    report: FetchReport
    query_seeds: int = 0
    duplicates: list[Any] = field(default_factory=list)
    merged: int = 0


def _check(options: FetchOptions) -> None:
    if options.direction not in DIRECTIONS:
        raise UsageError(f"direction {options.direction!r} is not one of {', '.join(DIRECTIONS)}")
    if options.query is not None and not options.query.strip():
        raise UsageError("--query is empty: give words to search for, e.g. --query 'alopecia areata'")
    if not 1 <= options.rows <= 100_000:
        raise UsageError(f"rows {options.rows} must be between 1 and 100000")
    if options.match_threshold < 0:
        raise UsageError(f"match threshold {options.match_threshold} must be 0 or more")
    sources = parse_sources(options.sources)
    if "crossref" not in sources and "openalex" not in sources and options.from_file is None:
        raise UsageError(f"--source {','.join(sources)} gives no records: add crossref or openalex")
    if options.direction != "backward" and "opencitations" not in sources and "openalex" not in sources:
        raise UsageError(f"--direction {options.direction} needs a source of citing works: add opencitations or "
                         "openalex to --source")
    if options.match_references and "crossref" not in sources:
        raise UsageError("--match-references asks Crossref: add crossref to --source")
    if options.query and "crossref" not in sources and options.from_file is None:
        raise UsageError("--query searches Crossref (or the --from file): add crossref to --source")


def seed_from_query(store: Store, source: Any, query: str, rows: int) -> list[Seed]:
    """Store the works a topic query finds and make them seeds (role ``query``).

    ``source`` is a :class:`CrossrefSource` (``query.bibliographic``) or a
    :class:`FileSource` (title/abstract/subject match). The records found are
    stored at once, so they cost no second request.
    """
    records = source.search(query, rows)
    parsed = []
    seeds = []
    for record in records:
        try:
            work = parse_work(record, source=source.name)
        except RecordError as exc:
            log.warning("query %r: a record was skipped: %s", query, exc)
            continue
        parsed.append(work)
        seeds.append(Seed(normalize_doi(work.work.doi_original), f"query:{query}", role="query",
                          note=work.work.title))
    store.add_resolution(parsed, [], source=source.name, reason="")
    store.add_seeds(seeds)
    log.info("query %r: %d works found and stored as seeds", query, len(seeds))
    return seeds


@contextlib.contextmanager
def _sources(settings: Settings, options: FetchOptions) -> Iterator[tuple[Any, Any, Any, Any]]:
    """Open the record source, the citation source, the matcher and OpenAlex, as the options need."""
    from citegraph.sources.opencitations import OpenCitationsSource

    wanted = parse_sources(options.sources)
    with contextlib.ExitStack() as stack:
        crossref: CrossrefSource | None = None

        def api() -> CrossrefSource:
            nonlocal crossref
            if crossref is None:
                crossref = stack.enter_context(CrossrefSource(
                    settings.crossref_url, settings.mailto, timeout=settings.timeout,
                    retries=settings.retries, max_url_length=settings.max_url_length,
                ))
            return crossref

        source: Any = None
        if options.from_file is not None:
            source = FileSource(options.from_file)
        elif "crossref" in wanted:
            source = api()
        citations = None
        if options.direction != "backward" and "opencitations" in wanted:
            citations = stack.enter_context(OpenCitationsSource(
                settings.opencitations_url, settings.opencitations_token, timeout=settings.timeout,
                retries=settings.retries, mailto=settings.mailto,
            ))
        openalex = None
        if "openalex" in wanted:
            from citegraph.sources.openalex import OpenAlexSource

            openalex = stack.enter_context(OpenAlexSource(
                settings.openalex_url, settings.openalex_key, mailto=settings.mailto, timeout=settings.timeout,
                retries=settings.retries,
            ))
        matcher = api() if options.match_references else None
        yield source, citations, matcher, openalex


def run_fetch(
    store: Store,
    settings: Settings,
    seeds: Sequence[Seed],
    options: FetchOptions,
    *,
    progress: bool = False,
) -> FetchOutcome:
    """Store seeds, snowball, log the run and report duplicates.

    The snowball runs over every seed in the store (earlier ones included),
    so adding seeds later extends the same network.

    Raises
    ------
    UsageError
        Bad options, or no seeds at all.
    SourceError
        The record source failed after its retries (what was fetched is
        kept). A failing citation source does not raise: see
        ``outcome.report.degraded``.
    """
    from citegraph.store.duplicates import find_duplicates, merge_duplicates, unmerged

    _check(options)
    store.add_seeds(seeds)
    # the run log names the services asked, never a key
    run_id = store.start_run("fetch", {**options.as_dict(), "seeds_given": len(seeds),
                                       "crossref_url": settings.crossref_url, "mailto": bool(settings.mailto),
                                       "openalex_url": settings.openalex_url,
                                       "openalex_key": bool(settings.openalex_key)})
    status, error, outcome = "failed", None, None
    try:
        with _sources(settings, options) as (source, citations, matcher, openalex):
            query_seeds = 0
            if options.query:
                query_seeds = len(seed_from_query(store, source, options.query, options.rows))
            seed_dois = [DOI(s.doi, s.doi_original) for s in store.seeds()]
            if not seed_dois:
                raise UsageError(
                    f"no seeds: the store {store.display_path} has none yet; give DOIs, a seed file or --query"
                )
            report = snowball(
                store, source, seed_dois, depth=options.depth, max_works=options.max_works,
                retry_not_found=options.retry_not_found, progress=progress, direction=options.direction,
                citations=citations, matcher=matcher, match_threshold=options.match_threshold, openalex=openalex,
            )
        groups = unmerged(find_duplicates(store.works()), store.merges())
        merged = merge_duplicates(store, groups) if options.merge_duplicates and groups else 0
        outcome = FetchOutcome(report, query_seeds, groups, merged)
        status = "degraded" if report.degraded else "ok"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except CitegraphError as exc:
        error = str(exc)
        raise
    finally:
        counts = None
        if outcome is not None:
            counts = {**outcome.report.as_dict(), "query_seeds": outcome.query_seeds,
                      "duplicate_groups": len(outcome.duplicates), "merged": outcome.merged}
        store.finish_run(run_id, status=status, counts=counts,
                         error=error or ("; ".join(outcome.report.degraded) if outcome else None))
    return outcome
