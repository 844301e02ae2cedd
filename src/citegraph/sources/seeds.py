"""Read seed DOIs from the command line and from seed files.

A *seed* is a work the literature map starts from. Seeds come from DOIs given
as arguments or from files in one of these formats, chosen by the file suffix
(case-insensitive; a final ``.gz`` is decompressed first):

``.txt``, ``.list``, no suffix or any other suffix
    Plain text: one DOI (or resolver URL) per line; ``#`` starts a comment,
    either on a whole line or after whitespace following the DOI. A trailing
    comment becomes the seed's ``note``; if it starts with a word and a colon
    (``10.1/abc  # seed: Title``), the word becomes its ``role`` and the rest
    its ``note``. Blank lines are ignored.
``.csv`` (comma, or ``;``/tab when the header uses those), ``.tsv``, ``.tab``
    A header row with a ``doi`` column is required (case-insensitive). Lines
    starting with ``#`` outside quoted cells are comments. CSV cells may be
    quoted (``"a, b"``); TSV cells are taken literally (no quoting, as in the
    IANA tab-separated-values format). A ``role`` column
    gives the role; the ``note`` column, or else the ``title`` column, gives
    the note.
``.bib``
    BibTeX: the ``doi`` field of each entry, else a ``doi.org`` URL in its
    ``url`` field; ``@comment``, ``@string`` and ``@preamble`` are skipped.
    The ``title`` becomes the note.
``.ris``
    RIS: the ``DO`` tag of each record, else a ``doi.org`` URL in ``UR`` or
    ``L3``; ``TI`` (or ``T1``) becomes the note.

Files are decoded by their byte-order mark (UTF-8, UTF-16, UTF-32), else as
UTF-8, else as cp1252 (with a warning). Nothing here raises for bad input:
every problem becomes a :class:`Rejection` that says where it is and what is
wrong, and the good seeds are still returned. A DOI met twice is kept once
(the first occurrence wins) and logged at INFO level; that is not a rejection.

Examples
--------
>>> load = load_seeds(["10.1111/JDV.14987", "doi:10.1111/jdv.14987", "10.1000"])
>>> [str(doi) for doi in load.dois]
['10.1111/JDV.14987']
>>> print(load.rejected[0])
<argument>: '10.1000': no suffix after the prefix '10.1000/' (a DOI looks like 10.1000/abc)
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import logging
import os
import re
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from citegraph.doi import DOI, extract_dois, normalize_doi
from citegraph.errors import InputFileError, InvalidDOIError

__all__ = [
    "ARGUMENT_SOURCE",
    "MAX_FILE_BYTES",
    "MAX_LINE_LENGTH",
    "SEED_FILE_SUFFIXES",
    "Rejection",
    "Seed",
    "SeedLoad",
    "load_seeds",
    "read_seed_file",
]

logger = logging.getLogger(__name__)

#: The ``source`` of seeds and rejections that come from command-line values.
ARGUMENT_SOURCE = "<argument>"
#: Lines longer than this (in characters) are rejected and skipped.
MAX_LINE_LENGTH = 10_000
#: Files (or decompressed ``.gz`` contents) larger than this are rejected.
MAX_FILE_BYTES = 64 * 1024 * 1024

_FORMATS = {
    ".txt": "text",
    ".list": "text",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".bib": "bibtex",
    ".ris": "ris",
}
#: Suffixes with a known seed-file format (each also accepted with ``.gz``).
SEED_FILE_SUFFIXES = frozenset(_FORMATS) | {suffix + ".gz" for suffix in _FORMATS}

_ROLE_COMMENT_RE = re.compile(r"([A-Za-z][\w-]*)\s*:(?!//)\s*(.*)", re.DOTALL)
_TRAILING_COMMENT_RE = re.compile(r"\s#")
#: Spaces right after ``.``, ``/``, ``-`` or ``_`` inside a DOI: where a line break in a PDF or an e-mail
#: split it (``10.1126/science. 1109070``); removed, with a warning, when what is left is a valid DOI.
_BROKEN_AT_RE = re.compile(r"(?<=[./_-])[ \t]+(?=\S)")
_DOI_LIKE_RE = re.compile(
    r"\s*(?:(?:https?://)?(?:www\.|dx\.)?doi\.org/|doi\s*:|info:doi/|urn:doi:|10\.)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Seed:
    """A seed DOI and where it came from.

    Parameters
    ----------
    doi : DOI
        The normalised DOI.
    source : str
        The file path as given, or ``"<argument>"``.
    line : int or None
        The 1-based line in the file where the DOI was read.
    role : str or None
        A role such as ``seed``, ``related`` or ``topical``, if given.
    note : str or None
        A free-text note (a comment or a title), if given.

    Examples
    --------
    >>> Seed(normalize_doi("10.1000/x"), "seeds.txt", 3, "seed").doi.key
    '10.1000/x'
    """

    doi: DOI
    source: str
    line: int | None = None
    role: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Rejection:
    """An input value that could not be used, with where and why.

    Parameters
    ----------
    value : str
        The rejected value (a line, a cell, an entry key, a path ...).
    reason : str
        What is wrong, phrased to say what would be valid.
    source : str
        The file path as given, or ``"<argument>"``.
    line : int or None
        The 1-based line in the file, when the problem has one.

    Examples
    --------
    >>> print(Rejection("10.abc/x", "registrant code is not numeric", "seeds.txt", 4))
    seeds.txt:4: '10.abc/x': registrant code is not numeric
    >>> print(Rejection("refs", "is a directory, not a seed file", "<argument>"))
    <argument>: 'refs': is a directory, not a seed file
    """

    value: str
    reason: str
    source: str
    line: int | None = None

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {shown!r}: {self.reason}"


@dataclass
class SeedLoad:
    """The seeds read from some inputs, and the inputs that were rejected.

    Seeds with the same DOI key are kept once: the first occurrence wins and
    later ones are logged at INFO level (they are not rejections).

    Parameters
    ----------
    seeds : list of Seed
        The accepted seeds, in input order, one per DOI key.
    rejected : list of Rejection
        The rejected values, in input order.

    Examples
    --------
    >>> a = load_seeds(["10.1000/a", "10.1000/b"])
    >>> b = load_seeds(["10.1000/B", "10.1000/c", "nope"])
    >>> both = a + b
    >>> [str(doi) for doi in both.dois], len(both.rejected)
    (['10.1000/a', '10.1000/b', '10.1000/c'], 1)
    """

    seeds: list[Seed] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def __post_init__(self) -> None:
        seeds, self.seeds = self.seeds, []
        self._first: dict[str, Seed] = {}  # DOI key -> the seed that brought it (duplicates in O(1))
        self.rejected = list(self.rejected)
        for seed in seeds:
            self.add_seed(seed)

    @property
    def dois(self) -> list[DOI]:
        """The DOIs of the seeds, in order.

        Examples
        --------
        >>> load_seeds(["10.1000/a"]).dois
        [DOI(key='10.1000/a', original='10.1000/a')]
        """
        return [seed.doi for seed in self.seeds]

    def add_seed(self, seed: Seed) -> bool:
        """Add a seed unless its DOI key is already present.

        Parameters
        ----------
        seed : Seed
            The seed to add.

        Returns
        -------
        bool
            True if it was added, False if it was a duplicate (logged at INFO).

        Examples
        --------
        >>> load = SeedLoad()
        >>> seed = Seed(normalize_doi("10.1000/a"), ARGUMENT_SOURCE)
        >>> load.add_seed(seed), load.add_seed(seed)
        (True, False)
        """
        first = self._first.get(seed.doi.key)
        if first is not None:
            logger.info(
                "%s: duplicate seed %s ignored (first given at %s)",
                _where(seed.source, seed.line),
                seed.doi,
                _where(first.source, first.line),
            )
            return False
        self._first[seed.doi.key] = seed
        self.seeds.append(seed)
        return True

    def extend(self, other: SeedLoad) -> None:
        """Append another load's seeds (skipping duplicates) and rejections.

        Parameters
        ----------
        other : SeedLoad
            The load to append.

        Examples
        --------
        >>> load = load_seeds(["10.1000/a"])
        >>> load.extend(load_seeds(["10.1000/A", "10.1000/b"]))
        >>> [seed.doi.key for seed in load.seeds]
        ['10.1000/a', '10.1000/b']
        """
        for seed in other.seeds:
            self.add_seed(seed)
        self.rejected.extend(other.rejected)

    def __add__(self, other: SeedLoad) -> SeedLoad:
        if not isinstance(other, SeedLoad):
            return NotImplemented
        combined = SeedLoad(list(self.seeds), list(self.rejected))
        combined.extend(other)
        return combined


def _where(source: str, line: int | None) -> str:
    return source if line is None else f"{source}:{line}"


class _Reader:
    """Collects the seeds and rejections of one file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.load = SeedLoad()

    def reject(self, value: str, reason: str, line: int | None = None) -> None:
        self.load.rejected.append(Rejection(value, reason, self.source, line))

    def add(
        self,
        value: str,
        line: int | None,
        role: str | None = None,
        note: str | None = None,
    ) -> None:
        """Normalise ``value`` and add it as a seed, or reject it.

        A DOI split by a line break (a space right after ``.``, ``/``, ``-``
        or ``_``) is joined again, with a warning, when the joined text is a
        valid DOI; other inner spaces are rejected.
        """
        try:
            doi = normalize_doi(value)
        except InvalidDOIError as exc:
            joined = _BROKEN_AT_RE.sub("", value.strip())
            repaired: DOI | None = None
            if joined != value.strip():
                with contextlib.suppress(InvalidDOIError):
                    repaired = normalize_doi(joined)
            if repaired is None:
                self.reject(value, exc.reason, line)
                return
            doi = repaired
            logger.warning("%s: %r read as the DOI %s (the space after a line break removed)",
                           _where(self.source, line), value, doi)
        self.load.add_seed(Seed(doi, self.source, line, role or None, note or None))

    def add_doi(self, doi: DOI, line: int | None, note: str | None = None) -> None:
        self.load.add_seed(Seed(doi, self.source, line, None, note or None))

    def line_too_long(self, text: str, line: int) -> bool:
        """Reject ``text`` if it is longer than :data:`MAX_LINE_LENGTH`."""
        if len(text) <= MAX_LINE_LENGTH:
            return False
        self.reject(
            text[:80],
            f"line too long ({len(text)} characters; seed-file lines are at most {MAX_LINE_LENGTH})",
            line,
        )
        return True


