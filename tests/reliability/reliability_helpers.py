"""Assertions shared by the reliability tests."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

MAILTO = "citegraph-tests@example.org"


def cli_command(*args: str) -> list[str]:
    """The command line of ``citegraph ARGS`` run from this checkout."""
    return [sys.executable, "-m", "citegraph.cli", *args]


def server_env(server: Any, **settings: str) -> dict[str, str]:
    """The environment pointing citegraph at a replay server (CITEGRAPH_* settings added as given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEGRAPH_")}
    env.update({"CITEGRAPH_CROSSREF_URL": server.url, "CITEGRAPH_OPENCITATIONS_URL": server.url,
                "CITEGRAPH_MAILTO": MAILTO})
    env.update({f"CITEGRAPH_{k.upper()}": v for k, v in settings.items()})
    return env


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The run failed with ``code``, one ``citegraph: error:`` line naming ``words``, and no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("citegraph: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]
