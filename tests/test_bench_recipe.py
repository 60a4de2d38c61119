"""benchmark.timing.bench_recipe: the before/after table and its argument check (no training here)."""

import pytest

from benchmark.timing.bench_recipe import comparison_table, main


def _records(cpu: float, aurocs: list[float], arch: str = "basset") -> list[dict]:
    return [{"task": "oct4", "arch": arch, "seed": seed, "cpu_s": cpu, "test_auroc": value}
            for seed, value in enumerate(aurocs)]


def test_table_has_a_row_per_model_group_and_the_ratio_of_mean_cpu():
    before = _records(10.0, [0.80, 0.90]) + _records(20.0, [0.70, 0.70], arch="beluga")
    after = _records(15.0, [0.90, 0.90]) + _records(20.0, [0.80, 0.80], arch="beluga")
    table = comparison_table(before, after)
    assert "| oct4 | basset | 2 | 0.850 (0.071) | 0.900 (0.000) | 10.0 | 15.0 | 1.50 |" in table
    assert "| oct4 | beluga | 2 | 0.700 (0.000) | 0.800 (0.000) | 20.0 | 20.0 | 1.00 |" in table
    assert table.splitlines()[-1] == "| all | all | 4 | 0.775 (0.096) | 0.850 (0.058) | 15.0 | 17.5 | 1.17 |"


def test_before_must_be_a_checkout(tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["--before", str(tmp_path)])
    assert stop.value.code == 2
