"""Deprecated path: ``citegraph.rank`` moved to :mod:`citegraph.analysis.rank`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.rank", "citegraph.analysis.rank")
