"""benchmark.scores.metrics: motif-recovery metrics, paired tests, bootstrap CI."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmark.scores import metrics


def _mask(n=6, length=40, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros((n, length), bool)
    for i in range(n):
        start = rng.integers(0, length - 8)
        mask[i, start : start + 8] = True
    return mask


def test_perfect_scores_give_auprc_one_and_reversed_give_low():
    mask = _mask()
    perfect = metrics.per_sequence(mask.astype(float), mask)
    assert np.allclose(perfect["auprc"], 1.0) and np.allclose(perfect["auroc"], 1.0)
    reversed_ = metrics.per_sequence((~mask).astype(float) + 0.0, mask)
    assert np.all(reversed_["auroc"] == 0.0)
    assert np.allclose(perfect["prevalence"], 8 / 40)


def test_per_sequence_matches_sklearn_row_by_row():
    rng = np.random.default_rng(1)
    mask = _mask(seed=1)
    scores = rng.normal(size=mask.shape) + mask
    out = metrics.per_sequence(np.abs(scores), mask)
    for i in range(len(mask)):
        assert out["auprc"][i] == pytest.approx(average_precision_score(mask[i], np.abs(scores[i])))
        assert out["auroc"][i] == pytest.approx(roc_auc_score(mask[i], np.abs(scores[i])))


def test_sequences_without_motif_or_background_are_skipped():
    mask = _mask()
    mask[0] = False
    mask[1] = True
    out = metrics.per_sequence(np.random.default_rng(0).random(mask.shape), mask)
    assert np.isnan(out["auprc"][0]) and np.isnan(out["auprc"][1])
    assert np.isfinite(out["auprc"][2:]).all()
    assert metrics.mean_sem(out["auprc"])[2] == len(mask) - 2


def test_weight_excludes_positions():
    mask = np.zeros((1, 10), bool)
    mask[0, :2] = True
    scores = np.zeros((1, 10))
    scores[0, :2] = 1.0
    scores[0, 5] = 5.0  # a high-scoring position we leave out
    weight = np.ones_like(mask)
    assert metrics.per_sequence(scores, mask)["auprc"][0] < 1.0
    weight[0, 5] = False
    assert metrics.per_sequence(scores, mask, weight)["auprc"][0] == pytest.approx(1.0)


def test_positive_part_and_abs_rank_a_negative_motif_differently():
    mask = _mask()
    scores = np.where(mask, -3.0, 0.1)
    out = metrics.motif_recovery(scores, mask)
    assert out["abs"]["auprc_mean"] == pytest.approx(1.0)
    assert out["pos"]["auprc_mean"] < 0.5
    assert out["signed_contrast"] < 0
    assert out["share_inside"] > 0.5


def test_motif_recovery_summary_fields_and_pooled():
    mask = _mask()
    scores = np.where(mask, 2.0, 0.5)
    out = metrics.motif_recovery(scores, mask)
    assert out["prevalence"] == pytest.approx(mask.mean())
    assert out["abs"]["pooled_auprc"] == pytest.approx(1.0)
    assert len(out["abs"]["per_sequence_auprc"]) == len(mask)
    assert out["abs"]["n_scored"] == len(mask)


def test_shape_mismatch_and_nan_are_clear_errors():
    mask = _mask()
    with pytest.raises(ValueError, match="must both be"):
        metrics.per_sequence(np.zeros((2, 3)), mask)
    bad = np.zeros(mask.shape)
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="sequence 3"):
        metrics.motif_recovery(bad, mask)


def test_paired_test_detects_a_real_gap_and_not_a_null_one():
    rng = np.random.default_rng(0)
    a = rng.random(60)
    better = metrics.paired_test(a + 0.05 + rng.normal(0, 0.01, 60), a)
    assert better["mean_difference"] > 0.04 and better["p_value"] < 1e-6 and better["n"] == 60
    null = metrics.paired_test(a + rng.normal(0, 0.05, 60), a + rng.normal(0, 0.05, 60))
    assert null["p_value"] > 0.01
    with_none = metrics.paired_test([0.5, None, 0.7, 0.2, 0.9, 0.4], [0.4, 0.3, None, 0.1, 0.8, 0.3])
    assert with_none["n"] == 4


def test_bootstrap_ci_contains_estimate_and_is_deterministic():
    rng = np.random.default_rng(0)
    groups = [rng.random(50), rng.random(80) * 0.5]
    first = metrics.bootstrap_mean_ci(groups, n_boot=300, seed=0)
    assert first == metrics.bootstrap_mean_ci(groups, n_boot=300, seed=0)
    estimate, low, high = first
    assert low < estimate < high
    assert estimate == pytest.approx((groups[0].mean() + groups[1].mean()) / 2)


def test_rank_correlation_of_identical_maps_is_one():
    rng = np.random.default_rng(0)
    a = rng.random((4, 30))
    assert metrics.rank_correlation(a, a) == pytest.approx(1.0)
    assert abs(metrics.rank_correlation(a, rng.random((4, 30)))) < 0.5


def _scored_case(seed, n, length, ties, keep_share):
    """(scores, mask, weight) with motif-raised scores; ties: rounded positive part (many exact ties and zeros)."""
    rng = np.random.default_rng(seed)
    mask = _mask(n=n, length=length, seed=seed)
    scores = rng.normal(size=mask.shape) + mask
    if ties:
        scores = np.round(np.maximum(scores, 0), 1)
    return scores, mask, rng.random(mask.shape) > 1 - keep_share


@pytest.mark.parametrize("ties", [False, True])
def test_vectorised_metrics_equal_sklearn_with_ties_and_weights(ties):
    scores, mask, weight = _scored_case(3, 30, 60, ties, keep_share=0.8)
    out = metrics.per_sequence(scores, mask, weight)
    for i in range(len(mask)):
        keep = weight[i]
        truth = mask[i][keep]
        if truth.all() or not truth.any():
            assert np.isnan(out["auprc"][i])
            continue
        assert out["auprc"][i] == pytest.approx(average_precision_score(truth, scores[i][keep]), abs=1e-12)
        assert out["auroc"][i] == pytest.approx(roc_auc_score(truth, scores[i][keep]), abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
def test_pooled_equals_sklearn_on_all_evaluated_positions(ties):
    scores, mask, weight = _scored_case(4, 20, 50, ties, keep_share=0.7)
    out = metrics.pooled(scores, mask, weight)
    assert out["auroc"] == pytest.approx(roc_auc_score(mask[weight], scores[weight]), abs=1e-12)
    assert out["auprc"] == pytest.approx(average_precision_score(mask[weight], scores[weight]), abs=1e-12)
    assert np.isnan(metrics.pooled(scores, np.zeros_like(mask))["auprc"])


def test_signed_contrast_is_the_mean_of_per_sequence_contrasts_skipping_undefined_rows():
    rng = np.random.default_rng(5)
    mask = _mask(n=8, length=30, seed=5)
    scores = rng.normal(size=mask.shape) + 2 * mask
    scores[1] = 0.0            # all zero: skipped
    mask[2] = False            # no motif: skipped
    weight = rng.random(mask.shape) > 0.2
    expected = []
    for i in range(len(mask)):
        keep = weight[i]
        inside, outside = keep & mask[i], keep & ~mask[i]
        scale = np.abs(scores[i][keep]).mean()
        if inside.any() and outside.any() and scale > 0:
            expected.append((scores[i][inside].mean() - scores[i][outside].mean()) / scale)
    assert len(expected) == len(mask) - 2
    assert metrics.signed_contrast(scores, mask, weight) == pytest.approx(np.mean(expected), abs=1e-12)
