"""Writing output files so that a crash never leaves half a file.

:func:`write_text_files` writes each file to a temporary name in the same
folder, flushes it to disk, then renames it into place (an atomic replace on
POSIX): a reader, or a rerun after a kill, sees either the old file or the new
one. Folders are created as needed; a file that cannot be written raises
:class:`~citegraph.errors.UsageError` naming it. Used by the exports, the
report and the tables of ``citegraph analyse``.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     paths = write_text_files([(pathlib.Path(tmp) / "out" / "a.txt", "one\\n")])
...     [p.name for p in paths], paths[0].read_text(), sorted(p.name for p in paths[0].parent.iterdir())
(['a.txt'], 'one\\n', ['a.txt'])
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from citegraph.errors import UsageError

__all__ = ["write_bytes_atomic", "write_text_files"]

log = logging.getLogger(__name__)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    The folder must exist. The file's mode is what the umask allows (as for a plain ``open``).

    Raises
    ------
    UsageError
        The file cannot be written (the message names it); no temporary file is left behind.
    """
    tmp = path.with_name(f".{path.name[:100]}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc


def write_text_files(files: Sequence[tuple[Path, str]]) -> list[Path]:
    """Write each ``(path, text)`` atomically as UTF-8, creating folders first; returns the paths in order.

    Every folder is created before any file is written, so a bad output folder fails before anything changes.
    """
    for path, _ in files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    written = []
    for path, text in files:
        write_bytes_atomic(path, text.encode("utf-8"))
        written.append(path)
        log.info("wrote %s", path)
    return written
