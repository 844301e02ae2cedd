"""Deprecated path: ``citegraph.fetch`` moved to :mod:`citegraph.sources.fetch`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.fetch", "citegraph.sources.fetch")
