"""Model-level statistics that treat each model's sequences as its own: Holm, the sign test, and the
two-stage (hierarchical) bootstrap with a Wilcoxon test over model means.

The board's rankings and findings do not use the two-stage bootstrap: every
model of a task is scored on the same sequences, so models and sequences are
crossed, and `benchmark.analysis.crossed` resamples them as such (a two-stage
bootstrap resamples each model's sequences on its own and, on the board's
variance components, rejects a true null far more often than 5%). It is kept
for callers whose units share no sequences; `holm` and `sign_test` are used
everywhere.

- **Effect** = mean over units of each unit's mean per-sequence value.
- **Model-level test** (`model_level_test`) = two-sided Wilcoxon signed-rank
  test over the units' mean differences; below `MIN_UNITS_WILCOXON` units it
  cannot reach p < 0.05, so the result says so instead of a p-value.
- **CI** (`hierarchical_replicates`) = percentile interval of a two-stage
  bootstrap: units with replacement, then the sequences within each drawn
  unit with replacement.
- **Holm** (`holm`): step-down family-wise correction.

Everything is a plain function of NumPy arrays; seeds are explicit.
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
