"""Deprecated path: ``citegraph.clusters`` moved to :mod:`citegraph.analysis.clusters`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.clusters", "citegraph.analysis.clusters")
