"""Turning a cell's attribution into its recorded numbers: motif-recovery metrics and the sanity check.

Kept apart from the cell runner (`benchmark.grid.cell`) because this file is part of
every cell's scoring hash (`benchmark.grid.keys`): an edit here recomputes every
stored cell, an edit to the runner does not (the record's shape is covered by
the results schema, `benchmark.store.results.SCHEMA`).
"""

from __future__ import annotations

import numpy as np

from benchmark.scores import metrics
from benchmark.store.results import Cell


def score(scores: np.ndarray, truth) -> dict:
    """Metrics of (E, L) scores under both ground truths (see `benchmark.scores.groundtruth`), plus "used hits" at the
    other thresholds as ``used_hits@<fraction>`` (e.g. ``used_hits@0.02``)."""
    out = {
        "all_hits": metrics.motif_recovery(scores, truth.mask),
        "used_hits": metrics.motif_recovery(scores, truth.used, truth.weight),
    }
    for fraction, (used, weight) in sorted(getattr(truth, "by_fraction", {}).items()):
        out[f"used_hits@{fraction}"] = metrics.motif_recovery(scores, used, weight)
    return out


def score_projections(hypothetical: np.ndarray, X: np.ndarray, truth) -> tuple[dict, dict]:
    """`score` of an (E, L, 4) attribution under both projections to one score per position.

    Returns (observed, max_abs): the observed-base projection (the paper's,
    stored as the record's ``metrics`` for every method) and max |.| over the
    four bases (stored as ``metrics_max_abs``). Both have `score`'s layout.
    """
    from methods.registry import project  # noqa: PLC0415 (methods imports TensorFlow lazily; project is plain NumPy)

    return score(project(hypothetical, X, "observed"), truth), score(project(hypothetical, X, "max_abs"), truth)


def sanity(session, cell: Cell, model, truth, trained_scores: np.ndarray, context: dict) -> dict:
    """The cell's method on the weight-randomised model, on the first ``sanity_n`` sequences.

    Returns auPRC (|score|, all hits) of the randomised and the trained model on
    those sequences, and the mean Spearman correlation between the two maps.
    """
    from methods import attribute  # noqa: PLC0415 (imports TensorFlow)

    n = min(session.profile.sanity_n, len(truth.rows))
    if n == 0:
        return {"status": "skipped", "reason": "sanity_n is 0"}
    try:
        random_model = session.randomized(cell)
        out = attribute(cell.method, random_model, truth.X[:n], cell.reference, dict(cell.params),
                        seed=cell.seed, context=context)
    except Exception as error:  # the sanity check is optional: record why it is missing
        return {"status": "failed", "error": f"{type(error).__name__}: {error}"}
    mask = truth.mask[:n]
    randomised = metrics.mean_sem(metrics.per_sequence(np.abs(out.scores), mask)["auprc"])
    trained = metrics.mean_sem(metrics.per_sequence(np.abs(trained_scores[:n]), mask)["auprc"])
    return {
        "status": "ok",
        "n": n,
        "auprc_randomized": randomised[0],
        "auprc_trained": trained[0],
        "spearman": metrics.rank_correlation(np.abs(trained_scores[:n]), np.abs(out.scores)),
    }
