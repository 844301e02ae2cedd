"""Read the three Web of Science export formats into :class:`~citegraph.sources.exports.model.ExportRead`.

Web of Science (Clarivate) exports a result set as

* **plain text** (``"wos"``): ``FN``/``VR`` header lines, then one record per ``PT ... ER`` block and
  ``EF`` at the end. Each field starts with a two-letter tag and a space; a field of several lines
  continues on lines starting with three spaces. List fields write one item per line (``AU``,
  ``AF``, ``C1``, and ``CR``: one cited reference per line); ``DE``, ``ID`` and ``WC`` separate
  items with ``"; "`` and wrap freely.
* **tab-delimited** (``"wos-tab"``): a header row of the same two-letter tags, then one record per
  line; list fields separate items with ``"; "`` (``CR`` too). Nothing is quoted: a ``"`` is an
  ordinary character. Every data row ends with a tab the header row does not have, so a row has one
  (empty) cell more than the header; that is accepted, any other difference is reported.
* **BibTeX** (``"wos-bib"``): one ``@article{ WOS:000223136700007,`` entry per record (``@incollection``
  and others for books), fields named in words (``Author``, ``Unique-ID``, ``Journal-ISO``,
  ``Cited-References``...), each on its own lines; ``Cited-References`` holds one reference per line,
  each ending with ``"."``, the separator of the export, which is removed (so ``DOI 10.1/x.`` gives
  ``10.1/x``). LaTeX escapes (``\\&``, ``{[}``, ``{\\"u}``) are undone.

Every cited reference, in every format, is the same WoS string ``Author, Year, SOURCE, Vol, Page,
DOI x`` read by :func:`parse_wos_reference`.

The readers are written here with :mod:`re` and :mod:`str` methods and use no library:

* no BibTeX library, and not the small reader of :mod:`citegraph.sources.seeds` (``_bib_fields``,
  ``_delatex``) either, though it reads these files (and about as fast): its ``_delatex`` leaves
  accent commands (``M{\\"u}ller`` gives ``M\\"uller``) and ``\\~{}``, and ``_bib_fields`` skips a field it
  cannot read without saying so, where a WoS reader must report it. WoS BibTeX is regular (one field
  per line, braced values), so fields are found with a regular expression and their braces matched
  by visiting only the braces and backslashes.
* the tab-delimited rows are split with ``str.split("\\t")``, not :mod:`csv`: with
  ``quoting=csv.QUOTE_NONE`` and no escape character :mod:`csv` splits exactly the same way (checked on
  the 2,500 rows of a real export), but refuses a cell over :func:`csv.field_size_limit`
  (131,072 characters, a process-wide setting), which the ``CR`` cell of a record with a few thousand
  references exceeds.

Nothing bad in a file raises: whatever cannot be read becomes an
:class:`~citegraph.sources.exports.model.ExportProblem` naming the line, and every good record of the
file is kept.

Examples
--------
>>> text = "FN Clarivate Analytics Web of Science\\nVR 1.0\\nPT J\\nAU Smith, J\\nTI A title\\nPY 2001\\n" \\
...        "CR Doe J, 1999, NATURE, V1, P2, DOI 10.1/x\\nUT WOS:1\\nER\\n\\nEF\\n"
>>> read = read_wos(text, "a.txt")
>>> read.records[0].native_id, read.records[0].references[0].dois, read.problems
('WOS:1', ('10.1/x',), [])
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from citegraph.sources.exports.model import CitedReference, ExportRead, ExportRecord

__all__ = ["parse_wos_reference", "read_wos", "read_wos_bib", "read_wos_tab"]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------
# cited references

#: Where the DOI part of a reference starts (WoS always writes it last). A reference may also be
#: nothing but a DOI; an author named "DOI T" is not a DOI (no 10./[/DOI after it).
_DOI_START = re.compile(r", DOI (?=\S)|^DOI (?=10\.|\[|DOI )")
_DIGITS = re.compile(r"\d+")
#: A volume: V78, V94A, VS0091-6749, V60 Suppl 2, V2nd, V9th ed., VII, VThird, VVolume 1, VOL 55.
_VOLUME = re.compile(r"V(?:[A-Z]?\d|[IVXLC]+\Z|OL \d|Volume|First|Second|Third|Fourth|Fifth).*")
#: A page or article number: P145, PE128, pG833, p895S, pre7, pV, p[7, 835], ARTN 123.
_PAGE = re.compile(r"P[A-Z]{0,3}\d.*|p(?:\S*\d|[A-Z]+\Z|\[).*|ARTN \S.*")
#: What WoS writes for a reference without an author.
_NO_AUTHOR = frozenset({"[Anonymous]", "[No title captured]", "Anonymous"})


def _split_outside_brackets(text: str) -> list[str]:
    """Split at ``", "`` except inside ``[...]`` (``[Zoological Research, 动物学研究]`` is one part)."""
    if "[" not in text:
        return text.split(", ")
    parts: list[str] = []
    depth = 0
    begin = 0
    for match in re.finditer(r"\[|\]|, ", text):
        token = match.group()
        if token == "[":
            depth += 1
        elif token == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[begin : match.start()])
            begin = match.end()
    if depth > 0:  # an unclosed "[": the brackets mean nothing
        return text.split(", ")
    parts.append(text[begin:])
    return parts


def _strip_doi_word(value: str) -> str:
    value = value.strip()
    while value[:4].upper() == "DOI " or value.upper() == "DOI":
        value = value[4:].lstrip()
    return value


def _reference_dois(tail: str) -> tuple[str, ...]:
    """The DOIs of the part after ``DOI``: ``10.1/a``, ``DOI 10.1/a``, ``[10.1/a, DOI 10.1/b]``."""
    tail = _strip_doi_word(tail)
    if tail.startswith("["):
        depth = 0
        end = len(tail)
        for index, char in enumerate(tail):
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    end = index
                    break
        items = tail[1:end].split(", ")
        return tuple(doi for doi in (_strip_doi_word(item) for item in items) if doi)
    items = tail.split(", ")
    first = items[0].strip()
    # a second DOI without brackets; anything else after ", " is kept as written in the first
    rest = [_strip_doi_word(item) for item in items[1:]]
    if rest and all(item.startswith("10.") for item in rest):
        return tuple(doi for doi in (first, *rest) if doi)
    return (tail,) if tail else ()


def parse_wos_reference(text: str) -> CitedReference:
    """Parse one Web of Science cited-reference string.

    WoS writes ``Author, Year, SOURCE, Vvolume, Ppage, DOI doi`` and leaves out what it does not
    know. ``DOI [a, b]`` gives two DOIs (both kept, in order) and ``DOI DOI x`` one; an anonymous
    reference (``[Anonymous]``) has no first author. The source runs from after the year to the
    first volume or page part, so book titles with commas stay whole; ``[...]`` groups (the
    bilingual titles of Chinese and Korean references) are never split. Pages keep their letters
    (``PE128`` → ``E128``, ``p895S`` → ``895S``, ``p[471, e10]`` → ``471``), article numbers
    (``ARTN e123``) are pages, a year is 4 digits from 1000 to 2100 (else ``None``). Never raises;
    ``text`` is kept with its whitespace collapsed.

    Parameters
    ----------
    text : str
        One cited reference as the export writes it (without the BibTeX separator ``"."``).

    Returns
    -------
    CitedReference

    Examples
    --------
    >>> ref = parse_wos_reference("Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145, "
    ...                           "DOI 10.1016/S0378-8741(01)00335-X")
    >>> ref.first_author, ref.year, ref.source, ref.volume, ref.page, ref.dois
    ('Andrade-Cetto A', 2001, 'J ETHNOPHARMACOL', '78', '145', ('10.1016/S0378-8741(01)00335-X',))
    >>> parse_wos_reference("Edgar RC, 2013, NAT METHODS, V10, P996, "
    ...                     "DOI [10.1038/nmeth.2604, 10.1038/NMETH.2604]").dois
    ('10.1038/nmeth.2604', '10.1038/NMETH.2604')
    >>> ref = parse_wos_reference("[Anonymous], 2013, OB OV, DOI DOI 10.1017/S1368980023000988")
    >>> ref.first_author, ref.year, ref.source, ref.dois
    (None, 2013, 'OB OV', ('10.1017/S1368980023000988',))
    """
    text = " ".join(text.split())
    dois: tuple[str, ...] = ()
    head = text
    match = _DOI_START.search(text)
    if match is not None:
        head = text[: match.start()]
        dois = _reference_dois(text[match.end() :])
    parts = [part.strip() for part in _split_outside_brackets(head)] if head else []
    count = len(parts)
    index = 0
    first_author: str | None = None
    year: int | None = None
    if count and not _DIGITS.fullmatch(parts[0]):
        first_author = parts[0] if parts[0] and parts[0] not in _NO_AUTHOR else None
        index = 1
    if index < count and _DIGITS.fullmatch(parts[index]):
        digits = parts[index]
        year = int(digits) if len(digits) == 4 and 1000 <= int(digits) <= 2100 else None
        index += 1
    source_parts: list[str] = []
    while index < count:
        part = parts[index]
        if _VOLUME.fullmatch(part) or _PAGE.fullmatch(part):
            break
        source_parts.append(part)
        index += 1
    volume: str | None = None
    page: str | None = None
    for part in parts[index:]:
        if volume is None and page is None and _VOLUME.fullmatch(part):
            volume = part[4:] if part.startswith("VOL ") else part[1:]
        elif page is None and _PAGE.fullmatch(part):
            page = part[5:] if part.startswith("ARTN ") else part[1:]
            if page.startswith("["):  # p[471, e10]: a page range
                page = page[1:].split(",", 1)[0].rstrip("]").strip()
    source = ", ".join(part for part in source_parts if part) or None
    return CitedReference(
        text=text, first_author=first_author, year=year, source=source, volume=volume or None,
        page=page or None, dois=dois,
    )


# --------------------------------------------------------------------------
# records


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _year(value: str | None) -> int | None:
    number = _int(value)
    return number if number is not None and 1000 <= number <= 2100 else None


def _items(value: str | None, separator: str = ";") -> list[str]:
    if not value:
        return []
    return [item for item in (" ".join(part.split()) for part in value.split(separator)) if item]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None


def _first_page(pages: str | None) -> str | None:
    """``793-799`` → ``793``; ``e0123`` stays."""
    text = _text(pages)
    if text is None:
        return None
    return text.split("-", 1)[0].strip() or text


def _record(
    line: int,
    get: Callable[[str], str | None],
    authors: Sequence[str],
    references: tuple[CitedReference, ...] | None,
    raw: dict[str, str],
) -> ExportRecord:
    """Build a record from the values of the WoS tags (``get("TI")``), already split lists apart."""
    keywords = _items(get("DE")) + _items(get("ID"))
    return ExportRecord(
        line=line,
        native_id=_text(get("UT")),
        doi=_text(get("DI")),
        title=_text(get("TI")),
        year=_year(get("PY")),
        authors=tuple(author for author in (" ".join(a.split()) for a in authors) if author),
        container=_text(get("SO")),
        source_abbrev=_text(get("J9")) or _text(get("JI")),
        volume=_text(get("VL")),
        issue=_text(get("IS")),
        first_page=_text(get("BP")) or _text(get("AR")),
        type=_text(get("DT")),
        abstract=_text(get("AB")),
        keywords=tuple(keywords),
        subjects=tuple(_items(get("WC"))),
        times_cited=_int(get("TC")),
        references_count=_int(get("NR")),
        references=references,
        raw=raw,
    )


def _references(items: Iterable[str]) -> tuple[CitedReference, ...]:
    return tuple(parse_wos_reference(item) for item in items if item.strip())


def _starts_with(text: str) -> str:
    """What line 1 starts with, for the 'not this format' problem."""
    first = text.split("\n", 1)[0].strip()
    return repr(first[:40] + ("..." if len(first) > 40 else ""))


def _lines(text: str) -> list[str]:
    """Physical lines (``\\n``, ``\\r\\n`` or ``\\r``); a leading BOM dropped. Not ``str.splitlines``,
    which would also split at the form feeds and Unicode separators an abstract may hold."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