# --------------------------------------------------------------------------
# Bytes to text


def _looks_like_bomless_utf16(data: bytes) -> str | None:
    """Return the codec of BOM-less UTF-16 holding ASCII text, or None."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if not any(odd) and all(even):
        return "utf-16-le"
    if not any(even) and all(odd):
        return "utf-16-be"
    return None


_BINARY = "binary file, not a seed list (expected text with one DOI per line, CSV, BibTeX or RIS)"


def _decode(data: bytes, source: str) -> str:
    """Decode file contents; raise InputFileError when they are not text."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, codec in boms:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    f"cannot decode as {codec} although it starts with a {codec} byte-order mark "
                    f"(byte {exc.start}); save it as UTF-8"
                ) from None
    if b"\x00" in data:
        wide = _looks_like_bomless_utf16(data)
        if wide is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise InputFileError(_BINARY) from None
            lines = _lines(text)
            damaged = sum(1 for line in lines if "\x00" in line)
            if 2 * damaged >= len(lines):  # NUL bytes all over: a binary file, not a damaged text file
                raise InputFileError(_BINARY)
            nuls = data.count(b"\x00")
            # NUL bytes in a few lines of UTF-8 text: damaged lines; they are rejected, the rest is read
            logger.warning("%s: %d NUL byte(s) in the text; the lines holding them are rejected, the rest is read",
                           source, nuls)
            return text
        logger.warning("%s: no byte-order mark, but the text looks like %s", source, wide.upper())
        try:
            return data.decode(wide)
        except UnicodeDecodeError:
            raise InputFileError(_BINARY) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        logger.warning(
            "%s: not valid UTF-8 (byte %d); decoding it as cp1252 (Windows Latin-1)", source, exc.start
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _lines(text: str) -> list[str]:
    r"""Split on \n, \r\n or \r only, so indexes match the file's lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --------------------------------------------------------------------------
# Plain text


def _parse_comment(comment: str) -> tuple[str | None, str | None]:
    """Split a trailing comment into (role, note).

    Examples
    --------
    >>> _parse_comment("seed: Alopecia universalis (2021)")
    ('seed', 'Alopecia universalis (2021)')
    >>> _parse_comment("see https://example.org")
    (None, 'see https://example.org')
    """
    comment = comment.strip()
    match = _ROLE_COMMENT_RE.fullmatch(comment)
    if match:
        return match.group(1), match.group(2).strip() or None
    return None, comment or None


def _read_text(text: str, reader: _Reader) -> None:
    for number, raw in enumerate(_lines(text), start=1):
        if reader.line_too_long(raw, number):
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        role = note = None
        comment = _TRAILING_COMMENT_RE.search(line)
        if comment:
            role, note = _parse_comment(line[comment.end() :])
            line = line[: comment.start()].strip()
        reader.add(line, number, role, note)


# --------------------------------------------------------------------------
# CSV and TSV


def _csv_delimiter(header: str, kind: str) -> str:
    if kind == "tsv":
        return "\t"
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _cell(row: list[str], column: int) -> str:
    return row[column].strip() if 0 <= column < len(row) else ""


def _read_csv(text: str, reader: _Reader, kind: str) -> None:
    lines = _lines(text)
    header_text = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    delimiter = _csv_delimiter(header_text, kind)
    state = {"at_record_start": True, "record_line": 0, "last_line": 0}

    def physical_lines() -> Iterator[str]:
        for number, line in enumerate(lines, start=1):
            if state["at_record_start"]:
                if line.lstrip().startswith("#"):
                    continue
                if reader.line_too_long(line, number):
                    continue
                state["record_line"] = number
                state["at_record_start"] = False
            state["last_line"] = number
            yield line + "\n"

    # TSV (IANA text/tab-separated-values) has no quoting: a title such as
    # '"Quoted" words' is kept as is, and a stray quote cannot swallow rows.
    quoting: Literal[0, 3] = csv.QUOTE_NONE if kind == "tsv" else csv.QUOTE_MINIMAL
    rows = csv.reader(physical_lines(), delimiter=delimiter, quoting=quoting)
    header: list[str] | None = None
    doi_col = role_col = note_col = title_col = -1
    last_span = (0, 0)
    try:
        for row in rows:
            state["at_record_start"] = True
            number = state["record_line"]
            last_span = (number, state["last_line"])
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lstrip("\ufeff").strip().casefold() for cell in row]
                if "doi" not in header:
                    found = ", ".join(repr(cell) for cell in row)
                    reader.reject(
                        delimiter.join(row),
                        f"no 'doi' column in the header row (found columns: {found}); "
                        "a column named 'doi' is required",
                        number,
                    )
                    return
                doi_col = header.index("doi")
                role_col = header.index("role") if "role" in header else -1
                note_col = header.index("note") if "note" in header else -1
                title_col = header.index("title") if "title" in header else -1
                continue
            value = _cell(row, doi_col)
            if not value:
                reader.reject(delimiter.join(row), "empty doi cell (each row needs a DOI in its 'doi' column)", number)
                continue
            reader.add(value, number, _cell(row, role_col), _cell(row, note_col) or _cell(row, title_col))
    except csv.Error as exc:
        reader.reject(
            lines[state["record_line"] - 1] if state["record_line"] else "",
            f"malformed {kind.upper()} ({exc}); the rest of the file was not read",
            state["record_line"] or None,
        )
        return
    if header is None:
        reader.reject(reader.source, "no header row (a first row naming a 'doi' column is required)")
        return
    first, last = last_span
    if quoting != csv.QUOTE_NONE and last > first and "\n".join(lines[first - 1 : last]).count('"') % 2:
        reader.reject(
            lines[first - 1],
            f"unterminated quoted cell: a '\"' on line {first} or after is never closed, so lines "
            f"{first}-{last} were read as one row (close the quote or remove it)",
            first,
        )


# --------------------------------------------------------------------------
# BibTeX

_BIB_ENTRY_RE = re.compile(r"@[ \t]*([A-Za-z][\w-]*)[ \t\r\n]*([{(])")
_BIB_LINE_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*[A-Za-z][\w-]*[ \t]*[{(]", re.MULTILINE)
_BIB_FIELD_RE = re.compile(r"\s*([A-Za-z][\w:.+-]*)\s*=\s*")
_BIB_SKIPPED = {"comment", "string", "preamble"}
_LATEX_REPLACEMENTS = (
    (re.compile(r"\\textless(?:\{\})?\s?"), "<"),
    (re.compile(r"\\textgreater(?:\{\})?\s?"), ">"),
    (re.compile(r"\\textunderscore(?:\{\})?\s?"), "_"),
    (re.compile(r"\$\\(?:lt|less)\$"), "<"),
    (re.compile(r"\$\\(?:gt|greater)\$"), ">"),
    (re.compile(r"\\([_%&#$])"), r"\1"),
)


class _Lines:
    """Maps character offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]

    def at(self, offset: int) -> int:
        return bisect_right(self.starts, offset)


