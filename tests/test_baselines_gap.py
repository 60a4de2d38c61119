"""The check table's gap to gkm-SVM and its interval (`baselines.gap`)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from baselines.gap import auroc_by_row, auroc_gap_interval


def test_auroc_by_row_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 150)
    scores = np.round(rng.normal(size=(4, 150)) + y, 1)  # rounding makes ties
    expected = [roc_auc_score(y, row) for row in scores]
    assert np.allclose(auroc_by_row(scores, y), expected)


def test_auroc_by_row_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        auroc_by_row(np.zeros((1, 3)), np.ones(3))


def _two_classifiers(rng, n_seq, n_models, separation_b):
    """Scores of two model families on one test set: each family's error per sequence is its own
    (fixed across its seeds), seeds add a little noise on top."""
    y = np.repeat([0, 1], n_seq // 2)
    error_a, error_b = rng.normal(size=n_seq), rng.normal(size=n_seq)
    a = y + error_a + 0.05 * rng.normal(size=(n_models, n_seq))
    b = separation_b * y + error_b + 0.05 * rng.normal(size=(n_models, n_seq))
    return a, b, y


def test_interval_holds_the_gap_and_repeats():
    a, b, y = _two_classifiers(np.random.default_rng(1), 200, 3, separation_b=0.0)
    gap, low, high = auroc_gap_interval(a, b, y, n_boot=300)
    assert gap == pytest.approx(auroc_by_row(a, y).mean() - auroc_by_row(b, y).mean())
    assert low < gap < high and low > 0  # b is at chance: the gap is clear
    assert auroc_gap_interval(a, b, y, n_boot=300) == (gap, low, high)


def test_interval_covers_a_zero_gap_across_test_sets():
    """Equal classifiers: on most fresh test sets the 95% interval contains 0. Seeds barely differ
    here, so an interval over models alone would miss 0 on most test sets."""
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(40):
        a, b, y = _two_classifiers(rng, 100, 3, separation_b=1.0)
        _, low, high = auroc_gap_interval(a, b, y, n_boot=200, seed=int(rng.integers(1 << 30)))
        covered += low <= 0 <= high
    assert covered >= 32


def test_check_table_shows_the_gap():
    from baselines.check import Row, format_table, gap_intervals

    a, b, y = _two_classifiers(np.random.default_rng(3), 120, 3, separation_b=0.5)
    rows = [Row("t", "basset", list(auroc_by_row(a, y)), [1, 1, 1], [5, 5, 5], [0, 0, 0],
                test_scores=list(a), test_labels=y),
            Row("t", "gkmsvm", list(auroc_by_row(b, y)), [1, 1, 1], test_scores=list(b), test_labels=y)]
    gap, low, high = gap_intervals(rows)[("t", "basset")]
    assert f"| {gap:+.3f} [{low:+.3f}, {high:+.3f}] |" in format_table(rows)
    assert ("t", "gkmsvm") not in gap_intervals(rows)


def test_check_figure_adds_the_gap_panel(tmp_path):
    from baselines.check import Row
    from baselines.plots import check_figure

    a, b, y = _two_classifiers(np.random.default_rng(4), 120, 3, separation_b=0.5)
    plain = [Row("t", "basset", list(auroc_by_row(a, y))), Row("t", "gkmsvm", list(auroc_by_row(b, y)))]
    scored = [Row("t", "basset", list(auroc_by_row(a, y)), test_scores=list(a), test_labels=y),
              Row("t", "gkmsvm", list(auroc_by_row(b, y)), test_scores=list(b), test_labels=y)]

    def height(path):  # a PNG's IHDR holds width and height as big-endian 32-bit integers
        return int.from_bytes(path.read_bytes()[20:24], "big")

    assert height(check_figure(scored, tmp_path / "gaps.png")) > height(check_figure(plain, tmp_path / "plain.png"))
