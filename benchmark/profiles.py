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

from benchmark.results import Cell


@dataclass(frozen=True)
class ModelVariant:
    """A model to explain: an architecture with overrides, e.g. ``basset_k8``."""

    id: str
    arch: str
    overrides: tuple = ()
    tasks: tuple | None = None  # None: every task of the profile
    tags: tuple = ()  # e.g. ("kernel_width",) for the kernel-width study


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

    def eval_size(self, kind: str) -> int:
        return int(self.n_eval_by_kind.get(kind, self.n_eval))


PROFILES: dict[str, GridProfile] = {}


def register_profile(profile: GridProfile) -> GridProfile:
    PROFILES[profile.name] = profile
    return profile


register_profile(
    GridProfile(
        name="smoke",
        description="tiny generated task and tiny models, every method on a few sequences: the harness end to end",
        tasks=("smoke",),
        models=(
            ModelVariant("shallow", "shallow"),
            ModelVariant("basset", "basset"),
            ModelVariant("gkmsvm", "gkmsvm"),
        ),
        n_eval=12,
        sanity_n=6,
        model_profile="smoke",
        ablations=(Ablation("reference", ("deeplift_rescale",), None, tasks=None, models=("shallow",)),),
        n_eval_by_kind={"gkmsvm": 6},
    )
)

register_profile(
    GridProfile(
        name="default",
        description="the embedded Oct4/MafK ChIP-seq tasks, the simplified task and mafk with hits at random positions "
                    "(a diagnostic for the positional prior), CPU-sized models",
        tasks=("oct4", "mafk", "simplified", "mafk_randompos"),
        models=(
            ModelVariant("basset", "basset"),
            ModelVariant("beluga", "beluga"),
            ModelVariant("shallow", "shallow"),
            # the kernel-width study: Basset with an 8-wide first kernel, on the realistic tasks
            ModelVariant("basset_k8", "basset", (("kernel_width", 8),), tasks=("oct4", "mafk"), tags=("kernel_width",)),
            ModelVariant("gkmsvm", "gkmsvm"),
        ),
        n_eval=200,
        sanity_n=40,
        model_profile="default",
        ablations=(
            # references for DeepLIFT Rescale everywhere (cheap); every reference of every
            # reference-taking method on one model (the paper ran its ablation on Beluga)
            Ablation("reference", ("deeplift_rescale",), ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20"),
                     models=("basset", "beluga")),
            Ablation("reference", ("deeplift_rescale", "deeplift_revealcancel", "deepshap", "integrated_gradients"), None,
                     tasks=("oct4",), models=("beluga",)),
            # parameters of the cheap gradient methods (Majdandzic correction, GradCAM layer) everywhere
            Ablation("params", ("gradient", "grad_x_input", "smoothed_grad_x_input", "gradcam*", "grad_x_activation"),
                     ("none",), full_params=True),
            Ablation("params", ("integrated_gradients",), ("shuffle20",), full_params=True, tasks=("oct4",), models=("beluga",)),
        ),
        n_eval_by_kind={"gkmsvm": 100},
        skip=(("ism", "gkmsvm"),),
    )
)

register_profile(
    GridProfile(
        name="paper",
        description="the paper's scale: 400 bp, full-size models, thousands of eval sequences (GPU / many cores)",
        tasks=("oct4", "mafk", "simplified"),
        models=(
            ModelVariant("basset", "basset"),
            ModelVariant("beluga", "beluga"),
            ModelVariant("basset_k8", "basset", (("kernel_width", 8),), tags=("kernel_width",)),
            ModelVariant("gkmsvm", "gkmsvm"),
        ),
        n_eval=2000,
        sanity_n=200,
        model_profile="paper",
        main_references=("none", "zeros", "avg_composition", "shuffle10", "shuffle20", "shuffle50"),
        ablations=(Ablation("params", ("*",), ("none", "shuffle20"), full_params=True),),
        n_eval_by_kind={"gkmsvm": 500},
        skip=(("ism", "gkmsvm"),),
    )
)


def get_profile(name: str) -> GridProfile:
    """The registered profile `name`; ValueError listing valid names otherwise."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(sorted(PROFILES))}")
    return PROFILES[name]


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
            for seed in profile.seeds:
                for name, spec in methods.items():
                    if kind not in spec.model_kinds:
                        continue
                    if any(fnmatch.fnmatchcase(name, pattern) and kind == k for pattern, k in profile.skip):
                        continue
                    base = dict(task=task, model=variant.id, arch=variant.arch, seed=seed, method=name,
                                overrides=tuple(sorted(variant.overrides)), kind=kind)
                    main_tags = frozenset({"main", *variant.tags})
                    defaults = default_params(spec)
                    params = tuple(sorted(defaults.items()))
                    main_refs = [r for r in spec.references if r in profile.main_references] or [spec.references[0]]
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
