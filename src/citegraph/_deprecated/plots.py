"""Deprecated path: ``citegraph.plots`` moved to :mod:`citegraph.outputs.plots`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.plots", "citegraph.outputs.plots")
