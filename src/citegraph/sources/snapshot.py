"""Ingest a whole snapshot (Crossref public data file, OpenAlex works) into a Parquet dataset, and back.

:func:`ingest` streams snapshot files into the dataset of
:mod:`citegraph.store.dataset` (a ``works`` and a ``refs`` table, one Parquet
file per input file, a manifest of the files done), with the fields and DOI
normalisation of the store: each Crossref record goes through
:func:`~citegraph.store.records.parse_snapshot_work` (:func:`~citegraph.store.records.parse_work`'s values,
the references as tuples), each OpenAlex record through
:func:`~citegraph.sources.openalex.parse_openalex_work`, exactly as a fetch or
an import would. The analyses then run on it with an SQL engine
(:mod:`citegraph.analysis.snapshot`: DuckDB, embedded, no server, reading the
Parquet in place and spilling to disk beyond memory; Spark SQL later on the
same folders). :func:`to_store` brings a selected field back as a normal
store, so ``citegraph analyse``, ``plot``, ``export`` and ``report`` work on it
unchanged.

Inputs
------
- Crossref: the public data file's ``{"items": [...]}`` JSON files
  (``.json``/``.json.gz``; the items are decoded one at a time, never the
  whole file), a JSON array, or JSON Lines (``.jsonl``/``.jsonl.gz``, one
  record per line); the format is read from the content, not the name.
- OpenAlex: works as JSON Lines (gzipped or not) or Parquet (read in record
  batches; the columns must have the shape of the JSON records).
- A folder stands for the snapshot files in it (recursively, sorted).

Bounded memory, resumable, never crashing on a record
-----------------------------------------------------
Rows are buffered up to ``row_group_rows`` and written as one Parquet row
group, so memory does not grow with the input. Each input file is written to
``works/<part>.parquet.tmp`` and ``refs/<part>.parquet.tmp``, renamed when
complete, and only then recorded in the manifest (size, modification time,
SHA-256 of its bytes, computed while reading): a killed run leaves at most
the temporary files of the file it was in, which the next run removes and
redoes; the files done are skipped. A record that is not JSON, not an
object, or has no valid DOI (Crossref) or work id (OpenAlex) is skipped and
counted (``bad``); an unreadable file (truncated gzip) is reported as failed
and left for the next run.

Examples
--------
>>> import gzip, json, tempfile
>>> with tempfile.TemporaryDirectory() as d:     # hand-made unit records, one of them bad
...     src = Path(d) / "part-1.jsonl.gz"
...     with gzip.open(src, "wt") as fh:
...         _ = fh.write(json.dumps({"DOI": "10.5555/A", "reference": [{"key": "r1", "DOI": "10.5555/B"}]}) + "\\n")
...         _ = fh.write("{not json\\n")
...     report = ingest([src], "crossref", Path(d) / "ds")
...     again = ingest([src], "crossref", Path(d) / "ds")
>>> report.works, report.refs, report.bad, again.skipped == (str(src.resolve()),)
(1, 1, 1, True)
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from citegraph.errors import CitegraphError, StoreError, UsageError
from citegraph.sources.openalex import parse_openalex_work
from citegraph.store import Store
from citegraph.store.dataset import (
    REFS_SCHEMA,
    WORKS_SCHEMA,
    Dataset,
    FieldSelection,
    FileEntry,
    Manifest,
    open_dataset,
    select_field,
)
from citegraph.store.location import DatasetLocation
from citegraph.store.records import ParsedWork, parse_snapshot_work, parse_work

__all__ = ["FORMATS", "FileReport", "IngestReport", "StoreReport", "ingest", "iter_records", "snapshot_files",
           "to_store"]

log = logging.getLogger(__name__)

#: The snapshot formats :func:`ingest` reads.
FORMATS = ("crossref", "openalex")

#: File names taken from a folder.
_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".parquet")

_ITEMS = re.compile(r'"items"\s*:\s*\[')
_CHUNK = 1 << 20
_MAX_RECORD = 64 << 20  # a record bigger than this, still not decodable, is malformed
_WARN_BAD = 5  # bad records named per file; the rest are counted


@dataclass(frozen=True)
class FileReport:
    """What ingesting one input file gave."""

    path: str
    part: str
    records: int = 0
    works: int = 0
    refs: int = 0
    bad: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """What one :func:`ingest` call did: the files ingested now, skipped (done before) and failed."""

    files: tuple[FileReport, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.error is not None)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def works(self) -> int:
        return sum(f.works for f in self.files)

    @property
    def refs(self) -> int:
        return sum(f.refs for f in self.files)

    @property
    def bad(self) -> int:
        return sum(f.bad for f in self.files)


@dataclass(frozen=True)
class _Bad:
    reason: str


# -- reading snapshot files ------------------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """A binary file that hashes every byte read from it (so the SHA-256 costs no second pass)."""

    def __init__(self, raw: IO[bytes] | io.BufferedReader) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.digest: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.sha.update(data)
        return n

    def drain(self) -> str:
        while True:
            data = self.raw.read(_CHUNK)
            if not data:
                return self.sha.hexdigest()
            self.sha.update(data)


def snapshot_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The input files ``paths`` stand for: files as given, folders as their snapshot files (sorted).

    Raises
    ------
    UsageError
        A path that does not exist, or a folder without snapshot files.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(_SUFFIXES))
            if not found:
                raise UsageError(f"{p}: no snapshot files ({', '.join(_SUFFIXES)}) in this folder")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return list(dict.fromkeys(out))


#: A JSON escape of a UTF-16 surrogate: the only way a lone surrogate gets into a decoded string (the text itself
#: is decoded from UTF-8 with invalid bytes replaced). A record whose text has none needs no check for them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _decode_stream(text: IO[str], first: str, start: int) -> Iterator[tuple[Any, bool]]:
    """The elements of a JSON array whose ``[`` ends at ``start`` of ``first``, decoded one at a time, each with
    whether its text is free of surrogate escapes."""
    decoder = json.JSONDecoder()
    buf, pos, eof = first, start, False
    while True:
        while True:  # skip separators, reading on when the buffer runs out
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if pos < len(buf) or eof:
                break
            more = text.read(_CHUNK)
            eof = not more
            buf, pos = buf[pos:] + more, 0
        if pos >= len(buf) or buf[pos] == "]":
            return
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if eof or len(buf) - pos > _MAX_RECORD:
                    yield _Bad(f"malformed JSON in the items array ({exc.msg}): the rest of the file is skipped"), False
                    return
                more = text.read(max(_CHUNK, len(buf) - pos))
                eof = not more
                buf, pos = buf[pos:] + more, 0
                continue
            break
        yield value, _SURROGATE_ESCAPE.search(buf, pos, end) is None
        pos = end
        if pos > _CHUNK:
            buf, pos = buf[pos:], 0


def _json_records(text: IO[str]) -> Iterator[tuple[Any, bool]]:
    """Records of a JSON text stream: JSON Lines, an ``{"items": [...]}`` file (an API envelope too) or an array;
    each with whether its text is free of surrogate escapes."""
    first = text.read(1 << 16)
    stripped = first.lstrip()
    if stripped.startswith("["):
        yield from _decode_stream(text, first, first.index("[") + 1)
        return
    match = _ITEMS.search(first)
    if stripped.startswith("{") and match is not None and not _complete_line(stripped):
        yield from _decode_stream(text, first, match.end())  # a pretty-printed or long one-line items file
        return
    lines = _lines(first, text)
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Bad(f"not JSON ({exc.msg})"), False
            continue
        clean = _SURROGATE_ESCAPE.search(line) is None
        items = value.get("items") if isinstance(value, dict) else None
        if isinstance(value, dict) and isinstance(value.get("message"), dict):
            items = value["message"].get("items")
        if isinstance(items, list) and "DOI" not in value and "id" not in value:
            for item in items:
                yield item, clean
        else:
            yield value, clean


def _complete_line(text: str) -> bool:
    """Whether ``text`` starts with a whole line that is a JSON value (JSON Lines, or a short one-line file)."""
    line, nl, _ = text.partition("\n")
    if not nl:
        return False
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _lines(first: str, text: IO[str]) -> Iterator[str]:
    """The lines of ``first`` followed by the rest of ``text`` (``first`` may end mid-line)."""
    pending = first
    while True:
        nl = pending.find("\n")
        while nl >= 0:
            yield pending[:nl]
            pending = pending[nl + 1:]
            nl = pending.find("\n")
        more = text.readline()
        if not more:
            if pending:
                yield pending
            return
        pending += more


def iter_records(path: Path, hasher: _Hashing | None = None) -> Iterator[Any]:
    """The records of one snapshot file, in file order; an undecodable record is a ``_Bad`` value.

    Gzip is recognised by its magic bytes, Parquet by its (``.parquet`` name).
    """
    for record, _ in _flagged_records(path, hasher):
        yield record


def _flagged_records(path: Path, hasher: _Hashing | None = None) -> Iterator[tuple[Any, bool]]:
    """:func:`iter_records`, each record with whether its JSON text is free of surrogate escapes (then no string
    in it holds a lone surrogate; False when unknown)."""
    if path.name.lower().endswith(".parquet"):
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                yield record, False
        return
    with open(path, "rb") as raw:
        buffered: io.BufferedReader = raw
        if hasher is not None:
            hasher.raw = raw
            buffered = io.BufferedReader(hasher, _CHUNK)
        binary: Any = gzip.GzipFile(fileobj=buffered) if buffered.peek(2)[:2] == b"\x1f\x8b" else buffered
        text = io.TextIOWrapper(binary, encoding="utf-8", errors="replace")
        yield from _json_records(text)
        if hasher is not None:
            hasher.digest = hasher.drain()  # the bytes after what the decoder needed (a gzip trailer)


def _file_sha(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(chunk)
    return sha.hexdigest()


# -- records to rows -------------------------------------------------------------------------------------------


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _issns(values: Iterable[str]) -> list[str]:
    out = []
    for v in values:
        text = re.sub(r"[^0-9Xx]", "", v).upper()
        out.append(f"{text[:4]}-{text[4:]}" if len(text) == 8 else v.upper())
    return list(dict.fromkeys(out))


def _work_row(parsed: ParsedWork, *, issn: list[str], openalex: str | None, record_no: int) -> tuple[Any, ...]:
    w = parsed.work
    return (w.doi, w.doi_original, w.title, w.year, w.container, w.type, w.first_author, issn, list(w.subjects),
            w.abstract, w.references_count, w.is_referenced_by_count, openalex, record_no)


class _Writer:
    """Column buffers of one table, flushed as a row group every ``rows`` rows to ``target`` (temporary).

    Rows are added as tuples; ``columns`` maps a schema column to its position in them. ``tail`` names a
    column whose value is given once per batch of rows (:meth:`extend`: the record number of a record's
    references). The other columns of the schema hold the same value in every row of this file
    (``constants``) or null. Columns, not one dict per row: pyarrow converts a list per column several times
    faster than a list of row dicts; and the columns are taken with ``itemgetter``, not ``zip(*rows)``, which
    makes a tuple iterator per row and lets the garbage collector walk the buffer again and again (1.2 s
    against 0.2 s for 500,000 references).
    """

    def __init__(self, target: tuple[Any, Any], schema: pa.Schema, rows: int, columns: Mapping[str, int],
                 constants: Mapping[str, Any], tail: str | None = None) -> None:
        self.path, self.schema, self.rows = target[0], schema, rows
        self.columns, self.constants, self.tail = dict(columns), dict(constants), tail
        self.buffer: list[tuple[Any, ...]] = []
        self.tail_values: list[Any] = []
        # target: (path, None) for a local file, (path in the file system, pyarrow file system) for a URL
        self.writer = pq.ParquetWriter(target[0], schema, compression="zstd", filesystem=target[1])
        self.written = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows:
            self.flush()

    def extend(self, rows: list[tuple[Any, ...]], tail: Any = None) -> None:
        self.buffer.extend(rows)
        if self.tail is not None:
            self.tail_values.extend([tail] * len(rows))
        if len(self.buffer) >= self.rows:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        n = len(self.buffer)
        arrays = []
        for name, kind in zip(self.schema.names, self.schema.types, strict=True):
            if name in self.columns:
                arrays.append(pa.array(list(map(itemgetter(self.columns[name]), self.buffer)), type=kind))
            elif name == self.tail:
                arrays.append(pa.array(self.tail_values, type=kind))
            else:
                arrays.append(pa.repeat(pa.scalar(self.constants.get(name), type=kind), n))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema), row_group_size=max(self.rows, n))
        self.written += n
        self.buffer = []
        self.tail_values = []

    def close(self) -> None:
        self.flush()
        self.writer.close()

    def abandon(self) -> None:
        """Close without flushing, whatever state the writer is in (its file is given up)."""
        with contextlib.suppress(Exception):
            self.writer.close()


#: The columns of the works table that vary from record to record, in the order :func:`_work_row` gives them.
_WORK_ROW = {name: i for i, name in enumerate((
    "key", "doi_original", "title", "year", "container", "type", "first_author", "issn", "subjects", "abstract",
    "references_count", "is_referenced_by_count", "openalex_id", "record_no"))}
#: Where a Crossref reference's columns are in its tuple (:class:`~citegraph.store.records.ReferenceRow`'s order:
#: citing, position, cited, cited_original, doi_asserted_by, key, unstructured, article_title, journal_title,
#: year, first_author, volume, page); the record number is the tail.
_CROSSREF_REF = {"citing": 0, "position": 1, "cited": 2, "cited_original": 3, "unstructured": 6,
                 "article_title": 7, "journal_title": 8, "year": 9, "first_author": 10}
#: Those of an OpenAlex reference (citing, position, cited OpenAlex id).
_OPENALEX_REF = {"citing": 0, "position": 1, "cited_openalex": 2}


def _part_name(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name)[:80]
    return f"{stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]}"


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a file is parsed, run by hand every :data:`_COLLECT_EVERY`
    records instead.

    Parsing makes millions of short-lived dicts, lists and tuples with no reference cycles (reference counting
    frees them), and each automatic collection walks every live container, among them the row buffers of up
    to 400,000 tuples: about 15% of the ingestion's time (5.0 s against 5.9 s for 500,000 references).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: Records between two collections while a file is ingested (:func:`_collector_paused`).
_COLLECT_EVERY = 1 << 16


def _ingest_file(path: Path, fmt: str, out: DatasetLocation, part: str,
                 row_group_rows: int) -> tuple[FileReport, str]:
    """Ingest one file (:func:`ingest`), the garbage collector paused (:func:`_collector_paused`)."""
    with _collector_paused():
        return _ingest_one(path, fmt, out, part, row_group_rows)


def _ingest_one(path: Path, fmt: str, out: DatasetLocation, part: str,
                row_group_rows: int) -> tuple[FileReport, str]:
    started = time.monotonic()
    works_tmp, refs_tmp = ("works", f"{part}.parquet.tmp"), ("refs", f"{part}.parquet.tmp")
    source = f"file:{path.name}"
    constants = {"fmt": fmt, "source": source, "part": part}
    works = _Writer(out.writer_target(*works_tmp), WORKS_SCHEMA, row_group_rows, _WORK_ROW, constants)
    refs = _Writer(out.writer_target(*refs_tmp), REFS_SCHEMA, row_group_rows * 8,
                   _CROSSREF_REF if fmt == "crossref" else _OPENALEX_REF, constants, tail="record_no")
    records = bad = 0
    hasher = _Hashing(io.BytesIO()) if not path.name.lower().endswith(".parquet") else None
    try:
        for record_no, (record, surrogate_free) in enumerate(_flagged_records(path, hasher)):
            records += 1
            if not record_no % _COLLECT_EVERY:
                gc.collect()
            try:
                if isinstance(record, _Bad):
                    raise CitegraphError(record.reason)
                if fmt == "crossref":
                    parsed, rows = parse_snapshot_work(record, source=source, surrogate_free=surrogate_free)
                    issn = _issns(_str_list(record.get("ISSN")))
                    works.add(_work_row(parsed, issn=issn, openalex=None, record_no=record_no))
                    refs.extend(rows, record_no)
                else:
                    work = parse_openalex_work(record)
                    src = (record.get("primary_location") or {}).get("source") if isinstance(
                        record.get("primary_location"), Mapping) else None
                    issn = _issns(_str_list(src.get("issn")) + _str_list(src.get("issn_l"))) if isinstance(
                        src, Mapping) else []
                    works.add(_work_row(work.parsed, issn=issn, openalex=work.openalex_id, record_no=record_no))
                    refs.extend([(work.key, position, cited)
                                 for position, cited in enumerate(work.referenced, start=1)], record_no)
            except (CitegraphError, ValueError, TypeError, AttributeError, KeyError) as exc:
                bad += 1
                if bad <= _WARN_BAD:
                    log.warning("%s: record %d skipped: %s", path.name, record_no + 1, exc)
        works.close()
        refs.close()
    except StoreError:  # the dataset's storage, not the input file: the whole run stops
        works.abandon()
        refs.abandon()
        raise
    except (OSError, EOFError, UnicodeError, pa.ArrowException) as exc:  # the file, not a record
        works.abandon()  # its file is removed below
        refs.abandon()
        for tmp in (works_tmp, refs_tmp):
            out.remove(*tmp)
        reason = f"{type(exc).__name__}: {exc}"
        log.error("%s: unreadable after %d record(s) (%s): left for the next run", path, records, reason)
        return FileReport(str(path.resolve()), part, records, works.written, refs.written, bad,
                          time.monotonic() - started, reason), ""
    sha = hasher.digest if hasher is not None and hasher.digest is not None else _file_sha(path)
    out.rename(works_tmp, ("works", f"{part}.parquet"))
    out.rename(refs_tmp, ("refs", f"{part}.parquet"))
    if bad > _WARN_BAD:
        log.warning("%s: %d bad record(s) skipped in all", path.name, bad)
    return FileReport(str(path.resolve()), part, records, works.written, refs.written, bad,
                      time.monotonic() - started), sha


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    fmt: str,
    out_dir: str | os.PathLike[str] | DatasetLocation,
    *,
    resume: bool = True,
    progress: Callable[[int, int, FileReport], None] | None = None,
    row_group_rows: int = 50_000,
    workers: int = 1,
) -> IngestReport:
    """Stream snapshot files into the Parquet dataset at ``out_dir`` (created when missing).

    Parameters
    ----------
    paths : iterable of path
        Snapshot files, or folders of them (:func:`snapshot_files`).
    fmt : {"crossref", "openalex"}
        What the records are.
    out_dir : path or URL
        The dataset folder (:mod:`citegraph.store.dataset`), or a URL where it
        lives (``s3://bucket/snapshot``, ``gs://``, ``abfs://``, ``hdfs://``:
        :mod:`citegraph.store.location`); several calls, also with different
        formats, add to one dataset. The snapshot files are local.
    resume : bool
        Skip the files the manifest lists with the same size and modification
        time (the default). With False every file given is ingested again.
    progress : callable, optional
        Called as ``progress(i, n, file_report)`` after each file (``i``
        counts from 1); a line per file is logged at INFO level either way.
    row_group_rows : int
        Works per Parquet row group (references: eight times as many); the
        memory held is about this many rows (per worker).
    workers : int
        Input files ingested at once, each in its own process (parsing is
        Python, one core per file); the manifest is written by this process
        only, as each file completes.

    Returns
    -------
    IngestReport

    Raises
    ------
    UsageError
        An unknown format, a missing path, a URL of an unknown scheme.
    StoreError
        A URL that cannot be reached or written (network, credentials): the
        files finished before are in the manifest.
    """
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if row_group_rows < 1:
        raise UsageError(f"row_group_rows {row_group_rows} must be at least 1")
    files = snapshot_files(paths)
    out = DatasetLocation.of(out_dir)
    out.makedirs()
    with out.lock():
        for sub in ("works", "refs"):
            out.makedirs(sub)
            for stale in out.names(sub):
                if stale.endswith(".tmp"):  # what a killed run left
                    log.info("removing %s, left by an interrupted run", out.uri(sub, stale))
                    out.remove(sub, stale)
        manifest = Manifest.load(out)
        done: list[FileReport] = []
        skipped: list[str] = []
        todo: list[tuple[int, Path, os.stat_result]] = []
        present = {sub: set(out.names(sub)) for sub in ("works", "refs")}
        for i, path in enumerate(files, start=1):
            key = str(path.resolve())
            st = path.stat()
            entry = manifest.files.get(key)
            if (resume and entry is not None and entry.size == st.st_size and entry.mtime_ns == st.st_mtime_ns
                    and f"{entry.part}.parquet" in present["works"] and f"{entry.part}.parquet" in present["refs"]):
                log.info("ingest [%d/%d] %s: done before, skipped", i, len(files), path.name)
                skipped.append(key)
            else:
                todo.append((i, path, st))

        def finished(i: int, path: Path, st: os.stat_result, report: FileReport, sha: str) -> None:
            done.append(report)
            if report.error is None:
                manifest.files[report.path] = FileEntry(report.path, st.st_size, st.st_mtime_ns, sha, report.part, fmt,
                                                        report.records, report.works, report.refs, report.bad)
                manifest.save(out)
                log.info("ingest [%d/%d] %s: %d record(s), %d work(s), %d reference(s), %d bad, %.1f s",
                         i, len(files), path.name, report.records, report.works, report.refs, report.bad,
                         report.seconds)
            if progress is not None:
                progress(i, len(files), report)

        if workers <= 1 or len(todo) <= 1:
            for i, path, st in todo:
                log.info("ingest [%d/%d] %s (%s, %.1f MB) ...", i, len(files), path.name, fmt, st.st_size / 1e6)
                finished(i, path, st, *_ingest_file(path, fmt, out, _part_name(path), row_group_rows))
        else:
            # a URL's client (the AWS SDK's threads) does not survive fork: workers then start afresh
            context = multiprocessing.get_context("spawn") if out.remote else None
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {pool.submit(_ingest_file, path, fmt, out, _part_name(path), row_group_rows): (i, path, st)
                           for i, path, st in todo}
                for future in as_completed(futures):
                    finished(*futures[future], *future.result())
        return IngestReport(tuple(done), tuple(skipped))


# -- back to a store -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreReport:
    """What :func:`to_store` wrote: the works selected, and those written by format."""

    selected: int
    crossref: int = 0
    openalex: int = 0
    seeds: int = 0
    files: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Seed:
    doi: Any
    role: str = "seed"
    note: str | None = None
    source: str = "snapshot field"


def to_store(
    dataset_dir: str | os.PathLike[str] | DatasetLocation,
    selection: FieldSelection | Iterable[str] | None,
    store_path: str | os.PathLike[str],
    *,
    dataset: Dataset | None = None,
    batch: int = 2000,
) -> StoreReport:
    """Write the works of a field as a normal citegraph store (SQLite), re-parsed from their snapshot files.

    The selected works' records are read again from the input files the
    manifest names (checked unchanged by size and modification time) and
    parsed exactly as at ingestion, so the store holds what ``citegraph fetch
    --from FILE`` or an OpenAlex fetch would have stored: works, reference
    lists, notices, raw records; a key read more than once is stored from its
    winning record. Cited works outside the field are in the store as
    references only (unresolved nodes of the citation graph), as at the last
    level of a fetch. A selection's seeds become the store's seeds.

    Parameters
    ----------
    dataset_dir : path or URL
        An ingested dataset (a folder or a URL; the snapshot files it was
        ingested from must be readable here, at the paths the manifest names).
    selection : FieldSelection, iterable of str or None
        The field (:func:`~citegraph.store.dataset.select_field`), a list of
        keys, or None for everything.
    store_path : path
        The store to write (created, or added to).
    dataset : Dataset, optional
        An opened dataset to use (its engine) instead of opening one on DuckDB.
    batch : int
        Works per store transaction.
    """
    own = dataset is None
    ds = dataset if dataset is not None else open_dataset(dataset_dir)
    try:
        seeds: tuple[str, ...] = ()
        if isinstance(selection, FieldSelection):
            selected = select_field(ds, selection)
            seeds = selection.seeds
        elif selection is None:
            if ds.field is not None:
                ds.use_field(None)
            ds.engine.materialize("cg_field", "SELECT key FROM cg_works")
            selected = ds.count("cg_field")
        else:
            keys = sorted(set(selection))
            ds.engine.register_table("cg_field_keys", pa.table({"key": pa.array(keys, type=pa.string())}))
            ds.engine.materialize("cg_field", "SELECT DISTINCT w.key FROM cg_works w JOIN cg_field_keys k "
                                              "ON w.key = k.key")
            selected = ds.count("cg_field")
        wanted = ds.engine.sql("SELECT r.part, r.record_no, r.fmt FROM cg_records r "
                               "JOIN cg_field f ON r.key = f.key ORDER BY r.part, r.record_no")
        manifest = ds.manifest
    finally:
        if own:
            ds.close()
    by_part: dict[str, dict[int, str]] = {}
    for part, record_no, fmt in zip(*(wanted.column(c).to_pylist() for c in ("part", "record_no", "fmt")),
                                    strict=True):
        by_part.setdefault(str(part), {})[int(record_no)] = str(fmt)
    entries = {e.part: e for e in manifest.files.values()}
    counts = {"crossref": 0, "openalex": 0}
    used: list[str] = []
    # Crossref files first, in the order they were read: a store keeps the last Crossref row of a key
    order = sorted(by_part, key=lambda p: (entries[p].fmt != "crossref", Path(entries[p].path).name, p))
    with Store(store_path) as store:
        for part in order:
            entry = entries[part]
            path = Path(entry.path)
            _check_unchanged(path, entry)
            wanted_here = by_part[part]
            used.append(str(path))
            pending_cr: list[ParsedWork] = []
            pending_oa: list[Any] = []
            source = f"file:{path.name}"
            for record_no, record in enumerate(iter_records(path)):
                fmt = wanted_here.get(record_no)
                if fmt is None or isinstance(record, _Bad):
                    continue
                if fmt == "crossref":
                    pending_cr.append(parse_work(record, source=source))
                else:
                    pending_oa.append(parse_openalex_work(record).source_record())
                if len(pending_cr) >= batch:
                    store.add_works(pending_cr)
                    counts["crossref"] += len(pending_cr)
                    pending_cr = []
                if len(pending_oa) >= batch:
                    store.add_source_records(pending_oa, source="openalex")
                    counts["openalex"] += len(pending_oa)
                    pending_oa = []
            if pending_cr:
                store.add_works(pending_cr)
                counts["crossref"] += len(pending_cr)
            if pending_oa:
                store.add_source_records(pending_oa, source="openalex")
                counts["openalex"] += len(pending_oa)
            log.info("to_store: %s: %d record(s) written", path.name, len(wanted_here))
        n_seeds = 0
        if seeds:
            from citegraph.doi import normalize_doi

            n_seeds = store.add_seeds([_Seed(normalize_doi(s)) for s in seeds if not s.startswith("openalex:")])
    log.info("to_store: %d work(s) selected, %d Crossref and %d OpenAlex record(s) written to %s",
             selected, counts["crossref"], counts["openalex"], store_path)
    return StoreReport(selected, counts["crossref"], counts["openalex"], n_seeds, tuple(used))


def _check_unchanged(path: Path, entry: FileEntry) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise UsageError(f"{path}: the snapshot file this dataset was ingested from is gone ({exc}); "
                         "to_store reads the selected records from it") from exc
    if st.st_size != entry.size or st.st_mtime_ns != entry.mtime_ns:
        raise UsageError(f"{path} changed since it was ingested (size or modification time differ): "
                         "ingest it again first")
