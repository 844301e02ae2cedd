"""Helpers of the reliability suite: run ``citegraph`` as a user does, in a subprocess."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import cli_command


@pytest.fixture
def run_citegraph() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_citegraph(*args, env=None, timeout=120)``: run the CLI, capture its output, never raise."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        if env is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CITEGRAPH_")}
        return subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture
def seed_file(tmp_path: Path, connected_seeds: list[Any]) -> Path:
    """The 14 connected shared seeds (see ``connected_seeds``) in a plain-text seed file."""
    path = tmp_path / "seeds.txt"
    path.write_text("\n".join(d.original for d in connected_seeds) + "\n", encoding="utf-8")
    return path