# --------------------------------------------------------------------------
# plain text

_TAG_LINE = re.compile(r"([A-Z][A-Z0-9])(?: |$)")
#: Fields whose lines are items of a list (not one wrapped text).
_LINE_LISTS = frozenset({"AU", "AF", "CR", "C1", "BA", "BF", "CA", "GP", "BE"})


def _plain_record(line: int, fields: dict[str, list[str]]) -> ExportRecord:
    joined = {tag: " ".join(lines) for tag, lines in fields.items() if tag not in _LINE_LISTS}
    cited = fields.get("CR")
    return _record(
        line,
        joined.get,
        fields.get("AU", []),
        _references(cited) if cited is not None else None,
        {tag: "\n".join(lines) for tag, lines in fields.items()},
    )


def read_wos(text: str, file: str) -> ExportRead:
    """Read a Web of Science plain-text export (``FN``/``VR``, ``PT ... ER`` records, ``EF``).

    A record is kept when its ``ER`` line is reached. A record cut off (by the end of the file, an
    ``EF`` or the next ``PT``) is reported and skipped; a line inside a record that is neither a tag
    line nor a continuation line is reported and ignored. A file with no ``PT`` line at all gives no
    records and one problem saying what line 1 starts with.

    Parameters
    ----------
    text : str
        The whole file, decoded (a leading BOM is ignored).
    file : str
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        Format ``"wos"``: the records in file order, ``line`` the line of their ``PT``.

    Examples
    --------
    >>> read = read_wos("PT J\\nAU van Dijk, AE\\n   Olthof, MR\\nTI Acute effects of\\n   coffee\\n"
    ...                 "CR [Anonymous], 2010, WHO REP\\nER\\nPT J\\nTI Cut off", "x.txt")
    >>> rec = read.records[0]
    >>> rec.authors, rec.title, rec.references[0].first_author, rec.references[0].source
    (('van Dijk, AE', 'Olthof, MR'), 'Acute effects of coffee', None, 'WHO REP')
    >>> [str(p) for p in read.problems]
    ['x.txt:8: record starting at line 8 has no ER (file truncated?); skipped']
    """
    read = ExportRead(file=file, format="wos")
    fields: dict[str, list[str]] | None = None
    current: list[str] | None = None
    start = 0
    seen_pt = False
    lines = _lines(text)
    for number, line in enumerate(lines, 1):
        if line.startswith("   "):
            if current is not None:
                current.append(line.strip())
            elif fields is not None and line.strip():
                read.problem(number, "continuation line before any tag in the record; ignored")
            continue
        match = _TAG_LINE.match(line)
        if match is None:
            if fields is not None and line.strip():
                read.problem(number, f"line is neither a tag line nor a continuation line: {line[:40]!r}; ignored")
            continue
        tag = match.group(1)
        value = line[3:].strip()
        if tag == "PT":
            seen_pt = True
            if fields is not None:
                read.problem(start, f"record starting at line {start} has no ER before the next PT at line "
                                    f"{number}; skipped")
            fields = {"PT": [value]}
            current = fields["PT"]
            start = number
        elif fields is None:
            if tag == "ER":
                read.problem(number, "ER outside a record (no PT before it); ignored")
            current = None  # FN, VR, EF and anything else between records
        elif tag == "ER":
            read.records.append(_plain_record(start, fields))
            fields = current = None
        elif tag == "EF":
            read.problem(start, f"record starting at line {start} has no ER before EF at line {number}; skipped")
            fields = current = None
        else:
            current = fields.setdefault(tag, [])
            if value:
                current.append(value)
    if fields is not None:
        read.problem(start, f"record starting at line {start} has no ER (file truncated?); skipped")
    if not seen_pt:
        read.problem(1, f"no WoS plain-text record found (no 'PT' tag line); line 1 starts with {_starts_with(text)}")
    return read


