"""Where a Parquet dataset lives: a local folder, or a URL on object storage or HDFS.

A dataset made by ``citegraph ingest`` (:mod:`citegraph.store.dataset`) is a
folder of Parquet files and a manifest. On one machine it is a local folder;
for a Spark cluster it usually lives where every executor reads it: S3, Google
Cloud Storage, Azure Data Lake or HDFS. :class:`DatasetLocation` gives the
ingestion and the dataset the few file operations they need (read and write
the manifest, write a part under a temporary name and rename it, list and
remove what a killed run left) on either, so the same commands take
``snapshot/`` or ``s3://bucket/snapshot``.

Why pyarrow's file systems (:mod:`pyarrow.fs`), not fsspec or the cloud SDKs:
pyarrow is already what writes and reads the Parquet files, its
``FileSystem.from_uri`` covers S3, GCS, Azure and HDFS with the clients'
usual configuration (``AWS_*`` variables and ``~/.aws``, including
``AWS_ENDPOINT_URL`` for S3-compatible stores such as MinIO or Ceph;
``GOOGLE_APPLICATION_CREDENTIALS``; ``AZURE_STORAGE_*``; HDFS through
``libhdfs``, which needs ``HADOOP_HOME``, ``JAVA_HOME`` and the Hadoop
``CLASSPATH``), and DuckDB scans a pyarrow dataset on any of them in place.
Spark reads the same URLs with its own Hadoop file systems, so an ``s3a://``
URL (Hadoop's name for S3) is given to Spark as written and to pyarrow as
``s3://``.

What differs from a local folder: object stores have no locks and no atomic
rename (a rename is a copy and a delete), but an object appears whole or not
at all, so a part written under a temporary name and renamed, and a manifest
written in one request, are never seen half-written. Two ingestions writing
one URL at the same time are not detected (a local folder is locked).

Examples
--------
>>> DatasetLocation.of("s3a://bucket/snapshot/").uri("works", "a.parquet")
's3a://bucket/snapshot/works/a.parquet'
>>> DatasetLocation.of("s3a://bucket/snapshot").remote, DatasetLocation.of("snapshot").remote
(True, False)
>>> DatasetLocation.of("ftp://host/snapshot")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
citegraph.errors.UsageError: ftp://host/snapshot: ftp:// is not a dataset location ... (a local folder, or abfs://, ...)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citegraph.errors import StoreError, UsageError

__all__ = ["SCHEMES", "DatasetLocation", "is_url"]

log = logging.getLogger(__name__)

#: URL schemes a dataset may live at, and the name pyarrow's ``FileSystem.from_uri`` knows each by.
SCHEMES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs", "gcs": "gs", "abfs": "abfs", "abfss": "abfss",
           "hdfs": "hdfs", "viewfs": "viewfs", "file": "file"}

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(text: str | os.PathLike[str]) -> bool:
    """Whether ``text`` is a URL (``scheme://...``) rather than a local path.

    Examples
    --------
    >>> is_url("s3://b/x"), is_url("/data/snapshot"), is_url(Path("C:/data"))
    (True, False, False)
    """
    return isinstance(text, str) and _URL.match(text) is not None


@functools.lru_cache(maxsize=16)
def _filesystem(url: str) -> tuple[Any, str]:
    """``pyarrow.fs.FileSystem.from_uri(url)``, the base path without a trailing ``/``: once per URL, as making
    the client can cost a request (S3 asks for the bucket's region), and the dataset, its engine and the
    ingestion all open the same one."""
    import pyarrow.fs as pafs

    fs, base = pafs.FileSystem.from_uri(url)
    return fs, base.rstrip("/")


@dataclass(frozen=True)
class DatasetLocation:
    """A dataset folder: local (``path``) or remote (``url``); see the module docstring.

    Use :meth:`of`. Parts of a name are joined with ``/`` (``uri("works",
    "a.parquet")``). Errors of the remote file system (unreachable, refused,
    no credentials) become :class:`~citegraph.errors.StoreError` naming the
    URL.
    """

    #: The location as given (a URL without its trailing ``/``, or a local path as text).
    url: str

    @classmethod
    def of(cls, where: str | os.PathLike[str] | DatasetLocation) -> DatasetLocation:
        """The location ``where`` names: a :class:`DatasetLocation`, a URL, or a local path."""
        if isinstance(where, DatasetLocation):
            return where
        if is_url(str(where)) and isinstance(where, str):
            scheme = where.split("://", 1)[0].lower()
            if scheme not in SCHEMES:
                known = ", ".join(f"{s}://" for s in sorted(SCHEMES))
                raise UsageError(f"{where}: {scheme}:// is not a dataset location citegraph can use "
                                 f"(a local folder, or {known})")
            if scheme == "file":
                return cls(str(Path(where.split("://", 1)[1])))
            rest = where.split("://", 1)[1].rstrip("/")
            if not rest:
                raise UsageError(f"{where}: no bucket or path after {scheme}://")
            return cls(f"{scheme}://{rest}")
        return cls(str(Path(where)))

    @property
    def remote(self) -> bool:
        """Whether the dataset lives at a URL (object storage, HDFS) rather than in a local folder."""
        return is_url(self.url)

    @property
    def path(self) -> Path:
        """The local folder (a remote location has none: ``UsageError``)."""
        if self.remote:
            raise UsageError(f"{self.url} is not a local folder")
        return Path(self.url)

    def uri(self, *parts: str) -> str:
        """The URL (or local path) of ``parts`` inside the dataset, as an engine reads it."""
        return "/".join([self.url, *parts]) if self.remote else str(Path(self.url, *parts))

    def __str__(self) -> str:
        return self.url

    # -- the remote file system ------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """The URL's scheme in lower case (``"s3a"``); ``""`` for a local folder."""
        return self.url.split("://", 1)[0].lower() if self.remote else ""

    @property
    def _remote(self) -> tuple[Any, str]:
        """``(pyarrow file system, base path in it)``, made once per URL in this process (:func:`_filesystem`)."""
        try:
            return _filesystem(f"{SCHEMES[self.scheme]}://{self.url.split('://', 1)[1]}")
        except (OSError, ValueError, TypeError) as exc:  # pyarrow's ArrowException derives from these
            raise self._error("cannot reach it", exc) from exc

    def _error(self, what: str, exc: BaseException) -> StoreError:
        hint = {"s3": "the AWS_* variables or ~/.aws, and AWS_ENDPOINT_URL for an S3-compatible store",
                "gs": "GOOGLE_APPLICATION_CREDENTIALS", "abfs": "the AZURE_STORAGE_* variables",
                "abfss": "the AZURE_STORAGE_* variables",
                "hdfs": "HADOOP_HOME, JAVA_HOME and the Hadoop CLASSPATH (libhdfs)",
                "viewfs": "HADOOP_HOME, JAVA_HOME and the Hadoop CLASSPATH (libhdfs)"}
        scheme = SCHEMES.get(self.scheme, "")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StoreError(f"{self.url}: {what} ({first}); check the URL and {hint.get(scheme, 'the access')}")

    def _fs_path(self, *parts: str) -> str:
        return "/".join([self._remote[1], *parts])

    @contextlib.contextmanager
    def _remote_call(self, what: str) -> Iterator[None]:
        try:
            yield
        except (OSError, ValueError) as exc:
            raise self._error(what, exc) from exc

    def filesystem(self) -> tuple[Any, str]:
        """``(pyarrow file system, base path)`` of a remote location, for pyarrow's readers and writers."""
        return self._remote

    # -- what ingestion and the dataset need -----------------------------------------------------------------

    def exists(self, *parts: str) -> bool:
        """Whether the file ``parts`` exists."""
        if not self.remote:
            return Path(self.url, *parts).is_file()
        import pyarrow.fs as pafs

        with self._remote_call(f"cannot look for {'/'.join(parts)}"):
            return bool(self._remote[0].get_file_info(self._fs_path(*parts)).type == pafs.FileType.File)

    def read_text(self, *parts: str) -> str:
        """The text of the file ``parts`` (UTF-8)."""
        if not self.remote:
            return Path(self.url, *parts).read_text(encoding="utf-8")
        with self._remote_call(f"cannot read {'/'.join(parts)}"), \
                self._remote[0].open_input_stream(self._fs_path(*parts)) as fh:
            return bytes(fh.read()).decode("utf-8")

    def write_text(self, text: str, *parts: str) -> None:
        """Write the file ``parts`` whole: a reader sees the old text or the new one, never a part of it.

        Local: a temporary file, flushed to disk, renamed over it. Object stores: one upload (an object
        appears whole). HDFS: a temporary file renamed (a rename is atomic there).
        """
        data = text.encode("utf-8")
        if not self.remote:
            folder = Path(self.url, *parts[:-1])
            fd, tmp = tempfile.mkstemp(prefix=f".{parts[-1]}-", suffix=".tmp", dir=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / parts[-1])
            return
        fs = self._remote[0]
        with self._remote_call(f"cannot write {'/'.join(parts)}"):
            if self.scheme in ("hdfs", "viewfs"):
                tmp_parts = (*parts[:-1], f".{parts[-1]}.tmp")
                with fs.open_output_stream(self._fs_path(*tmp_parts)) as fh:
                    fh.write(data)
                fs.move(self._fs_path(*tmp_parts), self._fs_path(*parts))
            else:
                with fs.open_output_stream(self._fs_path(*parts)) as fh:
                    fh.write(data)

    def makedirs(self, *parts: str) -> None:
        """Create the folder ``parts`` and its parents (object stores: nothing to create)."""
        if not self.remote:
            Path(self.url, *parts).mkdir(parents=True, exist_ok=True)
            return
        with self._remote_call("cannot create it"):
            self._remote[0].create_dir(self._fs_path(*parts), recursive=True)

    def names(self, *parts: str) -> list[str]:
        """File names in the folder ``parts`` (not recursive), sorted; none when it does not exist."""
        if not self.remote:
            folder = Path(self.url, *parts)
            return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        import pyarrow.fs as pafs

        with self._remote_call(f"cannot list {'/'.join(parts)}"):
            infos = self._remote[0].get_file_info(pafs.FileSelector(self._fs_path(*parts), allow_not_found=True))
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.File)

    def remove(self, *parts: str) -> None:
        """Delete the file ``parts`` (nothing when it is not there)."""
        if not self.remote:
            Path(self.url, *parts).unlink(missing_ok=True)
            return
        if self.exists(*parts):
            with self._remote_call(f"cannot remove {'/'.join(parts)}"):
                self._remote[0].delete_file(self._fs_path(*parts))

    def rename(self, src: tuple[str, ...], dst: tuple[str, ...]) -> None:
        """Rename a file inside the dataset, replacing ``dst`` (object stores: a copy, then a delete)."""
        if not self.remote:
            os.replace(Path(self.url, *src), Path(self.url, *dst))
            return
        with self._remote_call(f"cannot rename {'/'.join(src)}"):
            self._remote[0].move(self._fs_path(*src), self._fs_path(*dst))

    def writer_target(self, *parts: str) -> tuple[Any, Any]:
        """``(where, filesystem)`` for :class:`pyarrow.parquet.ParquetWriter` to write the file ``parts``."""
        if not self.remote:
            return Path(self.url, *parts), None
        return self._fs_path(*parts), self._remote[0]

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the ingestion lock: ``.ingest.lock`` in a local folder (``flock``; a killed run frees it); for a
        URL, a lock file in this machine's temporary folder named after the URL (runs on other machines are
        not seen: object stores have no locks).

        Raises
        ------
        UsageError
            Another ingestion holds the lock.
        """
        if self.remote:
            digest = hashlib.sha1(self.url.encode()).hexdigest()[:16]
            lock_path = Path(tempfile.gettempdir()) / f"citegraph-ingest-{digest}.lock"
        else:
            lock_path = Path(self.url) / ".ingest.lock"
        import fcntl  # POSIX only: imported where it is used

        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UsageError(f"{self.url}: another `citegraph ingest` is writing this dataset (it holds "
                                 f"{lock_path}); wait for it to end, or write to another folder") from None
            yield
        finally:
            os.close(fd)  # closing releases the lock
