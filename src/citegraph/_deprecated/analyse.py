"""Deprecated path: ``citegraph.analyse`` moved to :mod:`citegraph.analysis.pipeline`, :mod:`citegraph.outputs.tables`; removed in citegraph 0.3."""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved(
    "citegraph.analyse",
    "citegraph.analysis.pipeline",
    "citegraph.outputs.tables",
    names=[
        "ANALYSE_TOP_K", "AnalyseOptions", "Analysis", "OUTPUT_FILES", "analyse", "analyse_graph_options",
        "write_outputs",
    ],
)
