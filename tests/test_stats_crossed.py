"""Crossed inference (models and sequences both random): calibration on simulated boards, and its pieces."""

import numpy as np
import pytest

from benchmark.analysis import crossed

# Variance components (model, sequence, residual) measured on the committed board (results/, 50 shared eval
# sequences a task) with `crossed.components`, per task: the per-sequence auPRC difference of two methods.
BOARD = {
    # ISM - DeepSHAP (shuffle20) over the 18 CNNs of a task: three quarters of the variance between sequences
    "ism-deepshap, 18 models a task": (18, {"oct4": (2.1e-05, 7.1e-04, 3.47e-03), "mafk": (1.8e-05, 4.3e-04, 1.42e-03)}),
    # GradCAM (paper's) - centre_prior over Basset and Beluga (6 models a task): the model draw dominates
    "gradcam_paper-centre_prior, 6 models a task": (6, {"oct4": (0.129, 0.071, 0.024), "mafk": (0.140, 0.049, 0.024)}),
}


def simulate(rng, parts, n_models, n_seq, mu=0.0):
    """task -> (n_models, n_seq) table: mu + model effect + sequence effect (shared by the task's models) + residual."""
    return {t: mu + np.sqrt(va) * rng.standard_normal((n_models, 1)) + np.sqrt(vb) * rng.standard_normal((1, n_seq))
            + np.sqrt(ve) * rng.standard_normal((n_models, n_seq)) for t, (va, vb, ve) in parts.items()}


def calibration(make_units, n_boards=1000, n_boot=200, seed=0):
    """(CI coverage of the true 0, share of p < 0.05) over `n_boards` boards with no true effect."""
    rng = np.random.default_rng(seed)
    covered = rejected = 0
    for i in range(n_boards):
        units, signs = make_units(rng)
        got = crossed.summarise(units, signs, n_boot=n_boot, seed=i)
        covered += got["ci_low"] <= 0 <= got["ci_high"]
        rejected += got["p_value"] < 0.05
    return covered / n_boards, rejected / n_boards


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOARD))
def test_calibrated_on_boards_with_the_committed_boards_variance_components(name):
    n_models, parts = BOARD[name]

    def make_units(rng):
        board = simulate(rng, parts, n_models, 50)
        return [crossed.unit(f"{t}-{m}", t, board[t][m]) for t in sorted(board) for m in range(n_models)], None

    coverage, false_positives = calibration(make_units)
    assert coverage >= 0.93 and false_positives <= 0.07, (coverage, false_positives)


@pytest.mark.slow
def test_calibrated_for_two_groups_of_three_models_a_task_on_shared_sequences():
    """basset_k8 vs basset: 3 + 3 models a task scored on the same sequences, the group difference tested."""
    parts = {"oct4": (0.01, 0.004, 0.01), "mafk": (0.01, 0.002, 0.01)}

    def make_units(rng):
        units = []
        for task, (va, vb, ve) in parts.items():
            shared = np.sqrt(vb) * rng.standard_normal(50)
            for group in ("a", "b"):
                for m in range(3):
                    values = np.sqrt(va) * rng.standard_normal() + shared + np.sqrt(ve) * rng.standard_normal(50)
                    units.append(crossed.unit(f"{task}-{group}{m}", task, values, group=group))
        return units, {"a": 1.0, "b": -1.0}

    coverage, false_positives = calibration(make_units, n_boards=600)
    assert coverage >= 0.93 and false_positives <= 0.07, (coverage, false_positives)


def test_estimate_is_the_mean_of_unit_means_and_skips_unscored_rows():
    units = [crossed.unit("x", "t", [1.0, 2.0, np.nan]), crossed.unit("y", "t", [3.0, 5.0, 7.0])]
    assert crossed.estimate(units) == pytest.approx(np.mean([1.5, 5.0]))
    two = units + [crossed.unit("z", "t", [0.0, 0.0, 0.0], group="b")]
    assert crossed.estimate(two, {"": 1.0, "b": -1.0}) == pytest.approx(np.mean([1.5, 5.0]))


def test_one_sequence_draw_is_shared_by_every_model_of_a_task():
    """Two models with the same values (one shifted by 1) move together in every replicate: one draw per task."""
    values = np.random.default_rng(0).normal(size=20)
    pair = [crossed.unit("a", "t", values), crossed.unit("b", "t", values + 1)]
    alone = [crossed.unit("a", "t", values)]
    for mode in ("sequences", "both"):
        got = crossed.replicates(pair, n_boot=200, seed=1, resample=mode)
        if mode == "sequences":  # the same draw for both: exactly the single model's replicates, shifted by 0.5
            assert np.allclose(got, crossed.replicates(alone, n_boot=200, seed=1, resample=mode) + 0.5)
        assert np.ptp(got) > 0 and np.array_equal(got, crossed.replicates(pair, n_boot=200, seed=1, resample=mode))
    # a second task's sequences are drawn on their own
    other = pair + [crossed.unit("c", "u", -values)]
    spread = crossed.replicates(other, n_boot=400, seed=2, resample="sequences")
    assert np.std(spread) > 0


def test_a_shared_sequence_effect_widens_the_interval_against_independent_sequences():
    rng = np.random.default_rng(3)
    shared = rng.standard_normal(50)
    crossed_units = [crossed.unit(f"m{m}", "t", shared + 0.1 * rng.standard_normal(50)) for m in range(12)]
    independent = [crossed.unit(f"m{m}", "t", rng.standard_normal(50) + 0.1 * rng.standard_normal(50)) for m in range(12)]
    wide, narrow = crossed.summarise(crossed_units), crossed.summarise(independent)
    assert wide["se"] > 2 * narrow["se"]
    assert wide["ci_low"] < wide["effect"] < wide["ci_high"] and wide["df"] == 11


def test_summary_is_deterministic_and_p_agrees_with_the_interval():
    rng = np.random.default_rng(4)
    units = [crossed.unit(f"{t}{m}", t, 0.05 + rng.standard_normal(30) * 0.2) for t in "ab" for m in range(5)]
    first, second = crossed.summarise(units, seed=7), crossed.summarise(units, seed=7)
    assert first == second
    assert (first["p_value"] < 0.05) == (first["ci_low"] > 0 or first["ci_high"] < 0)
    assert first["n_units"] == 10 and first["df"] == 8


def test_components_recover_known_variances():
    rng = np.random.default_rng(5)
    board = simulate(rng, {"t": (0.04, 0.01, 0.09)}, 400, 400)["t"]
    va, vb, ve = crossed.components(board)
    assert va == pytest.approx(0.04, rel=0.2) and vb == pytest.approx(0.01, rel=0.2) and ve == pytest.approx(0.09, rel=0.05)
    with pytest.raises(ValueError, match="complete"):
        crossed.components(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_projected_variance_falls_with_sequences_only_down_to_the_model_part():
    parts = {"t": (0.001, 0.01, 0.02)}
    v50 = crossed.projected_variance(parts, {"t": 10}, 50)
    v400 = crossed.projected_variance(parts, {"t": 10}, 400)
    assert v400 < v50 and v400 > 0.001 / 10


def test_bad_input_names_the_unit():
    with pytest.raises(ValueError, match="'b'.*align"):
        crossed.estimate([crossed.unit("a", "t", [1.0, 2.0]), crossed.unit("b", "t", [1.0])])
    with pytest.raises(ValueError, match="group 'x'"):
        crossed.estimate([crossed.unit("a", "t", [1.0], group="x")])
    empty = crossed.summarise([])
    assert np.isnan(empty["effect"]) and np.isnan(empty["p_value"]) and empty["n_units"] == 0
