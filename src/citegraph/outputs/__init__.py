"""Stage 5, outputs: what a person reads and what other tools import.

- :mod:`~citegraph.outputs.plots`: the figures (matplotlib; each function
  takes ``ax=None`` and returns the figure);
- :mod:`~citegraph.outputs.export`: GraphML, GEXF, CSV, Pajek, JSON,
  VOSviewer, BibTeX and RIS;
- :mod:`~citegraph.outputs.tables`: the CSV/JSON files of an analysis and
  ``coverage.json``;
- :mod:`~citegraph.outputs.report`: the self-contained HTML report (its
  page, script and styles are real files in that folder);
- :mod:`~citegraph.outputs.palette`: the cluster colours every output shares;
- :mod:`~citegraph.outputs.files`: atomic output files (links written through, devices refused);
- :mod:`~citegraph.outputs.text`: record text made safe for spreadsheet cells and terminals.

May import: the shared modules, :mod:`citegraph.store`, :mod:`citegraph.graphs`
and :mod:`citegraph.analysis`. Nothing but :mod:`citegraph.cli` imports an output.
"""
