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

import numpy as np

from benchmark.grid import keys
from benchmark.grid.budget import budget
from benchmark.grid.profiles import GridProfile
from benchmark.store.results import Cell
from tasks.cache import REPO_ROOT, cache_root
from benchmark.scores import groundtruth
from tasks.real import has_ground_truth

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
        # model group -> {"key", "weights_sha256", "how": restored | trained | file}: which models this run used
        self.models_used: dict[str, dict] = {}
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
        key = ("model", cell.task, cell.model, cell.seed)
        return self._get(key, lambda: self._load_or_train(cell), "training", model_item(cell))

    def _load_or_train(self, cell: Cell):
        """The cell's model from the cache (restored), else trained; noted in `models_used` with its weights' digest."""
        import baselines  # noqa: PLC0415
        from baselines import byo  # noqa: PLC0415

        dataset = self.dataset(cell.task)
        settings = dict(seed=cell.seed, profile=self.profile.model_profile, **dict(cell.overrides))
        model, how = None, "file" if byo.is_pretrained(cell.arch) else "restored"
        if how == "restored":
            model = baselines.find_model(dataset, cell.arch, **settings)
        if model is None:
            model = baselines.get_model(dataset, cell.arch, progress=self.progress, **settings)
            how = "file" if how == "file" else "trained"
        self.models_used[model_item(cell)] = {"key": model.key, "weights_sha256": weights_digest(model), "how": how}
        return model

    def randomized(self, cell: Cell):
        import baselines  # noqa: PLC0415

        key = ("randomized", cell.task, cell.model, cell.seed)
        return self._get(key, lambda: baselines.randomized_copy(self.model(cell), seed=cell.seed + 1),
                         "sanity", RANDOMISED_COPIES)

    def truth(self, cell: Cell):
        n_eval = self.profile.eval_size(cell.kind)
        dataset = self.dataset(cell.task)
        if not has_ground_truth(dataset):  # a real task: the eval rows only, nothing planted to score against
            return self._get(("truth", cell.task, n_eval), lambda: no_truth(dataset, n_eval))
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
            "weights_sha256": weights_digest(model),  # which draw of the model: the same recipe trained elsewhere differs
            "used_hits": truth.info,
            # a run setting, not an input of the cell: the leaderboard's fidelity gate reads it from here
            "fidelity_threshold": self.profile.fidelity_threshold,
            **({"pretrained": True} if model.params.get("pretrained") else {}),  # a user's trained model, as it is
        }


def weights_digest(model) -> str | None:
    """sha256 (12 hex digits) of a model's trained parameters: equal for the same draw, different for a retrained one.

    Keras: the weight arrays (`baselines.model.weights_digest`); a file model: its
    file's digest (its key); another kind: the digests of its cached files but the history.
    Memoised on the model object.
    """
    cached = getattr(model, "_weights_sha256", None)
    if cached:
        return cached
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    from baselines.model import weights_digest as keras_weights  # noqa: PLC0415

    if model.params.get("pretrained"):
        text = str(model.key)
    elif hasattr(model.network, "get_weights"):
        text = keras_weights(model.network)
    elif model.path is not None and (Path(model.path) / "model.json").exists():
        files = json.loads((Path(model.path) / "model.json").read_text()).get("files", {})
        text = json.dumps({k: v for k, v in sorted(files.items()) if k != "history.json"})
    else:
        return None
    model._weights_sha256 = hashlib.sha256(text.encode()).hexdigest()[:12]
    return model._weights_sha256


def model_item(cell: Cell) -> str:
    """The budget item of a cell's model: ``task-model-s<seed>`` (its xdist group)."""
    return f"{cell.task}-{cell.model}-s{cell.seed}"


def no_truth(dataset, n_eval: int):
    """The eval rows of a task without planted truth (`tasks.real`) as a `GroundTruth` with empty masks, status "none".

    Only scores that need no planted truth (faithfulness) apply to its cells.
    """
    rows, X, mask = dataset.eval_set(n_eval)
    empty = np.zeros(np.shape(mask), dtype=bool)
    info = {"status": "none", "reason": "a real task has no planted motifs", "n_hits": 0}
    return groundtruth.GroundTruth(np.asarray(rows), X, empty, empty, ~empty, info, {})
