"""Import database exports into the store and match their cited references to the records.

:func:`import_exports` reads Web of Science, Scopus, Lens and OpenAlex export files
(:mod:`citegraph.sources.exports`), stores every record as a work with its reference list, records
the file and format each came from (tables ``imports`` and ``imported``), makes the records the
store's seeds (role ``imported``) so ``fetch`` grows the map from them, and then matches the cited
references to the records of the store with :func:`match_references_locally`.

Local citation matching
-----------------------
A reference cites a record of the store

1. **by DOI** when one of the DOIs it gives is the record's (nothing to do: the edge is the
   reference's DOI); a reference that gives two (``DOI [a, b]``) cites the one that is a record,
   else the first valid one;
2. **by identifier** (rule ``<database>-id``) when the export cites by its own identifiers (Lens
   IDs, OpenAlex ids) and that identifier is a record's;
3. **by key** (rule ``<database>-key``), only when the reference gives no valid DOI: the normalised
   first-author surname and the year equal the record's, and the volume and first page equal the
   record's where both sides give them (at least one of the two must be given and equal). This is the
   key CitNetExplorer and bibliometrix use (first author, year, volume, page). When the key fits
   several records, the cited source abbreviation breaks the tie (rule ``<database>-key+source``);
   when it still fits several, the reference is left unmatched and counted as ambiguous.

Every match is a row of ``ref_matches`` naming its rule, so every citation edge says which rule
made it (the edge's ``sources``: ``wos`` for a DOI a WoS reference gives, ``wos-key`` for a key
match). A reference whose DOI is not a record's cites a work outside the set; ``fetch`` can resolve
those DOIs through Crossref (the next level of the snowball).

Examples
--------
>>> author_display("van Dijk, AE"), author_display("Cheng M."), author_display("Petar Radanliev")
('van Dijk, AE', 'Cheng, M.', 'Radanliev, Petar')
>>> _letters("van Dijk"), _letters("Andrade-Cetto"), _letters("Müller")
('vandijk', 'andradecetto', 'muller')
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from citegraph.doi import DOI, is_doi_key, normalize_doi
from citegraph.errors import InvalidDOIError, UsageError
from citegraph.sources.exports import DATABASES, FORMATS, ExportRead, ExportRecord, read_export
from citegraph.store.database import IMPORT_DATABASES, Store, utc_now
from citegraph.store.records import ParsedWork, ReferenceRow, WorkRow

__all__ = [
    "FileImport",
    "ImportReport",
    "MatchCounts",
    "author_display",
    "import_exports",
    "match_references_locally",
    "record_key",
]

log = logging.getLogger(__name__)
progress_log = logging.getLogger("citegraph.progress")

#: Export document types with a Crossref type of the same meaning (so ``--types journal-article`` selects
#: imported articles too); other types are kept as written, lower case.
_TYPES = {
    "article": "journal-article", "review": "journal-article", "letter": "journal-article",
    "editorial material": "journal-article", "editorial": "journal-article", "note": "journal-article",
    "short survey": "journal-article", "erratum": "journal-article", "correction": "journal-article",
    "journal article": "journal-article", "proceedings paper": "proceedings-article",
    "conference paper": "proceedings-article", "book chapter": "book-chapter", "book": "book",
    "meeting abstract": "journal-article", "data paper": "journal-article",
}

_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,5}$")
_NOT_LETTERS = re.compile(r"[^a-z]+")
_PAGE_PREFIX = re.compile(r"^(?:p{1,2}\.?\s*)", re.IGNORECASE)


def _ascii_lower(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def author_display(name: str | None) -> str | None:
    """An author's name in the store's form, ``"Surname, Given"``, from the forms exports write.

    WoS writes ``"van Dijk, AE"`` (kept), Scopus ``"Owusu P."``, Lens and OpenAlex ``"Petar Radanliev"``.

    Examples
    --------
    >>> author_display("Owusu P."), author_display("Petar Radanliev"), author_display("van Dijk, AE")
    ('Owusu, P.', 'Radanliev, Petar', 'van Dijk, AE')
    >>> author_display("WHO"), author_display("  ")
    ('WHO', None)
    """
    if not name or not name.strip():
        return None
    text = " ".join(name.split())
    if "," in text:
        return text
    words = text.split()
    if len(words) < 2:
        return text
    if _INITIALS.match(words[-1]):
        return f"{' '.join(words[:-1])}, {words[-1]}"
    return f"{words[-1]}, {' '.join(words[:-1])}"


def _letters(text: str | None) -> str | None:
    """A stored surname (works' and references' ``first_author``) or source title in matching form: its
    letters, lower case, accents dropped.

    >>> _letters("van Dijk"), _letters("Di Pierro"), _letters("AM J CLIN NUTR"), _letters(None)
    ('vandijk', 'dipierro', 'amjclinnutr', None)
    """
    return _NOT_LETTERS.sub("", _ascii_lower(text)) or None if text else None


#: Words that begin a surname of several words (``Di Pierro``, ``van Dijk``), lower case.
_PARTICLES = frozenset("al ap bin da dal de del della der des di dos du el la le lo mac mc san st ten ter van "
                       "von zu".split())


def _display_surname(name: str | None) -> str | None:
    """A cited author's surname for labels, from a reference's author as the export writes it.

    References write the surname first (WoS ``"MISHKINSKY J"``, Scopus ``"Shimoda, H."``); some write the
    whole given name after it and no initials (WoS ``"Shimoda Hiroshi"``), which is dropped too, unless the
    first word is a particle of a longer surname (``"Di Pierro"``, ``"van Dijk"``).

    Examples
    --------
    >>> [_display_surname(n) for n in ("MISHKINSKY J", "Shimoda Hiroshi", "Shimoda, H.", "Di Pierro F",
    ...                                "van Dijk", "Garcia Marquez G", "Andrade-Cetto A", "[Anonymous]")]
    ['Mishkinsky', 'Shimoda', 'Shimoda', 'Di Pierro', 'van Dijk', 'Garcia Marquez', 'Andrade-Cetto', None]
    """
    if not name or name.startswith("["):
        return None
    text = name.split(",", 1)[0].strip() if "," in name else name.strip()
    words = text.split()
    initials = len(words) > 1 and _INITIALS.match(words[-1]) is not None
    if initials:
        words = words[:-1]  # what is left is the surname ("Garcia Marquez G": both words)
    elif (len(words) == 2 and words[0].lower() not in _PARTICLES and all(w[:1].isupper() for w in words)
            and words[1].isalpha() and not words[1].isupper()):
        words = words[:1]  # "Shimoda Hiroshi": a given name written out after the surname
    text = " ".join(words)
    if text.isupper():
        text = text.title()
    return text or None


def _norm_part(value: str | None) -> str | None:
    """Volume or page in matching form: lower case, no spaces, no ``P``/``pp.`` prefix."""
    if not value:
        return None
    text = _PAGE_PREFIX.sub("", value.strip()).replace(" ", "").lower()
    return text or None


def record_key(record: ExportRecord, database: str) -> tuple[str, str] | None:
    """The store key of a record and the identifier as written: its DOI, else its database's own id.

    Returns None when the record has neither a valid DOI nor an identifier.

    Examples
    --------
    >>> record_key(ExportRecord(line=1, doi="10.1/AB", native_id="WOS:1"), "wos")
    ('10.1/ab', '10.1/AB')
    >>> record_key(ExportRecord(line=1, doi="not a doi", native_id="WOS:000123"), "wos")
    ('wos:000123', 'WOS:000123')
    """
    if record.doi:
        try:
            doi = normalize_doi(record.doi)
        except InvalidDOIError:
            pass
        else:
            return doi.key, doi.original
    return _native_key(record.native_id, database)


def _native_key(native: str | None, database: str) -> tuple[str, str] | None:
    if not native or not native.strip():
        return None
    ident = native.strip()
    if database == "wos" and ident.upper().startswith("WOS:"):
        ident = ident[4:]
    if database == "openalex":
        ident = ident.rsplit("/", 1)[-1].upper()
    # a work without a DOI is keyed by its database's name and its identifier there (wos:000123...)
    return f"{database}:{ident.lower() if database != 'openalex' else ident}", native.strip()


def _work_type(kind: str | None) -> str | None:
    if not kind:
        return None
    first = kind.split(";")[0].strip().lower()
    return _TYPES.get(first, first or None)


def _reference_rows(key: str, record: ExportRecord, database: str, record_dois: set[str]) -> list[ReferenceRow]:
    rows = []
    for position, ref in enumerate(record.references or (), start=1):
        valid: list[DOI] = []
        for text in ref.dois:
            try:
                valid.append(normalize_doi(text))
            except InvalidDOIError:
                continue
        chosen = next((d for d in valid if d.key in record_dois), valid[0] if valid else None)
        cited_original = chosen.original if chosen else (ref.dois[0] if ref.dois else None)
        native = _native_key(ref.native_id, database) if ref.native_id else None
        rows.append(ReferenceRow(
            citing=key, position=position, cited=chosen.key if chosen else None, cited_original=cited_original,
            doi_asserted_by=database, key=native[0] if native else None, unstructured=ref.text or None,
            article_title=ref.title, journal_title=ref.source, year=ref.year,
            first_author=_display_surname(ref.first_author), volume=ref.volume, page=ref.page,
        ))
    return rows


def _parsed(record: ExportRecord, key: str, original: str, fmt: str, file: str, record_dois: set[str]) -> ParsedWork:
    database = DATABASES[fmt]
    raw = {"format": fmt, "file": os.path.basename(file), "line": record.line, "record": record.raw}
    authors = tuple(a for a in (author_display(name) for name in record.authors) if a)
    first_author = authors[0].split(",", 1)[0] if authors else None
    references = _reference_rows(key, record, database, record_dois)
    work = WorkRow(
        doi=key, doi_original=original, title=record.title, year=record.year, container=record.container,
        type=_work_type(record.type), first_author=first_author, authors=authors,
        is_referenced_by_count=record.times_cited,
        references_count=record.references_count if record.references_count is not None else (
            len(references) if record.references is not None else None),
        abstract=record.abstract, subjects=tuple(record.subjects), source=f"{fmt}:{os.path.basename(file)}",
        raw_json=json.dumps(raw, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        volume=record.volume, page=record.first_page,
    )
    return ParsedWork(work=work, references=tuple(references))


@dataclass
class FileImport:
    """What one file gave: format, records and references read, records stored, problems.

    ``duplicates`` counts records whose key (DOI, else identifier) an earlier record of the same import
    had (Web of Science indexes some articles twice, under two ``UT``: they are one work);
    ``kept_existing`` records already stored from another source (Crossref), whose stored record stays.
    """

    path: str
    format: str
    records: int = 0
    references: int = 0
    stored: int = 0
    duplicates: int = 0
    kept_existing: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class MatchCounts:
    """How the cited references of the imported records met the records of the store.

    ``references`` counts the reference entries of imported records; ``with_doi`` those giving a
    valid DOI; ``by_doi`` those whose DOI is a stored work's; ``by_id`` and ``by_key`` those matched
    by identifier or by key; ``ambiguous`` those whose key fits several records (left unmatched);
    ``outside`` the rest (they cite works outside the store).
    """

    references: int = 0
    with_doi: int = 0
    by_doi: int = 0
    by_id: int = 0
    by_key: int = 0
    ambiguous: int = 0

    @property
    def matched(self) -> int:
        """References that cite a stored work, by any rule."""
        return self.by_doi + self.by_id + self.by_key

    @property
    def outside(self) -> int:
        """References citing no stored work."""
        return self.references - self.matched

    def as_dict(self) -> dict[str, int]:
        """The counts, ``matched`` and ``outside`` included."""
        return {**asdict(self), "matched": self.matched, "outside": self.outside}


@dataclass
class ImportReport:
    """The outcome of :func:`import_exports`: one :class:`FileImport` per file, the match counts."""

    files: list[FileImport] = field(default_factory=list)
    matching: MatchCounts = field(default_factory=MatchCounts)

    @property
    def records(self) -> int:
        """Records stored by this import."""
        return sum(f.stored for f in self.files)

    @property
    def problems(self) -> list[str]:
        """Every problem met, ``"file:line: message"``."""
        return [p for f in self.files for p in f.problems]

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for ``--json`` and the run log."""
        return {"files": [asdict(f) for f in self.files], "matching": self.matching.as_dict(),
                "records": self.records, "problems": len(self.problems)}


