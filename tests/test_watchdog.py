"""Hard cell limits (benchmark.grid.watchdog) and the healed-cache note of the run's summary line.

The limit tests run a toy session in a fresh process (tests/watchdog_session.py),
as a grid run does: the cell worker must be forked before TensorFlow runs there.
"""

import json
import subprocess
import sys

import pytest

import conftest as root_conftest
from benchmark.grid import healing, watchdog
from benchmark.grid.runner import run_or_load
from benchmark.scores import groundtruth
from tests.test_benchmark_cell import ToySession, _cell
from tasks.cache import REPO_ROOT


def _run_toy(tmp_path, timeout, methods, slow_model=0.0):
    env_python = [sys.executable, "-m", "tests.watchdog_session", str(tmp_path), str(timeout), ",".join(methods), str(slow_model)]
    done = subprocess.run(env_python, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_method_that_swallows_the_timeout_and_a_long_native_call_are_ended_within_twice_the_limit(tmp_path):
    stubborn, svd, after = _run_toy(tmp_path, 2, ["toy_stubborn", "toy_svd", "gradient"])
    for cell in (stubborn, svd):
        assert cell["status"] == "failed" and cell["stage"] == "method", cell
        assert cell["error"].startswith(f"method {cell['method']} timed out after 2 s"), cell
        assert cell["seconds"] < 4.0, cell  # within 2x the limit: a 4000 x 4000 SVD alone takes minutes here
    assert after["status"] == "ok" and after["worker"], after  # a new worker computes the next cell


def test_a_model_build_that_overruns_the_limit_is_ended_and_its_other_cells_fail_at_once(tmp_path):
    first, second = _run_toy(tmp_path, 1.5, ["gradient", "grad_x_input"], slow_model=60)
    assert first["status"] == "failed" and first["stage"] == "model" and first["seconds"] < 3.0, first
    assert "building the model of toy-toy-s0-gradient-none timed out after 1.5 s" in first["error"]
    assert second["status"] == "failed" and second["seconds"] < 0.5, second
    assert "in an earlier cell; not tried again in this run" in second["error"]


def test_where_tensorflow_already_ran_cells_run_in_process_under_the_cooperative_limit(tmp_path, caplog):
    session = ToySession(tmp_path)  # builds its model here, so a forked worker would hang
    assert "TensorFlow has already run" in watchdog.fork_safe()
    session.cell_timeout = 600
    record, how = run_or_load(session, _cell("gradient"))
    assert record["status"] == "ok" and getattr(session, "_cell_worker", None) is None
    assert watchdog.hard_deadline(2) == 3.0 and watchdog.hard_deadline(1800) == 1980.0


def test_a_healed_ground_truth_cache_is_noted_on_the_record_and_in_the_summary_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))

    class CachedTruthSession(ToySession):
        def truth(self, cell):
            return self._get(("truth",), lambda: groundtruth.cached(self._model, self._data, 8, "toy-truth"))

    session = CachedTruthSession(tmp_path / "results")
    with healing.collect() as healed:
        groundtruth.cached(session._model, session._data, 8, "toy-truth")
    assert healed == []
    archive = tmp_path / "benchmark" / "groundtruth" / "toy-truth.npz"
    archive.write_bytes(archive.read_bytes()[:100])  # truncated, as a killed copy leaves it
    record, how = run_or_load(session, _cell("gradient"))
    assert record["status"] == "ok" and len(record["_healed"]) == 1 and "toy-truth.npz is damaged" in record["_healed"][0]
    assert "_healed" not in json.loads((tmp_path / "results" / _cell("gradient").relpath()).read_text())
    seen = {"cells": 1, "computed": 1, "cached": 0, "failed": 0, "healed": record["_healed"], "models": {}}
    line = root_conftest.summary_line(seen, tmp_path)
    assert line.startswith("motifbench: 1 cells (computed 1, cached 0, failed 0); healed 1 damaged cache (ground-truth cache")


def test_cell_reports_carry_healed_caches_and_models_to_the_summary(monkeypatch):
    config = type("Config", (), {"stash": {root_conftest.SEEN_KEY: {"cells": 0, "cached": 0, "computed": 0, "failed": 0,
                                                                     "healed": [], "models": {}},
                                           root_conftest.BUDGET_KEY: {"shares": []}}})()
    monkeypatch.setattr(root_conftest, "_CONFIG", [config])
    node = "benchmark/test_motif_recovery.py::test_motif_recovery[oct4-basset-s0-gradient-none]"
    model = {"oct4-basset-s0": {"key": "c577", "weights_sha256": "ab12", "how": "trained"}}
    report = pytest.TestReport(node, ("x", 0, "x"), {}, "passed", None, "call",
                               user_properties=[("motifbench", "computed"), ("motifbench_healed", ["model cache x; rebuilding it"]),
                                                ("motifbench_models", model)])
    root_conftest.pytest_runtest_logreport(report)
    seen = config.stash[root_conftest.SEEN_KEY]
    assert seen["computed"] == 1 and seen["healed"] == ["model cache x; rebuilding it"] and seen["models"] == model
    lines = []
    root_conftest.report_models(type("W", (), {"line": lambda self, text: lines.append(text)})(), seen["models"])
    assert "0 restored from the cache, 1 trained in this run" in lines[0]
    assert lines[1] == "  oct4-basset-s0: key c577, weights ab12, trained"


def test_the_worker_round_trip_costs_well_under_a_millisecond_per_cell():
    done = subprocess.run([sys.executable, "-m", "benchmark", "bench", "watchdog"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    each = float(done.stdout.split("each further cell: ")[1].split(" ms")[0])
    assert each < 5.0, done.stdout