def _bib_entry_end(text: str, body_start: int, opener: str) -> tuple[int, bool]:
    """Find the closing delimiter of an entry whose body starts at ``body_start``.

    Returns ``(index_of_closing_delimiter, True)``, or ``(resync_offset,
    False)`` when the entry is unterminated: a line starting with ``@entry{``
    or the end of the text is reached first.
    """
    closer = "}" if opener == "{" else ")"
    depth = 0
    in_quotes = False
    index = body_start
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "\n" and _BIB_LINE_ENTRY_RE.match(text, index + 1):
            return index + 1, False
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                if closer == "}":
                    return index, True
                return index, False  # stray "}" in a (...) entry
            depth -= 1
        elif char == '"' and depth == 0:
            in_quotes = not in_quotes
        elif char == ")" and closer == ")" and depth == 0 and not in_quotes:
            return index, True
        index += 1
    return length, False


def _bib_value(body: str, start: int) -> tuple[str, int]:
    """Read a field value (braced, quoted, bare, ``#``-concatenated) at ``start``."""
    parts: list[str] = []
    index = start
    length = len(body)
    while True:
        while index < length and body[index].isspace():
            index += 1
        if index >= length:
            break
        char = body[index]
        if char == "{":
            depth = 0
            begin = index
            while index < length:
                if body[index] == "\\":
                    index += 2
                    continue
                if body[index] == "{":
                    depth += 1
                elif body[index] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                index += 1
            parts.append(body[begin + 1 : index])
            index += 1
        elif char == '"':
            depth = 0
            begin = index
            index += 1
            while index < length:
                current = body[index]
                if current == "\\":
                    index += 2
                    continue
                if current == "{":
                    depth += 1
                elif current == "}":
                    depth -= 1
                elif current == '"' and depth <= 0:
                    break
                index += 1
            parts.append(body[begin + 1 : index])
            index += 1
        else:
            begin = index
            while index < length and body[index] not in ",#" and not body[index].isspace():
                index += 1
            parts.append(body[begin:index])
        while index < length and body[index].isspace():
            index += 1
        if index < length and body[index] == "#":
            index += 1
            continue
        break
    # skip anything up to the next field separator
    while index < length and body[index] != ",":
        index += 1
    return "".join(parts), index + 1


