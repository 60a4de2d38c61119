"""Scores of attribution maps on grammar tasks, beside auPRC: sign, decoys, and the rule.

Every score reads a map as *instance scores*: the mean of the (N, L) map over each
planted instance's span (`instance_scores`). The instance table is a grammar
task's ``Dataset.instances`` (`tasks.grammar_rules.INSTANCE_DTYPE`): each planted
instance's role (satisfying, decoy, repressor, cancelled) and the expected sign of
its contribution under the task's rule. The scores are pure functions of
(maps, instances, rows): no model, no dataset object.

- `signed_recovery`: do instances carry the sign the rule gives them (positive on
  activators, negative on acting repressors)? Balanced over the two signs.
- `decoy_auc`: do satisfying instances score above decoys (the same motifs where
  they do not satisfy the rule)? An AUC; 0.5 for a map that only finds motifs.
- `rule_score`: does the map read as the rule? The weakest member of each
  satisfying set must beat decoys (an AND pair needs both members up), and acting
  repressors must sit below decoys.

A map is (E, L) float (per-position scores; reduce (E, L, 4) contributions first,
e.g. sum over bases of contribution x input). ``rows`` (E,) says which dataset row
each map row is (default 0..E-1); instances of other rows are ignored.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from tasks.grammar_rules import DECOY, REPRESSOR, SATISFYING


def instance_scores(maps: np.ndarray, instances: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean map value over each instance's span.

    Parameters
    ----------
    maps: (E, L) float, finite.
    instances: INSTANCE_DTYPE rows (fields seq, start, end, role, sign; ``seq`` a dataset row).
    rows: (E,) int, the dataset row of each map row. Default is 0..E-1.

    Returns
    -------
    (scores (K,) float64, the K instance rows of `instances` on mapped rows, in table order).

    Example: maps = [[0, 2, 2, 0, -1, -1]], one instance at [1, 3) and one at [4, 6)
    of row 0: scores [2.0, -1.0].
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 2:
        raise ValueError(f"maps must be (E, L) per-position scores, got shape {maps.shape}; "
                         "reduce (E, L, 4) contributions over bases first")
    if not np.isfinite(maps).all():
        raise ValueError(f"maps hold {int((~np.isfinite(maps)).sum())} non-finite values; scores need finite maps")
    rows = np.arange(len(maps)) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.shape != (len(maps),):
        raise ValueError(f"rows must be ({len(maps)},), one dataset row per map row, got shape {rows.shape}")
    if len(np.unique(rows)) != len(rows):
        raise ValueError("rows repeat a dataset row; give each map row its own dataset row")
    where = {int(r): i for i, r in enumerate(rows)}
    kept = instances[np.isin(instances["seq"], rows)]
    if len(kept) and (kept["end"].max() > maps.shape[1] or kept["start"].min() < 0):
        raise ValueError(f"an instance span reaches past the maps' length {maps.shape[1]}; maps and instances "
                         "come from different tasks")
    cumulative = np.concatenate([np.zeros((len(maps), 1)), np.cumsum(maps, axis=1)], axis=1)
    index = np.array([where[int(s)] for s in kept["seq"]], dtype=np.int64)
    sums = cumulative[index, kept["end"]] - cumulative[index, kept["start"]]
    return sums / np.maximum(kept["end"] - kept["start"], 1), kept


def signed_recovery(maps: np.ndarray, instances: np.ndarray, rows: np.ndarray | None = None) -> float:
    """Balanced share of instances whose score has the sign the rule expects.

    Over instances with expected sign +1 (satisfying and cancelled activators) and
    -1 (acting repressors): for each sign present, the share of its instances
    whose score has that sign (a score of exactly 0 counts half); the mean over
    the signs present. Decoys (expected 0) do not enter. NaN when no instance
    has a sign. A non-negative map scores 0.5 when repressors are present and 1.0
    when they are not, so the score speaks to sign only on a task with repressors.

    Example: activators score [2.0, 0.5, -0.1], acting repressors [-1.0, 0.0]:
    activators 2/3 right, repressors (1 + 0.5) / 2 = 0.75, score (2/3 + 0.75) / 2 = 0.708.
    """
    scores, kept = instance_scores(maps, instances, rows)
    parts = []
    for sign in (1, -1):
        mine = scores[kept["sign"] == sign]
        if len(mine):
            parts.append(float(np.mean(np.where(np.sign(mine) == sign, 1.0, np.where(mine == 0, 0.5, 0.0)))))
    return float(np.mean(parts)) if parts else float("nan")


def pairwise_auc(higher: np.ndarray, lower: np.ndarray) -> float:
    """P(a value of `higher` > a value of `lower`), ties counting half (Mann-Whitney U / (n m)).

    NaN when either is empty. Example: higher [3, 1], lower [1, 0]: pairs (3>1, 3>0, 1=1, 1>0) -> 3.5 / 4 = 0.875.
    """
    higher, lower = np.asarray(higher, dtype=np.float64), np.asarray(lower, dtype=np.float64)
    if not len(higher) or not len(lower):
        return float("nan")
    ranks = rankdata(np.concatenate([higher, lower]))  # ties get their average rank
    u = ranks[: len(higher)].sum() - len(higher) * (len(higher) + 1) / 2
    return float(u / (len(higher) * len(lower)))


def decoy_auc(maps: np.ndarray, instances: np.ndarray, rows: np.ndarray | None = None) -> float:
    """AUC of satisfying instances' scores against decoys' scores (`pairwise_auc`).

    1.0: every satisfying instance scores above every decoy; 0.5: the map does not
    tell them apart (it finds motifs, not the rule). NaN when the mapped rows hold
    no satisfying instance or no decoy (e.g. positives only, or the OR control).

    Example (AND task): a positive's A and B score [2.0, 1.0]; a negative's lone A and
    lone B (decoys) score [1.0, 0.0]: pairs 2>1, 2>0, 1=1, 1>0 -> 0.875.
    """
    scores, kept = instance_scores(maps, instances, rows)
    return pairwise_auc(scores[kept["role"] == SATISFYING], scores[kept["role"] == DECOY])


def rule_score(maps: np.ndarray, instances: np.ndarray, rows: np.ndarray | None = None) -> float:
    """How well the map, read as instance scores, follows the task's rule.

    Two checks, each an AUC (`pairwise_auc`) against the decoys' scores:

    - each sequence's satisfying set, scored by its weakest member (min over its
      satisfying instances), above the decoys: an AND or spacing pair counts as
      found only when both members beat a decoy;
    - each acting repressor below the decoys (R beside an A must pull down, a
      lone R does nothing), when the rows hold acting repressors.

    The score is the mean of the checks that apply; NaN without decoys. A map that
    only finds motifs scores 0.5; one that marks a single member of each AND pair
    scores about 0.5 here while `decoy_auc` gives it about 0.75.

    Example (AND task): positive 1 scores A 2.0, B 1.5 (min 1.5); positive 2 A 2.0,
    B 0.0 (min 0.0); decoys score [1.0, 0.5]: the minima beat the decoys in 2 of 4
    pairs -> 0.5. Repressor task: satisfying A's [1.0, 1.0], lone-R decoys
    [0.0, 0.1], acting R's [-1.0, 0.2]: first check 1.0, second (pairs r < d:
    -1<0, -1<0.1, 0.2>0, 0.2>0.1) 0.5, score 0.75.
    """
    scores, kept = instance_scores(maps, instances, rows)
    decoys = scores[kept["role"] == DECOY]
    satisfying = kept["role"] == SATISFYING
    sets = kept["seq"][satisfying]
    weakest = np.array([scores[satisfying][sets == seq].min() for seq in np.unique(sets)])
    checks = [pairwise_auc(weakest, decoys)]
    repressors = scores[kept["role"] == REPRESSOR]
    if len(repressors):
        checks.append(pairwise_auc(decoys, repressors))
    checks = [c for c in checks if not np.isnan(c)]
    return float(np.mean(checks)) if checks else float("nan")
