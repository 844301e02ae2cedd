"""The exception hierarchy of citegraph.

Every error a user can cause is a :class:`CitegraphError`. The command line
turns each into a one-line message and the exit code carried by its class, so
scripts can tell the cases apart:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     an unexpected internal error (a bug: please report it, rerun with ``-v``)
2     usage error: bad option or value, nothing valid to work on, not available
3     finished, but some inputs were rejected (each one is reported)
4     the store cannot be used (unwritable, locked, newer schema, corrupt)
5     a data source failed after retries; everything fetched so far is kept
130   interrupted (Ctrl-C); everything fetched so far is kept
====  ==========================================================================

Examples
--------
>>> try:
...     raise InvalidDOIError("10.1000", "no suffix after the prefix")
... except CitegraphError as exc:
...     print(exc.exit_code, exc)
2 '10.1000' is not a DOI: no suffix after the prefix
"""

from __future__ import annotations

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_SOURCE",
    "EXIT_STORE",
    "EXIT_USAGE",
    "CitegraphError",
    "ConfigError",
    "InputFileError",
    "InvalidDOIError",
    "NotAvailableError",
    "PartialInputError",
    "RecordError",
    "SourceError",
    "StoreError",
    "UsageError",
]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_STORE = 4
EXIT_SOURCE = 5
EXIT_INTERRUPTED = 130


class CitegraphError(Exception):
    """Root of every error citegraph raises on purpose.

    Attributes
    ----------
    exit_code : int
        The process exit code the command line uses for this error.
    """

    exit_code: int = EXIT_USAGE


class UsageError(CitegraphError):
    """A bad option, value or combination of them."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration value (flag, environment, pyproject.toml) is invalid."""


class InvalidDOIError(UsageError, ValueError):
    """A value is not a DOI.

    Parameters
    ----------
    value : str
        The value as given.
    reason : str
        Why it was rejected, phrased so that it says what would be valid.
    """

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(value, reason)

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{shown!r} is not a DOI: {self.reason}"


class InputFileError(UsageError):
    """An input file is missing, unreadable or not in a supported format."""


class PartialInputError(CitegraphError):
    """The work was done, but some inputs were rejected (each was reported)."""

    exit_code = EXIT_PARTIAL


class RecordError(CitegraphError, ValueError):
    """A metadata record cannot be turned into store rows (e.g. it has no DOI)."""


class StoreError(CitegraphError):
    """The SQLite store cannot be opened, written, migrated or is locked."""

    exit_code = EXIT_STORE


class SourceError(CitegraphError):
    """A remote source (Crossref, OpenCitations) failed after all retries."""

    exit_code = EXIT_SOURCE


class NotAvailableError(UsageError):
    """The command exists but its implementation has not landed yet."""
