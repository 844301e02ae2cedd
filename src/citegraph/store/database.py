"""The local SQLite store: works, references, not-found DOIs, seeds and runs.

Everything citegraph fetches lands here first, so nothing is fetched twice
and an interrupted run resumes where it stopped. The store is one SQLite
file in WAL mode; its schema version lives in ``PRAGMA user_version`` and is
brought forward by :data:`MIGRATIONS` when an older store is opened. Every
write happens inside a transaction, so a crash (even ``SIGKILL``) leaves the
store as it was after the last complete batch.

Tables
------
``works``
    one row per resolved work, keyed by the lower-case DOI, with the full
    record as received (``raw_json``) and the extracted columns.
``refs``
    one row per reference-list entry (citing DOI, 1-based position); ``cited``
    is NULL when the entry carries no DOI.
``not_found``
    DOIs the source does not know (e.g. DataCite DOIs asked of Crossref);
    they are not asked again unless the caller retries them on purpose.
``seeds``
    the seed DOIs of this store, with their role and where they came from.
``runs``
    a log of commands run against the store (arguments, times, counts).
``imports`` and ``imported``
    the database export files read by ``citegraph import`` (path, format,
    checksum, counts) and, per imported work, the file, line and the
    database's own identifier (WoS ``UT``, Scopus ``EID``, Lens ID).
``source_records`` and ``source_refs``
    works as a further source (OpenAlex) gives them: per work and source the
    record as received and the work's identifier there (``W2741809807``), and
    the identifiers of the works it cites there. A work found in several
    sources is one work (one key: DOI first, else ``openalex:W...``); its
    ``works`` row holds the record of the first source of
    :data:`RECORD_PRIORITY` that gave it, the others stay here.
``notices``
    retractions, corrections, expressions of concern and other updates of a
    work, as Crossref (``updated-by``, ``update-to``, Retraction Watch
    included) and OpenAlex (``is_retracted``) report them, each with the
    record that carried it.
``enrichments`` and ``field_conflicts``
    written by ``citegraph import --enrich`` (:mod:`citegraph.sources.enrich`):
    per imported work and source, the Crossref record found for its DOI
    (NULL: the source does not know it), when it was asked, and a digest of
    the imported record it was applied to (to apply it again after a re-import);
    and per work and field where the imported value and the source's value
    disagree, both values (the imported one is the one kept in ``works``).
    A conflict row goes with its work when the work is replaced (re-import).

Works are keyed by their lower-case DOI; a work imported without a DOI is
keyed by its database identifier with a prefix (``wos:000263829900013``,
``scopus:2-s2.0-...``, ``lens:...``, ``openalex:W...``), which never looks
like a DOI (DOIs start with ``10.``).

Examples
--------
>>> from citegraph.store.records import parse_work
>>> with Store(":memory:") as store:
...     added = store.add_works([parse_work({"DOI": "10.1/A", "title": ["T"],
...                                          "reference": [{"key": "k", "DOI": "10.1/b"}]},
...                                         source="doctest")])
...     added, store.counts()["works"], store.stored_keys(["10.1/a", "10.1/b"])
(1, 1, {'10.1/a'})
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

from citegraph._version import __version__
from citegraph.errors import StoreError
from citegraph.store.records import Notice, ParsedWork, ReferenceRow, SourceRecord, clean_work, crossref_notices

__all__ = [
    "IMPORT_DATABASES",
    "MIGRATIONS",
    "RECORD_PRIORITY",
    "RECORD_SOURCES",
    "REF_SOURCE_SQL",
    "SCHEMA_VERSION",
    "SOURCE_EDGES_SQL",
    "CitationEdge",
    "SeedCoverage",
    "SeedRow",
    "Store",
    "utc_now",
]

log = logging.getLogger(__name__)

_SCHEMA_V1 = """
CREATE TABLE works (
    doi                    TEXT PRIMARY KEY,
    doi_original           TEXT NOT NULL,
    title                  TEXT,
    year                   INTEGER,
    container              TEXT,
    type                   TEXT,
    first_author           TEXT,
    authors                TEXT NOT NULL DEFAULT '[]',
    is_referenced_by_count INTEGER,
    references_count       INTEGER,
    abstract               TEXT,
    subjects               TEXT NOT NULL DEFAULT '[]',
    source                 TEXT NOT NULL,
    fetched_at             TEXT NOT NULL,
    raw_json               TEXT NOT NULL
);
CREATE TABLE refs (
    citing          TEXT NOT NULL REFERENCES works(doi) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    cited           TEXT,
    cited_original  TEXT,
    doi_asserted_by TEXT,
    key             TEXT,
    unstructured    TEXT,
    article_title   TEXT,
    journal_title   TEXT,
    year            INTEGER,
    first_author    TEXT,
    PRIMARY KEY (citing, position)
);
CREATE INDEX refs_cited ON refs(cited);
CREATE TABLE not_found (
    doi          TEXT NOT NULL,
    doi_original TEXT NOT NULL,
    source       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_checked TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (doi, source)
);
CREATE TABLE seeds (
    doi          TEXT PRIMARY KEY,
    doi_original TEXT NOT NULL,
    role         TEXT,
    note         TEXT,
    origin       TEXT,
    added_at     TEXT NOT NULL
);
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    command     TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    status      TEXT NOT NULL,
    counts      TEXT,
    error       TEXT,
    version     TEXT NOT NULL
);
"""

_SCHEMA_V2 = """
CREATE TABLE oc_citations (
    citing     TEXT NOT NULL,
    cited      TEXT NOT NULL,
    citing_original TEXT NOT NULL,
    oci        TEXT,
    creation   TEXT,
    timespan   TEXT,
    journal_sc INTEGER,
    author_sc  INTEGER,
    source     TEXT NOT NULL,
    PRIMARY KEY (citing, cited, source)
);
CREATE INDEX oc_citations_cited ON oc_citations(cited);
CREATE TABLE forward_checks (
    doi        TEXT NOT NULL,
    source     TEXT NOT NULL,
    citations  INTEGER NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (doi, source)
);
CREATE TABLE ref_matches (
    citing     TEXT NOT NULL,
    position   INTEGER NOT NULL,
    matched    TEXT,
    score      REAL,
    threshold  REAL NOT NULL,
    query      TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    PRIMARY KEY (citing, position),
    FOREIGN KEY (citing, position) REFERENCES refs(citing, position) ON DELETE CASCADE
);
CREATE TABLE merges (
    alias     TEXT PRIMARY KEY,
    canonical TEXT NOT NULL,
    reason    TEXT NOT NULL,
    merged_at TEXT NOT NULL
)
"""

_SCHEMA_V3 = """
ALTER TABLE works ADD COLUMN volume TEXT;
ALTER TABLE works ADD COLUMN page TEXT;
ALTER TABLE refs ADD COLUMN volume TEXT;
ALTER TABLE refs ADD COLUMN page TEXT;
ALTER TABLE ref_matches ADD COLUMN rule TEXT;
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    path        TEXT NOT NULL,
    format      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    records     INTEGER NOT NULL,
    refs        INTEGER NOT NULL,
    problems    INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    run         INTEGER
);
CREATE TABLE imported (
    work      TEXT NOT NULL,
    import    INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    line      INTEGER,
    native_id TEXT,
    PRIMARY KEY (work, import)
);
CREATE INDEX imported_native ON imported(native_id);
CREATE TABLE enrichments (
    work       TEXT NOT NULL,
    source     TEXT NOT NULL,
    record     TEXT,
    checked_at TEXT NOT NULL,
    applied_to TEXT,
    PRIMARY KEY (work, source)
);
CREATE TABLE field_conflicts (
    work         TEXT NOT NULL REFERENCES works(doi) ON DELETE CASCADE,
    field        TEXT NOT NULL,
    kept         TEXT,
    kept_source  TEXT NOT NULL,
    other        TEXT,
    other_source TEXT NOT NULL,
    PRIMARY KEY (work, field, other_source)
)
"""

_SCHEMA_V4 = """
CREATE TABLE source_records (
    work       TEXT NOT NULL,
    source     TEXT NOT NULL,
    native_id  TEXT NOT NULL,
    record     TEXT NOT NULL,
    refs       INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (work, source)
);
CREATE INDEX source_records_native ON source_records(native_id, source);
CREATE TABLE source_refs (
    citing    TEXT NOT NULL,
    source    TEXT NOT NULL,
    cited_id  TEXT NOT NULL,
    PRIMARY KEY (citing, source, cited_id)
);
CREATE INDEX source_refs_cited ON source_refs(cited_id);
CREATE TABLE notices (
    work        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    notice_doi  TEXT NOT NULL DEFAULT '',
    date        TEXT,
    label       TEXT,
    reported_by TEXT NOT NULL,
    reported_in TEXT NOT NULL,
    PRIMARY KEY (work, kind, source, notice_doi, reported_by, reported_in)
);
CREATE INDEX notices_reported_in ON notices(reported_in, reported_by)
"""

#: Forward migrations: entry ``i`` brings a store from version ``i`` to ``i+1``.
#: Version 2 adds OpenCitations edges, forward-citation checks, reference
#: matches and recorded merges of duplicates. Version 3 adds imported export
#: files, volume and first page of works and references (for matching
#: references to records by key), the rule that made each reference match,
#: and the Crossref records and field disagreements of ``import --enrich``.
#: Version 4 adds records and reference lists of further sources (OpenAlex)
#: and notices (retractions, corrections); the notices of Crossref records
#: already stored are read from them when the store is migrated.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4)

#: Sources whose records are kept in ``source_records`` (beside the ``works`` row of any other source).
RECORD_SOURCES = ("openalex",)

#: Which record a work's ``works`` row holds when several sources gave it: an imported record or a
#: Crossref record (from the API or a file) is never replaced by a record of :data:`RECORD_SOURCES`;
#: a work only a record source gave gets that source's row, replaced when Crossref gives the work.
RECORD_PRIORITY = ("import", "crossref", "openalex")

#: Databases whose exports ``citegraph import`` reads: a reference entry whose ``doi_asserted_by`` is one
#: of them came from that database's export, and its edge is credited to it (not to Crossref).
IMPORT_DATABASES = ("lens", "openalex", "scopus", "wos")

#: SQL columns ``source, asserted_by`` of a ``refs`` row: the database of an imported entry, else Crossref
#: (which says who asserted the DOI: ``publisher`` or ``crossref``).
REF_SOURCE_SQL = (
    "CASE WHEN doi_asserted_by IN ({0}) THEN doi_asserted_by ELSE 'crossref' END, "
    "CASE WHEN doi_asserted_by IN ({0}) THEN '' ELSE COALESCE(doi_asserted_by, '') END"
).format(", ".join(f"'{d}'" for d in IMPORT_DATABASES))

#: SQL rows ``citing, cited, source`` of the citations further sources (OpenAlex) give: a reference list
#: entry counts when the cited work's record is stored (its key is known), so the edge joins the works the
#: other sources name by DOI instead of making a second node for the same work.
SOURCE_EDGES_SQL = (
    "SELECT r.citing, c.work, r.source FROM source_refs r "
    "JOIN source_records c ON c.native_id = r.cited_id AND c.source = r.source WHERE c.work != r.citing"
)

#: The schema version this citegraph writes.
SCHEMA_VERSION = len(MIGRATIONS)

_WORK_COLUMNS = (
    "doi",
    "doi_original",
    "title",
    "year",
    "container",
    "type",
    "first_author",
    "authors",
    "is_referenced_by_count",
    "references_count",
    "abstract",
    "subjects",
    "source",
    "fetched_at",
    "raw_json",
    "volume",
    "page",
)
_REF_COLUMNS = (
    "citing",
    "position",
    "cited",
    "cited_original",
    "doi_asserted_by",
    "key",
    "unstructured",
    "article_title",
    "journal_title",
    "year",
    "first_author",
    "volume",
    "page",
)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. ``2026-01-02T03:04:05Z``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CitationEdge:
    """One citation between two DOIs with where it was seen.

    ``sources`` is a sorted tuple of ``crossref``, ``crossref-match`` and
    ``opencitations``; ``asserted_by`` the sorted ``doi-asserted-by`` values
    of the Crossref reference entries (``publisher``, ``crossref``).
    """

    citing: str
    cited: str
    sources: tuple[str, ...]
    asserted_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedRow:
    """A seed as stored: DOI key and original spelling, role, note, origin."""

    doi: str
    doi_original: str
    role: str | None
    note: str | None
    origin: str | None


@dataclass(frozen=True)
class SeedCoverage:
    """How complete the reference data of one seed is.

    ``references_count`` is what Crossref says the work has;
    ``references_open`` how many entries its record actually carries (open
    references); ``with_doi`` how many of those carry a DOI; ``resolved``
    how many of those are themselves stored; ``not_found`` how many the
    source did not know.
    """

    doi: str
    role: str | None
    stored: bool
    title: str | None
    year: int | None
    references_count: int | None
    references_open: int
    with_doi: int
    resolved: int
    not_found: int



#: SQLite errors that are citegraph's bugs (bad SQL, a broken constraint), not a damaged store.
_BUG_ERRORS = (sqlite3.ProgrammingError, sqlite3.IntegrityError, sqlite3.NotSupportedError)

#: The tables every citegraph store has had since schema version 1.
_CITEGRAPH_TABLES = frozenset({"works", "refs", "not_found", "seeds", "runs"})


def _identity(path: Path | None) -> tuple[int, int] | None:
    """``(device, inode)`` of a file, None when it does not exist (or for an in-memory store)."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _identity_of(fh: Any) -> tuple[int, int]:
    st = os.fstat(fh.fileno())
    return st.st_dev, st.st_ino


