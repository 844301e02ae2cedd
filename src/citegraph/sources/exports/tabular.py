"""Readers for the CSV exports of Scopus, Lens.org and OpenAlex.

Each reader turns the text of one export file into an :class:`~citegraph.sources.exports.model.ExportRead`
(see :mod:`citegraph.sources.exports.model`): one :class:`ExportRecord` per data row, and one
:class:`ExportProblem` per thing it could not read. None of them raises on bad input.

Formats
-------
``scopus``
    Scopus "CSV export": a header row of column names (``Authors``, ``Title``, ``Year``, ``Source title``,
    ``DOI``, ``References``, ``EID`` ...), one row per document. ``References`` holds the cited references in
    one cell, separated by ``"; "``; newer exports *also* separate the authors inside one reference by
    ``"; "`` (``Cheng M.; Xue Y.; Cui M., Global burden ..., Spine, 50, pp. E128-E139, (2025); Li T.; ...``),
    so the cell is split by :func:`split_scopus_references`, and each entry parsed by
    :func:`parse_scopus_reference`.
``lens``
    Lens.org scholarly works CSV: ``Lens ID``, ``Title``, ``Publication Year``, ``Author/s`` ... and
    ``References``, the Lens IDs of the cited works separated by ``"; "``.
``openalex-csv``
    The works CSV that openalex.org offers for download: flattened column names (``id``, ``display_name``,
    ``authorships.author.display_name`` ...), lists joined with ``"|"``. It has no cited references, unless a
    ``referenced_works`` column is present.

Cells are kept as written (whitespace collapsed); an empty cell, or the ``NA`` that files re-saved by R
(bibliometrix) write for one, is a missing value. A value that cannot be read (a year ``"abc"``) is ``None``.

Why the :mod:`csv` module and not pandas: the exports are read row by row with the physical line where each
row starts (``reader.line_num``; cells of abstracts and references may contain line breaks), a row with the
wrong number of cells becomes a problem naming its line instead of a parser error or a silently shifted row,
every cell stays text (no type guessing: an ISSN ``00257974`` keeps its zeros, a volume ``"NA"`` does not
become a float NaN), and no heavy dependency is needed. Reference cells can exceed the :mod:`csv` default
field limit of 131,072 characters, so the limit is raised while a file is read and restored after.

Examples
--------
>>> text = ('Title,Source title,Year,EID,References\\n'
...         '"A study",J Test,2020,2-s2.0-1,"Smith J.; Li K., Old work, J Old, 3, pp. 1-9, (1999)"\\n')
>>> read = read_scopus(text, "scopus.csv")
>>> rec = read.records[0]
>>> rec.line, rec.native_id, rec.year, [(r.first_author, r.year, r.page) for r in rec.references]
(2, '2-s2.0-1', 2020, [('Smith J.', 1999, '1')])
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from citegraph.sources.exports.model import CitedReference, ExportRead, ExportRecord

__all__ = ["parse_scopus_reference", "read_lens", "read_openalex_csv", "read_scopus", "split_scopus_references"]

log = logging.getLogger(__name__)

#: The :mod:`csv` field size limit while an export is read: 2**31 - 1 fits a C ``long`` on every platform.
_FIELD_LIMIT = 2**31 - 1

#: After this many rows the :mod:`csv` module cannot read, the rest of a file is given up.
_MAX_CSV_ERRORS = 100

#: Cells that mean "no value": empty, or the ``NA`` written by R when bibliometrix re-saves an export.
_MISSING = {"", "NA"}

#: Scopus writes these instead of leaving a cell empty.
_SCOPUS_PLACEHOLDERS = {"[No author name available]", "[No abstract available]", "[No title available]"}

_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0)?\s*$")
_INT = re.compile(r"^\s*(\d{1,12})(?:\.0)?\s*$")
_LENS_ID = re.compile(r"^\d{3}-\d{3}-\d{3}-\d{3}-\d{2}[\dX]$")
_OPENALEX_ID = re.compile(r"^(?:https?://openalex\.org/)?([Ww]\d+)$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)

# --- Scopus cited references -----------------------------------------------------------------------------------

#: Initials as Scopus writes them: "M.", "GA", "K.-C.", "R.G.", "A. K.", "M-L", "C-WR", "H.J.W.L.".
_INITIALS = r"[A-Z](?:\.?-?\s?[A-Z]){0,5}\.?"
#: One word of a surname: starts with a letter ("van", "D'Alessandro", "Sa-Ambo", "Künyeli").
_SURNAME_WORD = r"[^\W\d_][^\s,;()]*"
#: A whole author as newer Scopus exports write one: surname words then initials ("Van Eck N.J.", "R SKS").
_AUTHOR = re.compile(rf"^(?:{_SURNAME_WORD}\s+){{1,5}}{_INITIALS}$")
#: A reference that starts with an author followed by a comma ("Cui M., Global burden ...").
_AUTHOR_THEN_COMMA = re.compile(rf"^(?:{_SURNAME_WORD}\s+){{1,5}}{_INITIALS},\s")
_INITIALS_ONLY = re.compile(rf"^{_INITIALS}$")
_SURNAME_ONLY = re.compile(rf"^{_SURNAME_WORD}(?:\s+{_SURNAME_WORD}){{0,3}}$")
#: The year group: "(2025)".
_REF_YEAR = re.compile(r"\((\d{4})\)")
#: "pp. E128-E139", "p. 12", "art. no. e123".
_PAGES = re.compile(r"^(?:pp?\.|art\.\s*no\.)\s*([^\s\-–]+)", re.IGNORECASE)
#: A volume or issue: "12", "12A", "2005", "S1", "1-2".
_VOLUME = re.compile(r"^[A-Z]?\d[\dA-Za-z\-–/.]{0,11}$")
_YEAR_RANGE = re.compile(r"^\d{4}[-–]\d{4}$")
#: A DOI with what introduces it ("DOI 10.1/x", "doi:10.1/x", "https://doi.org/10.1/x", or bare).
_REF_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|\bdoi\s*:?\s*)?(10\.\d{4,9}/[^\s,;]+)", re.IGNORECASE)


def _collapse(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def _clean_doi(doi: str) -> str:
    """Drop the punctuation that ends a sentence, and a ")" that does not close a "(" of the DOI."""
    doi = doi.rstrip(".,;:")
    while doi.endswith(")") and doi.count(")") > doi.count("("):
        doi = doi[:-1].rstrip(".,;:")
    return doi


def split_scopus_references(cell: str) -> list[str]:
    """Split a Scopus ``References`` cell into its entries.

    Scopus separates the entries by ``"; "``, and newer exports separate the authors inside an entry by
    ``"; "`` too (``Cheng M.; Xue Y.; Cui M., Title, ...``). A piece that is nothing but an author name
    (surname words and capital initials: ``"Cheng M."``, ``"Calin GA"``, ``"van Eck N.J."``, ``"Tseng M-L"``)
    is joined to the next piece when that one starts with an author too (another bare name, or a name and a
    comma: ``"Cui M., Global ..."``); every other piece ends its entry. Older exports write the authors of an
    entry with commas (``Acar A. K., Title, ...``), which this leaves alone.

    Parameters
    ----------
    cell
        The ``References`` cell.

    Returns
    -------
    list of str
        The entries in the order of the cell, whitespace collapsed; empty pieces dropped.

    Examples
    --------
    >>> split_scopus_references("Cheng M.; Xue Y.; Cui M., Burden, Spine, 50, (2025); Chen C., Citespace, (2006)")
    ['Cheng M.; Xue Y.; Cui M., Burden, Spine, 50, (2025)', 'Chen C., Citespace, (2006)']
    """
    pieces = [p for p in (_collapse(s) for s in cell.split(";")) if p]
    entries: list[str] = []
    pending: list[str] = []
    for i, piece in enumerate(pieces):
        pending.append(piece)
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if (_AUTHOR.match(piece) and nxt is not None
                and (_AUTHOR.match(nxt) or _AUTHOR_THEN_COMMA.match(nxt))):
            continue
        entries.append("; ".join(pending))
        pending = []
    if pending:
        entries.append("; ".join(pending))
    return entries


def parse_scopus_reference(text: str) -> CitedReference:
    """Parse one Scopus cited-reference entry; never raises.

    Understood forms (fields are split on ``", "``; a title may itself hold commas):

    - newer: ``Authors, Title, Source, Volume, Issue, pp. first-last, (Year)``, the authors joined by
      ``"; "`` (``Cheng M.; Xue Y.; Cui M.``) or by ``", "`` (``Surname A., Surname B.``);
    - entries without source (books, reports): ``Authors, Title, (Year)``, or without authors:
      ``Title, Source, Volume, (Year)``;
    - the oldest: ``Surname, A., Title (Year) Source, Volume, pp. first-last``.

    The source is taken as the field just before the first volume-like field (or the last field when there is
    no volume), the title as what lies between the authors and the source. ``dois`` holds every DOI written in
    the entry (``DOI 10.x/y``, ``doi:10.x/y``, ``https://doi.org/10.x/y``); the year is the last ``(YYYY)``
    group; ``page`` the first page (``pp. E128-E139`` gives ``"E128"``) or the article number.

    Parameters
    ----------
    text
        One entry, as :func:`split_scopus_references` gives it.

    Returns
    -------
    CitedReference
        ``text`` is the entry with whitespace collapsed; fields that could not be found are ``None``.

    Examples
    --------
    >>> ref = parse_scopus_reference(
    ...     "Cheng M.; Xue Y.; Cui M., Global burden of low back pain, Spine (Phila Pa 1976), 50, pp. E128-E139,"
    ...     " (2025)")
    >>> ref.first_author, ref.year, ref.title, ref.source, ref.volume, ref.page
    ('Cheng M.', 2025, 'Global burden of low back pain', 'Spine (Phila Pa 1976)', '50', 'E128')
    >>> parse_scopus_reference("Dewey J., How we think, (1910)").title
    'How we think'
    """
    try:
        return _parse_scopus_reference(text)
    except Exception as exc:  # a parser bug must not lose the reference: keep its text
        log.debug("unparsed Scopus reference %r: %s", text[:200], exc)
        try:
            return CitedReference(text=_collapse(str(text)))
        except Exception:
            return CitedReference(text="")


def _parse_scopus_reference(text: str) -> CitedReference:
    full = _collapse(text)
    if not full:
        return CitedReference(text=full)
    dois: list[str] = []

    def take_doi(m: re.Match[str]) -> str:
        doi = _clean_doi(m.group(1))
        if doi.count("/") and doi not in dois:
            dois.append(doi)
        return ""

    work = _collapse(_REF_DOI.sub(take_doi, full))
    year: int | None = None
    head, tail = work, ""
    years = list(_REF_YEAR.finditer(work))
    if years:
        ym = years[-1]
        year = int(ym.group(1))
        before, after = work[: ym.start()], work[ym.end():]
        if after.strip(" ,.;") and not before.rstrip().endswith(","):
            head, tail = before, after  # oldest form: "Title (1999) Source, 12, pp. 1-10"
        else:
            head = before  # after the year: publisher, place or nothing

    tokens = _fields(head)
    first_author, tokens = _take_authors(tokens)
    title: str | None = None
    source: str | None = None
    volume: str | None = None
    page: str | None = None
    if tail:
        title = ", ".join(tokens) or None
        rest = _fields(tail)
        rest, page = _take_pages(rest)
        if rest:
            source = rest[0]
            if len(rest) > 1 and _is_volume(rest[1]):
                volume = rest[1]
    else:
        rest, page = _take_pages(tokens)
        # the volume is the last field before the pages, or the one before it when an issue follows
        k = next((i for i in (len(rest) - 2, len(rest) - 1) if i >= 1 and _is_volume(rest[i])), None)
        if k is not None:
            volume = rest[k]
            if k >= 2:
                title, source = ", ".join(rest[: k - 1]), rest[k - 1]
            else:
                title = rest[0]  # "Title, 2, (2008)": a book and its edition or volume
        elif len(rest) >= 2:
            title, source = ", ".join(rest[:-1]), rest[-1]
        elif rest:
            title = rest[0]
    return CitedReference(text=full, first_author=first_author, year=year, title=title or None,
                          source=source or None, volume=volume, page=page, dois=tuple(dois))


def _is_volume(field: str) -> bool:
    return bool(_VOLUME.match(field)) and not _YEAR_RANGE.match(field)


def _fields(text: str) -> list[str]:
    """``text`` split on ", " outside brackets ("Sempozyumu (28–29 Haziran 2021, İstanbul)" stays one field)."""
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0 and (i + 1 == len(text) or text[i + 1].isspace()):
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    if depth:  # an unclosed bracket: brackets say nothing
        out = re.split(r",(?=\s)", text)
    return [f for f in (s.strip(" ,") for s in out) if f]


def _take_authors(tokens: list[str]) -> tuple[str | None, list[str]]:
    """The first author of an entry and the fields after its authors."""
    if not tokens:
        return None, tokens
    if ";" in tokens[0]:  # "Cheng M.; Xue Y.; Cui M."
        return _collapse(tokens[0].split(";")[0]) or None, tokens[1:]
    n = 0
    while n < len(tokens) - 1 and _AUTHOR.match(tokens[n]):  # "Surname A., Surname B., Title"
        n += 1
    if n == 0 and len(tokens) == 1 and _AUTHOR.match(tokens[0]):
        return tokens[0], []
    if n:
        return tokens[0], tokens[n:]
    # oldest: "Surname, A., Surname, B., Title"
    while (n + 2 < len(tokens) and _SURNAME_ONLY.match(tokens[n]) and not _INITIALS_ONLY.match(tokens[n])
           and _INITIALS_ONLY.match(tokens[n + 1])):
        n += 2
    if n:
        return f"{tokens[0]}, {tokens[1]}", tokens[n:]
    return None, tokens


def _take_pages(tokens: list[str]) -> tuple[list[str], str | None]:
    """The fields before the pages field, and the first page (or article number)."""
    for i, tok in enumerate(tokens):
        m = _PAGES.match(tok)
        if m:
            return tokens[:i], m.group(1).rstrip(".")
    return tokens, None


# --- reading the CSV ---------------------------------------------------------------------------------------------


@contextmanager
def _field_limit() -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, _FIELD_LIMIT))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _text(row: Mapping[str, str], column: str) -> str | None:
    value = _collapse(row.get(column, "") or "")
    return None if value in _MISSING or value in _SCOPUS_PLACEHOLDERS else value


def _int(row: Mapping[str, str], column: str) -> int | None:
    value = _text(row, column)
    m = _INT.match(value) if value else None
    return int(m.group(1)) if m else None


def _year(row: Mapping[str, str], column: str) -> int | None:
    value = _text(row, column)
    m = _YEAR.match(value) if value else None
    return int(m.group(1)) if m else None


def _split(value: str | None, sep: str) -> tuple[str, ...]:
    if not value:
        return ()
    out: list[str] = []
    for part in value.split(sep):
        part = _collapse(part)
        if part and part not in _MISSING and part not in _SCOPUS_PLACEHOLDERS and part not in out:
            out.append(part)
    return tuple(out)


def _doi(value: str | None) -> str | None:
    return _DOI_PREFIX.sub("", value).strip() or None if value else None


#: Builds the record of one row: (row without its empty cells, line, the read, the header's columns).
_Builder = Callable[[dict[str, str], int, ExportRead, frozenset[str]], ExportRecord | None]


def _read_table(text: str, file: str, fmt: str, label: str, required: Sequence[tuple[str, ...]],
                build: _Builder) -> ExportRead:
    """Read a CSV export: check its header, then build one record per row with ``build``."""
    read = ExportRead(file=file, format=fmt)
    try:
        with _field_limit():
            _read_rows(text, read, label, required, build)
    except Exception as exc:  # never raise: whatever went wrong is a problem of the file
        log.debug("reading %s as %s failed", file, fmt, exc_info=True)
        read.problem(None, f"could not read the file as {label} CSV: {type(exc).__name__}: {exc}")
    return read


def _read_rows(text: str, read: ExportRead, label: str, required: Sequence[tuple[str, ...]],
               build: _Builder) -> None:
    if not isinstance(text, str):
        read.problem(None, f"not text: {type(text).__name__}")
        return
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header: list[str] | None = None
    header_line = 1
    while header is None:
        header_line = reader.line_num + 1
        try:
            first = next(reader)
        except StopIteration:
            read.problem(1, f"no header row: the file is empty, not {label} CSV")
            return
        except csv.Error as exc:
            read.problem(reader.line_num, f"unreadable header row: {exc}")
            return
        if any(cell.strip() for cell in first):
            header = [cell.strip().removeprefix("\ufeff").strip() for cell in first]
    missing = [" or ".join(repr(c) for c in alts) for alts in required if not any(c in header for c in alts)]
    if missing:
        shown = ", ".join(repr(c[:40]) for c in header[:6]) + (", ..." if len(header) > 6 else "")
        read.problem(header_line, f"not {label} CSV: missing column(s) {'; '.join(missing)} "
                                  f"(the header has {len(header)} column(s): {shown})")
        return
    columns = frozenset(header)
    errors = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            read.problem(start, f"unreadable row, skipped: {exc}")
            errors += 1
            if errors >= _MAX_CSV_ERRORS:
                read.problem(reader.line_num, f"{errors} unreadable rows: the rest of the file not read")
                break
            continue
        if not cells or not any(c.strip() for c in cells):
            continue  # a blank line, or a row of empty cells
        if len(cells) != len(header):
            read.problem(start, f"row has {len(cells)} cells, the header {len(header)}: row skipped")
            continue
        row = {col: cell for col, cell in zip(header, cells, strict=True) if cell.strip()}
        try:
            record = build(row, start, read, columns)
        except Exception as exc:
            log.debug("row at line %d of %s not read", start, read.file, exc_info=True)
            read.problem(start, f"row not read: {type(exc).__name__}: {exc}")
            continue
        if record is not None:
            read.records.append(record)


def _identified(record: ExportRecord, read: ExportRead, what: str) -> ExportRecord | None:
    """``record``, or ``None`` and a problem when it has neither identifier, DOI nor title."""
    if record.native_id or record.doi or record.title:
        return record
    read.problem(record.line, f"row has no {what}, DOI or title: skipped")
    return None


# --- Scopus ------------------------------------------------------------------------------------------------------


def read_scopus(text: str, file: str) -> ExportRead:
    """Read a Scopus CSV export (format ``"scopus"``).

    ``EID`` becomes ``native_id``; ``Authors`` is split on ``"; "`` (on ``", "`` in older exports that have
    no ``;``); ``Page start`` (or else ``Art. No.``) the first page; ``Author Keywords`` and
    ``Index Keywords`` the keywords; ``Cited by`` the times cited; ``Abbreviated Source Title`` the source
    abbreviation; ``References`` is split with :func:`split_scopus_references` and each entry parsed with
    :func:`parse_scopus_reference` (``references`` is ``None`` when the file has no such column).

    Parameters
    ----------
    text
        The whole file (a leading byte-order mark is ignored).
    file
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        The records, and the problems: a file without the ``Title`` and ``Source title`` columns gives no
        records and one problem at line 1; a row with a wrong number of cells is skipped with a problem.

    Examples
    --------
    >>> read = read_scopus('Authors,Title,Source title,Year\\n"Liu F.; Li C.",On spines,Digit Health,abc\\n', "s.csv")
    >>> rec = read.records[0]
    >>> rec.authors, rec.year, rec.references, read.problems
    (('Liu F.', 'Li C.'), None, None, [])
    >>> read_scopus("Lens ID,Title\\n1,x\\n", "lens.csv").problems[0].line
    1
    """
    return _read_table(text, file, "scopus", "a Scopus", [("Title",), ("Source title",)], _scopus_record)


def _scopus_record(row: dict[str, str], line: int, read: ExportRead, columns: frozenset[str]) -> ExportRecord | None:
    authors_cell = _text(row, "Authors")
    authors = _split(authors_cell, ";" if authors_cell and ";" in authors_cell else ",")
    references: tuple[CitedReference, ...] | None = None
    if "References" in columns:
        cell = row.get("References", "")
        references = tuple(parse_scopus_reference(e) for e in split_scopus_references(cell)
                           if e not in _MISSING)
    record = ExportRecord(
        line=line, native_id=_text(row, "EID"), doi=_doi(_text(row, "DOI")), title=_text(row, "Title"),
        year=_year(row, "Year"), authors=authors, container=_text(row, "Source title"),
        source_abbrev=_text(row, "Abbreviated Source Title"), volume=_text(row, "Volume"),
        issue=_text(row, "Issue"), first_page=_text(row, "Page start") or _text(row, "Art. No."),
        type=_text(row, "Document Type"), abstract=_text(row, "Abstract"),
        keywords=_split(f"{row.get('Author Keywords', '')};{row.get('Index Keywords', '')}", ";"),
        times_cited=_int(row, "Cited by"), references=references, raw=row)
    return _identified(record, read, "EID")


# --- Lens.org ----------------------------------------------------------------------------------------------------


def read_lens(text: str, file: str) -> ExportRead:
    """Read a Lens.org scholarly works CSV export (format ``"lens"``).

    ``Lens ID`` becomes ``native_id``; ``Author/s``, ``Keywords`` and ``Fields of Study`` (the subjects) are
    split on ``"; "``; ``Start Page`` is the first page, ``Citing Works Count`` the times cited. Each Lens ID
    of ``References`` becomes a :class:`CitedReference` with ``native_id`` and ``text`` that ID and no other
    field; a piece that is not a Lens ID (``000-000-000-000-00X``) is left out with a problem.

    Parameters
    ----------
    text
        The whole file (a leading byte-order mark is ignored).
    file
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        The records and the problems (a file without ``Lens ID`` and ``Title`` columns: no records, one
        problem at line 1).

    Examples
    --------
    >>> read = read_lens('Lens ID,Title,Publication Year,References\\n'
    ...                  '000-360-106-493-122,Risk,2020,000-928-794-577-264; 117-031-178-616-22X\\n', "l.csv")
    >>> rec = read.records[0]
    >>> rec.native_id, rec.year, [r.native_id for r in rec.references]
    ('000-360-106-493-122', 2020, ['000-928-794-577-264', '117-031-178-616-22X'])
    """
    return _read_table(text, file, "lens", "a Lens.org", [("Lens ID",), ("Title",)], _lens_record)


def _lens_record(row: dict[str, str], line: int, read: ExportRead, columns: frozenset[str]) -> ExportRecord | None:
    references: tuple[CitedReference, ...] | None = None
    if "References" in columns:
        refs: list[CitedReference] = []
        bad: list[str] = []
        for lens_id in _split(row.get("References"), ";"):
            if _LENS_ID.match(lens_id):
                refs.append(CitedReference(text=lens_id, native_id=lens_id))
            else:
                bad.append(lens_id)
        if bad:
            read.problem(line, f"{len(bad)} reference(s) not a Lens ID, left out: "
                               + ", ".join(repr(b[:40]) for b in bad[:3]) + (", ..." if len(bad) > 3 else ""))
        references = tuple(refs)
    record = ExportRecord(
        line=line, native_id=_text(row, "Lens ID"), doi=_doi(_text(row, "DOI")), title=_text(row, "Title"),
        year=_year(row, "Publication Year"), authors=_split(_text(row, "Author/s"), ";"),
        container=_text(row, "Source Title"), volume=_text(row, "Volume"), issue=_text(row, "Issue Number"),
        first_page=_text(row, "Start Page"), type=_text(row, "Publication Type"), abstract=_text(row, "Abstract"),
        keywords=_split(_text(row, "Keywords"), ";"), subjects=_split(_text(row, "Fields of Study"), ";"),
        times_cited=_int(row, "Citing Works Count"), references=references, raw=row)
    return _identified(record, read, "Lens ID")


# --- OpenAlex ----------------------------------------------------------------------------------------------------


def read_openalex_csv(text: str, file: str) -> ExportRead:
    """Read an OpenAlex works CSV, as downloaded from openalex.org (format ``"openalex-csv"``).

    ``id`` (``https://openalex.org/W...``) gives ``native_id`` ``"W..."``; ``doi`` loses its
    ``https://doi.org/``; ``display_name`` (or ``title``) is the title; ``authorships.author.display_name``
    is split on ``"|"``; ``primary_location.source.display_name`` is the container, ``cited_by_count`` the
    times cited; ``biblio.volume``, ``biblio.issue``, ``biblio.first_page``, ``keywords.display_name`` and
    ``topics.display_name`` (the subjects) are read when present. Everything else, ``is_retracted`` among
    it, stays in ``raw``. The download has no cited references: ``references`` is ``None``, unless a
    ``referenced_works`` column is present (OpenAlex ids joined by ``"|"``).

    Parameters
    ----------
    text
        The whole file (a leading byte-order mark is ignored).
    file
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        The records and the problems; a row whose ``id`` is not an OpenAlex work id is skipped with one.

    Examples
    --------
    >>> read = read_openalex_csv('id,display_name,doi,publication_year,is_retracted\\n'
    ...     'https://openalex.org/W2755950973,bibliometrix,https://doi.org/10.1016/j.joi.2017.08.007,2017,False\\n',
    ...     "o.csv")
    >>> rec = read.records[0]
    >>> rec.native_id, rec.doi, rec.year, rec.references, rec.raw["is_retracted"]
    ('W2755950973', '10.1016/j.joi.2017.08.007', 2017, None, 'False')
    """
    return _read_table(text, file, "openalex-csv", "an OpenAlex works", [("id",), ("display_name", "title")],
                       _openalex_record)


def _openalex_id(value: str | None) -> str | None:
    m = _OPENALEX_ID.match(value) if value else None
    return m.group(1).upper() if m else None


def _openalex_record(row: dict[str, str], line: int, read: ExportRead,
                     columns: frozenset[str]) -> ExportRecord | None:
    written = _text(row, "id")
    native_id = _openalex_id(written)
    if written and native_id is None:
        read.problem(line, f"id {written[:60]!r} is not an OpenAlex work id: row skipped")
        return None
    references: tuple[CitedReference, ...] | None = None
    if "referenced_works" in columns:
        refs: list[CitedReference] = []
        for ref in _split(row.get("referenced_works"), "|"):
            work = _openalex_id(ref)
            if work is None:
                read.problem(line, f"referenced work {ref[:60]!r} is not an OpenAlex work id: left out")
            else:
                refs.append(CitedReference(text=ref, native_id=work))
        references = tuple(refs)
    record = ExportRecord(
        line=line, native_id=native_id, doi=_doi(_text(row, "doi")),
        title=_text(row, "display_name") or _text(row, "title"), year=_year(row, "publication_year"),
        authors=_split(_text(row, "authorships.author.display_name"), "|"),
        container=_text(row, "primary_location.source.display_name"), volume=_text(row, "biblio.volume"),
        issue=_text(row, "biblio.issue"), first_page=_text(row, "biblio.first_page"), type=_text(row, "type"),
        abstract=_text(row, "abstract"), keywords=_split(_text(row, "keywords.display_name"), "|"),
        subjects=_split(_text(row, "topics.display_name"), "|"), times_cited=_int(row, "cited_by_count"),
        references=references, raw=row)
    return _identified(record, read, "id")
