"""Settings: one typed object, four layers.

Each setting is taken from the first layer that gives it:

1. a command-line flag (or a keyword passed to :func:`load_settings`),
2. an environment variable ``CITEGRAPH_<NAME>`` (e.g. ``CITEGRAPH_MAILTO``),
3. ``[tool.citegraph]`` in the nearest ``pyproject.toml`` (searching from the
   working folder upwards); relative paths there are relative to that file,
4. the built-in default; in a project (a ``pyproject.toml`` with a
   ``[tool.citegraph]`` table) the default paths (the store, ``data/``,
   ``figures/``) are in the project's folder, wherever in it the command runs.

:attr:`Settings.origins` says which layer each value came from.

Examples
--------
>>> s = load_settings({"mailto": "me@example.org"}, env={"CITEGRAPH_TIMEOUT": "12"},
...                   start_dir=None)
>>> s.mailto, s.timeout, s.crossref_url
('me@example.org', 12.0, 'https://api.crossref.org')
>>> s.origins["mailto"], s.origins["timeout"], s.origins["crossref_url"]
('flag', 'env CITEGRAPH_TIMEOUT', 'default')
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citegraph.errors import ConfigError

__all__ = ["ENV_PREFIX", "Settings", "find_pyproject", "load_settings"]

log = logging.getLogger(__name__)

ENV_PREFIX = "CITEGRAPH_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Settings:
    """Everything citegraph can be configured with.

    Attributes
    ----------
    store : Path
        The SQLite store (``data/citegraph.sqlite``).
    mailto : str or None
        Contact e-mail sent to Crossref: it puts requests in the polite pool
        (10 requests/s, 3 at once instead of 5/s, 1).
    crossref_url : str
        Base URL of the Crossref REST API (a mirror or a test server).
    opencitations_url : str
        Base URL of the OpenCitations API.
    opencitations_token : str or None
        Optional OpenCitations access token.
    openalex_url : str
        Base URL of the OpenAlex API.
    openalex_key : str or None
        OpenAlex API key (required by OpenAlex since February 2026; a free
        key gives a daily budget). Never printed, never written to the store.
    timeout : float
        Seconds to wait for one HTTP response.
    retries : int
        Attempts after the first for a failing request (5xx, timeouts,
        connection errors, garbled answers).
    max_url_length : int
        Upper bound on the length of one batched request URL.
    data_dir, figures_dir : Path
        Where tables/exports and figures go.
    origins : dict
        For each field, the layer its value came from.
    """

    store: Path = Path("data/citegraph.sqlite")
    mailto: str | None = None
    crossref_url: str = "https://api.crossref.org"
    opencitations_url: str = "https://api.opencitations.net"
    opencitations_token: str | None = None
    openalex_url: str = "https://api.openalex.org"
    openalex_key: str | None = None
    timeout: float = 30.0
    retries: int = 5
    max_url_length: int = 4000
    data_dir: Path = Path("data")
    figures_dir: Path = Path("figures")
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def describe(self) -> list[tuple[str, str, str]]:
        """``(name, value, origin)`` for every setting (token masked)."""
        rows = []
        for f in _fields():
            value = getattr(self, f.name)
            shown = "***" if f.name.endswith(("token", "_key")) and value else str(value)
            rows.append((f.name, shown, self.origins.get(f.name, "default")))
        return rows


def _fields() -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(Settings) if f.name != "origins"]


def _kind(name: str) -> str:
    default = {f.name: f.default for f in _fields()}[name]
    if isinstance(default, Path):
        return "path"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "str"


def _coerce(name: str, value: Any, origin: str, base: Path | None) -> Any:
    kind = _kind(name)
    secret = name.endswith(("token", "_key"))
    where = f"{name} = {'***' if secret else repr(value)} (from {origin})"
    if kind == "path":
        if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
            raise ConfigError(f"{where}: expected a file or folder path")
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() or base is None else base / p
    if kind == "int":
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            out = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a whole number") from None
        if out < 0:
            raise ConfigError(f"{where}: must be 0 or more")
        return out
    if kind == "float":
        try:
            if isinstance(value, bool):
                raise ValueError
            out_f = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number of seconds") from None
        if not out_f > 0:
            raise ConfigError(f"{where}: must be greater than 0")
        return out_f
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected text")
    value = value.strip()
    if value == "":
        return None if name in {"mailto", "opencitations_token", "openalex_key"} else _reject_empty(where)
    if name == "mailto" and not _EMAIL.match(value):
        raise ConfigError(f"{where}: expected an e-mail address such as you@example.org")
    if name.endswith("_url"):
        if not re.match(r"^https?://[^\s/]+", value):
            raise ConfigError(f"{where}: expected an http:// or https:// URL")
        value = value.rstrip("/")
    return value


def _reject_empty(where: str) -> None:
    raise ConfigError(f"{where}: must not be empty")


def find_pyproject(start_dir: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start_dir``, or None."""
    for folder in (start_dir, *start_dir.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _has_citegraph_table(path: Path) -> bool:
    """Whether ``path`` (a readable pyproject.toml) has a ``[tool.citegraph]`` table, empty or not."""
    with path.open("rb") as fh:
        return "citegraph" in tomllib.load(fh).get("tool", {})


def _pyproject_table(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    table = data.get("tool", {}).get("citegraph", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.citegraph] must be a table")
    return {str(k).replace("-", "_"): v for k, v in table.items()}


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    start_dir: Path | None = Path(),
) -> Settings:
    """Build the settings from flags, environment, pyproject.toml and defaults.

    Parameters
    ----------
    flags : mapping, optional
        Values given on the command line (``None`` values are ignored).
    env : mapping, optional
        The environment (default ``os.environ``).
    start_dir : Path or None
        Where to start looking for ``pyproject.toml``; ``None`` skips it.

    Raises
    ------
    ConfigError
        An unknown key in ``[tool.citegraph]`` or a value of the wrong type,
        naming the value, where it came from and what would be valid.

    Examples
    --------
    >>> load_settings({"timeout": "soon"}, env={}, start_dir=None)
    Traceback (most recent call last):
    ...
    citegraph.errors.ConfigError: timeout = 'soon' (from flag): expected a number of seconds
    """
    env = os.environ if env is None else env
    names = [f.name for f in _fields()]
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    table: dict[str, Any] = {}
    table_path: Path | None = None
    in_project = False
    if start_dir is not None:
        table_path = find_pyproject(start_dir.resolve())
        if table_path is not None:
            table = _pyproject_table(table_path)
            in_project = _has_citegraph_table(table_path)
            unknown = sorted(set(table) - set(names))
            if unknown:
                raise ConfigError(
                    f"{table_path}: unknown key(s) in [tool.citegraph]: {', '.join(unknown)}; "
                    f"valid keys: {', '.join(names)}"
                )

    for name in names:
        flag_value = (flags or {}).get(name)
        env_name = ENV_PREFIX + name.upper()
        if flag_value is not None:
            values[name] = _coerce(name, flag_value, "flag", None)
            origins[name] = "flag"
        elif env.get(env_name) not in (None, ""):
            values[name] = _coerce(name, env[env_name], f"env {env_name}", None)
            origins[name] = f"env {env_name}"
        elif name in table and table_path is not None:
            origin = f"{table_path}"
            values[name] = _coerce(name, table[name], origin, table_path.parent)
            origins[name] = origin
        elif in_project and table_path is not None and _kind(name) == "path":
            default = {f.name: f.default for f in _fields()}[name]
            values[name] = table_path.parent / Path(str(default))
            origins[name] = f"default, in the project folder {table_path.parent}"
        else:
            origins[name] = "default"
    return Settings(**values, origins=origins)
