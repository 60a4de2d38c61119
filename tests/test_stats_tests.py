"""Model-level tests and Holm's correction against scipy, statsmodels (if installed) and hand-worked values."""

import importlib.util

import numpy as np
import pytest
from scipy import stats as sps

from benchmark.analysis import stats


def test_holm_hand_worked():
    # sorted p: 0.01, 0.02, 0.03, 0.04 (m = 4) -> 0.04, 0.06, 0.06 (monotone), 0.06 (monotone); back in input order
    p = [0.03, 0.01, 0.04, 0.02]
    assert np.allclose(stats.holm(p), [0.06, 0.04, 0.06, 0.06])
    # capped at 1 and NaN left out of the family
    got = stats.holm([0.5, np.nan, 0.4])
    assert got[0] == pytest.approx(0.8) and np.isnan(got[1]) and got[2] == pytest.approx(0.8)
    assert np.allclose(stats.holm([0.9, 0.8]), [1.0, 1.0])


def test_holm_equals_bonferroni_for_the_smallest_and_never_below_raw():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, 30)
    adj = stats.holm(p)
    assert adj[np.argmin(p)] == pytest.approx(min(1.0, p.min() * 30))
    assert (adj >= p - 1e-15).all() and (adj <= 1).all()


@pytest.mark.skipif(importlib.util.find_spec("statsmodels") is None, reason="statsmodels not installed (not a dependency)")
def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(1).uniform(0, 0.1, 25)
    assert np.allclose(stats.holm(p), multipletests(p, method="holm")[1])


def test_model_level_test_is_scipys_wilcoxon_over_model_means():
    diffs = [0.03, -0.01, 0.02, 0.05, 0.04, 0.012, 0.007, -0.002]
    got = stats.model_level_test(diffs)
    assert got["p_value"] == pytest.approx(sps.wilcoxon(diffs).pvalue)
    assert (got["n_units"], got["above"], got["below"]) == (8, 6, 2)
    # hand check: 8 models all above -> exact two-sided p = 2 / 2**8
    assert stats.model_level_test(np.linspace(0.01, 0.08, 8))["p_value"] == pytest.approx(2 / 256)


def test_model_level_test_degrades_clearly_with_few_models():
    one = stats.model_level_test([0.2])
    assert np.isnan(one["p_value"]) and one["note"].startswith("1 model: no model-level test")
    five = stats.model_level_test([0.1] * 5)
    assert np.isnan(five["p_value"]) and "5 models" in five["note"]


def test_sign_test_hand_worked():
    got = stats.sign_test([1, 2, 3, -1, 0, 4])
    assert (got["n"], got["above"], got["below"]) == (5, 4, 1)
    assert got["p_value"] == pytest.approx(2 * (1 + 5) / 32)  # P(X <= 1) doubled


def test_compare_paired_counts_models_not_sequences():
    # 8 models, 1,000 sequences each, all tiny positive shifts: the sequence count must not shrink p below 2/256
    rng = np.random.default_rng(0)
    units = [0.01 + 0.1 * rng.standard_normal(1000) for _ in range(8)]
    got = stats.compare_paired(units, n_boot=200)
    assert got["n_units"] == 8 and got["n_sequences"] == 8000
    assert got["p_value"] >= 2 / 256 - 1e-12
