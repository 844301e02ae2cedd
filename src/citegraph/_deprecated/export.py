"""Deprecated path: ``citegraph.export`` moved to :mod:`citegraph.outputs.export`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.export", "citegraph.outputs.export")