def _check_citegraph_file(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a SQLite file that is not a citegraph store, before anything is written to it.

    An empty database (no schema, ``user_version`` 0) is a new store; one
    with citegraph's tables is a store (its ``user_version``, the schema
    version, is checked next); anything else belongs to another application.
    """
    # one statement, one snapshot: another process creating the same store commits its tables and its
    # user_version together, and two separate reads could see one without the other
    rows = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), type, name FROM "
        "(SELECT NULL AS type, NULL AS name UNION ALL "
        " SELECT type, name FROM sqlite_master WHERE name != 'sqlite_sequence')").fetchall()
    version = int(rows[0][0])
    objects = [(kind, name) for _, kind, name in rows if name is not None]
    tables = {name for kind, name in objects if kind == "table"}
    if _CITEGRAPH_TABLES <= tables:
        return
    if not objects and version == 0:
        return
    tables = tables or {name for _, name in objects} or {"no tables, user_version set"}
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    raise StoreError(f"{path} is not a citegraph store: it is a SQLite database with other tables ({shown}); "
                     "it was left unchanged: give another --store")


def _open_readonly(path: str) -> sqlite3.Connection:
    """Open an existing store read-only: ``mode=ro``, or also ``immutable=1`` when its folder is not writable.

    A WAL database needs its ``-shm`` file even for reading; where SQLite
    cannot create it ("attempt to write a readonly database", "unable to
    open"), the file is read as immutable: nothing is written beside it,
    and changes left in an un-checkpointed ``-wal`` file are not seen (a
    warning says so).
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    for attempt in (uri, uri + "&immutable=1"):
        conn = sqlite3.connect(attempt, uri=True, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            _check_citegraph_file(conn, path)
            return conn
        except sqlite3.DatabaseError as exc:
            conn.close()
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if attempt != uri or code not in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
                raise
        except BaseException:
            conn.close()
            raise
        wal = Path(path + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            log.warning("store %s: its folder is not writable, so it is read as immutable; the changes in %s "
                        "(never checkpointed) are not seen", path, wal)
        else:
            log.info("store %s: its folder is not writable; read as immutable", path)
    raise AssertionError("unreachable")  # pragma: no cover


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _wal(conn: sqlite3.Connection) -> str:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the lock it needs.

    SQLite answers "database is locked" at once, without waiting out the
    busy timeout, when connections opening a new database switch it to WAL
    at the same moment (about 1 in 12 first opens of 6 threads, measured);
    so the switch is retried with back-off for up to 10 s.
    """
    # imported here: a read-only open (`citegraph status`) never retries, and tenacity is a third of this module's
    # import time
    from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

    for attempt in Retrying(retry=retry_if_exception(_locked), stop=stop_after_delay(10),
                            wait=wait_exponential(multiplier=0.005, max=0.2), reraise=True):
        with attempt:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    raise AssertionError("unreachable")  # pragma: no cover - Retrying returns or raises

class Store:
    """A citegraph SQLite store.

    Parameters
    ----------
    path : str or Path
        The database file (created with its parent folder when missing), or
        ``":memory:"``.
    readonly : bool
        Open an existing store without writing to it (no migration).

    Raises
    ------
    StoreError
        When the file cannot be created or opened, is not a SQLite database,
        is another application's SQLite database (refused before anything
        is written to it), or was written by a newer citegraph.

    Notes
    -----
    A read-only store in a folder that cannot be written (where SQLite
    cannot create the ``-shm`` file a WAL database needs) is opened as
    immutable. Used as a context manager, a store turns the SQLite errors of
    a damaged file met inside the block ("database disk image is
    malformed", an I/O error) into :class:`StoreError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.readonly = readonly
        self._created = False  # this object made the file (and the folders in self._made_dirs)
        self._made_dirs: list[Path] = []
        self._conn = self._connect(str(path), readonly)
        try:
            self._migrate()
            self._identity = _identity(self.path)
        except BaseException:
            self._conn.close()
            raise

    # -- opening ---------------------------------------------------------
    def _connect(self, path: str, readonly: bool) -> sqlite3.Connection:
        if path != ":memory:":
            p = Path(path)
            if p.is_dir():
                example = str(p / "citegraph.sqlite")
                raise StoreError(f"store path {path!r} is a directory; give a file such as {example!r}")
            if readonly and not p.exists():
                raise StoreError(f"no store at {path!r}: run `citegraph fetch` or `citegraph import` first, "
                                 "or pass --store")
            if not readonly:
                folder = p.absolute().parent
                while not folder.exists() and folder != folder.parent:
                    self._made_dirs.append(folder)
                    folder = folder.parent
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the folder for store {path!r}: {exc.strerror or exc}") from exc
                self._created = not p.exists()
        conn: sqlite3.Connection | None = None
        try:
            if readonly and path != ":memory:":
                conn = _open_readonly(path)
            else:
                conn = sqlite3.connect(path, isolation_level=None)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA busy_timeout = 10000")
                _check_citegraph_file(conn, path)  # before anything is written to the file
            if not readonly:
                mode = _wal(conn)
                if path != ":memory:" and str(mode).lower() != "wal":
                    log.warning("store %s: WAL mode unavailable (journal_mode=%s)", path, mode)
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise StoreError(
                f"cannot open store {path!r}: {exc} (is it a citegraph SQLite file, and writable?)"
            ) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.display_path} has schema version {version}, but this citegraph "
                f"({__version__}) knows versions up to {SCHEMA_VERSION}: upgrade citegraph"
            )
        if version == SCHEMA_VERSION:
            return
        if self.readonly:
            if self.path is not None and os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK):
                # a read command on a store an older citegraph wrote: bring the schema forward once (adding
                # tables and columns only), then read it as asked
                with Store(self.path):
                    log.info("store %s: schema brought from version %d to %d", self.display_path, version,
                             SCHEMA_VERSION)
                self._conn.close()
                self._conn = _open_readonly(str(self.path))
                return
            raise StoreError(
                f"store {self.display_path} has schema version {version} and needs migrating "
                f"to {SCHEMA_VERSION}, but it is not writable here; run citegraph once where it is"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            try:
                with self.transaction():
                    # re-read under the write lock: another connection may have
                    # migrated since we looked
                    if self.schema_version >= target:
                        continue
                    log.info("migrating store %s to schema version %d", self.display_path, target)
                    for statement in _split_sql(MIGRATIONS[target - 1]):
                        self._conn.execute(statement)
                    if target == 4:
                        _backfill_notices(self._conn)
                    self._conn.execute(f"PRAGMA user_version = {target:d}")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot write store {self.display_path}: {exc}") from exc

    @property
    def display_path(self) -> str:
        """The store's path as text (``:memory:`` for an in-memory store)."""
        return str(self.path) if self.path is not None else ":memory:"

    @property
    def schema_version(self) -> int:
        """The schema version of the open database (``PRAGMA user_version``)."""
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, _BUG_ERRORS):
            raise self._unusable(exc) from exc

    def _unusable(self, exc: sqlite3.DatabaseError) -> StoreError:
        """The :class:`StoreError` for a SQLite error met while using the store (damaged, unreadable, busy)."""
        text = " ".join(str(exc).split())
        hint = ("; the file is damaged: check it with `sqlite3 FILE 'PRAGMA integrity_check'`, restore a copy or "
                "fetch into a new --store") if "malformed" in text or "not a database" in text else ""
        return StoreError(f"store {self.display_path} cannot be used: {text}{hint}")

    def _writer_alive(self) -> bool:
        """Whether a process holds (or may hold) this store's writer lock, from the pid in ``<store>.lock``."""
        if self.path is None:
            return True
        try:
            text = self.path.with_name(self.path.name + ".lock").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return False
        if not text.isdigit():
            return False
        pid = int(text)
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # e.g. another user's process: alive
            return True
        return True

    def _holds_data(self) -> bool:
        """Whether anything but the run log is stored."""
        tables = ("works", "refs", "not_found", "seeds", "oc_citations", "forward_checks", "ref_matches", "merges",
                  "imports", "enrichments", "field_conflicts")
        sql = " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in tables)
        return bool(self._conn.execute(f"SELECT {sql}").fetchone()[0])

    def _discard_if_unused(self) -> bool:
        """Remove the store file this object created, when nothing but runs was stored; True if removed.

        Called holding the writer lock (so no other citegraph writer is using the file); the store is closed.
        """
        if self.path is None or not self._created or self.readonly:
            return False
        try:
            if self._holds_data() or _identity(self.path) != self._identity:
                return False
        except (sqlite3.Error, OSError):
            return False
        self.close()  # checkpoints and removes -wal and -shm
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                self.path.with_name(self.path.name + suffix).unlink()
        log.info("store %s removed: the command stopped before storing anything", self.display_path)
        return True

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the store for one writing command (e.g. a fetch) at a time.

        A second process asking for the lock gets a :class:`StoreError`
        naming the holder's process id, instead of interleaving its writes.
        The lock is an ``flock`` on ``<store>.lock``, released when the
        process ends, even by ``SIGKILL``; the file holds the holder's pid
        and is removed when the lock is released.

        Taking the lock marks the runs a killed writer left ``running`` as
        ``interrupted``. When the block fails before anything but the run
        log was stored in a store this object created, the store file (and
        the folders made for it) are removed, so a usage error leaves
        nothing behind; the store is closed then.
        """
        if self.path is None or fcntl is None:
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        fh = self._take_lock(lock_path)
        discarded = False
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            if _identity(self.path) != self._identity:
                raise StoreError(f"store {self.display_path} was removed or replaced while it was being opened; "
                                 "run the command again")
            if not self.readonly:
                self._mark_interrupted()
            try:
                yield
            except BaseException:
                discarded = self._discard_if_unused()
                raise
        finally:
            with contextlib.suppress(OSError):
                if _identity(lock_path) == _identity_of(fh):
                    lock_path.unlink()  # still held: whoever opened it before must find it gone
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()
            for folder in self._made_dirs if discarded else ():
                with contextlib.suppress(OSError):
                    folder.rmdir()  # the folders made for the store, when empty

    def _take_lock(self, lock_path: Path) -> Any:
        """Open ``lock_path`` and ``flock`` it, retrying when the file was removed by its last holder meanwhile."""
        for _ in range(20):
            try:
                fh = lock_path.open("a+")
            except OSError as exc:
                raise StoreError(f"cannot create lock file {lock_path}: {exc.strerror or exc}") from exc
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                holder = fh.read().strip() or "unknown"
                fh.close()
                raise StoreError(
                    f"store {self.display_path} is in use by another citegraph process (pid {holder}); "
                    "wait for it to finish, or use another --store"
                ) from None
            if _identity(lock_path) == _identity_of(fh):
                return fh
            fcntl.flock(fh, fcntl.LOCK_UN)  # locked a file its holder has just removed: take the new one
            fh.close()
        raise StoreError(f"cannot take lock file {lock_path}: it keeps being replaced")

    def _mark_interrupted(self) -> None:
        """Runs still ``running`` when a writer takes the lock ended without saying so (killed): mark them."""
        note = f"ended without finishing (killed?); noticed at {utc_now()}"
        with self.transaction() as conn:
            n = conn.execute("UPDATE runs SET status = 'interrupted', error = COALESCE(error, ?) "
                             "WHERE status = 'running'", (note,)).rowcount
        if n:
            log.info("store %s: %d earlier run(s) had ended without finishing; marked interrupted",
                     self.display_path, n)

    # -- transactions ----------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so two writers wait
        for each other (up to the busy timeout) instead of failing midway.
        """
        if self.readonly:
            raise StoreError(f"store {self.display_path} is open read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"store {self.display_path} is busy or not writable: {exc}") from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise StoreError(f"cannot write store {self.display_path}: {exc}") from exc

    @contextlib.contextmanager
    def _read_transaction(self) -> Iterator[None]:
        """Several reads that see one state of the store: a read transaction (within an open one, that one).

        ``BEGIN`` (deferred) writes nothing and takes no write lock, so it works on a read-only store; a
        writer committing meanwhile is not seen until the block ends.
        """
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one read query (for analysis code and tests)."""
        return self._conn.execute(sql, params)

    # -- works and references --------------------------------------------
    def add_works(self, works: Iterable[ParsedWork], *, fetched_at: str | None = None) -> int:
        """Store parsed works with their reference lists, in one transaction.

        A work already stored with the same record is left untouched; with a
        different record it is replaced together with its references. Stored
        works leave the not-found list.

        Returns
        -------
        int
            The number of works inserted or changed.
        """
        with self.transaction() as conn:
            return _insert_works(conn, works, fetched_at or utc_now())

    def add_not_found(self, dois: Iterable[tuple[str, str]], *, source: str, reason: str) -> int:
        """Record DOIs the source does not know (stored works are skipped).

        Parameters
        ----------
        dois : iterable of (key, original)
            Lower-case key and original spelling of each DOI.
        source, reason : str
            Which source said so, and how (e.g. ``"absent from a doi filter answer"``).
        """
        with self.transaction() as conn:
            return _insert_not_found(conn, dois, source, reason, utc_now())

    def add_resolution(
        self, works: Iterable[ParsedWork], missing: Iterable[tuple[str, str]], *, source: str, reason: str
    ) -> tuple[int, int]:
        """Store what one request found and what it did not, atomically.

        Returns ``(works changed, not-found recorded)``.
        """
        stamp = utc_now()
        with self.transaction() as conn:
            return (_insert_works(conn, works, stamp), _insert_not_found(conn, missing, source, reason, stamp))

    def stored_keys(self, keys: Iterable[str], *, excluding_source: str | None = None) -> set[str]:
        """The subset of ``keys`` that are stored works (leaving out those whose row ``excluding_source`` gave)."""
        if excluding_source is not None:
            return self._subset("works", keys, "AND source != ?", (excluding_source,))
        return self._subset("works", keys)

    def not_found_keys(self, keys: Iterable[str], *, source: str | None = None) -> set[str]:
        """The subset of ``keys`` recorded as not found (by ``source``, or by any)."""
        if source is None:
            return self._subset("not_found", keys)
        return self._subset("not_found", keys, "AND source = ?", (source,))

    def _in_chunks(self, sql: str, values: Iterable[str], params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` (whose ``{marks}`` is an ``IN`` list) over the distinct ``values``, 500 at a time.

        ``params`` come after each chunk's values (for the placeholders that follow ``{marks}``).
        """
        distinct = list(dict.fromkeys(values))
        for i in range(0, len(distinct), 500):
            chunk = distinct[i : i + 500]
            yield from self._conn.execute(sql.format(marks=",".join("?" * len(chunk))), (*chunk, *params))

    def _subset(self, table: str, keys: Iterable[str], extra: str = "", params: tuple[Any, ...] = ()) -> set[str]:
        return {r[0] for r in self._in_chunks(f"SELECT doi FROM {table} WHERE doi IN ({{marks}}) {extra}", keys,
                                              params)}

    def original_dois(self, keys: Iterable[str]) -> dict[str, str]:
        """``{key: DOI as deposited}`` for the stored works among ``keys``."""
        return dict(self._in_chunks("SELECT doi, doi_original FROM works WHERE doi IN ({marks})", keys))

    def work(self, key: str) -> dict[str, Any] | None:
        """One stored work as a dict of its columns (authors/subjects decoded)."""
        row = self._conn.execute("SELECT * FROM works WHERE doi = ?", (key,)).fetchone()
        return _work_dict(row) if row is not None else None

    def works(self) -> Iterator[dict[str, Any]]:
        """All stored works, ordered by DOI."""
        for row in self._conn.execute("SELECT * FROM works ORDER BY doi"):
            yield _work_dict(row)

    def references(self, citing: str) -> list[ReferenceRow]:
        """The reference list of a stored work, in order."""
        rows = self._conn.execute(
            f"SELECT {','.join(_REF_COLUMNS)} FROM refs WHERE citing = ? ORDER BY position", (citing,)
        )
        return [ReferenceRow(*row) for row in rows]

    def cited_by(self, citing: Iterable[str]) -> dict[str, int]:
        """For the given citing works: how many of them cite each work.

        References with a DOI, references matched to a DOI and the reference
        lists of further sources (OpenAlex) count; a work citing the same work
        twice counts once. A work a further source cites whose record is not
        stored yet is named by its identifier there (``openalex:W...``), which
        that source can resolve. Returns ``{cited: n}``.
        """
        counts: dict[str, int] = {}
        keys = list(dict.fromkeys(citing))
        for i in range(0, len(keys), 300):
            chunk = keys[i : i + 300]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"""SELECT cited, COUNT(DISTINCT citing) FROM (
                        SELECT citing, cited FROM refs WHERE citing IN ({marks}) AND cited IS NOT NULL
                        UNION
                        SELECT citing, matched FROM ref_matches WHERE citing IN ({marks}) AND matched IS NOT NULL
                        UNION
                        SELECT r.citing, COALESCE(w.work, r.source || ':' || r.cited_id) FROM source_refs r
                        LEFT JOIN source_records w ON w.native_id = r.cited_id AND w.source = r.source
                        WHERE r.citing IN ({marks})
                    ) GROUP BY cited""",
                chunk + chunk + chunk,
            )
            for cited, n in rows:
                counts[cited] = counts.get(cited, 0) + n
        return counts

    # -- seeds -------------------------------------------------------------
    def add_seeds(self, seeds: Iterable[Any]) -> int:
        """Store seeds (objects with ``doi``, ``role``, ``note``, ``source``).

        A seed already stored keeps its first role and origin. Returns the
        number of new seeds.
        """
        stamp = utc_now()
        n = 0
        with self.transaction() as conn:
            for seed in seeds:
                cur = conn.execute(
                    """INSERT INTO seeds (doi, doi_original, role, note, origin, added_at)
                       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(doi) DO NOTHING""",
                    (seed.doi.key, seed.doi.original, seed.role, seed.note, seed.source, stamp),
                )
                n += cur.rowcount
        return n

    def seeds(self) -> list[SeedRow]:
        """All seeds, ordered by DOI."""
        rows = self._conn.execute(
            "SELECT doi, doi_original, role, note, origin FROM seeds ORDER BY doi"
        )
        return [SeedRow(*r) for r in rows]

    # -- runs --------------------------------------------------------------
    def start_run(self, command: str, arguments: Mapping[str, Any]) -> int:
        """Log the start of a command; returns the run id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (command, arguments, started_at, status, version) VALUES (?, ?, ?, 'running', ?)",
                (command, json.dumps(arguments, sort_keys=True, default=str), utc_now(), __version__),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, *, status: str, counts: Mapping[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Log the end of a run: ``status`` is ``ok``, ``failed`` or ``interrupted``."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (utc_now(), status, json.dumps(dict(counts or {}), sort_keys=True), error, run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        """The run log, oldest first, with arguments and counts decoded.

        A run still logged ``running`` while no live process holds the
        writer lock was killed: it is shown as ``interrupted`` (and marked so
        when the next writer takes the lock).
        """
        out = []
        for row in self._conn.execute("SELECT * FROM runs ORDER BY id"):
            d = dict(row)
            d["arguments"] = json.loads(d["arguments"])
            d["counts"] = json.loads(d["counts"]) if d["counts"] else None
            out.append(d)
        if any(d["status"] == "running" for d in out) and not self._writer_alive():
            for d in out:
                if d["status"] == "running":
                    d["status"] = "interrupted"
        return out

    # -- forward citations (OpenCitations) ---------------------------------
    def add_forward_citations(self, cited: str, citations: Iterable[Any], *, source: str) -> int:
        """Store the works citing ``cited`` and mark it as checked, atomically.

        ``citations`` are :class:`~citegraph.sources.opencitations.Citation` objects
        (``citing``/``cited`` DOIs, ``oci``, ``creation``, ``timespan``,
        ``journal_sc``, ``author_sc``). Returns the number of new edges.
        """
        stamp = utc_now()
        n = 0
        rows = list(citations)
        with self.transaction() as conn:
            for c in rows:
                cur = conn.execute(
                    """INSERT INTO oc_citations (citing, cited, citing_original, oci, creation, timespan,
                           journal_sc, author_sc, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(citing, cited, source) DO NOTHING""",
                    (c.citing.key, c.cited.key, c.citing.original, c.oci, c.creation, c.timespan,
                     c.journal_sc, c.author_sc, source),
                )
                n += cur.rowcount
            conn.execute(
                """INSERT INTO forward_checks (doi, source, citations, checked_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT(doi, source) DO UPDATE SET citations = excluded.citations,
                       checked_at = excluded.checked_at""",
                (cited, source, len({c.citing.key for c in rows}), stamp),
            )
        return n

    def forward_checked(self, keys: Iterable[str], *, source: str, found_only: bool = False) -> set[str]:
        """The subset of ``keys`` whose citing works were already asked of ``source``.

        ``found_only``: only those for which it found at least one citing work
        (``fetch --retry-not-found`` asks again about the others).
        """
        if found_only:
            return self._subset("forward_checks", keys, "AND source = ? AND citations > 0", (source,))
        return self._subset("forward_checks", keys, "AND source = ?", (source,))

    def citing(self, cited: Iterable[str]) -> dict[str, int]:
        """For the given works: how many of them each known citing work cites.

        Uses OpenCitations edges and the reference lists of further sources
        (OpenAlex); returns ``{citing: n}``.
        """
        counts: dict[str, int] = {}
        keys = list(dict.fromkeys(cited))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"""SELECT citing, COUNT(DISTINCT cited) FROM (
                        SELECT citing, cited FROM oc_citations WHERE cited IN ({marks})
                        UNION
                        SELECT r.citing, c.work FROM source_records c
                        JOIN source_refs r ON r.cited_id = c.native_id AND r.source = c.source
                        WHERE c.work IN ({marks}))
                    GROUP BY citing""",
                chunk + chunk,
            )
            for citing_key, n in rows:
                counts[citing_key] = counts.get(citing_key, 0) + n
        return counts

    # -- reference matching ------------------------------------------------
    def unmatched_references(self, citing: Iterable[str] | None = None) -> list[ReferenceRow]:
        """References without DOI that no match was tried for yet (optionally of some works)."""
        sql = (f"SELECT {','.join('r.' + c for c in _REF_COLUMNS)} FROM refs r "
               "LEFT JOIN ref_matches m ON m.citing = r.citing AND m.position = r.position "
               "WHERE r.cited IS NULL AND m.citing IS NULL")
        if citing is None:
            rows = self._conn.execute(sql + " ORDER BY r.citing, r.position")
            return [ReferenceRow(*row) for row in rows]
        out: list[ReferenceRow] = []
        keys = sorted(set(citing))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(sql + f" AND r.citing IN ({marks}) ORDER BY r.citing, r.position", chunk)
            out.extend(ReferenceRow(*row) for row in rows)
        return sorted(out, key=lambda r: (r.citing, r.position))

    def add_ref_matches(self, matches: Iterable[tuple[str, int, str | None, float | None, str]],
                        *, threshold: float) -> int:
        """Store reference-matching results ``(citing, position, matched DOI or None, score, query)``.

        A match below ``threshold`` is stored with ``matched`` NULL (tried,
        not accepted), so it is not tried again.
        """
        stamp = utc_now()
        n = 0
        with self.transaction() as conn:
            for citing_key, position, matched, score, query in matches:
                accepted = matched if matched is not None and score is not None and score >= threshold else None
                conn.execute(
                    """INSERT INTO ref_matches (citing, position, matched, score, threshold, query, matched_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(citing, position) DO UPDATE SET matched = excluded.matched,
                           score = excluded.score, threshold = excluded.threshold, query = excluded.query,
                           matched_at = excluded.matched_at""",
                    (citing_key, position, accepted, score, threshold, query, stamp),
                )
                n += accepted is not None
        return n

    # -- duplicates --------------------------------------------------------
    def add_merges(self, merges: Iterable[tuple[str, str, str]]) -> int:
        """Record merges ``(alias, canonical, reason)``: the alias DOI is the same work.

        Chains are resolved so every alias points at a final canonical DOI.
        """
        stamp = utc_now()
        n = 0
        with self.transaction() as conn:
            for alias, canonical, reason in merges:
                if alias == canonical:
                    continue
                conn.execute(
                    """INSERT INTO merges (alias, canonical, reason, merged_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT(alias) DO UPDATE SET canonical = excluded.canonical,
                           reason = excluded.reason, merged_at = excluded.merged_at""",
                    (alias, canonical, reason, stamp),
                )
                conn.execute("UPDATE merges SET canonical = ? WHERE canonical = ?", (canonical, alias))
                n += 1
        return n

    def merges(self) -> dict[str, str]:
        """``{alias: canonical}`` for every recorded merge."""
        return dict(self._conn.execute("SELECT alias, canonical FROM merges ORDER BY alias").fetchall())

    # -- edges ---------------------------------------------------------------
    def citation_edges(self, *, merged: bool = True) -> list[CitationEdge]:
        """Every citation edge between DOIs, one per (citing, cited), with its provenance.

        Sources: ``crossref`` (a reference list entry with a DOI; with
        ``asserted_by`` ``publisher`` or ``crossref``), ``crossref-match``
        (an entry without DOI matched by bibliographic query),
        ``opencitations``, ``openalex`` (a work's ``referenced_works``, when
        OpenAlex gave the records of both works), and for imported exports the database whose
        reference gave the DOI (``wos``, ``scopus``, ``lens``, ``openalex``)
        or the rule that matched a reference to a record (``wos-key``,
        ``wos-key+source``, ``lens-id``: see :mod:`citegraph.sources.importing`).
        An edge seen by several sources is one edge with all of them. With
        ``merged``, recorded duplicate merges map aliases to their canonical
        DOI (self-citations made by a merge are dropped).
        Ordered by citing, then cited DOI.
        """
        alias = self.merges() if merged else {}
        edges: dict[tuple[str, str], tuple[set[str], set[str]]] = {}

        def add(citing_key: str, cited_key: str, source: str, asserted: str | None = None) -> None:
            a, b = alias.get(citing_key, citing_key), alias.get(cited_key, cited_key)
            if a == b:
                return
            sources, asserted_by = edges.setdefault((a, b), (set(), set()))
            sources.add(source)
            if asserted:
                asserted_by.add(asserted)

        for c, d, source, asserted in self._conn.execute(f"SELECT citing, cited, {REF_SOURCE_SQL} FROM refs "
                                                         "WHERE cited IS NOT NULL"):
            add(c, d, source, asserted or None)
        for c, d, rule in self._conn.execute("SELECT citing, matched, COALESCE(rule, 'crossref-match') "
                                             "FROM ref_matches WHERE matched IS NOT NULL"):
            add(c, d, rule)
        for c, d in self._conn.execute("SELECT citing, cited FROM oc_citations"):
            add(c, d, "opencitations")
        for c, d, source in self._source_edges():
            add(c, d, source)
        return [
            CitationEdge(a, b, tuple(sorted(src)), tuple(sorted(asr)))
            for (a, b), (src, asr) in sorted(edges.items())
        ]


    # -- further sources (OpenAlex) -----------------------------------------
    def add_source_records(
        self, records: Iterable[SourceRecord], missing: Iterable[tuple[str, str]] = (), *, source: str,
        reason: str = "",
    ) -> tuple[int, int]:
        """Store what one request to a further source found and what it did not, atomically.

        Each record is kept in ``source_records`` with its reference list (the
        cited works' identifiers in that source) and its notices. It also
        becomes the work's ``works`` row when no work is stored under its key
        yet, or when the stored row came from the same source; a Crossref or
        imported row is kept (:data:`RECORD_PRIORITY`).

        Parameters
        ----------
        records : iterable of SourceRecord
        missing : iterable of (key, original)
            Keys asked for that the source does not know (``not_found``).
        source : str
            The source's name; every record must be from it.
        reason : str
            How the source said a key is unknown.

        Returns
        -------
        (records stored or changed, not-found recorded)

        Examples
        --------
        >>> from citegraph.store.records import ParsedWork, SourceRecord, WorkRow
        >>> row = WorkRow("10.5555/a", "10.5555/a", "T", 2020, None, None, None, (), None, None, None, (),
        ...               "openalex", "{}")                     # a hand-made unit fixture
        >>> rec = SourceRecord("10.5555/a", "openalex", "W1", ParsedWork(row), referenced=("W2", "W3"))
        >>> with Store(":memory:") as store:
        ...     store.add_source_records([rec], source="openalex")
        ...     store.work("10.5555/a")["source"], store.native_ids(["10.5555/a"], source="openalex")
        (1, 0)
        ('openalex', {'10.5555/a': 'W1'})
        """
        stamp = utc_now()
        changed = 0
        with self.transaction() as conn:
            for rec in records:
                if rec.source != source:
                    raise ValueError(f"a record of {rec.source!r} given as one of {source!r}")
                raw = rec.parsed.work.raw_json
                old = conn.execute("SELECT record, native_id FROM source_records WHERE work = ? AND source = ?",
                                   (rec.key, source)).fetchone()
                if old is not None and old[0] == raw and old[1] == rec.native_id:
                    continue
                conn.execute(
                    """INSERT INTO source_records (work, source, native_id, record, refs, fetched_at)
                       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(work, source) DO UPDATE SET
                           native_id = excluded.native_id, record = excluded.record, refs = excluded.refs,
                           fetched_at = excluded.fetched_at""",
                    (rec.key, source, rec.native_id, raw, len(rec.referenced), stamp),
                )
                conn.execute("DELETE FROM source_refs WHERE citing = ? AND source = ?", (rec.key, source))
                conn.executemany(
                    "INSERT INTO source_refs (citing, source, cited_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [(rec.key, source, cited) for cited in dict.fromkeys(rec.referenced) if cited != rec.native_id],
                )
                _replace_notices(conn, rec.key, (source,), rec.notices)
                row = conn.execute("SELECT source FROM works WHERE doi = ?", (rec.key,)).fetchone()
                if row is None or row[0] == source:
                    _insert_works(conn, [ParsedWork(rec.parsed.work, rec.parsed.references)], stamp)
                conn.execute("DELETE FROM not_found WHERE doi = ? AND source = ?", (rec.key, source))
                changed += 1
            missed = 0
            for key, original in missing:
                if conn.execute("SELECT 1 FROM source_records WHERE work = ? AND source = ?", (key, source)).fetchone():
                    continue
                _mark_not_found(conn, key, original, source, reason, stamp)
                missed += 1
        return changed, missed

    def source_record_keys(self, keys: Iterable[str], *, source: str) -> set[str]:
        """The subset of ``keys`` whose record ``source`` gave."""
        return {r[0] for r in self._in_chunks("SELECT work FROM source_records WHERE work IN ({marks}) AND source = ?",
                                              keys, (source,))}

    def native_ids(self, keys: Iterable[str], *, source: str) -> dict[str, str]:
        """``{key: identifier in source}`` for the works among ``keys`` whose record ``source`` gave."""
        return dict(self._in_chunks(
            "SELECT work, native_id FROM source_records WHERE work IN ({marks}) AND source = ?", keys, (source,)))

    def keys_for_native(self, ids: Iterable[str], *, source: str) -> dict[str, str]:
        """``{identifier in source: key}`` for the identifiers whose record ``source`` gave."""
        return {n: w for w, n in self._in_chunks(
            "SELECT work, native_id FROM source_records WHERE native_id IN ({marks}) AND source = ?", ids, (source,))}

    def mark_forward_checked(self, counts: Mapping[str, int], *, source: str) -> None:
        """Record that the citing works of these works were asked of ``source``: ``{key: citing works found}``."""
        stamp = utc_now()
        with self.transaction() as conn:
            conn.executemany(
                """INSERT INTO forward_checks (doi, source, citations, checked_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT(doi, source) DO UPDATE SET citations = excluded.citations,
                       checked_at = excluded.checked_at""",
                [(key, source, n, stamp) for key, n in sorted(counts.items())],
            )

    def _source_edges(self) -> Iterator[tuple[str, str, str]]:
        """``(citing key, cited key, source)`` from the reference lists of further sources (both ends known)."""
        yield from self._conn.execute(SOURCE_EDGES_SQL)

    # -- notices (retractions, corrections) ----------------------------------
    def add_notices(self, notices: Iterable[Notice]) -> int:
        """Store notices (for importers and tests; fetches store them with their records). Returns how many are new."""
        n = 0
        with self.transaction() as conn:
            for x in notices:
                cur = conn.execute(
                    """INSERT INTO notices (work, kind, source, notice_doi, date, label, reported_by, reported_in)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                    (x.work, x.kind, x.source, x.notice_doi, x.date, x.label, x.reported_by, x.reported_in))
                n += cur.rowcount
        return n

    def notices(self, keys: Iterable[str] | None = None, *, merged: bool = True) -> dict[str, list[Notice]]:
        """``{work key: its notices}`` (all works, or those among ``keys``), each list ordered by date, kind, source.

        With ``merged``, notices of a merged duplicate count for its canonical work.

        Examples
        --------
        >>> from citegraph.store.records import Notice
        >>> with Store(":memory:") as store:                    # hand-made unit fixture
        ...     _ = store.add_notices([Notice("10.5555/a", "retraction", "retraction-watch", "crossref",
        ...                                    "10.5555/a", "10.5555/n", "2024-01-02")])
        ...     [n.category for n in store.notices()["10.5555/a"]]
        ['retracted']
        """
        alias = self.merges() if merged else {}
        wanted = None if keys is None else set(keys)
        out: dict[str, list[Notice]] = {}
        for row in self._conn.execute(
                "SELECT work, kind, source, reported_by, reported_in, notice_doi, date, label FROM notices "
                "ORDER BY work, COALESCE(date, ''), kind, source, notice_doi, reported_by, reported_in"):
            notice = Notice(*row)
            key = alias.get(notice.work, notice.work)
            if wanted is None or key in wanted:
                out.setdefault(key, []).append(notice)
        return dict(sorted(out.items()))

    def notice_flags(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """``{work key: the strongest category of its notices}``: ``retracted`` > ``concern`` > ``corrected``.

        Works without a flagged notice are absent.
        """
        rank = {"retracted": 3, "concern": 2, "corrected": 1}
        out: dict[str, str] = {}
        for key, notices in self.notices(keys).items():
            cats = [n.category for n in notices if n.category is not None]
            if cats:
                out[key] = max(cats, key=lambda c: rank[c])
        return out

    def retracted(self, keys: Iterable[str] | None = None) -> set[str]:
        """The works (among ``keys``, or all) a notice says are retracted (also withdrawn or removed)."""
        return {k for k, c in self.notice_flags(keys).items() if c == "retracted"}

    # -- summaries ---------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Totals: works, references (with/without DOI), not-found, seeds, runs."""
        q = self._conn.execute
        return {
            "works": q("SELECT COUNT(*) FROM works").fetchone()[0],
            "references": q("SELECT COUNT(*) FROM refs").fetchone()[0],
            "references_with_doi": q("SELECT COUNT(*) FROM refs WHERE cited IS NOT NULL").fetchone()[0],
            "references_without_doi": q("SELECT COUNT(*) FROM refs WHERE cited IS NULL").fetchone()[0],
            "distinct_cited_dois": q("SELECT COUNT(DISTINCT cited) FROM refs WHERE cited IS NOT NULL").fetchone()[0],
            # the distinct cited DOIs that are stored works, counted from the works (one index probe each)
            # rather than from every reference
            "cited_dois_resolved": q(
                "SELECT COUNT(*) FROM works w WHERE EXISTS (SELECT 1 FROM refs r WHERE r.cited = w.doi)"
            ).fetchone()[0],
            "not_found": q("SELECT COUNT(DISTINCT doi) FROM not_found").fetchone()[0],
            "opencitations_edges": q("SELECT COUNT(*) FROM oc_citations").fetchone()[0],
            "forward_checked": q("SELECT COUNT(*) FROM forward_checks").fetchone()[0],
            "references_matched": q("SELECT COUNT(*) FROM ref_matches WHERE matched IS NOT NULL").fetchone()[0],
            "merges": q("SELECT COUNT(*) FROM merges").fetchone()[0],
            "seeds": q("SELECT COUNT(*) FROM seeds").fetchone()[0],
            "runs": q("SELECT COUNT(*) FROM runs").fetchone()[0],
        }

    def import_summary(self) -> dict[str, Any]:
        """What ``citegraph import`` stored: files per format, records, and how their references matched.

        ``references`` counts the reference entries of imported records; ``with_doi`` those giving a
        DOI; ``by_doi`` those whose DOI is a stored work's; ``by_id``/``by_key`` those matched by a
        database identifier or by key (first author, year, volume, page); ``outside`` the rest.
        Empty counts when nothing was imported.
        """
        q = self._conn.execute
        databases = ", ".join(f"'{d}'" for d in IMPORT_DATABASES)
        imported = f"doi_asserted_by IN ({databases})"
        with self._read_transaction():  # the counts below are of one state of the store
            files = [dict(zip(("format", "files", "records"), r, strict=True)) for r in q(
                "SELECT format, COUNT(*), SUM(records) FROM imports GROUP BY format ORDER BY format")]
            # Where the imported entries are most references and outnumber the works (a store of imported
            # records), those citing a stored work by DOI are found from the works, through the index of cited
            # DOIs (CROSS JOIN keeps works the outer loop), rather than by looking every entry's DOI up among
            # the works; elsewhere (few or no imported entries) the one pass over the references does both.
            # The entries counted in the imported files only choose the way: both give the same counts.
            listed, works, total = q("SELECT (SELECT TOTAL(refs) FROM imports), (SELECT COUNT(*) FROM works), "
                                     "(SELECT COUNT(*) FROM refs)").fetchone()
            if listed > 4 * works and 2 * listed > total:
                refs, with_doi = q(f"SELECT COUNT(*), COUNT(cited) FROM refs WHERE {imported}").fetchone()
                by_doi = q(f"SELECT COUNT(*) FROM works w CROSS JOIN refs r ON r.cited = w.doi WHERE r.{imported}"
                           ).fetchone()[0]
            else:
                refs, with_doi, by_doi = q(f"""SELECT COUNT(*), COUNT(r.cited), COUNT(w.doi) FROM refs r
                                               LEFT JOIN works w ON w.doi = r.cited WHERE r.{imported}""").fetchone()
            rules = dict(q(f"""SELECT CASE WHEN m.rule LIKE '%-id' THEN 'by_id' ELSE 'by_key' END, COUNT(*)
                               FROM ref_matches m JOIN refs r ON r.citing = m.citing AND r.position = m.position
                               WHERE m.matched IS NOT NULL AND m.rule IS NOT NULL AND r.{imported}
                               GROUP BY 1""").fetchall())
            records = q("SELECT COUNT(DISTINCT work) FROM imported").fetchone()[0]
        matched = by_doi + rules.get("by_id", 0) + rules.get("by_key", 0)
        return {
            "files": files, "records": records,
            "references": refs, "with_doi": with_doi, "by_doi": by_doi, "by_id": rules.get("by_id", 0),
            "by_key": rules.get("by_key", 0), "outside": refs - matched,
        }

    def field_conflicts_summary(self) -> dict[str, int]:
        """How many works disagree with another source (Crossref) on each field: ``{field: works}``.

        Written by ``citegraph import --enrich`` (:mod:`citegraph.sources.enrich`): where an imported
        work and the source's record give different values (after normalisation), ``works`` keeps the
        imported value and ``field_conflicts`` holds both. A work asked of two sources counts once per
        field. Fields without disagreement are absent; ``{}`` when nothing was enriched.

        Examples
        --------
        >>> with Store(":memory:") as store:
        ...     store.field_conflicts_summary()
        {}
        """
        return dict(self._conn.execute(
            "SELECT field, COUNT(DISTINCT work) FROM field_conflicts GROUP BY field ORDER BY field").fetchall())

    def seed_coverage(self) -> list[SeedCoverage]:
        """Reference coverage of every seed, ordered by DOI.

        Notes
        -----
        When few of the stored works are seeds (a store grown from a few seed DOIs), each seed's reference
        list is read on its own. When most are (a store of imported records: every record is a seed), the
        counts come from one pass over each small side instead: the references without a DOI, and those
        citing a stored work or a DOI not found (through the index of cited DOIs), grouped by citing work.
        Both give the same counts.

        Examples
        --------
        >>> from citegraph.doi import normalize_doi
        >>> from citegraph.sources.seeds import Seed
        >>> from citegraph.store.records import parse_work
        >>> a = {"DOI": "10.5555/A", "reference": [{"key": "1", "DOI": "10.5555/B"}, {"key": "2"},
        ...                                        {"key": "3", "DOI": "10.5555/C"}]}
        >>> with Store(":memory:") as store:                    # hand-made unit fixture
        ...     _ = store.add_works([parse_work(a, source="crossref"),
        ...                        parse_work({"DOI": "10.5555/B"}, source="crossref")])
        ...     _ = store.add_not_found([("10.5555/c", "10.5555/C")], source="crossref", reason="404")
        ...     _ = store.add_seeds([Seed(normalize_doi("10.5555/A"), "<argument>")])
        ...     c = store.seed_coverage()[0]
        >>> c.doi, c.stored, c.references_open, c.with_doi, c.resolved, c.not_found
        ('10.5555/a', True, 3, 2, 1, 1)
        """
        q = self._conn.execute
        with self._read_transaction():  # the counts below are of one state of the store
            seeds = q("""SELECT s.doi, s.role, w.doi IS NOT NULL, w.title, w.year, w.references_count,
                                (SELECT COUNT(*) FROM refs r WHERE r.citing = s.doi)
                         FROM seeds s LEFT JOIN works w ON w.doi = s.doi
                         ORDER BY s.doi""").fetchall()
            stored = sum(1 for r in seeds if r[2])
            if stored * 4 < q("SELECT COUNT(*) FROM works").fetchone()[0]:
                # a few seeds among many works: their own reference lists, seed by seed
                per_seed = q("""
                    SELECT s.doi,
                           (SELECT COUNT(*) FROM refs r WHERE r.citing = s.doi AND r.cited IS NOT NULL),
                           (SELECT COUNT(DISTINCT r.cited) FROM refs r JOIN works x ON x.doi = r.cited
                             WHERE r.citing = s.doi),
                           (SELECT COUNT(DISTINCT r.cited) FROM refs r JOIN not_found n ON n.doi = r.cited
                             WHERE r.citing = s.doi)
                    FROM seeds s""")
                counts = {doi: (with_doi, resolved, missing) for doi, with_doi, resolved, missing in per_seed}
            else:
                # most works are seeds: each count in one pass, grouped by citing work (CROSS JOIN keeps the
                # small table the outer loop, each of its keys looked up in the index of cited DOIs)
                no_doi = dict(q("SELECT citing, COUNT(*) FROM refs WHERE cited IS NULL GROUP BY citing").fetchall())
                resolved = dict(q("""SELECT r.citing, COUNT(DISTINCT r.cited) FROM works x
                                     CROSS JOIN refs r ON r.cited = x.doi GROUP BY r.citing""").fetchall())
                missing = dict(q("""SELECT r.citing, COUNT(DISTINCT r.cited) FROM not_found n
                                    CROSS JOIN refs r ON r.cited = n.doi GROUP BY r.citing""").fetchall())
                counts = {r[0]: (r[6] - no_doi.get(r[0], 0), resolved.get(r[0], 0), missing.get(r[0], 0))
                          for r in seeds}
        return [
            SeedCoverage(
                doi=r[0], role=r[1], stored=bool(r[2]), title=r[3], year=r[4], references_count=r[5],
                references_open=r[6], with_doi=counts[r[0]][0], resolved=counts[r[0]][1],
                not_found=counts[r[0]][2],
            )
            for r in seeds
        ]

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` when healthy)."""
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """The store's content without timestamps, for comparing two stores.

        Two runs that fetched the same data give equal snapshots even though
        they ran at different times.
        """
        cols = [c for c in _WORK_COLUMNS if c != "fetched_at"]
        queries = {
            "works": f"SELECT {','.join(cols)} FROM works ORDER BY doi",
            "refs": f"SELECT {','.join(_REF_COLUMNS)} FROM refs ORDER BY citing, position",
            "not_found": "SELECT doi, doi_original, source, reason FROM not_found ORDER BY doi, source",
            "seeds": "SELECT doi, doi_original, role, note, origin FROM seeds ORDER BY doi",
            "oc_citations": "SELECT citing, cited, citing_original, oci, creation, timespan, journal_sc, author_sc, "
                            "source FROM oc_citations ORDER BY citing, cited, source",
            "forward_checks": "SELECT doi, source, citations FROM forward_checks ORDER BY doi, source",
            "ref_matches": "SELECT citing, position, matched, score, threshold, query, rule FROM ref_matches "
                           "ORDER BY citing, position",
            "imports": "SELECT path, format, sha256, records, refs, problems FROM imports ORDER BY id",
            "imported": "SELECT work, import, line, native_id FROM imported ORDER BY work, import",
            "merges": "SELECT alias, canonical, reason FROM merges ORDER BY alias",
            "enrichments": "SELECT work, source, record FROM enrichments ORDER BY work, source",
            "field_conflicts": "SELECT work, field, kept, kept_source, other, other_source FROM field_conflicts "
                               "ORDER BY work, field, other_source",
        }
        return {table: [tuple(r) for r in self._conn.execute(sql)] for table, sql in queries.items()}


def _insert_works(conn: sqlite3.Connection, works: Iterable[ParsedWork], stamp: str) -> int:
    changed = 0
    placeholders = ",".join("?" * len(_WORK_COLUMNS))
    ref_placeholders = ",".join("?" * len(_REF_COLUMNS))
    for given in works:
        parsed = clean_work(given)  # the same work, any absurd year or count dropped (and said)
        w = parsed.work
        old = conn.execute("SELECT raw_json FROM works WHERE doi = ?", (w.doi,)).fetchone()
        if old is not None and old[0] == w.raw_json:
            continue
        if old is not None:
            conn.execute("DELETE FROM refs WHERE citing = ?", (w.doi,))
            conn.execute("DELETE FROM works WHERE doi = ?", (w.doi,))
        conn.execute(
            f"INSERT INTO works ({','.join(_WORK_COLUMNS)}) VALUES ({placeholders})",
            (
                w.doi,
                w.doi_original,
                w.title,
                w.year,
                w.container,
                w.type,
                w.first_author,
                json.dumps(list(w.authors), ensure_ascii=False),
                w.is_referenced_by_count,
                w.references_count,
                w.abstract,
                json.dumps(list(w.subjects), ensure_ascii=False),
                w.source,
                stamp,
                w.raw_json,
                w.volume,
                w.page,
            ),
        )
        conn.executemany(
            f"INSERT INTO refs ({','.join(_REF_COLUMNS)}) VALUES ({ref_placeholders})",
            [tuple(getattr(r, c) for c in _REF_COLUMNS) for r in parsed.references],
        )
        # a record clears the not-found marks of its own kind: a further source's (OpenAlex) only its own, any
        # other record those of every source but the further ones (which still do not know the work)
        marks = ",".join("?" * len(RECORD_SOURCES))
        if w.source in RECORD_SOURCES:
            conn.execute("DELETE FROM not_found WHERE doi = ? AND source = ?", (w.doi, w.source))
        else:
            conn.execute(f"DELETE FROM not_found WHERE doi = ? AND source NOT IN ({marks})", (w.doi, *RECORD_SOURCES))
        _replace_notices(conn, w.doi, _ROW_REPORTERS, parsed.notices)
        changed += 1
    return changed


#: Who reports the notices a ``works`` row's record carries (those of ``source_records`` are kept apart).
_ROW_REPORTERS = ("crossref",)


def _replace_notices(conn: sqlite3.Connection, reported_in: str, reporters: Sequence[str],
                     notices: Iterable[Notice]) -> None:
    """The notices carried by the record of ``reported_in`` (from ``reporters``) become ``notices``."""
    marks = ",".join("?" * len(reporters))
    conn.execute(f"DELETE FROM notices WHERE reported_in = ? AND reported_by IN ({marks})", (reported_in, *reporters))
    conn.executemany(
        """INSERT INTO notices (work, kind, source, notice_doi, date, label, reported_by, reported_in)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
        [(n.work, n.kind, n.source, n.notice_doi, n.date, n.label, n.reported_by, n.reported_in) for n in notices],
    )


def _backfill_notices(conn: sqlite3.Connection) -> None:
    """Read the notices of the Crossref records a store held before schema version 4."""
    rows = conn.execute("SELECT doi, raw_json FROM works WHERE raw_json LIKE '%\"update%'").fetchall()
    n = 0
    for key, raw in rows:
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            notices = crossref_notices(record, key)
            _replace_notices(conn, key, _ROW_REPORTERS, notices)
            n += len(notices)
    if n:
        log.info("%d notices (retractions, corrections, ...) read from the Crossref records stored", n)


def _insert_not_found(
    conn: sqlite3.Connection, dois: Iterable[tuple[str, str]], source: str, reason: str, stamp: str
) -> int:
    n = 0
    for key, original in dois:
        row = conn.execute("SELECT source FROM works WHERE doi = ?", (key,)).fetchone()
        if row is not None and row[0] not in RECORD_SOURCES:
            # stored from another record; a work only a further source (OpenAlex) gave is still unknown here
            continue
        _mark_not_found(conn, key, original, source, reason, stamp)
        n += 1
    return n


def _mark_not_found(conn: sqlite3.Connection, key: str, original: str, source: str, reason: str, stamp: str) -> None:
    """Record that ``source`` does not know ``key`` (again: one more attempt, the latest reason)."""
    conn.execute(
        """INSERT INTO not_found (doi, doi_original, source, reason, first_seen, last_checked)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(doi, source) DO UPDATE SET last_checked = excluded.last_checked,
               attempts = attempts + 1, reason = excluded.reason""",
        (key, original, source, reason, stamp, stamp),
    )


def _work_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["authors"] = json.loads(d["authors"])
    d["subjects"] = json.loads(d["subjects"])
    return d


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
