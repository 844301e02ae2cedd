"""Complete imported records from Crossref: ``citegraph import --enrich``.

A database export lacks what Crossref often has (WoS exports without abstracts, a Lens record without
its type, a Scopus record without pages); :func:`enrich_imported` resolves the DOIs of the imported
works through a record source (:class:`~citegraph.sources.crossref.CrossrefSource` in batches, or a
:class:`~citegraph.sources.localfiles.FileSource` of Crossref records) and adds what is missing,
never silently overwriting what the export says.

What it does, per imported work whose key is a DOI (``works.source`` is ``"<format>:<file>"`` with a
format of :data:`~citegraph.sources.exports.FORMATS`):

1. **Fills empty columns** from the Crossref record (parsed, and so sanitised, by
   :func:`~citegraph.store.records.parse_work`): ``abstract``, ``type``, ``title``, ``year``,
   ``container``, ``volume``, ``page``, ``authors`` and ``first_author``. The counts
   ``is_referenced_by_count`` and ``references_count`` are never touched: WoS's times-cited and
   Crossref's ``is-referenced-by-count`` are different counts (Crossref's stays in the stored record).
2. **Keeps both values where they disagree**: when the work and the record both give ``title``,
   ``year``, ``container``, ``type``, ``volume`` or ``page`` and the values differ after
   normalisation (:func:`same_value`: titles and containers compared without case, accents,
   markup, whitespace or punctuation; years as integers; types without case; volume and first page
   without spaces or case), ``works`` keeps the imported value and ``field_conflicts`` gets a row
   with both (``kept``/``kept_source`` = the export, ``other``/``other_source`` = the source).
   ``citegraph status`` counts them (:meth:`Store.field_conflicts_summary`).
3. **Keeps the record**: the Crossref record, as parsed, is stored in ``enrichments`` (one row per
   work and source; ``record`` NULL when the source does not know the DOI), not in the work's
   ``raw_json``, which stays the export's own record. So re-importing a file (which replaces its
   works, and with them their ``field_conflicts`` rows) loses nothing: the next ``--enrich`` applies
   the stored records again without a request.
4. **Never changes reference lists**: the export's references stay the work's references.

A work found once (by any source) is not asked again; one a source did not know is not asked of that
source again unless ``retry_not_found``. Each answer of the source is stored in one transaction, so
an interrupted run keeps what it stored and a rerun asks only for the rest. A record that
:func:`~citegraph.store.records.parse_work` refuses is skipped with a logged warning; a source that
fails after its retries ends the run with :attr:`EnrichReport.error` set, what was stored kept.

Cited works are not fetched here: the DOIs the imported records cite that are not stored works are
exactly what ``citegraph fetch --depth 1`` resolves, since the imported records are the store's seeds.

Examples
--------
>>> same_value("title", "The EFFECT of  coffee: a review", "The effect of coffee - a review.")
True
>>> same_value("year", 2017, 2018), same_value("container", "LANCET", "The Lancet")
(False, True)
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import os
import re
import sqlite3
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from citegraph.config import Settings
from citegraph.doi import DOI, is_doi_key
from citegraph.errors import RecordError, SourceError
from citegraph.sources.crossref import CrossrefSource, Resolution
from citegraph.sources.exports import FORMATS
from citegraph.sources.localfiles import FileSource
from citegraph.sources.snowball import Source
from citegraph.store.database import Store, utc_now
from citegraph.store.records import ParsedWork, WorkRow, parse_work

__all__ = ["COMPARED_FIELDS", "FILLED_FIELDS", "EnrichReport", "enrich_imported", "record_source", "same_value"]

log = logging.getLogger(__name__)
progress_log = logging.getLogger("citegraph.progress")

#: Columns filled from the source's record when the imported work leaves them empty.
FILLED_FIELDS: tuple[str, ...] = ("title", "year", "container", "type", "volume", "page", "abstract", "authors",
                                  "first_author")

#: Columns whose imported and source values are compared; a disagreement is a ``field_conflicts`` row.
COMPARED_FIELDS: tuple[str, ...] = ("title", "year", "container", "type", "volume", "page")

_COLUMNS = ("doi", "source", "raw_json", "title", "year", "container", "type", "volume", "page", "abstract", "authors",
            "first_author")

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACE = re.compile(r"\s+")
_PAGE_PREFIX = re.compile(r"^p{1,2}\.?\s*", re.IGNORECASE)


@dataclass
class EnrichReport:
    """What :func:`enrich_imported` did.

    ``candidates`` counts the imported works with a DOI; ``skipped`` those not asked (found before, or
    not known to this source before); ``asked`` the DOIs sent to the source; ``found``/``not_found``
    how it answered; ``bad_records`` the records it sent that could not be parsed (skipped);
    ``unanswered`` asked DOIs it neither gave nor called unknown (asked again next time);
    ``reapplied`` records stored by an earlier run applied again to works re-imported since;
    ``fields_added`` the empty columns filled, per column; ``conflicts`` the disagreements recorded
    by this run, per column; ``works_changed`` the works that got at least one column; ``error`` why
    the source stopped answering (the run then ended early).
    """

    source: str
    candidates: int = 0
    skipped: int = 0
    asked: int = 0
    found: int = 0
    not_found: int = 0
    bad_records: int = 0
    unanswered: int = 0
    requests: int = 0
    reapplied: int = 0
    works_changed: int = 0
    fields_added: Counter[str] = field(default_factory=Counter)
    conflicts: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for ``--json`` and the run log."""
        return {
            "source": self.source, "candidates": self.candidates, "skipped": self.skipped, "asked": self.asked,
            "found": self.found, "not_found": self.not_found, "bad_records": self.bad_records,
            "unanswered": self.unanswered, "requests": self.requests, "reapplied": self.reapplied,
            "works_changed": self.works_changed, "fields_added": dict(sorted(self.fields_added.items())),
            "conflicts": dict(sorted(self.conflicts.items())), "error": self.error,
        }

    def summary(self) -> str:
        """One line for the command's output.

        Examples
        --------
        >>> r = EnrichReport("crossref", candidates=3, asked=3, found=2, not_found=1, requests=1, works_changed=2,
        ...                  fields_added=Counter(abstract=2, type=1), conflicts=Counter(year=1))
        >>> print(r.summary())
        enriched from crossref: 3 imported works with a DOI, 3 asked (1 request), 2 found, 1 not found; 2 works \
completed (abstract 2, type 1); disagreements kept (imported value in works): year 1
        """
        parts = [f"enriched from {self.source}: {self.candidates} imported works with a DOI, {self.asked} asked "
                 f"({self.requests} request{'s' if self.requests != 1 else ''}), {self.found} found, "
                 f"{self.not_found} not found"]
        if self.skipped:
            parts[-1] += f", {self.skipped} done before"
        if self.reapplied:
            parts[-1] += f", {self.reapplied} stored records applied again"
        if self.bad_records:
            parts[-1] += f", {self.bad_records} unreadable records skipped"
        if self.unanswered:
            parts[-1] += f", {self.unanswered} unanswered"
        added = ", ".join(f"{name} {n}" for name, n in sorted(self.fields_added.items()))
        parts.append(f"{self.works_changed} works completed" + (f" ({added})" if added else ""))
        if self.conflicts:
            parts.append("disagreements kept (imported value in works): "
                         + ", ".join(f"{name} {n}" for name, n in sorted(self.conflicts.items())))
        if self.error:
            parts.append(f"stopped early: {self.error}")
        return "; ".join(parts)