def _bib_fields(body: str) -> dict[str, tuple[str, int]]:
    """Parse ``name = value`` pairs; returns name -> (value, offset in body)."""
    fields: dict[str, tuple[str, int]] = {}
    index = 0
    length = len(body)
    while index < length:
        match = _BIB_FIELD_RE.match(body, index)
        if match is None:
            comma = body.find(",", index)
            if comma < 0:
                break
            index = comma + 1
            continue
        value, index = _bib_value(body, match.end())
        fields.setdefault(match.group(1).casefold(), (value, match.start(1)))
    return fields


def _delatex(value: str) -> str:
    r"""Undo the LaTeX escaping BibTeX exporters apply to DOIs and titles.

    Examples
    --------
    >>> _delatex(r"10.1002/(SICI)1097-4636(199706)35:4\textless{}437::AID-JBM5\textgreater{}3.0.CO;2-P")
    '10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P'
    >>> _delatex(r"10.1000/{ABC}\_1")
    '10.1000/ABC_1'
    """
    for pattern, replacement in _LATEX_REPLACEMENTS:
        value = pattern.sub(replacement, value)
    value = value.replace("\\{", "\x00").replace("\\}", "\x01")
    value = value.replace("{", "").replace("}", "")
    value = value.replace("\x00", "{").replace("\x01", "}")
    return " ".join(value.split())


