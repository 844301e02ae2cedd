"""Deprecated path: ``citegraph.records`` moved to :mod:`citegraph.store.records`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.records", "citegraph.store.records")