def _fold(text: str) -> str:
    """Markup and entities dropped, accents removed, case folded."""
    text = html.unescape(_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _normal(name: str, value: Any) -> Any:
    """A column value in comparison form (None when empty)."""
    if value is None:
        return None
    if name == "year":
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    text = str(value)
    if name in ("title", "container"):
        words = _NOT_WORD.sub(" ", _fold(text).replace("&", " and ")).split()
        if name == "container" and words and words[0] == "the":
            words = words[1:]
        return "".join(words) or None
    if name == "page":
        text = _PAGE_PREFIX.sub("", text.strip())
    return _SPACE.sub("", text).casefold() or None


def same_value(name: str, imported: Any, other: Any) -> bool:
    """Whether two values of column ``name`` agree once normalised (an empty side agrees with anything).

    Titles: markup, accents, case, whitespace and punctuation ignored, ``&`` read as ``and``.
    Containers: the same, and a leading ``The`` dropped. Years: as integers. Type, volume and first page:
    case and spaces ignored (and a ``p.`` before a page).

    Examples
    --------
    >>> same_value("title", "<i>Staphylococcus</i> in ALOPECIA", "Staphylococcus in alopecia")
    True
    >>> same_value("container", "J AM ACAD DERMATOL", "Journal of the American Academy of Dermatology")
    False
    >>> same_value("year", "2019", 2019), same_value("page", "P 145", "145"), same_value("type", None, "book")
    (True, True, True)
    """
    a, b = _normal(name, imported), _normal(name, other)
    return a is None or b is None or a == b


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == "[]"


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)


