"""citegraph: map a research literature from a few seed DOIs.

Data flows one way through citegraph, and each sub-package is one stage of it::

    sources ──> store ──> graphs ──> analysis ──> outputs
    Crossref,   SQLite,   citation,  rankings,    figures,
    OpenCit.,   works,    co-cit.,   clusters,    exports,
    files,      refs,     coupling,  bursts,      tables,
    seeds       edges     topics     main paths   report

- :mod:`citegraph.sources`: where works and citations come from (the
  Crossref and OpenCitations APIs, local record files, seed files) and the
  fetch that snowballs through them into the store;
- :mod:`citegraph.store`: the local SQLite store, the rows a record becomes,
  and duplicate works;
- :mod:`citegraph.graphs`: graphs built from the store (citation,
  co-citation, coupling, topic similarity, hybrid) and their array form;
- :mod:`citegraph.analysis`: what the graphs say (rankings, clusters,
  bursts, RPYS, main paths, indicators, coverage);
- :mod:`citegraph.outputs`: what a person reads (figures, export formats,
  the analysis tables, the HTML report).

Beside them, shared by every stage: :mod:`citegraph.errors` (the
:class:`CitegraphError` hierarchy), :mod:`citegraph.doi` (DOI rules) and
:mod:`citegraph.config` (settings); on top, :mod:`citegraph.cli`, the command
line, which nothing imports.

Imports follow the flow: the store imports no stage; sources, graphs,
analysis and outputs import the store and the stages between it and
themselves, never a later one, and only the fetch touches the sources
(``tests/test_layout.py`` enforces this). The modules' old flat paths
(``citegraph.crossref``, ``citegraph.rank``, ...) still import for one release,
with a :class:`DeprecationWarning` (see ``citegraph/_deprecated/``).
"""

import os as _os

from citegraph._version import __version__
from citegraph.errors import CitegraphError

__all__ = ["CitegraphError", "__version__"]

# The old flat module paths (citegraph.rank, citegraph.crossref, ...) are thin modules in _deprecated/, found
# through the package path: they re-export the moved names with a DeprecationWarning, for one release.
__path__.append(_os.path.join(_os.path.dirname(__file__), "_deprecated"))
