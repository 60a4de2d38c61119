"""benchmark.grid.cell / session / groundtruth on a toy model and a hand-made dataset (no training).

A failing method, a NaN, or a model that cannot be built must each give a
failed cell with a clear message, stored in results/ and shown in the
leaderboard, while the other cells are kept.
"""

import numpy as np
import pytest

from benchmark.scores import groundtruth, scoring

from benchmark.board import leaderboard

from benchmark.store import results
from benchmark.grid.profiles import GridProfile, ModelVariant
from benchmark.store.results import Cell
from benchmark.grid.runner import run_or_load
from benchmark.grid.session import RANDOMISED_COPIES, BenchmarkSession
from methods import METHODS
from methods.registry import MethodSpec
from tasks.dataset import HIT_DTYPE, Dataset
from baselines.toy import random_onehot, toy_cnn

L = 50


def _dataset(n=40):
    X = random_onehot(n, L, seed=1)
    y = np.array([1, 0] * (n // 2), dtype=np.int8)
    is_test = np.zeros(n, bool)
    is_test[n // 2 :] = True
    hits, mask = [], np.zeros((n, L), bool)
    for row in range(n):
        start = 5 + (row * 7) % 30
        mask[row, start : start + 8] = True
        hits.append((row, "TOY", start, start + 8, "+", 5.0))
    eval_index = np.flatnonzero(is_test & (y == 1))
    return Dataset(name="toy", X=X, y=y, is_test=is_test, mask=mask, hits=np.array(hits, dtype=HIT_DTYPE),
                   eval_index=eval_index, motifs={"TOY": np.full((8, 4), 0.25, np.float32)}, manifest={"hash": "toyhash"})


class ToySession(BenchmarkSession):
    """A BenchmarkSession whose dataset and model are hand-made (no tasks.build, no training)."""

    def __init__(self, results_dir, model_error=None):
        profile = GridProfile(name="toy", tasks=("toy",), models=(ModelVariant("toy", "toy"),), n_eval=8, sanity_n=4)
        super().__init__(profile, results_dir, progress=False)
        self._data = _dataset()
        self._model = toy_cnn(length=L, seed=0)
        self._model.key = "toykey"
        self._model_error = model_error

    def identity(self, cell):
        return {"task": "toyhash", "model": "toykey", "method": cell.method, "n_eval": 8}

    def dataset(self, task):
        return self._data

    def model(self, cell):
        if self._model_error:
            raise self._model_error
        return self._model

    def randomized(self, cell):
        return toy_cnn(length=L, seed=5)

    def truth(self, cell):
        return self._get(("truth",), lambda: groundtruth.compute(self._model, self._data, 8))


def _cell(method, reference="none"):
    return Cell(task="toy", model="toy", arch="toy", seed=0, method=method, reference=reference, tags=frozenset({"main"}))


@pytest.fixture
def broken_methods():
    def boom(model, X, references, *, seed=0):
        raise ValueError("boom on purpose")

    def nan(model, X, references, *, seed=0):
        out = np.zeros(X.shape, np.float32)
        out[1, 3, 0] = np.nan
        return out

    saved = METHODS.snapshot()
    METHODS.replace("toy_boom", MethodSpec("toy_boom", boom, ("keras",), ("none",)))
    METHODS.replace("toy_nan", MethodSpec("toy_nan", nan, ("keras",), ("none",)))
    yield
    METHODS.restore(saved)


def test_ok_cell_has_metrics_sanity_runtime_and_rows(tmp_path):
    session = ToySession(tmp_path)
    record, how = run_or_load(session, _cell("grad_x_input"))
    assert how == "computed" and record["status"] == "ok", record.get("error")
    assert set(record["metrics"]) == {"all_hits", "used_hits", "used_hits@0.9", "used_hits@0.99"}
    assert set(record["metrics_max_abs"]) == set(record["metrics"])
    assert len(record["rows"]) == 8 and record["runtime"]["per_1000_sequences"] >= 0
    assert record["sanity"]["status"] == "ok"
    assert record["model"]["used_hits"]["n_hits"] == 8
    again, how = run_or_load(session, _cell("grad_x_input"))
    stored = results.load(results.result_path(tmp_path, _cell("grad_x_input")))
    assert how == "cached" and again["metrics"] == stored["metrics"]
    assert stored["metrics_max_abs"] == again["metrics_max_abs"] == results.rounded(record["metrics_max_abs"])


def test_converting_the_randomised_copy_is_booked_to_the_copies_not_to_the_method(tmp_path):
    session = ToySession(tmp_path)  # its randomised copy is a new network per cell, so each is converted
    before = dict(session.budget.totals)
    record, _ = run_or_load(session, _cell("deeplift_rescale", "zeros"))
    assert record["status"] == "ok" and record["sanity"]["status"] == "ok", record.get("error")

    def cpu(item):
        return session.budget.totals.get(("sanity", item), (0.0, 0.0, 0))[1] - before.get(("sanity", item), (0.0, 0.0, 0))[1]

    copies, method = cpu(RANDOMISED_COPIES), cpu("deeplift_rescale")
    assert copies > 0.05  # deeplift's conversion of a Keras model takes a good fraction of a second
    assert method < copies  # what stays with the method: 4 sequences x 1 reference


def test_both_projections_are_stored_and_gradient_equals_grad_x_input_under_each(tmp_path):
    """gradient and grad_x_input return the same array: only the projection differed, so both stored views agree."""
    from benchmark.analysis import tables

    session = ToySession(tmp_path)
    for method in ("gradient", "grad_x_input"):
        run_or_load(session, _cell(method))
    records, _ = results.load_all(tmp_path)
    by = {r["cell"]["method"]: r for r in records}
    for projection in ("observed", "max_abs"):
        assert tables.metrics_of(by["gradient"], projection) == tables.metrics_of(by["grad_x_input"], projection)
    assert tables.value(by["gradient"]) != tables.value(by["gradient"], projection="max_abs")
    assert tables.display_config(by["gradient"]) == "grad_x_input-none"


def test_method_error_and_nan_become_failed_cells_and_the_leaderboard_lists_them(tmp_path, broken_methods):
    session = ToySession(tmp_path)
    boom, _ = run_or_load(session, _cell("toy_boom"))
    nan, _ = run_or_load(session, _cell("toy_nan"))
    good, _ = run_or_load(session, _cell("gradient"))
    assert boom["status"] == "failed" and "boom on purpose" in boom["error"] and "toy_boom" in boom["error"]
    assert nan["status"] == "failed" and "NaN" in nan["error"]
    assert good["status"] == "ok"
    records, problems = results.load_all(tmp_path)
    assert len(records) == 3 and not problems
    text = leaderboard.render_all(records, problems)["provenance"]
    assert "## Failed cells" in text and "toy-toy-s0-toy_boom-none" in text and "boom on purpose" in text


def test_a_model_that_cannot_be_built_fails_its_cells_with_the_reason(tmp_path):
    session = ToySession(tmp_path, model_error=FileNotFoundError("no weights for toy"))
    record, _ = run_or_load(session, _cell("gradient"))
    assert record["status"] == "failed"
    assert "model for toy-toy-s0-gradient-none failed" in record["error"] and "no weights for toy" in record["error"]


def test_main_cells_record_faithfulness_and_ablation_cells_do_not(tmp_path):
    session = ToySession(tmp_path)
    main, _ = run_or_load(session, _cell("grad_x_input"))
    faith = main["faithfulness"]
    assert faith["fractions"] == [0.01, 0.02, 0.05, 0.1, 0.2] and faith["draws"] == 3
    assert len(faith["deletion_area_per_sequence"]) == len(main["rows"])
    assert np.isfinite(faith["deletion_area"]) and np.isfinite(faith["insertion_area"])
    assert ("faithfulness", "grad_x_input") in session.budget.totals  # booked as its own phase
    ablation = Cell(task="toy", model="toy", arch="toy", seed=0, method="ism", reference="none",
                    tags=frozenset({"ablation:reference"}))
    record, _ = run_or_load(session, ablation)
    assert record["status"] == "ok" and "faithfulness" not in record