def _subtitled(work: WorkRow) -> str | None:
    """The record's title followed by its first subtitle (exports often write ``"Title: subtitle"``)."""
    if work.title is None:
        return None
    try:
        subtitle = json.loads(work.raw_json).get("subtitle")
    except (ValueError, AttributeError):
        return None
    if not isinstance(subtitle, list):
        return None
    first = next((t for t in subtitle if isinstance(t, str) and t.strip()), None)
    return f"{work.title} {first}" if first else None


def _merge(current: Mapping[str, Any], crossref: WorkRow) -> tuple[dict[str, Any], list[tuple[str, str | None,
                                                                                            str | None]]]:
    """The columns to fill (``{column: value}``) and the disagreements ``(column, imported, other)``.

    A title agrees when it is the record's title, or its title and subtitle.
    """
    fills: dict[str, Any] = {}
    for name in FILLED_FIELDS:
        value: Any = getattr(crossref, name)
        if name == "authors":
            value = json.dumps(list(value), ensure_ascii=False) if value else None
        if value is not None and _empty(current[name]):
            fills[name] = value
    conflicts = []
    for name in COMPARED_FIELDS:
        other = getattr(crossref, name)
        if _empty(current[name]) or other is None or same_value(name, current[name], other):
            continue
        subtitled = _subtitled(crossref) if name == "title" else None
        if subtitled is not None and same_value(name, current[name], subtitled):
            continue
        conflicts.append((name, _shown(current[name]), _shown(other)))
    return fills, conflicts


def _imported_works(store: Store) -> dict[str, tuple[str, str]]:
    """``{key: (DOI as written, works.source)}`` of the imported works keyed by DOI."""
    out: dict[str, tuple[str, str]] = {}
    for key, original, source in store.execute("SELECT doi, doi_original, source FROM works ORDER BY doi"):
        if is_doi_key(key) and source.split(":", 1)[0] in FORMATS:
            out[key] = (original, source)
    return out


def _digest(raw_json: str) -> str:
    """What an enrichment row remembers of the imported record it was applied to."""
    return hashlib.sha256(raw_json.encode("utf-8", "surrogatepass")).hexdigest()


def _apply(conn: sqlite3.Connection, parsed: ParsedWork, source_name: str, report: EnrichReport) -> str | None:
    """Fill one imported work from a parsed record and record the disagreements (inside a transaction).

    Returns the digest of the work's imported record, None when the key is not an imported work.
    """
    key = parsed.work.doi
    row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM works WHERE doi = ?", (key,)).fetchone()
    if row is None or str(row["source"]).split(":", 1)[0] not in FORMATS:
        log.warning("%s: %s is not an imported work (any more); its record is kept, not applied", source_name, key)
        return None
    fills, conflicts = _merge(row, parsed.work)
    if fills:
        conn.execute(f"UPDATE works SET {', '.join(f'{c} = ?' for c in fills)} WHERE doi = ?",
                     (*fills.values(), key))
        report.works_changed += 1
        report.fields_added.update(list(fills))
    conn.execute("DELETE FROM field_conflicts WHERE work = ? AND other_source = ?", (key, source_name))
    conn.executemany(
        "INSERT INTO field_conflicts (work, field, kept, kept_source, other, other_source) VALUES (?, ?, ?, ?, ?, ?)",
        [(key, name, kept, row["source"], other, source_name) for name, kept, other in conflicts])
    report.conflicts.update(name for name, _, _ in conflicts)
    return _digest(row["raw_json"])


def _parse(record: Any, source_name: str, report: EnrichReport) -> ParsedWork | None:
    try:
        return parse_work(record, source=source_name)
    except RecordError as exc:
        report.bad_records += 1
        log.warning("%s: a record was skipped: %s", source_name, exc)
    except (TypeError, ValueError, AttributeError) as exc:  # a shape parse_work has not met: skip, never crash
        report.bad_records += 1
        log.warning("%s: a record was skipped: cannot be read (%s: %s)", source_name, type(exc).__name__, exc)
    return None


