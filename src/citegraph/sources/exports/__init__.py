"""Read the files researchers already hold: Web of Science, Scopus, Lens and OpenAlex exports.

:func:`read_export` reads one file into an :class:`~citegraph.sources.exports.model.ExportRead`:
it decodes the bytes (UTF-8 with or without a byte-order mark, UTF-16 with one; a binary file is
refused), detects the format from the content (:func:`detect_format`, never from the file name) and
hands the text to the format's reader (:mod:`~citegraph.sources.exports.wos` for the three Web of
Science formats, :mod:`~citegraph.sources.exports.tabular` for the Scopus, Lens and OpenAlex CSVs).
What a file cannot give is reported as problems naming the file and line; the good records of the
file are still read.

No maintained Python library reads all of these exports into records *and* parsed cited references
(bibliometrix and Biblium do it in R; pybibx and litstudy read some formats but drop the
cited-reference structure citegraph matches on), so the readers are written here on the standard
``csv`` module and plain line parsing.

Examples
--------
>>> detect_format("\\ufeffFN Clarivate Analytics Web of Science\\nVR 1.0\\nPT J\\n")
'wos'
>>> detect_format('"Lens ID","Title","DOI"\\n')
'lens'
>>> detect_format("just some text") is None
True
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from citegraph.sources.exports.model import FORMATS, CitedReference, ExportProblem, ExportRead, ExportRecord

__all__ = [
    "DATABASES",
    "FORMATS",
    "MAX_EXPORT_BYTES",
    "CitedReference",
    "ExportProblem",
    "ExportRead",
    "ExportRecord",
    "database_of",
    "decode_export",
    "detect_format",
    "read_export",
]

log = logging.getLogger(__name__)

#: The database each format comes from: the name edges and matches are credited to.
DATABASES: dict[str, str] = {
    "wos": "wos",
    "wos-tab": "wos",
    "wos-bib": "wos",
    "scopus": "scopus",
    "lens": "lens",
    "openalex-csv": "openalex",
}

#: The largest export file read (bytes). Web of Science saves at most 1,000 full records per file
#: (about 10 MB); a Scopus CSV of 20,000 records with references is about 300 MB.
MAX_EXPORT_BYTES = 2 * 2**30


def database_of(fmt: str) -> str:
    """The database an export format comes from (``"wos-tab"`` -> ``"wos"``).

    Examples
    --------
    >>> database_of("wos-bib"), database_of("openalex-csv")
    ('wos', 'openalex')
    """
    return DATABASES[fmt]


def decode_export(data: bytes) -> str:
    """The text of an export file, or ``ValueError`` saying why it is not text.

    UTF-8 with or without a byte-order mark, UTF-16 and UTF-32 with one (Web of Science's
    older "Tab-delimited (Win)" saves UTF-16). Invalid UTF-8 without a mark is read as cp1252
    (Windows Latin-1), as Excel saves CSV, and said in a warning.

    Examples
    --------
    >>> decode_export(b"\\xef\\xbb\\xbfPT J\\n")
    'PT J\\n'
    >>> decode_export(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00")
    Traceback (most recent call last):
    ...
    ValueError: a binary file, not an export (NUL bytes at byte 8)
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ValueError(f"not valid {codec} after its byte-order mark (byte {exc.start})") from None
    nul = data.find(b"\x00", 0, 1 << 16)
    if nul >= 0:
        raise ValueError(f"a binary file, not an export (NUL bytes at byte {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("not valid UTF-8 (byte %d): read as cp1252 (Windows Latin-1)", exc.start)
    return data.decode("cp1252", errors="replace")


_WOS_TAGS = re.compile(r"^(FN |VR |PT [A-Z]\b)")
_BIB_WOS = re.compile(r"@\w+\s*\{\s*WOS:|Cited-References\s*=\s*\{|Unique-ID\s*=\s*\{\s*WOS:", re.IGNORECASE)


def detect_format(text: str) -> str | None:
    """The export format of ``text`` (a key of :data:`FORMATS`), from its content; None when unknown.

    Web of Science plain text starts with ``FN``/``VR``/``PT`` tags, its tab-delimited form with a
    header of two-letter tags (``PT``, ``AU``, ..., ``UT``), its BibTeX form has ``WOS:`` keys or
    ``Cited-References`` fields; the CSVs are told apart by their columns (Scopus: ``EID``; Lens:
    ``Lens ID``; OpenAlex: ``id`` and ``display_name`` or ``publication_year``).

    Examples
    --------
    >>> detect_format("PT\\tAU\\tTI\\tSO\\tUT\\nJ\\tDoe, J\\tA\\tB\\tWOS:1\\n")
    'wos-tab'
    >>> detect_format('"Authors","Title","Year","Source title","EID"\\n')
    'scopus'
    """
    head = text[:200_000].lstrip("\ufeff")
    lines = [line for line in head.splitlines()[:50] if line.strip()]
    if not lines:
        return None
    first = lines[0]
    if _WOS_TAGS.match(first):
        return "wos"
    fields = first.split("\t")
    if len(fields) >= 5 and {"PT", "AU", "TI"} <= {f.strip() for f in fields}:
        return "wos-tab"
    if _BIB_WOS.search(head):
        return "wos-bib"
    try:
        header = next(csv.reader(io.StringIO(first)))
    except (csv.Error, StopIteration):
        return None
    columns = {c.strip() for c in header}
    if "Lens ID" in columns:
        return "lens"
    if "EID" in columns and columns & {"Authors", "Title", "Source title", "References"}:
        return "scopus"
    if "id" in columns and columns & {"display_name", "publication_year"}:
        return "openalex-csv"
    return None


def _reader(fmt: str) -> Callable[[str, str], ExportRead]:
    if fmt in ("wos", "wos-tab", "wos-bib"):
        from citegraph.sources.exports import wos

        return {"wos": wos.read_wos, "wos-tab": wos.read_wos_tab, "wos-bib": wos.read_wos_bib}[fmt]
    from citegraph.sources.exports import tabular

    return {"scopus": tabular.read_scopus, "lens": tabular.read_lens,
            "openalex-csv": tabular.read_openalex_csv}[fmt]


def read_export(path: str | os.PathLike[str], fmt: str = "auto") -> ExportRead:
    """Read one export file: its records and cited references, and the problems met.

    Parameters
    ----------
    path : path-like
        The file.
    fmt : str
        ``"auto"`` (detect from the content) or a key of :data:`FORMATS`.

    Returns
    -------
    ExportRead
        Never raises for a bad file: a file that cannot be read at all (missing, a folder, binary,
        of no known format, another format than ``fmt``) gives no records and one problem saying
        why, naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "not-an-export.txt"
    >>> _ = p.write_text("hello\\n")
    >>> [str(problem).split(": ", 1)[1][:52] for problem in read_export(p).problems]
    ['not a known export format (line 1 starts "hello"); g']
    """
    name = os.fspath(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of auto, {', '.join(FORMATS)}")
    read = ExportRead(file=name, format=fmt)
    p = Path(path)
    try:
        if p.is_dir():
            read.problem(None, "is a folder, not an export file")
            return read
        size = p.stat().st_size
        if size > MAX_EXPORT_BYTES:
            read.problem(None, f"{size:,} bytes: larger than the {MAX_EXPORT_BYTES:,} an export is read up to")
            return read
        data = p.read_bytes()
    except OSError as exc:
        read.problem(None, f"cannot read: {exc.strerror or exc}")
        return read
    try:
        text = decode_export(data)
    except ValueError as exc:
        read.problem(None, str(exc))
        return read
    detected = detect_format(text)
    chosen = detected if fmt == "auto" else fmt
    if chosen is None:
        start = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")[:40]
        read.problem(1, f'not a known export format (line 1 starts "{start}"); '
                        f"give --format {', '.join(list(FORMATS)[:-1])} or {list(FORMATS)[-1]}")
        return read
    got = _reader(chosen)(text.lstrip("\ufeff"), name)
    got.format = chosen
    if fmt != "auto" and detected is not None and detected != fmt and not got.records:
        got.problems = [ExportProblem(name, 1, f"no {fmt} record read: the file looks like a {detected} export "
                                               f"({FORMATS[detected]}); use --format {detected} or auto")]
    return got
