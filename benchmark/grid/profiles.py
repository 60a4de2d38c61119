"""Benchmark profiles: which tasks, models, seeds, methods and references make up the grid.

A profile is data (`GridProfile`); `grid_cells` turns it and the method
registry into the list of `Cell`s that conftest parametrises. The rules are
generic, so a new method file gets cells without touching this module:

- main grid: every task x model variant x seed x method the model kind accepts,
  with each of the method's accepted references that is in
  ``main_references`` (or its first accepted reference if none is), and its
  parameters at their defaults (the function's keyword default when it is one
  of the declared values, else the first declared value);
- ablations (`Ablation`): extra references and/or the full parameter grid for
  chosen methods on chosen tasks/models (the reference ablation, IG steps,
  the kernel-width study).

Each cell carries tags naming the leaderboard sections it feeds ("main",
"ablation:reference", ...).
"""

from __future__ import annotations

import fnmatch
import inspect
from dataclasses import dataclass, field
from typing import Any, Iterable

from baselines.model import FIDELITY_GATE
from benchmark.store.results import Cell


#: Test auROC a model needs before its cells are ranked, unless a run file sets another.
DEFAULT_FIDELITY_THRESHOLD = FIDELITY_GATE


@dataclass(frozen=True)
class ModelVariant:
    """A model to explain: an architecture with overrides, e.g. ``basset_k8``."""

    id: str
    arch: str
    overrides: tuple = ()
    tasks: tuple | None = None  # None: every task of the profile
    tags: tuple = ()  # e.g. ("kernel_width",) for the kernel-width study
    source: str = ""  # an architecture file or a pretrained model file (absolute path; run files)
    pretrained: bool = False  # True: `source` is a trained model explained as it is, on the first seed only
    kind: str = "keras"  # the framework of a model file: "keras" or "torch"
    torch: tuple = ()  # a torch model file's declarations, sorted (key, value): layout, output, builder, params


@dataclass(frozen=True)
class Ablation:
    """Extra cells for some methods on some tasks/models."""

    name: str
    methods: tuple  # fnmatch patterns of method names
    references: tuple | None = None  # None: every accepted reference
    full_params: bool = False  # True: every declared parameter value
    tasks: tuple | None = None
    models: tuple | None = None


@dataclass(frozen=True)
class GridProfile:
    """Everything that sizes a benchmark run.

    n_eval: eval sequences scored per cell (the first n of the task's eval set).
    sanity_n: sequences re-attributed on the weight-randomised model per cell.
    model_profile: the `baselines.PROFILES` entry models are trained with.
    n_eval_by_kind: smaller eval sets for slow model kinds (gkm-SVM).
    skip: (method pattern, model kind) pairs left out (e.g. ISM on gkm-SVM: hours).
    methods: fnmatch patterns of the methods on the grid (None: every registered method).
    main_references: the main grid's references (names or fnmatch patterns).
    fidelity_threshold: test auROC a model needs before its cells are ranked.
    cell_timeout: seconds one cell's method stage may run before it becomes a failed cell
        "timed out after N s" (``--cell-timeout`` overrides; None: no limit).
    source: the run file it was read from; task_refs: each task's registered name or spec path;
    task_settings: (field, value) pairs overriding every task's spec.
    check_tasks: build every task at collection and check n_eval against its real eval set.
    """

    name: str
    tasks: tuple
    models: tuple
    seeds: tuple = (0,)
    n_eval: int = 200
    sanity_n: int = 50
    model_profile: str = "default"
    main_references: tuple = ("none", "zeros", "shuffle20")
    ablations: tuple = ()
    n_eval_by_kind: dict = field(default_factory=dict)
    skip: tuple = ()
    description: str = ""
    methods: tuple | None = None
    fidelity_threshold: float = DEFAULT_FIDELITY_THRESHOLD
    cell_timeout: float | None = 1800.0
    source: str = ""
    task_refs: tuple = ()
    task_settings: tuple = ()
    check_tasks: bool = False

    def eval_size(self, kind: str) -> int:
        return int(self.n_eval_by_kind.get(kind, self.n_eval))


def default_params(spec: Any) -> dict:
    """A method's main-grid parameters: its keyword defaults when declared, else the first value."""
    try:
        signature = inspect.signature(spec.fn).parameters
    except (TypeError, ValueError):
        signature = {}
    chosen = {}
    for key, values in spec.params.items():
        default = signature[key].default if key in signature else inspect.Parameter.empty
        chosen[key] = default if default in values else values[0]
    return chosen


def _matches(name: str, patterns: Iterable[str] | None) -> bool:
    return patterns is None or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def grid_cells(profile: GridProfile, methods: Any, arch_kind: Any, only_tasks: Iterable[str] | None = None) -> list[Cell]:
    """Every cell of `profile`, sorted by id, incompatible pairs dropped.

    Parameters
    ----------
    profile: the grid.
    methods: the method registry (name -> MethodSpec with model_kinds, references, params, fn).
    arch_kind: function architecture name -> model kind ("keras" / "gkmsvm").
    only_tasks: restrict to these tasks (None: the profile's).
    """
    cells: dict[str, Cell] = {}

    def add(cell: Cell, defaults: dict) -> None:
        at_default = frozenset(k for k, v in cell.params if k in defaults and defaults[k] == v)
        cell = Cell(**{**cell.__dict__, "defaults": at_default})
        if cell.id in cells:
            cell = Cell(**{**cells[cell.id].__dict__, "tags": cells[cell.id].tags | cell.tags})
        cells[cell.id] = cell

    tasks = [t for t in profile.tasks if only_tasks is None or t in set(only_tasks)]
    for task in tasks:
        for variant in profile.models:
            if variant.tasks is not None and task not in variant.tasks:
                continue
            kind = arch_kind(variant.arch)
            seeds = profile.seeds[:1] if variant.pretrained else profile.seeds  # one trained model: one draw
            for seed in seeds:
                for name, spec in methods.items():
                    if kind not in spec.model_kinds or not _matches(name, profile.methods):
                        continue
                    if any(fnmatch.fnmatchcase(name, pattern) and kind == k for pattern, k in profile.skip):
                        continue
                    base = dict(task=task, model=variant.id, arch=variant.arch, seed=seed, method=name,
                                overrides=tuple(sorted(variant.overrides)), kind=kind)
                    main_tags = frozenset({"main", *variant.tags})
                    defaults = default_params(spec)
                    params = tuple(sorted(defaults.items()))
                    main_refs = [r for r in spec.references if _matches(r, profile.main_references)] or [spec.references[0]]
                    for reference in main_refs:
                        add(Cell(**base, reference=reference, params=params, tags=main_tags), defaults)
                    for ablation in profile.ablations:
                        if not (_matches(name, ablation.methods) and _matches(task, ablation.tasks) and _matches(variant.id, ablation.models)):
                            continue
                        refs = [r for r in spec.references if ablation.references is None or r in ablation.references]
                        grids = spec.param_grid() if ablation.full_params else [dict(params)]
                        for reference in refs:
                            for combo in grids:
                                add(Cell(**base, reference=reference, params=tuple(sorted(combo.items())),
                                         tags=frozenset({f"ablation:{ablation.name}"})), defaults)
    return [cells[key] for key in sorted(cells)]

