"""Deprecated path: ``citegraph.filesource`` moved to :mod:`citegraph.sources.localfiles`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.filesource", "citegraph.sources.localfiles")
