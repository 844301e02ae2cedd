"""Deprecated path: ``citegraph.coverage`` moved; removed in citegraph 0.3.

Its names now live in:
- :mod:`citegraph.analysis.coverage`
- :mod:`citegraph.outputs.tables`
"""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved(
    "citegraph.coverage",
    "citegraph.analysis.coverage",
    "citegraph.outputs.tables",
    names=[
        "coverage_report", "format_coverage", "write_coverage",
    ],
)