@dataclass
class _Seed:
    doi: DOI
    role: str
    note: str | None
    source: str


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _key_records(read: ExportRead, seen: dict[str, str]) -> tuple[FileImport, list[tuple[ExportRecord, str, str]]]:
    """The report of one read file and its records with their store keys (DOI, else identifier).

    ``seen`` maps the keys of the records met so far in this import to ``file:line``: a record with the key of
    an earlier one is a duplicate (counted, named in a warning, left out).
    """
    report = FileImport(path=read.file, format=read.format, problems=[str(p) for p in read.problems])
    report.records = len(read.records)
    report.references = sum(len(r.references or ()) for r in read.records)
    database = DATABASES.get(read.format)
    keyed: list[tuple[ExportRecord, str, str]] = []
    if database is None:
        return report, keyed
    for record in read.records:
        if record.doi:
            try:
                normalize_doi(record.doi)
            except InvalidDOIError as exc:
                report.problems.append(f"{read.file}:{record.line}: {exc}; the record is kept by its identifier")
        made = record_key(record, database)
        if made is None:
            report.problems.append(f"{read.file}:{record.line}: record has neither a valid DOI nor an identifier: "
                                   "skipped")
            continue
        key, original = made
        where = f"{os.path.basename(read.file)}:{record.line}"
        if key in seen:
            report.duplicates += 1
            log.warning("%s: record %s has the %s of the record at %s (%s): one work, stored once", where,
                        record.native_id or "", "DOI" if is_doi_key(key) else "identifier", seen[key], original)
            continue
        seen[key] = where
        keyed.append((record, key, original))
    return report, keyed


