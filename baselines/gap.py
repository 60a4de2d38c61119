"""How sure is a fidelity check row's gap to gkm-SVM? A bootstrap over models and test sequences.

`motifbench models check` compares the mean test auROC of a Keras
architecture over its seeds with gkm-SVM's. Every seed is scored on the same
fixed test split, so averaging seeds removes the training noise but not the
test set's own sampling error: on a small task (about 200 test sequences) two
classifiers' auROCs on one test set differ by chance more than three seeds'
spread shows. This module puts an interval on the gap.

Both sides are scored on the same sequences, the task's whole test split (the
board's gkm-SVM fidelity uses a subsample of it, see `baselines.profiles`).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auroc_by_row(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """auROC of each row of `scores` (S, N) against 0/1 labels `y` (N,): (S,).

    Equal to scikit-learn's `roc_auc_score` row by row (ties count one half): the
    Mann-Whitney U of the positives' ranks. Needs both classes in `y`.
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    positive = np.asarray(y) == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"auROC needs both classes, got {n_pos} positives and {n_neg} negatives")
    ranks = rankdata(scores, axis=1)  # average ranks: a tie counts one half
    return (ranks[:, positive].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def auroc_gap_interval(
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    y: np.ndarray,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean auROC of models `a` minus that of models `b`, with a two-stage bootstrap interval.

    Parameters
    ----------
    scores_a: (S_a, N) scores of S_a models (e.g. one architecture's seeds) on N test sequences.
    scores_b: (S_b, N) scores of S_b models (e.g. gkm-SVM's seeds) on the same sequences.
    y: (N,) 0/1 labels.
    n_boot: bootstrap replicates. level: interval coverage. seed: fixed, so the table repeats.

    Each replicate resamples the models of each side with replacement, then the
    test sequences with replacement within each class (so both classes stay and
    the class balance is the test split's), and takes the difference of mean
    auROCs on those sequences. Both sides share the resampled sequences: the
    interval is for a paired difference.

    Returns
    -------
    (gap, low, high): the observed difference and the percentile interval.
    """
    scores_a = np.atleast_2d(np.asarray(scores_a, dtype=np.float64))
    scores_b = np.atleast_2d(np.asarray(scores_b, dtype=np.float64))
    y = np.asarray(y)
    if scores_a.shape[1] != len(y) or scores_b.shape[1] != len(y):
        raise ValueError(f"scores must cover the {len(y)} labelled sequences, got {scores_a.shape} and {scores_b.shape}")
    gap = float(auroc_by_row(scores_a, y).mean() - auroc_by_row(scores_b, y).mean())
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
    replicates = np.empty(n_boot)
    for b in range(n_boot):
        models_a = rng.integers(0, len(scores_a), len(scores_a))
        models_b = rng.integers(0, len(scores_b), len(scores_b))
        rows = np.concatenate([rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))])
        replicates[b] = (auroc_by_row(scores_a[models_a][:, rows], y[rows]).mean()
                         - auroc_by_row(scores_b[models_b][:, rows], y[rows]).mean())
    alpha = (1 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha])
    return gap, float(low), float(high)
