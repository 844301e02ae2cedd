"""Hand-made test inputs shared by several test modules (not Crossref or OpenCitations data)."""

from __future__ import annotations

from citegraph.doi import normalize_doi
from citegraph.sources.opencitations import Citation


def citation(citing: str, cited: str) -> Citation:
    """A hand-made OpenCitations citation ``citing -> cited`` (not OpenCitations data)."""
    return Citation(normalize_doi(citing), normalize_doi(cited), f"{citing}-{cited}", "2020", "P1Y", False, None)
