"""One benchmark session: the profile, where results go, and lazily built artifacts.

Datasets, models, weight-randomised copies and ground truths are built the
first time a cell that needs them actually runs (never at collection, never
for a cached cell) and memoised per process. `tasks.build` and
`baselines.get_model` lock their cache directories, so pytest-xdist workers
never build the same artifact twice; the ground-truth cache is locked here.
A build that fails is remembered, so every cell that needs it fails fast with
the same message instead of retrying.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from benchmark.grid import keys
from benchmark.grid.budget import budget
from benchmark.grid.profiles import GridProfile
from benchmark.store.results import Cell
from tasks.cache import REPO_ROOT, cache_root
from benchmark.scores import groundtruth

log = logging.getLogger(__name__)

DEFAULT_RESULTS = REPO_ROOT / "results"
#: The built-in run files whose cells make up the committed board: they share results/.
BOARD_RUNS = ("default", "grammar")
#: The budget item (phase "sanity") of building and converting the weight-randomised copies.
RANDOMISED_COPIES = "randomised copies"


def default_results_dir(profile: str) -> Path:
    """results/ for the board's run files (`BOARD_RUNS`, committed); ``<cache>/results-<profile>`` for the others."""
    return DEFAULT_RESULTS if profile in BOARD_RUNS else Path(cache_root()) / f"results-{profile}"


class BenchmarkSession:
    """Shared state of one pytest session (per xdist worker)."""

    def __init__(self, profile: GridProfile, results_dir: Path, *, progress: bool = True,
                 retry_failed: bool = False, force: bool = False, cell_timeout: float | None = None,
                 verify: bool = False, verify_tolerance: float = 1e-6):
        self.profile = profile
        self.results_dir = Path(results_dir)
        self.progress = progress
        self.retry_failed = retry_failed
        self.force = force
        # seconds per cell's method stage (None: the profile's); verify: recompute and compare (benchmark.grid.verify)
        self.cell_timeout = profile.cell_timeout if cell_timeout is None else cell_timeout
        self.verify = verify
        self.verify_tolerance = verify_tolerance
        self._memo: dict = {}
        self.counts = {"computed": 0, "cached": 0, "failed": 0}
        self.budget = budget()

    # -- identity (cheap: source hashes only) -------------------------------------------------
    def identity(self, cell: Cell) -> dict:
        """The keys that decide whether a stored result of `cell` is still valid."""
        from methods import METHODS  # noqa: PLC0415

        return {
            "task": keys.task_key(cell.task),
            "model": keys.model_key(cell.task, cell.arch, cell.overrides, cell.seed, self.profile.model_profile),
            "method": keys.method_key(METHODS[cell.method].fn),
            "reference": keys.reference_key(cell.reference),
            "scoring": keys.scoring_key(),
            "n_eval": self.profile.eval_size(cell.kind),
            "sanity_n": self.profile.sanity_n,
        }

    # -- lazily built artifacts ---------------------------------------------------------------
    def _get(self, key: tuple, build, phase: str = "", item: str = ""):
        if key not in self._memo:
            try:
                with self.budget.phase(phase, item) if phase else contextlib.nullcontext():  # benchmark.grid.budget
                    self._memo[key] = ("ok", build())
            except Exception as error:  # remembered: later cells fail fast with the same message
                self._memo[key] = ("error", error)
        status, value = self._memo[key]
        if status == "error":
            raise value
        return value

    def dataset(self, task: str):
        import tasks  # noqa: PLC0415

        return self._get(("dataset", task), lambda: tasks.build(task, progress=self.progress), "dataset", task)

    def model(self, cell: Cell):
        import baselines  # noqa: PLC0415

        key = ("model", cell.task, cell.model, cell.seed)
        return self._get(key, lambda: baselines.get_model(
            self.dataset(cell.task), cell.arch, seed=cell.seed, profile=self.profile.model_profile,
            progress=self.progress, **dict(cell.overrides)), "training", model_item(cell))

    def randomized(self, cell: Cell):
        import baselines  # noqa: PLC0415

        key = ("randomized", cell.task, cell.model, cell.seed)
        return self._get(key, lambda: baselines.randomized_copy(self.model(cell), seed=cell.seed + 1),
                         "sanity", RANDOMISED_COPIES)

    def truth(self, cell: Cell):
        n_eval = self.profile.eval_size(cell.kind)
        model_recipe = keys.model_key(cell.task, cell.arch, cell.overrides, cell.seed, self.profile.model_profile)
        key = f"{cell.task}-{cell.model}-s{cell.seed}-{model_recipe}-n{n_eval}-{keys.source_hash('benchmark/scores/groundtruth.py')}"
        return self._get(("truth", key), lambda: groundtruth.cached(self.model(cell), self.dataset(cell.task), n_eval, key),
                         "ground_truth", model_item(cell))

    # -- provenance recorded in each result -----------------------------------------------------
    def dataset_info(self, task: str) -> dict:
        dataset = self.dataset(task)
        manifest = dataset.manifest or {}
        return {
            "name": dataset.name,
            "hash": dataset.hash,
            "length": dataset.length,
            "n_sequences": int(len(dataset.X)),
            "n_eval_available": int(len(dataset.eval_index)),
            "prevalence": dataset.prevalence,
            "motif_set": sorted(dataset.motifs),
            "source": manifest.get("spec", {}).get("source") if isinstance(manifest.get("spec"), dict) else None,
        }

    def model_info(self, cell: Cell) -> dict:
        model = self.model(cell)
        truth = self.truth(cell)
        return {
            "key": model.key,
            "arch": model.arch,
            "kind": model.kind,
            "first_kernel_width": model.first_kernel_width,
            "fidelity": dict(model.fidelity),
            "used_hits": truth.info,
            # a run setting, not an input of the cell: the leaderboard's fidelity gate reads it from here
            "fidelity_threshold": self.profile.fidelity_threshold,
            **({"pretrained": True} if model.params.get("pretrained") else {}),  # a user's trained model, as it is
        }


def model_item(cell: Cell) -> str:
    """The budget item of a cell's model: ``task-model-s<seed>`` (its xdist group)."""
    return f"{cell.task}-{cell.model}-s{cell.seed}"
