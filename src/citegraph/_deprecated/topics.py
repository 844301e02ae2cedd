"""Deprecated path: ``citegraph.topics`` moved to :mod:`citegraph.graphs.topics`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.topics", "citegraph.graphs.topics")
