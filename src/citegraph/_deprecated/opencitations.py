"""Deprecated path: ``citegraph.opencitations`` moved; removed in citegraph 0.3.

Its names now live in:
- :mod:`citegraph.sources.opencitations`
"""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved("citegraph.opencitations", "citegraph.sources.opencitations")
