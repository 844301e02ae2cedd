"""Deprecated path: ``citegraph.report`` moved to :mod:`citegraph.outputs.report`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.report", "citegraph.outputs.report")
