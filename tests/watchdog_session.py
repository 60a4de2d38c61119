"""A toy benchmark session for the hard time-limit tests, run in a fresh process (``python -m tests.watchdog_session``).

The cell worker is forked from a process where TensorFlow has run nothing, as
in a grid run, so the toy model is built lazily (in the worker). Prints one
JSON line per cell: its id, status, stage, error and the wall seconds it took.
"""

import json
import sys
import time

import numpy as np

from benchmark.grid.profiles import GridProfile, ModelVariant
from benchmark.grid.runner import run_or_load
from benchmark.grid.session import BenchmarkSession
from benchmark.scores import groundtruth
from benchmark.store.results import Cell
from methods import METHODS
from methods.registry import MethodSpec
from tests.test_benchmark_cell import L, _dataset


def stubborn(model, X, references, *, seed=0):
    """Sleeps for a minute and swallows every exception, the cooperative timeout included."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            time.sleep(60)
        except BaseException:  # noqa: BLE001 (on purpose: a method that hides the timeout)
            pass
    return np.zeros(X.shape, np.float32)


def svd(model, X, references, *, seed=0):
    """One long native call: the SVD of a 4000 x 4000 matrix (minutes on 2 cores)."""
    np.linalg.svd(np.random.default_rng(seed).standard_normal((4000, 4000)))
    return np.zeros(X.shape, np.float32)


class LazyToySession(BenchmarkSession):
    """The hand-made toy dataset and model of test_benchmark_cell, the model built on first use; `slow_model` s to build it."""

    def __init__(self, results_dir, slow_model: float = 0.0):
        profile = GridProfile(name="toy", tasks=("toy",), models=(ModelVariant("toy", "toy"),), n_eval=8, sanity_n=4)
        super().__init__(profile, results_dir, progress=False)
        self._data, self._model, self.slow_model = _dataset(), None, slow_model

    def identity(self, cell):
        return {"task": "toyhash", "model": "toykey", "method": cell.method, "n_eval": 8}

    def dataset(self, task):
        return self._data

    def model(self, cell):
        if self._model is None:
            from baselines.toy import toy_cnn  # noqa: PLC0415

            time.sleep(self.slow_model)
            self._model = toy_cnn(length=L, seed=0)
            self._model.key = "toykey"
        return self._model

    def randomized(self, cell):
        from baselines.toy import toy_cnn  # noqa: PLC0415

        return toy_cnn(length=L, seed=5)

    def truth(self, cell):
        return self._get(("truth",), lambda: groundtruth.compute(self.model(cell), self._data, 8))


def main(results_dir: str, timeout: float, methods: list[str], slow_model: float = 0.0) -> None:
    METHODS.replace("toy_stubborn", MethodSpec("toy_stubborn", stubborn, ("keras",), ("none",)))
    METHODS.replace("toy_svd", MethodSpec("toy_svd", svd, ("keras",), ("none",)))
    session = LazyToySession(results_dir, slow_model)
    session.cell_timeout = timeout
    for method in methods:
        cell = Cell(task="toy", model="toy", arch="toy", seed=0, method=method, reference="none", tags=frozenset({"main"}))
        start = time.perf_counter()
        record, how = run_or_load(session, cell)
        print(json.dumps({"method": method, "status": record["status"], "stage": record.get("stage"),
                          "error": record.get("error"), "seconds": time.perf_counter() - start,
                          "worker": getattr(session, "_cell_worker", None) is not None}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3].split(","), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
