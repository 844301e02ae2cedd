"""citegraph: map a research literature from a few seed DOIs.

Fetch works and their references from Crossref into a local SQLite store,
build citation graphs and find the influential literature.
"""

from citegraph._version import __version__
from citegraph.errors import CitegraphError

__all__ = ["__version__", "CitegraphError"]