def _read_bibtex(text: str, reader: _Reader) -> None:
    lines = _Lines(text)
    position = 0
    entries = 0
    while True:
        match = _BIB_ENTRY_RE.search(text, position)
        if match is None:
            break
        entry_type = match.group(1).casefold()
        body_start = match.end()
        end, closed = _bib_entry_end(text, body_start, match.group(2))
        line = lines.at(match.start())
        position = end + 1 if closed else max(end, body_start)
        if entry_type in _BIB_SKIPPED:
            continue
        entries += 1
        body = text[body_start:end]
        head = body.split(",", 1)[0].split()
        key = head[0] if head else ""
        if not closed:
            reader.reject(
                f"@{match.group(1)}{{{key}",
                f"entry '{key}' is not terminated: its braces are unbalanced "
                f"(every '{{' needs a matching '}}' before the next entry)",
                line,
            )
            continue
        comma = body.find(",")
        fields = _bib_fields(body[comma + 1 :]) if comma >= 0 else {}
        field_base = body_start + comma + 1
        title = _delatex(fields["title"][0]) if "title" in fields else None
        if "doi" in fields:
            value, offset = fields["doi"]
            reader.add(_delatex(value), lines.at(field_base + offset), note=title)
            continue
        if "url" in fields:
            value, offset = fields["url"]
            if "doi.org/" in value.casefold():
                found = extract_dois(_delatex(value))
                if found:
                    reader.add_doi(found[0], lines.at(field_base + offset), note=title)
                    continue
        reader.reject(
            key,
            f"entry '{key}' has no doi field (add doi = {{10.xxxx/...}} or a doi.org url)",
            line,
        )
    if entries == 0:
        reader.reject(
            reader.source, "no BibTeX entries found (expected entries like @article{key, doi = {10.1234/abc}})"
        )


