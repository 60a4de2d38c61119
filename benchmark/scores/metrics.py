"""Motif-recovery metrics: how well per-position attribution scores find the true motif positions.

Everything here is a plain function of arrays; nothing loads a model.

Shapes: ``scores`` (N, L) float, one score per position (the method's projected
attribution); ``mask`` (N, L) bool, True inside a ground-truth motif hit;
``weight`` (N, L) bool, optional, False where a position is left out of the
evaluation (used by the "used hits" ground truth to drop hits the model
ignores, so they count neither as motif nor as background).

Two scorings are computed from every attribution (`SCORINGS`):

- ``abs``: |score|, the paper's;
- ``pos``: max(score, 0), its positive part (a motif that drives the
  prediction up should score high; negative evidence ranks with background).

auROC and auPRC equal scikit-learn's ``roc_auc_score`` and
``average_precision_score`` (ties included) up to float rounding, computed by
one vectorised sort per row (tests/test_metrics.py checks them against
scikit-learn, which costs a few ms a call: minutes per grid). A sequence
whose evaluated positions are all motif or all background has no defined
auROC and is skipped (NaN), and the summaries say how many sequences were
scored.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from benchmark.store.results import SCORINGS



def score_transform(scores: np.ndarray, scoring: str) -> np.ndarray:
    """Apply a scoring: "abs" -> |s|, "pos" -> max(s, 0). (N, L) -> (N, L) float64."""
    scores = np.asarray(scores, dtype=np.float64)
    if scoring == "abs":
        return np.abs(scores)
    if scoring == "pos":
        return np.maximum(scores, 0.0)
    raise ValueError(f"unknown scoring {scoring!r}; expected one of {SCORINGS}")


def _check(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if scores.ndim != 2 or scores.shape != mask.shape:
        raise ValueError(f"scores {scores.shape} and mask {mask.shape} must both be (N, L) and match")
    if weight is None:
        weight = np.ones_like(mask)
    weight = np.asarray(weight, dtype=bool)
    if weight.shape != mask.shape:
        raise ValueError(f"weight {weight.shape} must match mask {mask.shape}")
    if not np.isfinite(scores).all():
        bad = int((~np.isfinite(scores)).any(axis=1).argmax())
        raise ValueError(f"scores of sequence {bad} contain NaN or inf")
    return scores, mask, weight


def per_sequence(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-sequence auROC and auPRC of `scores` against `mask`.

    Vectorised over sequences; row by row, auROC is scikit-learn's
    ``roc_auc_score`` (average ranks, i.e. the trapezoidal ROC with ties) and
    auPRC its ``average_precision_score`` (sum over distinct thresholds of
    recall increment x precision).

    Parameters
    ----------
    scores: (N, L) already-transformed scores (see `score_transform`).
    mask: (N, L) bool ground truth.
    weight: (N, L) bool or None; positions with False are left out.

    Returns
    -------
    {"auroc": (N,), "auprc": (N,), "prevalence": (N,)} float64, NaN where a
    sequence has no motif or no background position among the evaluated ones.
    """
    scores, mask, weight = _check(scores, mask, weight)
    truth = mask & weight
    n_pos = truth.sum(1).astype(np.float64)
    n_kept = weight.sum(1).astype(np.float64)
    n_neg = n_kept - n_pos
    defined = (n_pos > 0) & (n_neg > 0)
    # left-out positions go strictly below every kept score: they then add nothing to AP,
    # and raise every kept position's rank by the number left out (subtracted below)
    values = np.where(weight, scores, -np.inf)
    n_out = (~weight).sum(1)
    rank_sum, precision_sum = _rank_statistics(values, truth)
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (rank_sum - n_out * n_pos - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
        auprc = precision_sum / n_pos
        prevalence = n_pos / n_kept
    nan = np.full(len(scores), np.nan)
    return {
        "auroc": np.where(defined, auroc, nan),
        "auprc": np.where(defined, auprc, nan),
        "prevalence": np.where(defined, prevalence, nan),
    }


def _rank_statistics(values: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two per-row sums from one sort of (N, L) `values` against (N, L) bool `truth`.

    Returns (rank_sum, precision_sum), each (N,) float64: the sum of the
    positives' ascending ranks (1-based, ties given their average rank: the
    Mann-Whitney sum behind auROC), and the sum over positives of the precision
    at the end of the positive's tie group (P x average precision).
    """
    order = np.argsort(-values, axis=1, kind="stable")  # descending
    s = np.take_along_axis(values, order, axis=1)
    y = np.take_along_axis(truth, order, axis=1).astype(np.float64)
    length = s.shape[1]
    index = np.broadcast_to(np.arange(length), s.shape)
    differs = s[:, :-1] != s[:, 1:]
    is_end = np.ones_like(s, dtype=bool)
    is_end[:, :-1] = differs
    is_start = np.ones_like(s, dtype=bool)
    is_start[:, 1:] = differs
    group_end = np.minimum.accumulate(np.where(is_end, index, length)[:, ::-1], axis=1)[:, ::-1]
    group_start = np.maximum.accumulate(np.where(is_start, index, -1), axis=1)
    # descending places a..b hold ascending ranks length-b .. length-a: their mean is the tie's rank
    ascending_rank = length - (group_start + group_end) / 2.0
    true_positives = np.cumsum(y, axis=1)
    precision_at_end = np.take_along_axis(true_positives, group_end, axis=1) / (group_end + 1)
    return (y * ascending_rank).sum(1), (y * precision_at_end).sum(1)


def mean_sem(values: np.ndarray) -> tuple[float, float, int]:
    """(mean, standard error, n) over the finite entries of `values` (NaN, NaN, 0 if none)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), 0
    sem = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return float(values.mean()), sem, n


