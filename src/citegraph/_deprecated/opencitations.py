"""Deprecated path: ``citegraph.opencitations`` moved to :mod:`citegraph.sources.opencitations`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.opencitations", "citegraph.sources.opencitations")