# --------------------------------------------------------------------------
# tab-delimited

_TAB_TAG = re.compile(r"[A-Z][A-Z0-9]")


def read_wos_tab(text: str, file: str) -> ExportRead:
    """Read a Web of Science tab-delimited export (header row of tags, one record per line).

    A row whose number of cells differs from the header's (allowing the one empty cell of the tab
    WoS ends every row with) is reported and skipped. A file whose first line is not a row of
    two-letter tags with ``PT`` and ``UT`` gives no records and one problem.

    Parameters
    ----------
    text : str
        The whole file, decoded (a leading BOM is ignored).
    file : str
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        Format ``"wos-tab"``: the records in file order, ``line`` the line of their row (the header
        is line 1).

    Examples
    --------
    >>> text = ("PT\\tAU\\tTI\\tCR\\tPY\\tUT\\n"
    ...         "J\\tDoe, J; Roe, R\\tA title\\tX A, 2001, CELL, V1, P2; Y B, 2002, NATURE\\t2003\\tWOS:1\\t\\n"
    ...         "J\\tcut off\\n")
    >>> read = read_wos_tab(text, "t.txt")
    >>> rec = read.records[0]
    >>> rec.authors, rec.year, [r.source for r in rec.references]
    (('Doe, J', 'Roe, R'), 2003, ['CELL', 'NATURE'])
    >>> [str(p) for p in read.problems]
    ['t.txt:3: row has 2 cells, the header 6; skipped']
    """
    read = ExportRead(file=file, format="wos-tab")
    lines = _lines(text)
    header = [cell.strip() for cell in lines[0].split("\t")]
    if "PT" not in header or "UT" not in header or not all(_TAB_TAG.fullmatch(cell) for cell in header if cell):
        read.problem(1, f"no WoS tab-delimited header found (a row of two-letter tags with PT and UT); "
                        f"line 1 starts with {_starts_with(lines[0])}")
        return read
    width = len(header)
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) == width + 1 and not cells[-1].strip():
            cells.pop()  # the tab WoS ends every row with
        if len(cells) != width:
            read.problem(number, f"row has {len(cells)} cells, the header {width}; skipped")
            continue
        row = {tag: cell.strip() for tag, cell in zip(header, cells, strict=True) if tag and cell.strip()}
        cited = row.get("CR")
        references = None
        if cited is not None:
            # "DOI x;; next": a doubled separator leaves a ";" on the item before it
            references = _references(item.rstrip(";") for item in cited.split("; "))
        read.records.append(_record(number, row.get, _items(row.get("AU")), references, row))
    return read


