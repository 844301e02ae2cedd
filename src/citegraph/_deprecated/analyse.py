"""Deprecated path: ``citegraph.analyse`` moved; removed in citegraph 0.3.

Its names now live in:
- :mod:`citegraph.analysis.pipeline`
- :mod:`citegraph.outputs.tables`
"""

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
