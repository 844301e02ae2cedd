"""Settings precedence: flag > CITEGRAPH_* env > [tool.citegraph] > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from citegraph.config import find_pyproject, load_settings
from citegraph.errors import ConfigError


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.citegraph]\n{table}\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    return sub


def test_each_layer_wins_over_the_next(tmp_path: Path) -> None:
    sub = _project(tmp_path, 'mailto = "toml@example.org"\ntimeout = 7\nretries = 2\nstore = "db/x.sqlite"')
    env = {"CITEGRAPH_TIMEOUT": "9", "CITEGRAPH_RETRIES": "4"}
    s = load_settings({"retries": 1}, env=env, start_dir=sub)
    assert s.retries == 1 and s.origins["retries"] == "flag"
    assert s.timeout == 9.0 and s.origins["timeout"] == "env CITEGRAPH_TIMEOUT"
    assert s.mailto == "toml@example.org" and s.origins["mailto"] == str(tmp_path / "pyproject.toml")
    # relative paths in pyproject.toml are relative to that file
    assert s.store == tmp_path / "db" / "x.sqlite"
    assert s.crossref_url == "https://api.crossref.org" and s.origins["crossref_url"] == "default"


def test_empty_env_value_is_ignored(tmp_path: Path) -> None:
    s = load_settings({}, env={"CITEGRAPH_MAILTO": ""}, start_dir=None)
    assert s.mailto is None and s.origins["mailto"] == "default"


def test_url_trailing_slash_is_dropped() -> None:
    s = load_settings({"crossref_url": "http://127.0.0.1:8000/"}, env={}, start_dir=None)
    assert s.crossref_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "flags, env, message",
    [
        ({"mailto": "nobody"}, {}, "mailto = 'nobody' (from flag): expected an e-mail address"),
        ({}, {"CITEGRAPH_RETRIES": "many"}, "retries = 'many' (from env CITEGRAPH_RETRIES): expected a whole number"),
        ({}, {"CITEGRAPH_TIMEOUT": "0"}, "must be greater than 0"),
        ({"crossref_url": "ftp://x"}, {}, "expected an http:// or https:// URL"),
        ({}, {"CITEGRAPH_RETRIES": "-1"}, "must be 0 or more"),
    ],
)
def test_bad_values_name_value_origin_and_what_is_valid(flags: dict, env: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(flags, env=env, start_dir=None)
    assert message in str(info.value)


def test_unknown_pyproject_key_lists_valid_keys(tmp_path: Path) -> None:
    sub = _project(tmp_path, 'mail_to = "x@example.org"')
    expected = r"unknown key\(s\) in \[tool.citegraph\]: mail_to; valid keys: store, mailto"
    with pytest.raises(ConfigError, match=expected):
        load_settings({}, env={}, start_dir=sub)


def test_broken_pyproject_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.citegraph\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings({}, env={}, start_dir=tmp_path)


def test_find_pyproject_walks_up(tmp_path: Path) -> None:
    sub = _project(tmp_path, "")
    assert find_pyproject(sub) == tmp_path / "pyproject.toml"


def test_describe_masks_token() -> None:
    s = load_settings({"opencitations_token": "secret"}, env={}, start_dir=None)
    rows = {name: (value, origin) for name, value, origin in s.describe()}
    assert rows["opencitations_token"] == ("***", "flag")


def test_the_openalex_key_comes_from_env_or_pyproject_and_is_never_shown(tmp_path: Path) -> None:
    s = load_settings({}, env={"CITEGRAPH_OPENALEX_KEY": "k-123"}, start_dir=None)
    assert s.openalex_key == "k-123"
    assert {n: (v, o) for n, v, o in s.describe()}["openalex_key"] == ("***", "env CITEGRAPH_OPENALEX_KEY")
    (tmp_path / "pyproject.toml").write_text('[tool.citegraph]\nopenalex_key = "k-456"\n'
                                             'openalex_url = "http://127.0.0.1:9/"\n')
    s = load_settings({}, env={}, start_dir=tmp_path)
    assert (s.openalex_key, s.openalex_url) == ("k-456", "http://127.0.0.1:9")
    (tmp_path / "pyproject.toml").write_text("[tool.citegraph]\nopenalex_key = 12345678\n")
    with pytest.raises(ConfigError) as err:
        load_settings({}, env={}, start_dir=tmp_path)
    assert "openalex_key = ***" in str(err.value) and "12345678" not in str(err.value)
