"""Deprecated path: ``citegraph.files`` moved to :mod:`citegraph.outputs.files`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.files", "citegraph.outputs.files")