def _store_resolution(store: Store, source_name: str, resolution: Resolution, asked: set[str],
                      report: EnrichReport) -> set[str]:
    """Store one answer of the source in one transaction; returns the keys it answered."""
    answered: set[str] = set()
    parsed: list[ParsedWork] = []
    for record in resolution.records:
        work = _parse(record, source_name, report)
        if work is None:
            continue
        if work.work.doi not in asked:
            log.warning("%s: answered with %s, which was not asked: skipped", source_name, work.work.doi)
            continue
        if work.work.doi in answered:
            continue
        answered.add(work.work.doi)
        parsed.append(work)
    missing = [d.key for d in resolution.missing if d.key in asked and d.key not in answered]
    stamp = utc_now()
    with store.transaction() as conn:
        for work in parsed:
            applied_to = _apply(conn, work, source_name, report)
            conn.execute(
                """INSERT INTO enrichments (work, source, record, checked_at, applied_to) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(work, source) DO UPDATE SET record = excluded.record,
                       checked_at = excluded.checked_at, applied_to = excluded.applied_to""",
                (work.work.doi, source_name, work.work.raw_json, stamp, applied_to))
        conn.executemany(
            """INSERT INTO enrichments (work, source, record, checked_at) VALUES (?, ?, NULL, ?)
               ON CONFLICT(work, source) DO UPDATE SET checked_at = excluded.checked_at""",
            [(key, source_name, stamp) for key in missing])
    report.found += len(parsed)
    report.not_found += len(missing)
    report.requests += resolution.requests
    return answered | set(missing)


def _reapply(store: Store, imported: Mapping[str, tuple[str, str]], report: EnrichReport) -> set[str]:
    """Apply again the stored records of works whose imported record changed since (re-imported).

    Returns the keys some source found before (not asked again).
    """
    found: set[str] = set()
    again: list[tuple[str, str]] = []
    for key, source_name, applied_to, raw_json in store.execute(
            """SELECT e.work, e.source, e.applied_to, w.raw_json
               FROM enrichments e JOIN works w ON w.doi = e.work WHERE e.record IS NOT NULL
               ORDER BY e.work, e.checked_at, e.source"""):
        if key not in imported:
            continue
        found.add(key)
        if applied_to != _digest(raw_json):
            again.append((key, source_name))
    if not again:
        return found
    with store.transaction() as conn:
        for key, source_name in again:
            record = conn.execute("SELECT record FROM enrichments WHERE work = ? AND source = ?",
                                  (key, source_name)).fetchone()[0]
            try:
                parsed = parse_work(json.loads(record), source=source_name)
            except (RecordError, ValueError, TypeError) as exc:
                log.warning("%s: the record stored for %s cannot be read again (%s); it is asked again", source_name,
                            key, exc)
                conn.execute("DELETE FROM enrichments WHERE work = ? AND source = ?", (key, source_name))
                found.discard(key)
                continue
            applied_to = _apply(conn, parsed, source_name, report)
            conn.execute("UPDATE enrichments SET applied_to = ? WHERE work = ? AND source = ?",
                         (applied_to, key, source_name))
            report.reapplied += 1
    return found