# --------------------------------------------------------------------------
# RIS

_RIS_TAG_RE = re.compile(r"^([A-Z][A-Z0-9])[ \t]{1,2}-(?:[ \t](.*))?$")


def _read_ris(text: str, reader: _Reader) -> None:
    record: dict[str, list[tuple[str, int]]] | None = None
    record_line = 0
    records = 0

    def finish() -> None:
        nonlocal record, records
        if record is None:
            return
        records += 1
        tags, record = record, None
        title = next((value for tag in ("TI", "T1") for value, _ in tags.get(tag, []) if value), None)
        for value, number in tags.get("DO", []):
            if value:
                reader.add(value, number, note=title)
                return
        for tag in ("UR", "L3"):
            for value, number in tags.get(tag, []):
                if "doi.org/" in value.casefold():
                    found = extract_dois(value)
                    if found:
                        reader.add_doi(found[0], number, note=title)
                        return
        shown = title or f"TY  - {tags['TY'][0][0]}"
        reader.reject(shown, "record has no DO (DOI) tag (add a line like 'DO  - 10.1234/abc')", record_line)

    for number, raw in enumerate(_lines(text), start=1):
        if reader.line_too_long(raw, number):
            continue
        match = _RIS_TAG_RE.match(raw.strip(" \ufeff"))
        if match is None:
            continue  # a continuation line or text outside records
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if record is not None:
                logger.warning(
                    "%s:%d: record started before the previous one ended with 'ER  -'", reader.source, number
                )
                finish()
            record = {"TY": [(value, number)]}
            record_line = number
        elif tag == "ER":
            finish()
        elif record is not None:
            record.setdefault(tag, []).append((value, number))
    if record is not None:
        logger.warning("%s: the last record (line %d) does not end with 'ER  -'", reader.source, record_line)
        finish()
    if records == 0:
        reader.reject(reader.source, "no RIS records found (expected records starting with a line like 'TY  - JOUR')")


# --------------------------------------------------------------------------
# Files and arguments


