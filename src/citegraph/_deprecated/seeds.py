"""Deprecated path: ``citegraph.seeds`` moved to :mod:`citegraph.sources.seeds`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.seeds", "citegraph.sources.seeds")