def pooled(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    """auROC and auPRC over all evaluated positions of all sequences at once."""
    scores, mask, weight = _check(scores, mask, weight)
    truth = mask[weight]
    values = scores[weight]
    if truth.all() or not truth.any():
        return {"auroc": float("nan"), "auprc": float("nan")}
    row = per_sequence(values[None, :], truth[None, :])
    return {"auroc": float(row["auroc"][0]), "auprc": float(row["auprc"][0])}


def share_inside(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Mean over sequences of (sum of |score| inside motifs) / (sum of |score|) over evaluated positions."""
    scores, mask, weight = _check(scores, mask, weight)
    magnitude = np.abs(scores) * weight
    total = magnitude.sum(1)
    inside = (magnitude * mask).sum(1)
    keep = total > 0
    return float((inside[keep] / total[keep]).mean()) if keep.any() else float("nan")


def signed_contrast(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Mean over sequences of (mean signed score in motifs - mean outside) / mean |score|.

    Normalising by each sequence's mean |score| makes methods with different
    output scales comparable; positive means motifs are scored up. A sequence
    without an evaluated motif or background position, or whose evaluated
    scores are all 0, is skipped.
    """
    scores, mask, weight = _check(scores, mask, weight)
    inside, outside = weight & mask, weight & ~mask
    n_inside, n_outside, n_kept = inside.sum(1), outside.sum(1), weight.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(weight, np.abs(scores), 0.0).sum(1) / n_kept
        contrast = (np.where(inside, scores, 0.0).sum(1) / n_inside - np.where(outside, scores, 0.0).sum(1) / n_outside) / scale
    keep = (n_inside > 0) & (n_outside > 0) & (scale > 0)
    return float(contrast[keep].mean()) if keep.any() else float("nan")


def motif_recovery(scores: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> dict:
    """Every metric of one attribution against one ground truth, for both scorings.

    Parameters
    ----------
    scores: (N, L) raw projected scores (signed).
    mask: (N, L) bool ground truth.
    weight: (N, L) bool or None (positions to evaluate).

    Returns
    -------
    dict with, per scoring in `SCORINGS`, ``{scoring: {"auprc_mean", "auprc_sem",
    "auroc_mean", "auroc_sem", "n_scored", "pooled_auprc", "pooled_auroc",
    "per_sequence_auprc" (list, NaN -> None: the input of paired tests)}}`` and the
    scoring-independent ``"share_inside"``, ``"signed_contrast"``,
    ``"prevalence"`` (pooled share of evaluated positions in motifs) and
    ``"prevalence_mean"`` (mean per-sequence prevalence: the expected auPRC of a
    random scorer).
    """
    scores, mask, weight = _check(scores, mask, weight)
    out: dict = {}
    per_seq = None
    for scoring in SCORINGS:
        transformed = score_transform(scores, scoring)
        per_seq = per_sequence(transformed, mask, weight)
        auprc = mean_sem(per_seq["auprc"])
        auroc = mean_sem(per_seq["auroc"])
        pool = pooled(transformed, mask, weight)
        out[scoring] = {
            "auprc_mean": auprc[0],
            "auprc_sem": auprc[1],
            "auroc_mean": auroc[0],
            "auroc_sem": auroc[1],
            "n_scored": auprc[2],
            "pooled_auprc": pool["auprc"],
            "pooled_auroc": pool["auroc"],
            "per_sequence_auprc": nan_to_none(per_seq["auprc"]),
        }
    out["share_inside"] = share_inside(scores, mask, weight)
    out["signed_contrast"] = signed_contrast(scores, mask, weight)
    evaluated = weight.sum()
    out["prevalence"] = float((mask & weight).sum() / evaluated) if evaluated else float("nan")
    out["prevalence_mean"] = mean_sem(per_seq["prevalence"])[0]
    return out


def nan_to_none(values: np.ndarray, digits: int = 5) -> list:
    """A float array as a JSON-ready list: rounded, NaN -> None."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in np.asarray(values, dtype=np.float64)]


def none_to_nan(values: list) -> np.ndarray:
    """Inverse of `nan_to_none`: a list with None -> float64 array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over sequences of the Spearman correlation between two (N, L) score maps.

    Used for the randomisation sanity check (Adebayo et al. 2018): attributions
    of a trained model and of its weight-randomised copy should differ, so a
    correlation near 1 flags a method that ignores the model.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"score maps must be (N, L) and match, got {a.shape} and {b.shape}")
    values = []
    for row_a, row_b in zip(a, b):
        if np.ptp(row_a) == 0 or np.ptp(row_b) == 0:
            continue
        values.append(stats.spearmanr(row_a, row_b).statistic)
    return float(np.mean(values)) if values else float("nan")


def paired_test(a: list | np.ndarray, b: list | np.ndarray) -> dict:
    """Wilcoxon signed-rank test of per-sequence values of two cells on the same sequences.

    Parameters
    ----------
    a, b: (N,) per-sequence metric values (None/NaN where unscored), same sequences in the same order.

    Returns
    -------
    {"mean_difference": mean(a - b), "p_value": two-sided Wilcoxon p, "n": pairs used,
    "wins": share of pairs with a > b}. p is NaN when fewer than 5 pairs or all differences are 0.
    """
    a = none_to_nan(a) if isinstance(a, list) else np.asarray(a, dtype=np.float64)
    b = none_to_nan(b) if isinstance(b, list) else np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values must cover the same sequences, got {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    diff = a[keep] - b[keep]
    n = int(keep.sum())
    if n == 0:
        return {"mean_difference": float("nan"), "p_value": float("nan"), "n": 0, "wins": float("nan")}
    p = float("nan")
    if n >= 5 and np.any(diff != 0):
        p = float(stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
    return {"mean_difference": float(diff.mean()), "p_value": p, "n": n, "wins": float((diff > 0).mean())}


def bootstrap_mean_ci(groups: list[np.ndarray], n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of group means with a bootstrap CI that resamples sequences within each group.

    Parameters
    ----------
    groups: per-cell arrays of per-sequence values (NaN ignored); the statistic is
        the mean over groups of each group's mean (each task x model counts once).
    n_boot: bootstrap replicates. seed: fixed, so the leaderboard is deterministic.

    Returns
    -------
    (estimate, low, high).
    """
    groups = [np.asarray(g, dtype=np.float64) for g in groups]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    if not groups:
        return float("nan"), float("nan"), float("nan")
    estimate = float(np.mean([g.mean() for g in groups]))
    rng = np.random.default_rng(seed)
    replicates = np.zeros(n_boot)
    for g in groups:
        idx = rng.integers(0, len(g), size=(n_boot, len(g)))
        replicates += g[idx].mean(1)
    replicates /= len(groups)
    alpha = (1 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha])
    return estimate, float(low), float(high)
