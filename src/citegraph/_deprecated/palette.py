"""Deprecated path: ``citegraph.palette`` moved to :mod:`citegraph.outputs.palette`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.palette", "citegraph.outputs.palette")
