"""Writing output files so that a crash never leaves half a file, and only regular files are replaced.

:func:`write_bytes_atomic` (and :func:`write_text_files` on top of it) writes
each file to a temporary name in the same folder, flushes it to disk, then
renames it into place (an atomic replace on POSIX): a reader, or a rerun after
a kill, a Ctrl-C or a full disk, sees either the old file or the new one,
never a part of it, and no temporary file is left behind.

A path that is a symbolic link is written *through*: the file it points to is
replaced (atomically, as above) and the link is kept. Only regular files are
replaced: a folder, a device (``/dev/full``), a named pipe or a socket at the
path, or at the end of its links, is refused with
:class:`~citegraph.errors.UsageError` naming it (:func:`output_target`),
before anything is written. Every output of citegraph goes through here: the
exports, the report, the tables of ``citegraph analyse``, ``coverage.json``
and the figures.

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
import stat
from collections.abc import Sequence
from pathlib import Path

from citegraph.errors import UsageError

__all__ = ["check_output_files", "output_target", "write_bytes_atomic", "write_text_files"]

log = logging.getLogger(__name__)

_VALID = "give a regular file, a link to one, or a new file name"


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def output_target(path: str | os.PathLike[str]) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or the end of its symbolic links.

    Nothing is written. The target may be missing (it will be created) or a
    regular file (it will be replaced); anything else is refused.

    Returns
    -------
    Path
        ``path`` when it is not a link, else the file its links lead to.

    Raises
    ------
    UsageError
        The path, or the end of its links, is a folder, a device, a named
        pipe or a socket, or the links loop; the message names the path and
        says what is valid.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "real.csv").write_text("old")
    ...     (Path(tmp) / "link.csv").symlink_to("real.csv")
    ...     output_target(Path(tmp) / "link.csv").name, output_target(Path(tmp) / "new.csv").name
    ('real.csv', 'new.csv')
    >>> output_target("/")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: cannot write '/': it is a folder; give a regular file, a link to one, or a new...
    """
    given = Path(path)
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:  # a loop of links, a path through a file, no permission
        raise UsageError(f"cannot write {str(given)!r}: {exc.strerror or exc}") from exc
    if stat.S_ISREG(mode):
        return target
    where = f"it links to {str(target)!r}, {_kind(mode)}" if target != given else f"it is {_kind(mode)}"
    raise UsageError(f"cannot write {str(given)!r}: {where}; {_VALID}")


def check_output_files(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse, before any work is done, output paths that cannot be written.

    A path that cannot be replaced (see :func:`output_target`), or whose folder
    cannot exist because a file stands where a folder on its way belongs
    (``analyse -o notes.txt``), is refused with a :class:`UsageError` naming it.

    Examples
    --------
    >>> check_output_files(["data/rankings.csv", "/dev/null"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: cannot write '/dev/null': it is a character device; give a regular file, ...
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as notes:
    ...     try:
    ...         check_output_files([Path(notes.name) / "tables" / "rankings.csv"])
    ...     except UsageError as exc:
    ...         print(str(exc).split(": ", 1)[1].replace(notes.name, "NOTES"))
    'NOTES' is a file, not a folder; give a folder (new or existing) for the outputs
    """
    for path in paths:
        for folder in Path(path).parents:
            if folder.exists():
                if not folder.is_dir():
                    raise UsageError(f"cannot write {str(path)!r}: {str(folder)!r} is a file, not a folder; "
                                     "give a folder (new or existing) for the outputs")
                break
        output_target(path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    A symbolic link is written through (the file it leads to is replaced, the
    link kept); an existing file keeps its permission bits, a new one gets what
    the umask allows (as for a plain ``open``). The folder must exist.

    Raises
    ------
    UsageError
        The file cannot be written (full disk, no permission, missing folder),
        or is not a regular file (:func:`output_target`); the message names it.
        The old file is left as it was and no temporary file is left behind,
        also on ``KeyboardInterrupt``.
    """
    target = output_target(path)
    tmp = target.with_name(f".{target.name[:100]}.{secrets.token_hex(6)}.tmp")
    try:
        try:
            keep_mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            keep_mode = None
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if keep_mode is not None:
                    os.fchmod(fd, keep_mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc


def write_text_files(files: Sequence[tuple[Path, str]]) -> list[Path]:
    """Write each ``(path, text)`` atomically as UTF-8, creating folders first; returns the paths in order.

    Every folder is created and every path checked (:func:`output_target`)
    before any file is written, so a bad output folder or a device among the
    paths fails before anything changes.
    """
    for path, _ in files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    check_output_files([path for path, _ in files])
    written = []
    for path, text in files:
        write_bytes_atomic(path, text.encode("utf-8"))
        written.append(path)
        log.info("wrote %s", path)
    return written
