"""Read Crossref records from local files and resolve DOIs against them.

``citegraph fetch --from FILE`` snowballs over a local file exactly as over
the API: :class:`FileSource` has the same ``resolve`` interface as
:class:`~citegraph.sources.crossref.CrossrefSource`. Accepted inputs:

- JSON Lines, one Crossref work per line (``.jsonl``, ``.jsonl.gz``, ``.ndjson``);
- JSON: Crossref's public-data-file shape ``{"items": [...]}``, an API answer
  (``{"message": {...}}`` or ``{"message": {"items": [...]}}``), a list of
  works or one work (``.json``, ``.json.gz``);
- a ``.tar``/``.tar.gz``/``.tgz`` archive of such files (how the public data
  file is distributed), or a folder of them.

Examples
--------
>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "w.jsonl"
>>> _ = p.write_text(json.dumps({"DOI": "10.1/A", "title": ["A"]}) + "\\n")
>>> src = FileSource(p)
>>> from citegraph.doi import normalize_doi
>>> [(len(r.records), [str(d) for d in r.missing])
...  for r in src.resolve([normalize_doi("10.1/a"), normalize_doi("10.1/zz")])]
[(1, ['10.1/zz'])]
"""

from __future__ import annotations

import gzip
import html
import io
import json
import logging
import os
import re
import tarfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from citegraph.doi import DOI, normalize_doi
from citegraph.errors import InputFileError, InvalidDOIError, UsageError
from citegraph.sources.crossref import Resolution

__all__ = ["MAX_JSON_CHARS", "MAX_RECORD_CHARS", "FileSource", "iter_records", "match_score", "query_tokens"]

log = logging.getLogger(__name__)

_JSON_SUFFIXES = (".json", ".json.gz")
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".jl", ".jl.gz")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")

#: The longest line of a JSON Lines file read (characters). A Crossref record with thousands of references
#: is under 2 MB; a longer line (``/dev/zero``, a gzip bomb) stops the file instead of filling memory.
MAX_RECORD_CHARS = 16 * 2**20

#: The largest whole-JSON file read, once decompressed (characters); JSON Lines has no such limit.
MAX_JSON_CHARS = 512 * 2**20


def _open_text(raw: IO[bytes], name: str) -> IO[str]:
    if name.endswith(".gz"):
        raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    return io.TextIOWrapper(raw, encoding="utf-8-sig")


