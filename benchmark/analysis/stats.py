"""Statistics with the trained model as the unit of replication.

One training run is one draw: the same code and seed on another machine trains
a different model, so a verdict must hold across models (task x architecture x
seed), not across the sequences of one model. The functions here take, for
each model ("unit"), the per-sequence values of that model's cell(s), and
test or bootstrap at the model level.

Choices (documented once, used everywhere on the board):

- **Effect** = mean over units of each unit's mean per-sequence value (or
  paired difference): every model counts once, whatever its eval-set size.
- **Model-level test** = two-sided Wilcoxon signed-rank test over the units'
  mean differences (`model_level_test`): it uses the sizes as well as the
  signs, and scipy computes it exactly for small n without ties. Below
  `MIN_UNITS_WILCOXON` units a two-sided Wilcoxon cannot reach p < 0.05
  (n = 5: smallest p is 2/32), so the result says so instead of a p-value. The
  sign test (`sign_test`) is available and its counts ("models agreeing") are
  always reported.
- **CI** = percentile interval of a two-stage (hierarchical) bootstrap
  (`hierarchical_replicates`): resample units with replacement, then the
  sequences within each drawn unit with replacement, recompute the effect.
  Resampling at both stages slightly over-counts the within-unit noise, so the
  interval is a little conservative; tests/test_stats_bootstrap.py measures
  its coverage on simulated data with known between-model variance.
- **Holm** (`holm`): step-down family-wise correction, used for the
  per-model (sequence-level) tests of every finding.
- **Robustness** (`survives_dropping_any_model`): a significant model-level
  result counts as firm only if it stays significant, with the same sign,
  when any one model is left out. With 6 models a Wilcoxon p < 0.05 needs all
  six to agree and dropping one leaves too few to test, so such a verdict is
  fragile by construction.

Everything is a plain function of NumPy arrays; seeds are explicit so the
leaderboard renders the same bytes every time.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_UNITS_WILCOXON = 6


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, same order as the input; NaN entries stay NaN and are not counted.

    The i-th smallest of m finite p-values is multiplied by (m - i + 1), a
    running maximum keeps the adjusted values monotone, and they are capped at 1.
    (N,) -> (N,) float64.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * (m - np.arange(m))
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def sign_test(differences) -> dict:
    """Two-sided exact sign test of unit differences (zeros dropped).

    Returns {"n": units with a non-zero difference, "above": count > 0,
    "below": count < 0, "p_value": binomial p (NaN if n == 0)}.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    above, below = int((d > 0).sum()), int((d < 0).sum())
    n = above + below
    p = float(stats.binomtest(above, n, 0.5).pvalue) if n else float("nan")
    return {"n": n, "above": above, "below": below, "p_value": p}


def model_level_test(differences, min_units: int = MIN_UNITS_WILCOXON) -> dict:
    """Two-sided Wilcoxon signed-rank test over per-unit mean differences.

    Parameters
    ----------
    differences: (M,) one mean difference per model (NaN dropped).
    min_units: below this many units no p-value is computed (see the module docstring).

    Returns
    -------
    {"n_units", "above", "below" (units with a > b / a < b), "p_value" (NaN when
    not tested), "note" ("" or why there is no test, e.g. "1 model: no model-level test")}.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    out = {"n_units": int(len(d)), "above": int((d > 0).sum()), "below": int((d < 0).sum()), "p_value": float("nan"), "note": ""}
    if len(d) < min_units:
        noun = "model" if len(d) == 1 else "models"
        out["note"] = f"{len(d)} {noun}: no model-level test (needs {min_units})"
        return out
    if not np.any(d != 0):
        out["note"] = "all model differences are 0"
        return out
    out["p_value"] = float(stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)
    return out


def _clean(units) -> list[np.ndarray]:
    arrays = [np.asarray(u, dtype=np.float64) for u in units]
    arrays = [a[np.isfinite(a)] for a in arrays]
    return [a for a in arrays if len(a)]


def effect(units) -> float:
    """Mean over units of each unit's mean (NaN values ignored; NaN when no unit has a value)."""
    arrays = _clean(units)
    return float(np.mean([a.mean() for a in arrays])) if arrays else float("nan")


