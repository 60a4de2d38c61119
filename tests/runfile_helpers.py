"""Shared helpers of the run-file tests: write a run file, and undo what reading one registers."""

from __future__ import annotations

from pathlib import Path

import pytest

SMOKE_MODELS = '[[models]]\nid = "shallow"\narch = "shallow"\n'


def write_run(folder: Path, body: str, name: str = "run.toml") -> Path:
    path = folder / name
    path.write_text(body)
    return path


@pytest.fixture
def isolated_registries():
    """Run files register tasks and architectures process-wide; put both back after a test."""
    from baselines.architectures import ARCHITECTURES
    from benchmark.grid import keys
    from tasks.spec import RUN_SPECS

    entries, specs = ARCHITECTURES.snapshot(), dict(RUN_SPECS)
    yield
    ARCHITECTURES.restore(entries)
    RUN_SPECS.clear()
    RUN_SPECS.update(specs)
    keys.task_key.cache_clear()
    keys.model_key.cache_clear()
