"""Deprecated path: ``citegraph.coverage`` moved to :mod:`citegraph.analysis.coverage`, :mod:`citegraph.outputs.tables`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved(
    "citegraph.coverage",
    "citegraph.analysis.coverage",
    "citegraph.outputs.tables",
    names=[
        "coverage_report", "format_coverage", "write_coverage",
    ],
)
