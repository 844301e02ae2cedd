"""Deprecated path: ``citegraph.timeline`` moved; removed in citegraph 0.3.

Its names now live in:
- :mod:`citegraph.analysis.bursts`
- :mod:`citegraph.analysis.rpys`
- :mod:`citegraph.analysis.mainpath`
- :mod:`citegraph.analysis.indicators`
"""

from citegraph._deprecated import moved

__getattr__, __dir__, __all__ = moved(
    "citegraph.timeline",
    "citegraph.analysis.bursts",
    "citegraph.analysis.rpys",
    "citegraph.analysis.mainpath",
    "citegraph.analysis.indicators",
    names=[
        "Burst", "MainPaths", "RPYSRow", "burst_strength", "citation_bursts", "global_main_path",
        "key_route_main_path", "kleinberg_states", "knowledge_flow_dag", "main_path_analysis", "peak_works",
        "publications_per_year", "reference_years_from_store", "rpys", "rpys_peaks", "spc_weights",
    ],
)
