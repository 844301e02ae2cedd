"""Deprecated path: ``citegraph.crossref`` moved to :mod:`citegraph.sources.crossref`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.crossref", "citegraph.sources.crossref")
