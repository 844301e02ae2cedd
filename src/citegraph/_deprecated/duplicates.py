"""Deprecated path: ``citegraph.duplicates`` moved to :mod:`citegraph.store.duplicates`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.duplicates", "citegraph.store.duplicates")
