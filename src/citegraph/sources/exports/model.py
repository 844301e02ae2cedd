"""What a database export holds, as read from its file, before it meets the store.

Every reader (Web of Science plain text, tab-delimited and BibTeX; Scopus, Lens and OpenAlex CSV)
turns one file into an :class:`ExportRead`: the :class:`ExportRecord` of each record it could read,
with its :class:`CitedReference` list in the order of the file, and one :class:`ExportProblem` per
thing it could not read (naming the file and line). The importer
(:mod:`citegraph.sources.importing`) turns records into store rows and matches references to records.

Fields hold text as written in the export (whitespace collapsed, continuation lines joined) and
``None`` when the export leaves them out; nothing is guessed. DOIs are kept as written (the importer
normalises them and reports the invalid ones).

Examples
--------
>>> ref = CitedReference(text="Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145",
...                      first_author="Andrade-Cetto A", year=2001, source="J ETHNOPHARMACOL",
...                      volume="78", page="145")
>>> rec = ExportRecord(line=3, native_id="WOS:000263829900013", title="Acute effects",
...                    references=(ref,))
>>> rec.references[0].dois, rec.doi
((), None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMATS", "CitedReference", "ExportProblem", "ExportRead", "ExportRecord"]

#: The export formats citegraph reads, by the name ``import --format`` takes, with what each is.
FORMATS: dict[str, str] = {
    "wos": "Web of Science plain text (FN/VR/PT ... ER/EF, two-letter tags)",
    "wos-tab": "Web of Science tab-delimited (header row of two-letter tags, CR column)",
    "wos-bib": "Web of Science BibTeX (Cited-References field)",
    "scopus": "Scopus CSV (References column)",
    "lens": "Lens.org scholarly works CSV (References column of Lens IDs)",
    "openalex-csv": "OpenAlex works CSV (as downloaded from openalex.org)",
}


@dataclass(frozen=True)
class CitedReference:
    """One entry of a record's cited-reference list, parsed from its string.

    ``text`` is the entry exactly as the export writes it (whitespace collapsed). ``dois`` holds
    every DOI the entry gives, in order (WoS writes two as ``DOI [a, b]``); ``native_id`` an
    identifier of the database's own (a Lens ID) when the export cites by those.
    ``first_author`` is as written (``"Andrade-Cetto A"``, ``"Cheng M."``), ``source`` the cited
    source (WoS: its 20-character abbreviation; Scopus: the source title), ``page`` the first page
    or article number.
    """

    text: str
    first_author: str | None = None
    year: int | None = None
    title: str | None = None
    source: str | None = None
    volume: str | None = None
    page: str | None = None
    dois: tuple[str, ...] = ()
    native_id: str | None = None


@dataclass(frozen=True)
class ExportRecord:
    """One record of an export.

    ``line`` is the 1-based line of the file where the record starts; ``native_id`` the database's
    own identifier (WoS ``UT`` such as ``WOS:000263829900013``, Scopus ``EID``, Lens ID, OpenAlex
    ``W...`` id). ``authors`` are as written, ``"Surname, Initials"`` where the export has that
    form. ``source_abbrev`` is the 20-character WoS abbreviation (``J9``) when there is one, the
    form WoS uses in cited references. ``references`` is ``None`` when the export has no
    cited-reference field at all (not the same as an empty list).
    """

    line: int
    native_id: str | None = None
    doi: str | None = None
    title: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    container: str | None = None
    source_abbrev: str | None = None
    volume: str | None = None
    issue: str | None = None
    first_page: str | None = None
    type: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    times_cited: int | None = None
    references_count: int | None = None
    references: tuple[CitedReference, ...] | None = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ExportProblem:
    """Something in a file that could not be read: ``"{file}:{line}: {message}"``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class ExportRead:
    """What one file gave: its format, the records read and the problems met."""

    file: str
    format: str
    records: list[ExportRecord] = field(default_factory=list)
    problems: list[ExportProblem] = field(default_factory=list)

    def problem(self, line: int | None, message: str) -> None:
        """Record a problem at ``line`` of this file."""
        self.problems.append(ExportProblem(self.file, line, message))