def _second_dois(keyed: Iterable[tuple[ExportRecord, str, str]]) -> set[str]:
    """The DOI keys of the references that give several (``DOI [a, b]``): the ones a choice is made among."""
    out: set[str] = set()
    for record, _, _ in keyed:
        for ref in record.references or ():
            if len(ref.dois) > 1:
                for text in ref.dois:
                    try:
                        out.add(normalize_doi(text).key)
                    except InvalidDOIError:
                        continue
    return out


def _store_file(store: Store, read: ExportRead, report: FileImport, keyed: Sequence[tuple[ExportRecord, str, str]],
                record_dois: set[str], run_id: int | None) -> None:
    """Store the keyed records of one read file; ``record_dois`` are the DOIs of the works a reference giving
    several DOIs cites by preference (the records of the whole import, and the stored works among them)."""
    if not keyed:
        return
    fmt = read.format
    existing = {row[0]: row[1] for row in _rows(store, "SELECT doi, source FROM works WHERE doi IN ({})",
                                                 [k for _, k, _ in keyed])}
    parsed: list[ParsedWork] = []
    for record, key, original in keyed:
        source = existing.get(key)
        if source is not None and source.split(":", 1)[0] not in FORMATS:
            report.kept_existing += 1  # fetched from Crossref (or a file): that record stays
            continue
        parsed.append(_parsed(record, key, original, fmt, read.file, record_dois))
    stored_refs = sum(len(p.references) for p in parsed)
    sha = _sha256(read.file)
    stamp = utc_now()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO imports (path, format, sha256, records, refs, problems, imported_at, run) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (os.path.abspath(read.file), fmt, sha, len(parsed), stored_refs, len(report.problems), stamp,
             run_id))
        import_id = cur.lastrowid
        conn.executemany("INSERT OR REPLACE INTO imported (work, import, line, native_id) VALUES (?, ?, ?, ?)",
                         [(key, import_id, record.line, record.native_id) for record, key, _ in keyed])
    if parsed:
        store.add_works(parsed, fetched_at=stamp)
    report.stored = len(parsed)
    store.add_seeds(_Seed(DOI(key, original), "imported", None, f"{os.path.basename(read.file)}:{record.line}")
                    for record, key, original in keyed)