# --------------------------------------------------------------------------
# BibTeX

_BIB_ENTRY = re.compile(r"^@([A-Za-z]+)[ \t]*\{[ \t]*([^,\s]*)[ \t]*,?", re.MULTILINE)
_BIB_FIELD = re.compile(r"\s*([A-Za-z][\w-]*)\s*=\s*")
_BIB_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
_BIB_BARE = re.compile(r"[^,}\s]*")
_BIB_SKIPPED = frozenset({"comment", "preamble", "string"})

#: BibTeX name -> WoS tag, for the fields the records use.
_BIB_TAGS = {
    "unique-id": "UT", "doi": "DI", "title": "TI", "year": "PY",
    "journal-iso": "JI", "volume": "VL", "number": "IS", "pages": "BP", "article-number": "AR",
    "type": "DT", "abstract": "AB", "keywords": "DE", "keywords-plus": "ID",
    "web-of-science-categories": "WC", "times-cited": "TC", "number-of-cited-references": "NR",
}
_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323",
}
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
            "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "textbackslash": "\\", "textless": "<", "textgreater": ">",
            "textunderscore": "_", "textasciitilde": "~", "textendash": "–", "textemdash": "—"}
_LATEX_ACCENT = re.compile(r"\\([\"'`^~=.])\s*(?:\{\s*([A-Za-z]?)\s*\}|([A-Za-z]))"
                           r"|\\([uvHckrd])(?:\s*\{\s*([A-Za-z]?)\s*\}|\s+([A-Za-z]))")