def _format_of(path: Path) -> tuple[str, bool]:
    """Return (format, gzipped) for a file path, by its suffix."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    if gzipped:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    return _FORMATS.get(suffix, "text"), gzipped


def _read_bytes(path: Path, gzipped: bool) -> bytes:
    try:
        if path.is_dir():
            raise InputFileError("is a directory, not a seed file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(f"too large for a seed list ({size} bytes; at most {MAX_FILE_BYTES})")
        if not gzipped:
            # read at most the limit, whatever stat() said: /dev/zero and pipes have no size
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise InputFileError(f"too large for a seed list (more than {MAX_FILE_BYTES} bytes)")
            return data
        with gzip.open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputFileError(f"too large for a seed list once decompressed (more than {MAX_FILE_BYTES} bytes)")
        return data
    except FileNotFoundError:
        raise InputFileError("no such file") from None
    except PermissionError:
        raise InputFileError("cannot read the file: permission denied") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputFileError(f"not a valid gzip file ({exc}); remove the .gz suffix if it is plain text") from None
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}") from None


def read_seed_file(path: str | os.PathLike[str]) -> SeedLoad:
    r"""Read the seeds in one file, choosing the format by its suffix.

    Parameters
    ----------
    path : str or os.PathLike
        The file. See the module docstring for the formats and the suffixes
        that select them; anything else is read as plain text.

    Returns
    -------
    SeedLoad
        The seeds, with ``source`` set to ``path`` as given, and one rejection
        per unusable line, row, entry or record — or a single rejection for
        the file if it is missing, unreadable, a directory, binary or empty.
        Never raises for bad input.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "seeds.txt")
    ...     with open(path, "w", encoding="utf-8") as handle:
    ...         _ = handle.write("# my seeds\n10.1000/A  # seed: first paper\n10.abc/x\n")
    ...     load = read_seed_file(path)
    >>> [(s.doi.key, s.line, s.role, s.note) for s in load.seeds]
    [('10.1000/a', 2, 'seed', 'first paper')]
    >>> [(r.value, r.line) for r in load.rejected]
    [('10.abc/x', 3)]
    """
    source = os.fspath(path)
    reader = _Reader(source)
    file_path = Path(source)
    kind, gzipped = _format_of(file_path)
    try:
        data = _read_bytes(file_path, gzipped)
        text = _decode(data, source)
    except InputFileError as exc:
        reader.reject(source, str(exc))
        return reader.load
    if not text.strip(" \t\r\n\ufeff\x00"):
        reader.reject(source, "empty file: no DOIs")
        return reader.load
    logger.debug("%s: reading as %s%s", source, kind, " (gzip)" if gzipped else "")
    if kind == "text":
        _read_text(text, reader)
    elif kind in ("csv", "tsv"):
        _read_csv(text, reader, kind)
    elif kind == "bibtex":
        _read_bibtex(text, reader)
    else:
        _read_ris(text, reader)
    load = reader.load
    if not load.seeds and not load.rejected:
        reader.reject(source, "no DOIs found in the file (only blank lines and comments)")
    logger.info("%s: %d seed(s), %d rejected", source, len(load.seeds), len(load.rejected))
    return load


def _looks_like_file_name(value: str) -> bool:
    lowered = value.lower()
    if any(lowered.endswith(suffix) for suffix in SEED_FILE_SUFFIXES):
        return True
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(separator in value for separator in separators)


def load_seeds(inputs: Iterable[str | os.PathLike[str]]) -> SeedLoad:
    """Collect seeds from DOIs and seed files given on the command line.

    Parameters
    ----------
    inputs : iterable of str
        Each is an existing file (read with :func:`read_seed_file`) or a DOI
        in any form :func:`citegraph.doi.normalize_doi` accepts. A single
        string is treated as one input.

    Returns
    -------
    SeedLoad
        The seeds in input order (each DOI key once) and every rejection: an
        invalid DOI, a directory, a missing file (a value that is not a DOI
        but has a seed-file suffix or a path separator), and the rejections
        of each file. Never raises for bad input.

    Examples
    --------
    >>> load = load_seeds(["https://doi.org/10.1111/ijd.13612", "missing/seeds.txt"])
    >>> [seed.doi.key for seed in load.seeds]
    ['10.1111/ijd.13612']
    >>> print(load.rejected[0])
    <argument>: 'missing/seeds.txt': no such file
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    load = SeedLoad()
    for item in inputs:
        value = os.fspath(item)
        if value and os.path.lexists(value):
            if os.path.isdir(value):
                load.rejected.append(Rejection(value, "is a directory, not a seed file", ARGUMENT_SOURCE))
            else:
                load.extend(read_seed_file(value))
            continue
        try:
            doi = normalize_doi(value)
        except InvalidDOIError as exc:
            if not _DOI_LIKE_RE.match(value) and _looks_like_file_name(value):
                reason = "no such file"
            elif not _DOI_LIKE_RE.match(value) and value.strip():
                reason = f"not an existing file, and not a DOI: {exc.reason}"
            else:
                reason = exc.reason
            load.rejected.append(Rejection(value, reason, ARGUMENT_SOURCE))
            continue
        load.add_seed(Seed(doi, ARGUMENT_SOURCE))
    return load
