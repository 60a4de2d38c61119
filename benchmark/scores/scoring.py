"""Turning a cell's attribution into its recorded numbers: motif-recovery metrics, faithfulness, the sanity check.

Kept apart from the cell runner (`benchmark.grid.cell`) because this file is part of
every cell's scoring hash (`benchmark.grid.keys`): an edit here recomputes every
stored cell, an edit to the runner does not (the record's shape is covered by
the results schema, `benchmark.store.results.SCHEMA`).
"""

from __future__ import annotations

import numpy as np

from benchmark.scores import degenerate, faithfulness, grammar, metrics
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


def flat_maps(hypothetical: np.ndarray, X: np.ndarray) -> dict:
    """Positions (into the cell's rows) of all-zero or constant maps, per projection (`benchmark.scores.degenerate`)."""
    from methods.registry import project  # noqa: PLC0415 (plain NumPy; methods imports TensorFlow lazily)

    return {p: degenerate.flat_positions(project(hypothetical, X, p)) for p in ("observed", "max_abs")}


#: Infill draws per deleted or inserted position set: enough to average out one shuffle's own motifs.
FAITHFULNESS_DRAWS = 3


def faithfulness_of(model, X: np.ndarray, observed_scores: np.ndarray, seed: int) -> dict:
    """Deletion and insertion scores of an (E, L) observed-base map on the model's logit.

    The infill shuffles depend on the sequences and `seed` only, so every method
    of one model meets the same infill. Per-sequence areas are kept (rounded)
    for paired comparisons; see `benchmark.scores.faithfulness` for the definitions.
    """
    out = faithfulness.faithfulness(X, observed_scores, model.predict_logit, draws=FAITHFULNESS_DRAWS, seed=seed)
    keep = ("fractions", "positions", "order", "draws", "logit_mean", "shuffled_logit_mean",
            "deletion_drop", "deletion_area", "deletion_area_se", "deletion_area_per_sequence",
            "insertion_rise", "insertion_area", "insertion_area_se", "insertion_area_per_sequence")
    return {key: out[key] for key in keep}


def grammar_scores_of(observed_scores: np.ndarray, instances: np.ndarray, rows: np.ndarray) -> dict:
    """Sign, decoy and rule scores of an (E, L) observed-base map on a grammar task's instances (None where undefined).

    See `benchmark.scores.grammar`: ``signed_recovery`` (instances carry the sign the rule
    gives them), ``decoy_auc`` (satisfying instances above decoys), ``rule_score`` (the map
    read as the rule).
    """
    out = {}
    for name, score in (("signed_recovery", grammar.signed_recovery), ("decoy_auc", grammar.decoy_auc),
                        ("rule_score", grammar.rule_score)):
        value = score(observed_scores, instances, rows)
        out[name] = float(value) if np.isfinite(value) else None
    return out


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
