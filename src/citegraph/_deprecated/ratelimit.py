"""Deprecated path: ``citegraph.ratelimit`` moved to :mod:`citegraph.sources.ratelimit`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.ratelimit", "citegraph.sources.ratelimit")
