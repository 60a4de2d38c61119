"""benchmark.grid.budget: nested phases are booked once, shares merge across processes, setup moves to the model."""

import json

import numpy as np
import pytest

from benchmark.grid import budget as budget_module
from benchmark.grid.budget import LEFT_OVER, PHASES, Budget


class _FakeClock:
    """Stands in for the `time` module inside benchmark.grid.budget: wall and CPU advance only when told."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now

    def process_time(self):
        return self.now


def test_nested_phase_is_booked_to_the_innermost_only(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(budget_module, "time", clock)
    budget = Budget()
    with budget.phase("training", "m"):
        clock.now += 0.05
        with budget.phase("dataset", "t"):
            clock.now += 0.1
    training, dataset = budget.totals[("training", "m")], budget.totals[("dataset", "t")]
    assert dataset[0] == pytest.approx(0.1) and dataset[1] == pytest.approx(0.1)
    assert training[0] == pytest.approx(0.05)  # the dataset's 0.1 s is not also booked to training
    assert dataset[2] == training[2] == 1


def test_unknown_phase_is_rejected():
    with pytest.raises(ValueError, match="unknown budget phase 'trainig'"):
        with Budget().phase("trainig"):
            pass


def test_drain_returns_only_new_bookings_and_summary_accounts_for_everything():
    budget = Budget()
    budget.add("attribution", "ism", 2.0, 1.5)
    first = budget.drain()
    budget.add("attribution", "ism", 1.0, 1.0)
    budget.rebook(("attribution", "ism"), ("training", "m"), 0.5, 0.25)
    second = budget.drain()
    assert budget.drain()["rows"] == []
    worker = {**second, "pid": -1, "process_cpu": 10.0}  # as if shipped from another process
    result = budget_module.summary([{**first, "pid": -1, "process_cpu": 4.0}, worker], session_wall=5.0,
                                   controller_cpu=1.0, workers=1, rendering=(0.2, 0.1))
    json.dumps(result)  # stored as JSON
    assert set(result["phases"]) == set(PHASES)
    assert result["phases"]["attribution"]["cpu_s"] == pytest.approx(2.25)
    assert result["phases"]["training"]["cpu_s"] == pytest.approx(0.25)
    assert result["total_cpu_s"] == pytest.approx(11.0)  # the worker's last CPU reading + the controller's
    assert result[LEFT_OVER]["cpu_s"] == pytest.approx(11.0 - 2.25 - 0.25 - 0.1)
    assert result[LEFT_OVER]["wall_s"] == pytest.approx(5.0 - 2.5 - 0.5 - 0.2)
    table = budget_module.render(result)
    assert "attribution" in table and LEFT_OVER in table


def test_write_is_skipped_by_the_results_loader(tmp_path):
    from benchmark.store.results import load_all

    budget_module.write(budget_module.summary([], 1.0, 1.0, 1), tmp_path)
    assert (tmp_path / ".budget.json").exists()
    assert load_all(tmp_path) == ([], [])


def test_longest_groups_first_and_makespan():
    costs = {"t-a": 10.0, "t-b": 100.0, "t-c": 30.0}
    groups = ["t-a-s0", "t-c-s0", "t-b-s0", "t-new-s0", "t-b-s1"]
    ordered = budget_module.longest_first(groups, costs)
    assert ordered == ["t-b-s0", "t-b-s1", "t-c-s0", "t-new-s0", "t-a-s0"]  # unknown model: the median cost (30)
    assert budget_module.makespan(ordered, costs, workers=2) <= budget_module.makespan(groups, costs, workers=2)
    assert budget_module.makespan(["t-b-s0", "t-a-s0"], costs, workers=1) == 110.0


def test_drained_shares_hold_only_plain_numbers_even_when_numpy_scalars_are_booked():
    import execnet  # what pytest-xdist ships a worker's share with

    budget = Budget()
    budget.add("attribution", "ism", np.float64(1.5), np.float32(1.0), count=np.int64(2))
    budget.rebook(("attribution", "ism"), ("training", "m"), np.float64(0.5), np.float64(0.25))
    share = budget.drain()
    assert all(type(value) in (str, float, int) for row in share["rows"] for value in row)
    execnet.dumps(share)  # raised DumpError for a NumPy scalar
