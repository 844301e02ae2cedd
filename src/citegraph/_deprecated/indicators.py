"""Deprecated path: ``citegraph.indicators`` moved to :mod:`citegraph.analysis.indicators`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.indicators", "citegraph.analysis.indicators")