def _rows(store: Store, sql: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), 500):
        chunk = list(keys[i:i + 500])
        out.extend(tuple(r) for r in store.execute(sql.format(",".join("?" * len(chunk))), chunk))
    return out


def import_exports(store: Store, paths: Sequence[str | os.PathLike[str]], *, fmt: str = "auto") -> ImportReport:
    """Import export files into ``store`` and match their references to the stored records.

    Parameters
    ----------
    store : Store
        An open, writable store.
    paths : sequence of path-like
        The files (several files of one export, e.g. WoS's files of 500 records, in one call).
    fmt : str
        ``"auto"`` (detected from each file's content) or a key of
        :data:`~citegraph.sources.exports.FORMATS`.

    Returns
    -------
    ImportReport
        Per file: format, records read and stored, references, problems (``file:line: message``);
        and the :class:`MatchCounts` of every imported record's references. A record whose key (DOI,
        else identifier) was already read in this call is counted as a duplicate; one already stored
        from Crossref keeps its Crossref record; one stored by an earlier import is replaced.

    Raises
    ------
    UsageError
        ``fmt`` is not a known format.

    Examples
    --------
    >>> import tempfile, pathlib                      # a hand-made unit-test export of two records
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "savedrecs.txt"
    >>> _ = p.write_text("FN Clarivate Analytics Web of Science\\nVR 1.0\\n"
    ...     "PT J\\nAU Doe, J\\nTI One\\nSO J ONE\\nJ9 J ONE\\nPY 2001\\nVL 3\\nBP 10\\nDI 10.1/one\\nUT WOS:1\\nER\\n"
    ...     "PT J\\nAU Roe, R\\nTI Two\\nPY 2005\\nUT WOS:2\\n"
    ...     "CR Doe J, 2001, J ONE, V3, P10\\n   Poe E, 1999, J X, V1, P1, DOI 10.1/x\\nNR 2\\nER\\nEF\\n")
    >>> with Store(":memory:") as store:
    ...     report = import_exports(store, [p])
    ...     edges = [(e.citing, e.cited, e.sources) for e in store.citation_edges()]
    >>> [(f.format, f.records, f.references) for f in report.files], report.matching.by_key
    ([('wos', 2, 2)], 1)
    >>> edges
    [('wos:2', '10.1/one', ('wos-key',)), ('wos:2', '10.1/x', ('wos',))]
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of auto, {', '.join(FORMATS)}")
    report = ImportReport()
    run_id = store.start_run("import", {"files": [os.fspath(p) for p in paths], "format": fmt})
    status = "failed"
    try:
        # every file is read before any is stored: a reference giving two DOIs cites the one that is a
        # record of the import whatever file holds it and in whatever order the files come
        seen: dict[str, str] = {}
        files = []
        for path in paths:
            read = read_export(path, fmt)
            progress_log.info("%s: %s, %d records", os.fspath(path), read.format, len(read.records))
            files.append((read, *_key_records(read, seen)))
        keyed_all = [k for _, _, keyed in files for k in keyed]
        second = _second_dois(keyed_all)
        record_dois = {key for _, key, _ in keyed_all if is_doi_key(key)} | store.stored_keys(second)
        for read, file_report, keyed in files:
            _store_file(store, read, file_report, keyed, record_dois, run_id)
            report.files.append(file_report)
        report.matching = match_references_locally(store)
        status = "ok" if not report.problems else "partial"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status=status, counts=report.as_dict(),
                         error="; ".join(report.problems[:20]) or None)
    return report


def _work_index(store: Store) -> tuple[dict[tuple[str, int], list[tuple[str, str | None, str | None, str | None]]],
                                        dict[str, str]]:
    """Works by (surname key, year): ``(key, volume, page, source)``; and native identifiers -> work key."""
    by_key: dict[tuple[str, int], list[tuple[str, str | None, str | None, str | None]]] = defaultdict(list)
    for key, author, year, volume, page, container in store.execute(
            "SELECT doi, first_author, year, volume, page, container FROM works ORDER BY doi"):
        surname = _letters(author)
        if surname and year:
            by_key[(surname, int(year))].append((key, _norm_part(volume), _norm_part(page), container))
    native: dict[str, str] = {}
    for work, ident, fmt in store.execute(
            "SELECT i.work, i.native_id, m.format FROM imported i JOIN imports m ON m.id = i.import "
            "WHERE i.native_id IS NOT NULL ORDER BY i.work, m.id"):
        made = _native_key(ident, DATABASES[fmt]) if fmt in DATABASES else None
        if made is not None:
            native.setdefault(made[0], work)
    return by_key, native


def _abbreviations(store: Store, keys: Iterable[str]) -> dict[str, set[str]]:
    """Source names of works in matching form: the container, and the J9/JI abbreviations of WoS records."""
    out: dict[str, set[str]] = {}
    for key, container, raw in _rows(store, "SELECT doi, container, raw_json FROM works WHERE doi IN ({})",
                                     sorted(set(keys))):
        names = {container}
        try:
            record = json.loads(raw).get("record") or {}
        except (ValueError, AttributeError):
            record = {}
        if isinstance(record, dict):
            names |= {record.get(tag) for tag in ("J9", "JI", "Abbreviated Source Title", "Journal-ISO")}
        out[key] = {n for n in (_letters(x) if isinstance(x, str) else None for x in names) if n}
    return out


def _same_source(cited: str | None, names: set[str]) -> bool:
    """Whether a cited source (WoS's abbreviation, cut at 20 characters) names one of a work's sources.

    >>> _same_source("NAT COMMUN", {"naturecommunications", "natcommun"}), _same_source("MBIO", {"natcommun"})
    (True, False)
    >>> _same_source("FRONTIERS MICROBIOLO", {"frontiersmicrobiology"})
    True
    """
    source = _letters(cited)
    if not source:
        return False
    return any(source == name or (len(source) >= 12 and name.startswith(source)) for name in names)


def match_references_locally(store: Store) -> MatchCounts:
    """(Re)match the references of every imported record to the stored works; returns the counts.

    Matches made earlier by identifier or key are replaced; matches made by a Crossref query (rule
    empty) are kept. See the module docstring for the rules.

    Examples
    --------
    >>> with Store(":memory:") as store:
    ...     match_references_locally(store).as_dict()["references"]
    0
    """
    by_key, native = _work_index(store)
    counts = MatchCounts()
    rows = store.execute(
        """SELECT r.citing, r.position, r.cited, r.key, r.first_author, r.year, r.volume, r.page,
                  r.journal_title, r.doi_asserted_by, (w.doi IS NOT NULL)
           FROM refs r LEFT JOIN works w ON w.doi = r.cited
           WHERE r.doi_asserted_by IN ({})
             AND NOT EXISTS (SELECT 1 FROM ref_matches m WHERE m.citing = r.citing AND m.position = r.position
                             AND m.rule IS NULL)
           ORDER BY r.citing, r.position""".format(",".join(f"'{d}'" for d in IMPORT_DATABASES))
    ).fetchall()
    matches: list[tuple[str, int, str, str, str]] = []
    pending: list[tuple[str, int, str, list[tuple[str, str | None, str | None, str | None]], str | None, bool]] = []
    for citing, position, cited, ident, author, year, volume, page, journal, database, resolved in rows:
        counts.references += 1
        if cited is not None:
            counts.with_doi += 1
            if resolved:
                counts.by_doi += 1
            continue
        database = database or "import"
        if ident:
            work = native.get(ident)
            if work is not None and work != citing:
                matches.append((citing, position, work, f"{database}-id", ident))
                counts.by_id += 1
            continue
        surname = _letters(author)
        if not surname or not year:
            continue
        vol, pg = _norm_part(volume), _norm_part(page)
        if vol is None and pg is None:
            continue
        same = [c for c in by_key.get((surname, int(year)), ()) if c[0] != citing]
        full = [c for c in same if vol is not None and pg is not None and c[1] == vol and c[2] == pg]
        query = f"[{database} key: {surname}|{year}|{vol or ''}|{pg or ''}]"
        if len(full) == 1:
            matches.append((citing, position, full[0][0], f"{database}-key", query))
            counts.by_key += 1
            continue
        # several full keys, or only a partial one (a volume or a page missing on one side): the source decides
        partial = full or [c for c in same
                           if (vol is None or c[1] is None or c[1] == vol)
                           and (pg is None or c[2] is None or c[2] == pg)
                           and ((vol is not None and c[1] == vol) or (pg is not None and c[2] == pg))]
        if partial:
            pending.append((citing, position, database, partial, journal, bool(full)))
    if pending:
        names = _abbreviations(store, (c[0] for p in pending for c in p[3]))
        for citing, position, database, candidates, journal, several_full in pending:
            fitting = [c for c in candidates if _same_source(journal, names.get(c[0], set()))]
            if len(fitting) == 1:
                matches.append((citing, position, fitting[0][0], f"{database}-key+source",
                                f"[{database} key+source: {journal}]"))
                counts.by_key += 1
            elif len(fitting) > 1 or (several_full and not fitting) or len(candidates) > 1:
                counts.ambiguous += 1
    stamp = utc_now()
    with store.transaction() as conn:
        conn.execute("DELETE FROM ref_matches WHERE rule IS NOT NULL")
        conn.executemany(
            "INSERT INTO ref_matches (citing, position, matched, score, threshold, query, matched_at, rule) "
            "VALUES (?, ?, ?, 1.0, 1.0, ?, ?, ?)",
            [(citing, position, work, query, stamp, rule) for citing, position, work, rule, query in matches])
    return counts
