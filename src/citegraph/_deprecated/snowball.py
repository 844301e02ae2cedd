"""Deprecated path: ``citegraph.snowball`` moved to :mod:`citegraph.sources.snowball`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.snowball", "citegraph.sources.snowball")
