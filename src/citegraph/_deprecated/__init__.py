"""The old flat module paths of citegraph 0.1, kept for one release.

citegraph 0.1 kept every module side by side (``citegraph.rank``,
``citegraph.crossref``, ``citegraph.analyse``, ...). They now live in the
stage packages (:mod:`citegraph.sources`, :mod:`citegraph.store`,
:mod:`citegraph.graphs`, :mod:`citegraph.analysis`, :mod:`citegraph.outputs`).
Each file in this folder is reachable under its old name (``citegraph/__init__``
adds the folder to the package path) and forwards every name to its new home
with a :class:`DeprecationWarning` naming the new path, so notebooks written
against 0.1 keep working while they move. They will be removed in 0.3.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from citegraph.rank import rank_works
>>> from citegraph.analysis.rank import rank_works as new
>>> rank_works is new, str(caught[0].message)
(True, 'citegraph.rank.rank_works moved to citegraph.analysis.rank.rank_works; the old path goes in citegraph 0.3')
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["REMOVED_IN", "moved"]

#: The release that drops the old paths.
REMOVED_IN = "0.3"


def moved(old: str, *new: str, names: Sequence[str] | None = None
          ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Module ``__getattr__``, ``__dir__`` and ``__all__`` for an old module whose names moved to ``new``.

    A name is looked up in the new modules in order; the first that has it
    wins, with a :class:`DeprecationWarning` pointing at the caller's line.
    ``__all__`` is ``names`` (the old module's public names) when given, else
    the new modules' ``__all__`` together.
    """

    def targets() -> list[Any]:
        return [importlib.import_module(name) for name in new]

    def __getattr__(name: str) -> Any:
        if not name.startswith("__"):
            for module in targets():
                if hasattr(module, name):
                    warnings.warn(f"{old}.{name} moved to {module.__name__}.{name}; the old path goes in "
                                  f"citegraph {REMOVED_IN}", DeprecationWarning, stacklevel=2)
                    return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({name for module in targets() for name in dir(module)})

    public = (sorted(names) if names is not None
              else sorted({name for module in targets() for name in getattr(module, "__all__", ())}))
    return __getattr__, __dir__, public
