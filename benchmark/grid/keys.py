"""Cheap content keys for cells: decide "is this result still valid?" without building anything.

A cell's result stays valid while everything that determines it is unchanged:
the dataset (its content hash, which `tasks` computes from the spec, the input
files' sha256 and `TASKS_CODE_VERSION` without building anything), the model
(its cache key, which `baselines` computes from that hash, the resolved
architecture and training settings, the seed and `BASELINES_CODE_VERSION`
without training), the method's own source (plus the project modules it
uses), the reference code and the scoring code. So a warm re-run, or a fresh
clone holding committed results/, checks every cell in milliseconds without
loading a dataset or a model.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import types
from pathlib import Path
from typing import Any

from tasks.cache import REPO_ROOT, content_hash

#: Bump when the scoring changes in a way the hashed files below do not show.
SCORING_VERSION = 1

_SCORING_FILES = ("benchmark/scores/metrics.py", "benchmark/scores/groundtruth.py", "benchmark/scores/scoring.py",
                  "benchmark/scores/faithfulness.py", "benchmark/scores/grammar.py")


@functools.lru_cache(maxsize=None)
def source_hash(path: str) -> str:
    """sha256 (12 hex) of a file's bytes, or "missing" when it does not exist."""
    file = Path(path)
    if not file.is_absolute():
        file = REPO_ROOT / file
    if not file.exists():
        return "missing"
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


@functools.lru_cache(maxsize=None)
def task_key(task: str) -> str:
    """The dataset hash `tasks.build` will give `task` (its spec, input files' sha256, code version).

    Computed from the spec alone, without building; equals ``Dataset.hash``.
    """
    import tasks  # noqa: PLC0415

    return tasks.dataset_key(tasks.load_spec(task))


@functools.lru_cache(maxsize=None)
def model_key(task: str, arch: str, overrides: tuple, seed: int, profile: str) -> str:
    """The cache key `baselines.get_model` will give this model (equals ``TrainedModel.key``), without training."""
    from baselines.store import model_key as baselines_model_key  # noqa: PLC0415

    return baselines_model_key(task_key(task), arch, seed=seed, profile=profile, **dict(overrides))


def method_key(fn: Any) -> str:
    """Hash of a method's module source and of the project helper modules it uses.

    Editing ``methods/ism.py`` changes only ISM's key; editing a shared helper
    (e.g. ``methods/_tf_grad.py``) changes the key of every method using it.
    """
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    files = sorted(_module_files(module)) if module is not None else []
    if not files:  # a function defined outside a file (tests): hash its source text
        try:
            return content_hash({"source": inspect.getsource(fn)})
        except (OSError, TypeError):
            return content_hash({"name": getattr(fn, "__qualname__", repr(fn))})
    files.append(str(REPO_ROOT / "methods" / "registry.py"))
    return content_hash({str(Path(f).name): source_hash(f) for f in sorted(set(files))})


def reference_key(reference: str) -> str:
    """Hash of the reference code (none -> a constant)."""
    if reference == "none":
        return "none"
    return source_hash("methods/references.py")


def scoring_key() -> str:
    """Hash of the code that turns an attribution into metrics."""
    return content_hash({"version": SCORING_VERSION, **{f: source_hash(f) for f in _SCORING_FILES}})


def _module_files(module: types.ModuleType, seen: set | None = None) -> set[str]:
    """The file of `module` plus the files of other methods/ modules it references (recursively).

    Models and datasets are covered by their own keys, so only method code counts here.
    """
    seen = set() if seen is None else seen
    name = getattr(module, "__name__", "")
    file = getattr(module, "__file__", None)
    if name in seen or not file or not _is_project_file(file):
        return set()
    seen.add(name)
    files = {file}
    for value in vars(module).values():
        target = value if isinstance(value, types.ModuleType) else sys.modules.get(getattr(value, "__module__", "") or "")
        if target is not None and target is not module:
            files |= _module_files(target, seen)
    return files


def _is_project_file(file: str) -> bool:
    path = Path(file).resolve()
    try:
        relative = path.relative_to(REPO_ROOT)
    except ValueError:
        return False
    return relative.parts[0] == "methods" and relative.name != "__init__.py"