def enrich_imported(store: Store, source: Source, *, progress: bool = False,
                    retry_not_found: bool = False) -> EnrichReport:
    """Resolve the imported works' DOIs through ``source`` and add what the exports lack.

    See the module docstring for what is filled, what is compared and where the records go.

    Parameters
    ----------
    store : Store
        An open, writable store holding imported works (``citegraph import``).
    source : Source
        A :class:`~citegraph.sources.crossref.CrossrefSource` or
        :class:`~citegraph.sources.localfiles.FileSource` (anything with ``name`` and ``resolve``).
    progress : bool
        Show a progress bar (on a terminal).
    retry_not_found : bool
        Ask again for DOIs this source did not know before.

    Returns
    -------
    EnrichReport
        The counts; ``error`` is set when the source failed after its retries (what was stored before
        is kept, and a rerun asks only for the rest).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from citegraph.sources.importing import import_exports
    >>> from citegraph.sources.localfiles import FileSource
    >>> folder = pathlib.Path(tempfile.mkdtemp())      # hand-made unit-test export and record
    >>> _ = (folder / "savedrecs.txt").write_text(
    ...     "FN Clarivate Analytics Web of Science\\nVR 1.0\\nPT J\\nAU Doe, J\\nTI Hair loss in twins\\n"
    ...     "SO J ONE\\nPY 2001\\nDI 10.5555/one\\nUT WOS:1\\nER\\nEF\\n")
    >>> _ = (folder / "crossref.jsonl").write_text(json.dumps(
    ...     {"DOI": "10.5555/ONE", "title": ["Hair loss in twins"], "type": "journal-article", "volume": "3",
    ...      "issued": {"date-parts": [[2000]]}, "abstract": "<jats:p>Twins.</jats:p>"}) + "\\n")
    >>> with Store(":memory:") as store:
    ...     _ = import_exports(store, [folder / "savedrecs.txt"])
    ...     report = enrich_imported(store, FileSource(folder / "crossref.jsonl"))
    ...     work = store.work("10.5555/one")
    ...     again = enrich_imported(store, FileSource(folder / "crossref.jsonl"))
    ...     disagreements = store.field_conflicts_summary()
    >>> report.found, sorted(report.fields_added), work["year"], work["volume"]
    (1, ['abstract', 'type', 'volume'], 2001, '3')
    >>> disagreements, again.asked
    ({'year': 1}, 0)
    """
    report = EnrichReport(source=source.name)
    run_id = store.start_run("enrich", {"source": source.name, "retry_not_found": retry_not_found})
    status = "failed"
    try:
        imported = _imported_works(store)
        report.candidates = len(imported)
        found_before = _reapply(store, imported, report)
        known_missing: set[str] = set() if retry_not_found else {
            key for (key,) in store.execute("SELECT work FROM enrichments WHERE source = ? AND record IS NULL",
                                            (source.name,))}
        ask = [DOI(key, original) for key, (original, _) in imported.items()
               if key not in found_before and key not in known_missing]
        report.skipped = report.candidates - len(ask)
        report.asked = len(ask)
        progress_log.info("enrich: %d imported works with a DOI, %d to ask %s (%d done before)", report.candidates,
                          len(ask), source.name, report.skipped)
        _resolve(store, source, ask, report, progress)
        status = "ok" if report.error is None else "degraded"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status=status, counts=report.as_dict(), error=report.error)
    return report


def _resolve(store: Store, source: Source, ask: Sequence[DOI], report: EnrichReport, progress: bool) -> None:
    if not ask:
        return
    asked = {d.key for d in ask}
    answered: set[str] = set()
    bar = tqdm(total=len(ask), desc="enrich", unit="DOI", leave=False,
               disable=not (progress and sys.stderr.isatty()))
    try:
        for resolution in source.resolve(ask):
            done = _store_resolution(store, source.name, resolution, asked, report)
            answered |= done
            bar.update(len(done))
    except SourceError as exc:
        report.error = str(exc)
        log.warning("%s stopped answering: %s; %d of %d DOIs were answered and stored, a rerun asks for the rest",
                    source.name, exc, len(answered), len(asked))
    finally:
        bar.close()
    report.unanswered = len(asked - answered)
    if report.error is None and report.unanswered:
        log.warning("%s: %d asked DOIs were neither given nor reported unknown; they are asked again next time",
                    source.name, report.unanswered)


@contextlib.contextmanager
def record_source(settings: Settings, from_file: str | os.PathLike[str] | None = None) -> Iterator[Source]:
    """The source ``import --enrich`` asks, as ``fetch`` builds it: the records of ``from_file``, else the API.

    Parameters
    ----------
    settings : Settings
        Crossref's URL, ``mailto``, time-out, retries and URL length (``fetch`` uses the same).
    from_file : path-like, optional
        Crossref records in a local file, archive or folder (``--from``): a
        :class:`~citegraph.sources.localfiles.FileSource`. Without it, a
        :class:`~citegraph.sources.crossref.CrossrefSource`, closed when the block ends.

    Raises
    ------
    InputFileError
        ``from_file`` is missing or cannot be read (before anything is asked).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from citegraph.config import load_settings
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "records.jsonl"   # a hand-made unit-test record
    >>> _ = p.write_text(json.dumps({"DOI": "10.5555/x"}) + "\\n")
    >>> with record_source(load_settings({}, env={}, start_dir=None), p) as source:
    ...     source.name
    'file:records.jsonl'
    """
    if from_file is not None:
        yield FileSource(from_file)
        return
    with CrossrefSource(settings.crossref_url, settings.mailto, timeout=settings.timeout, retries=settings.retries,
                        max_url_length=settings.max_url_length) as api:
        yield api