_LATEX_WORD = re.compile(r"\\([A-Za-z]+)(?:\{\}|\s?)")
_LATEX_SYMBOL = re.compile(r"\\([&%$#_{}~^ ,;])")


def _accent(match: re.Match[str]) -> str:
    command = match.group(1) or match.group(4)
    letter = match.group(2) if match.group(1) else match.group(5)
    if letter is None:
        letter = match.group(3) if match.group(1) else match.group(6)
    if not letter:  # \~{} is a literal tilde
        return command if command in "~^\"'`" else ""
    return unicodedata.normalize("NFC", letter + _ACCENTS[command])


def _latex_word(match: re.Match[str]) -> str:
    word = match.group(1)
    return _LETTERS.get(word, match.group(0))


def _delatex(value: str) -> str:
    r"""Undo the LaTeX of a WoS BibTeX value and collapse whitespace.

    >>> _delatex(r"M{\"u}ller \& Co {[}Anonymous] ``quoted{''} Mun \~{}oz {\ss}")
    'Müller & Co [Anonymous] "quoted" Mun ~oz ß'
    """
    if "\\" in value:
        value = _LATEX_ACCENT.sub(_accent, value)
        value = _LATEX_WORD.sub(_latex_word, value)
        value = value.replace("\\{", "\x00").replace("\\}", "\x01")
        value = _LATEX_SYMBOL.sub(r"\1", value)
    if "`" in value or "'" in value:
        value = value.replace("{''}", '"').replace("``", '"')
    if "{" in value or "}" in value:
        value = value.replace("{", "").replace("}", "")
    value = value.replace("\x00", "{").replace("\x01", "}")
    return " ".join(value.split())