def _items_of(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if isinstance(data.get("items"), list):
            return list(data["items"])
        message = data.get("message")
        if isinstance(message, dict):
            if isinstance(message.get("items"), list):
                return list(message["items"])
            return [message]
        return [data]
    return []


def _records_from_stream(raw: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    lower = name.lower()
    text = _open_text(raw, lower)
    try:
        if lower.endswith(_JSONL_SUFFIXES):
            lineno = 0
            while True:
                line = text.readline(MAX_RECORD_CHARS + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > MAX_RECORD_CHARS:
                    raise InputFileError(
                        f"{name}:{lineno}: a line longer than {MAX_RECORD_CHARS:,} characters, not a record "
                        "(the records before it were read); is it really JSON Lines?")
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    log.warning("%s:%d: not JSON, skipped (%s)", name, lineno, exc)
                    continue
                yield from (o for o in _items_of(obj) if isinstance(o, dict))
        else:
            content = text.read(MAX_JSON_CHARS + 1)
            if len(content) > MAX_JSON_CHARS:
                raise InputFileError(
                    f"{name}: more than {MAX_JSON_CHARS:,} characters of JSON once decompressed; "
                    "give it as JSON Lines (.jsonl.gz, read record by record) or split it")
            try:
                data = json.loads(content)
            except ValueError as exc:
                raise InputFileError(f"{name}: not valid JSON ({exc})") from exc
            yield from (o for o in _items_of(data) if isinstance(o, dict))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{name}: cannot be read ({exc})") from exc


def iter_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield every Crossref work record in a file, archive or folder.

    Raises
    ------
    InputFileError
        The path is missing, or of an unsupported kind, or cannot be read.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"--from {str(p)!r}: no such file or folder")
    if p.is_dir():
        files = sorted(
            f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(_JSON_SUFFIXES + _JSONL_SUFFIXES)
        )
        if not files:
            raise InputFileError(f"--from {str(p)!r}: the folder holds no .json/.jsonl(.gz) files")
        for f in files:
            yield from iter_records(f)
        return
    name = p.name.lower()
    try:
        if name.endswith(_TAR_SUFFIXES):
            with tarfile.open(p) as tar:
                for member in sorted(tar.getmembers(), key=lambda m: m.name):
                    if not member.isfile() or not member.name.lower().endswith(_JSON_SUFFIXES + _JSONL_SUFFIXES):
                        continue
                    fh = tar.extractfile(member)
                    if fh is not None:
                        yield from _records_from_stream(fh, member.name)
            return
        if not name.endswith(_JSON_SUFFIXES + _JSONL_SUFFIXES):
            raise InputFileError(
                f"--from {str(p)!r}: unsupported file type; give .jsonl, .json, their .gz forms, "
                ".tar.gz or a folder of them"
            )
        with p.open("rb") as fh:
            yield from _records_from_stream(fh, p.name)
    except (OSError, tarfile.TarError) as exc:
        raise InputFileError(f"--from {str(p)!r}: cannot be read ({exc})") from exc


_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")


def query_tokens(text: str) -> list[str]:
    """Lower-case words of a text, accents removed, markup dropped.

    Examples
    --------
    >>> query_tokens("Alopécia <i>Areata</i>: a review")
    ['alopecia', 'areata', 'a', 'review']
    """
    text = html.unescape(_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORD.findall(text.casefold())


def _texts(record: Mapping[str, Any]) -> tuple[str, str, str]:
    def joined(value: Any) -> str:
        if isinstance(value, list):
            return " ".join(str(v) for v in value if isinstance(v, str))
        return value if isinstance(value, str) else ""

    title = " ".join((joined(record.get("title")), joined(record.get("subtitle")),
                      joined(record.get("original-title"))))
    return title, joined(record.get("abstract")), joined(record.get("subject"))


def match_score(tokens: Sequence[str], record: Mapping[str, Any]) -> float:
    """How well a record matches query words (0 when a word is missing).

    Every query word must occur as a whole word in the title, abstract or
    subjects; the score counts occurrences, title words three times.

    Examples
    --------
    >>> rec = {"title": ["Alopecia areata in children"], "subject": ["Dermatology"]}
    >>> match_score(["alopecia", "areata"], rec), match_score(["alopecia", "totalis"], rec)
    (6.0, 0.0)
    """
    title, abstract, subjects = (query_tokens(t) for t in _texts(record))
    score = 0.0
    for token in dict.fromkeys(tokens):
        hits = 3 * title.count(token) + abstract.count(token) + subjects.count(token)
        if hits == 0:
            return 0.0
        score += hits
    return score


class FileSource:
    """Resolve DOIs against the records of a local file.

    The file is indexed once (DOI key -> record); records without a valid
    DOI are counted and skipped. Where a DOI occurs twice, the record with
    more fields wins.

    Parameters
    ----------
    path : str or Path
        A file, archive or folder accepted by :func:`iter_records`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path.name}"
        self.skipped = 0
        self._index: dict[str, str] = {}
        for record in iter_records(self.path):
            try:
                key = normalize_doi(str(record.get("DOI", ""))).key
            except InvalidDOIError:
                self.skipped += 1
                continue
            encoded = json.dumps(record, ensure_ascii=False)
            old = self._index.get(key)
            if old is None or len(json.loads(old)) < len(record):
                self._index[key] = encoded
        if self.skipped:
            log.warning("%s: %d records without a valid DOI skipped", self.path, self.skipped)
        log.info("%s: %d works indexed", self.path, len(self._index))
        self.stats: dict[str, int] = {"requests": 0}

    def __len__(self) -> int:
        return len(self._index)

    def keys(self) -> list[str]:
        """All DOI keys in the file, sorted."""
        return sorted(self._index)

    def record(self, key: str) -> dict[str, Any] | None:
        """The record for a DOI key, or None."""
        encoded = self._index.get(key)
        return json.loads(encoded) if encoded is not None else None

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]:
        """One :class:`Resolution` per 500 DOIs: found records and missing DOIs."""
        chunk: list[DOI] = []
        for doi in {d.key: d for d in dois}.values():
            chunk.append(doi)
            if len(chunk) == 500:
                yield self._resolve_chunk(chunk)
                chunk = []
        if chunk:
            yield self._resolve_chunk(chunk)

    def _resolve_chunk(self, chunk: list[DOI]) -> Resolution:
        records: list[dict[str, Any]] = []
        missing: list[DOI] = []
        for doi in chunk:
            record = self.record(doi.key)
            if record is None:
                missing.append(doi)
            else:
                records.append(record)
        return Resolution(records, missing, 0)

    def search(self, query: str, rows: int) -> list[dict[str, Any]]:
        """The ``rows`` records of the file that match a query best.

        Every word of the query must occur in the title, abstract or subjects
        (see :func:`match_score`); results are ordered by score, then DOI, and
        carry the score as ``score``, like Crossref's answers.

        Raises
        ------
        UsageError
            An empty query or ``rows`` < 1.
        """
        tokens = query_tokens(query)
        if not tokens:
            raise UsageError("the query is empty: give words to search for, e.g. --query 'alopecia areata'")
        if rows < 1:
            raise UsageError(f"rows {rows} must be at least 1")
        scored: list[tuple[float, str]] = []
        for key in self.keys():
            record = self.record(key)
            score = match_score(tokens, record) if record is not None else 0.0
            if score > 0:
                scored.append((score, key))
        scored.sort(key=lambda sk: (-sk[0], sk[1]))
        out = []
        for score, key in scored[:rows]:
            record = self.record(key) or {}
            out.append({**record, "score": score})
        return out

    def close(self) -> None:
        """Nothing to release (same interface as the API source)."""