def hierarchical_replicates(units, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Two-stage bootstrap replicates of `effect`: units with replacement, then sequences within each.

    Parameters
    ----------
    units: list of (n_m,) per-sequence values (or paired differences) of each model.
    n_boot: replicates. seed: fixed for deterministic output.

    Returns
    -------
    (n_boot,) float64 replicates (empty when no unit has a value).
    """
    arrays = _clean(units)
    m = len(arrays)
    if m == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, m, size=(n_boot, m))  # which unit fills each slot
    slot_means = np.empty((n_boot, m))
    for j, values in enumerate(arrays):
        where = picks == j
        k = int(where.sum())
        if k == 0:
            continue
        # every time unit j is drawn, its sequences are resampled afresh
        draws = values[rng.integers(0, len(values), size=(k, len(values)))].mean(1)
        slot_means[where] = draws
    return slot_means.mean(1)


def interval(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates ((NaN, NaN) when there are none)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    if len(replicates) == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha])
    return float(low), float(high)


def hierarchical_ci(units, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """(effect, low, high): `effect` of the units with its hierarchical-bootstrap percentile interval."""
    return (effect(units), *interval(hierarchical_replicates(units, n_boot, seed), level))


def paired_units(pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Per unit, the finite paired differences a - b. pairs: [(a (n,), b (n,)), ...] aligned per unit."""
    out = []
    for a, b in pairs:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        keep = np.isfinite(a) & np.isfinite(b)
        out.append(a[keep] - b[keep])
    return out


def compare_paired(units: list[np.ndarray], n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Model-level summary of a paired comparison.

    Parameters
    ----------
    units: per model, the per-sequence differences a - b (see `paired_units`).

    Returns
    -------
    {"effect", "ci_low", "ci_high", "n_units", "above", "below", "p_value",
    "note", "n_sequences", "unit_means" (list)} — `model_level_test` plus the
    hierarchical CI.
    """
    arrays = _clean(units)
    means = [float(a.mean()) for a in arrays]
    result = model_level_test(means)
    est, low, high = hierarchical_ci(arrays, n_boot, seed, level)
    result.update({"effect": est, "ci_low": low, "ci_high": high, "n_sequences": int(sum(len(a) for a in arrays)),
                   "unit_means": means})
    return result


def compare_two_samples(units_a: list[np.ndarray], units_b: list[np.ndarray], n_boot: int = 2000, seed: int = 0,
                        level: float = 0.95) -> dict:
    """Unpaired model-level comparison: is the effect in group a larger than in group b?

    Each unit is one model's per-sequence values (e.g. a method's per-sequence
    gap to another). Test: two-sided Mann-Whitney U over the unit means (no
    p-value with fewer than 2 units a side). CI: difference of two independent
    hierarchical bootstraps.
    """
    a, b = _clean(units_a), _clean(units_b)
    ma, mb = [float(x.mean()) for x in a], [float(x.mean()) for x in b]
    out = {"effect": effect(a) - effect(b) if a and b else float("nan"), "n_units": len(a) + len(b),
           "n_a": len(a), "n_b": len(b), "p_value": float("nan"), "note": "",
           "above": int(sum(x > y for x in ma for y in mb)), "below": int(sum(x < y for x in ma for y in mb))}
    if len(a) < 2 or len(b) < 2:
        out["note"] = f"{len(a)} vs {len(b)} models: no model-level test"
    else:
        out["p_value"] = float(stats.mannwhitneyu(ma, mb, alternative="two-sided").pvalue)
    ra, rb = hierarchical_replicates(a, n_boot, seed), hierarchical_replicates(b, n_boot, seed + 1)
    out["ci_low"], out["ci_high"] = interval(ra - rb, level) if len(ra) and len(rb) else (float("nan"), float("nan"))
    out["mean_a"], out["mean_b"] = effect(a), effect(b)
    return out


def survives_dropping_any_model(differences, alpha: float = 0.05, min_units: int = MIN_UNITS_WILCOXON) -> bool:
    """True when the model-level test of (M,) per-model mean differences stays below `alpha`, with the
    sign of the full effect, after leaving out any one model (leave-one-model-out); False otherwise,
    including when a subset is too small to test.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    sign = np.sign(d.mean()) if len(d) else 0.0
    for i in range(len(d)):
        rest = np.delete(d, i)
        result = model_level_test(rest, min_units)
        p = result["p_value"]
        if not (np.isfinite(p) and p < alpha and np.sign(rest.mean()) == sign):
            return False
    return len(d) > 0