def _bib_value(body: str, start: int) -> tuple[str, int] | None:
    """The value at ``start`` (braced, quoted or bare) and the offset after it; None if unterminated."""
    if start >= len(body):
        return None
    opener = body[start]
    if opener == "{":
        depth = 0
        for match in _BIB_BRACE.finditer(body, start):
            token = match.group()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return body[start + 1 : match.start()], match.end()
        return None
    if opener == '"':
        index = start + 1
        depth = 0
        while index < len(body):
            char = body[index]
            if char == "\\":
                index += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth <= 0:
                return body[start + 1 : index], index + 1
            index += 1
        return None
    bare = _BIB_BARE.match(body, start)
    assert bare is not None  # matches the empty string at worst
    return bare.group(), bare.end()


def _bib_entry(body: str) -> tuple[dict[str, tuple[str, str]], str | None]:
    """Parse the fields of an entry body (after the key): lower name -> (name, value), and what is wrong.

    What is wrong starts with "not terminated" when the body ends before the entry does.
    """
    fields: dict[str, tuple[str, str]] = {}
    index = 0
    length = len(body)
    while True:
        while index < length and (body[index].isspace() or body[index] == ","):
            index += 1
        if index >= length:
            return fields, "not terminated (no closing '}'; file truncated?)"
        if body[index] == "}":
            return fields, None
        match = _BIB_FIELD.match(body, index)
        if match is None:
            snippet = body[index : index + 40].split("\n", 1)[0]
            return fields, f"unreadable: no 'name = value' field at {snippet!r}"
        value = _bib_value(body, match.end())
        if value is None:
            return fields, f"not terminated (the value of {match.group(1)} does not close; file truncated?)"
        fields.setdefault(match.group(1).lower(), (match.group(1), value[0]))
        index = value[1]


def _bib_lines(value: str) -> str:
    """A raw value with its continuation indent removed, lines joined with ``\\n``."""
    return "\n".join(line.strip() for line in value.split("\n"))


def read_wos_bib(text: str, file: str) -> ExportRead:
    """Read a Web of Science BibTeX export (``@article{ WOS:...,`` entries with ``Cited-References``).

    An entry that is not terminated (its braces do not close before the next entry or the end of the
    file) is reported and skipped; so is an entry with neither a ``Unique-ID`` nor a ``WOS:`` key. A
    file with no WoS entry gives no records and one problem. ``raw`` holds the fields by their
    BibTeX names, as written (LaTeX kept).

    Parameters
    ----------
    text : str
        The whole file, decoded (a leading BOM is ignored).
    file : str
        The file's name, for the problems.

    Returns
    -------
    ExportRead
        Format ``"wos-bib"``: the records in file order, ``line`` the line of their ``@``.

    Examples
    --------
    >>> text = ('@article{ WOS:000223136700007,\\nAuthor = {Olausson, PO and M{\\\\"u}ller, B},\\n'
    ...         'Title = {Premature death \\\\& teenage mothers},\\nYear = {2004},\\n'
    ...         'Cited-References = {{[}Anonymous], 1990, ACTA PSYCHIAT SCAND, DOI 10.1111/j.1.x.\\n'
    ...         '   LUND E, 1990, J EPIDEMIOL COMMUN H, V44, P237.},\\n}\\n')
    >>> rec = read_wos_bib(text, "w.bib").records[0]
    >>> rec.native_id, rec.authors, rec.title
    ('WOS:000223136700007', ('Olausson, PO', 'Müller, B'), 'Premature death & teenage mothers')
    >>> [(r.first_author, r.dois, r.page) for r in rec.references]
    [(None, ('10.1111/j.1.x',), None), ('LUND E', (), '237')]
    """
    read = ExportRead(file=file, format="wos-bib")
    if text.startswith("\ufeff"):
        text = text[1:]
    starts = list(_BIB_ENTRY.finditer(text))
    line_number = 1
    previous = 0
    entries = 0
    for position, match in enumerate(starts):
        line_number += text.count("\n", previous, match.start())
        previous = match.start()
        kind = match.group(1).lower()
        if kind in _BIB_SKIPPED:
            continue
        entries += 1
        key = match.group(2)
        end = starts[position + 1].start() if position + 1 < len(starts) else len(text)
        fields, error = _bib_entry(text[match.end() : end])
        if error is not None:
            read.problem(line_number, f"entry {key or '(no key)'} starting at line {line_number} is {error}; skipped")
            continue
        values = {name: value for name, (_, value) in fields.items()}
        if "unique-id" not in values and key.upper().startswith("WOS:"):
            values["unique-id"] = key
        if "unique-id" not in values:
            read.problem(line_number, f"entry {key or '(no key)'} is not a WoS entry (no Unique-ID, key not WOS:...); "
                                      f"skipped")
            continue
        tags = {tag: value for tag, value in ((tag, _delatex(values[name])) for name, tag in _BIB_TAGS.items()
                                               if name in values) if value}
        container = values.get("journal") or values.get("booktitle")
        if container is not None:
            tags["SO"] = _delatex(container)
        if "BP" in tags:
            tags["BP"] = _first_page(tags["BP"]) or tags["BP"]
        authors = [_delatex(author) for author in re.split(r"\s+and\s+", values.get("author", "")) if author.strip()]
        cited = values.get("cited-references")
        references = None
        if cited is not None:
            references = _references(_delatex(line).removesuffix(".") for line in cited.split("\n"))
        raw = {name: _bib_lines(value) for name, value in fields.values()}
        read.records.append(_record(line_number, tags.get, authors, references, raw))
    if entries == 0:
        read.problem(1, f"no WoS BibTeX entry found (no '@article{{ WOS:...,'); line 1 starts with "
                        f"{_starts_with(text)}")
    return read
