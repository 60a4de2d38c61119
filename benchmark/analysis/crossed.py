"""Inference when models and sequences are both random draws (a crossed design).

Every model of a task is scored on the same eval sequences, a seeded random
sample of the task's test positives. A sequence on which method a beats
method b tends to show it on every model, so the sequence draw is shared by
all models of a task: models and sequences are crossed random factors, and a
verdict that should hold for other trainings *and* other sequences must
resample both. (Resampling each model's sequences on their own, or treating
them as fixed, leaves the shared sequence draw out of the error: measured on
the committed board's variance components, such tests reject a true null about
three times as often as they say.)

The data of one comparison are `Unit`s. A unit is one model (or one matched
set of models, e.g. the same architecture and seed on several tasks); its
value is a sum of ``coef x mean over that task's drawn sequences`` parts, each
part a (S_task,) vector aligned on the task's shared rows (NaN where the cell
did not score that row). Units belong to a ``group`` (the arm of a two-group
comparison) and a ``stratum`` (resampled within; the task by default, as the
tasks of a board are fixed, not drawn).

- **Estimate**: sum over groups of sign x (mean over the group's units of
  each unit's value); every model counts once.
- **SE**: from the crossed bootstrap (`replicates`): per replicate, one draw
  of sequence indices per task, used by every unit of that task, and units
  drawn with replacement within each stratum. Resampling both factors counts
  the model x sequence interaction three times (once in each factor's own
  spread and once as itself), so `variance` combines three bootstraps: with
  V_both, V_models (units only) and V_sequences (sequences only), the
  interaction is V_both − V_models − V_sequences, and the variance of the
  estimate over new models and new sequences is
  V_models + V_sequences − that interaction, with the model part taken per
  stratum and scaled by n / (n − 1): a bootstrap over n models understates
  their spread by that factor, which matters with 3 or 6 models a stratum.
- **CI and p** (`summarise`): estimate ± t(df) x SE, and the two-sided t
  p-value from the same SE, so p < 0.05 exactly when the 95% CI excludes 0;
  df = units − strata (at least 1): the SE rests on few models.
  tests/test_stats_crossed.py simulates boards with the committed board's
  variance components and checks the CI's coverage and the test's
  false-positive rate at alpha 0.05.

Everything is a plain function of NumPy arrays, seeded, so the board renders
the same bytes every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

LEVEL = 0.95
RESAMPLE = ("both", "models", "sequences")


@dataclass(frozen=True)
class Unit:
    """One model (or matched set of models) of a comparison.

    label: shown on the board (e.g. "oct4-basset-s0"). group: its arm ("a" or "b" in a two-group
    comparison, "" otherwise). stratum: units are resampled within their stratum.
    parts: ((task, coef, values (S_task,) float64 aligned on the task's rows), ...).
    """

    label: str
    parts: tuple
    group: str = ""
    stratum: str = ""


def unit(label: str, task: str, values, group: str = "", stratum: str | None = None) -> Unit:
    """A unit of one task: its value is the mean of `values` (S_task,) over the drawn sequences."""
    return Unit(label, ((task, 1.0, np.asarray(values, dtype=np.float64)),), group, task if stratum is None else stratum)


def _check(units: list[Unit], signs: dict[str, float]) -> dict[str, int]:
    """Row counts per task; ValueError naming the unit when parts of one task differ in length or a group has no sign."""
    n_rows: dict[str, int] = {}
    for u in units:
        if u.group not in signs:
            raise ValueError(f"unit {u.label!r} is in group {u.group!r}, which has no sign in {sorted(signs)}")
        for task, _, values in u.parts:
            if values.ndim != 1:
                raise ValueError(f"unit {u.label!r}: values of task {task!r} must be 1-D (S,), got shape {values.shape}")
            if n_rows.setdefault(task, len(values)) != len(values):
                raise ValueError(f"unit {u.label!r}: task {task!r} has {len(values)} rows here and {n_rows[task]} "
                                 "elsewhere; align every unit of a task on the same rows (NaN where unscored)")
    return n_rows


def _draw_counts(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """(n_boot, n) float64: how often each of n items is drawn when n are drawn with replacement, per replicate."""
    picks = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
    return np.bincount(picks.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(np.float64)


def _unit_values(units: list[Unit], weights: dict[str, np.ndarray]) -> np.ndarray:
    """(B, U) unit values when task t's sequences carry weights[t] (B, S_t) (counts of a bootstrap draw)."""
    b = next(iter(weights.values())).shape[0]
    out = np.zeros((b, len(units)))
    by_task: dict[str, list[tuple[int, float, np.ndarray]]] = {}
    for j, u in enumerate(units):
        for task, coef, values in u.parts:
            by_task.setdefault(task, []).append((j, coef, values))
    for task, parts in by_task.items():
        values = np.stack([v for _, _, v in parts], axis=1)  # (S, K)
        finite = np.isfinite(values)
        w = weights[task]
        num = w @ np.where(finite, values, 0.0)
        den = w @ finite.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        for k, (j, coef, _) in enumerate(parts):
            out[:, j] += coef * means[:, k]
    return out


def _combine(values: np.ndarray, counts: np.ndarray, units: list[Unit], signs: dict[str, float]) -> np.ndarray:
    """(B,) estimate from (B, U) unit values and (B, U) unit counts (NaN units drop out of their group's mean)."""
    total = np.zeros(values.shape[0])
    for group, sign in signs.items():
        idx = [j for j, u in enumerate(units) if u.group == group]
        v, c = values[:, idx], counts[:, idx]
        c = np.where(np.isfinite(v), c, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            total += sign * (np.where(c > 0, v, 0.0) * c).sum(1) / c.sum(1)
    return total


def estimate(units: list[Unit], signs: dict[str, float] | None = None) -> float:
    """The effect: sum over groups of sign x mean over the group's units of each unit's value (NaN when a group is empty)."""
    signs = signs or {"": 1.0}
    if not units:
        return float("nan")
    n_rows = _check(units, signs)
    ones = {t: np.ones((1, s)) for t, s in n_rows.items()}
    return float(_combine(_unit_values(units, ones), np.ones((1, len(units))), units, signs)[0])


def strata(units: list[Unit]) -> list[tuple[str, str]]:
    """The (group, stratum) keys units are resampled within, sorted."""
    return sorted({(u.group, u.stratum) for u in units})


def replicates(units: list[Unit], signs: dict[str, float] | None = None, n_boot: int = 1000, seed: int = 0,
               resample: str = "both", only: tuple[str, str] | None = None) -> np.ndarray:
    """(n_boot,) bootstrap replicates of `estimate`; empty without units.

    resample: "both" (the crossed bootstrap: per replicate one draw of sequence indices per task, used
    by every unit of the task, and units drawn with replacement within each stratum), "models" (units
    only, every sequence kept) or "sequences" (sequences only, every unit kept once).
    only: with "models", resample the units of this one (group, stratum) and keep the others as they are.
    """
    if resample not in RESAMPLE:
        raise ValueError(f"resample must be one of {RESAMPLE}, got {resample!r}")
    signs = signs or {"": 1.0}
    if not units:
        return np.zeros(0)
    n_rows = _check(units, signs)
    rng = np.random.default_rng(seed)
    if resample == "models":  # every sequence kept: the unit values are the same in every replicate
        values = np.repeat(_unit_values(units, {t: np.ones((1, s)) for t, s in n_rows.items()}), n_boot, axis=0)
    else:
        values = _unit_values(units, {t: _draw_counts(rng, s, n_boot) for t, s in sorted(n_rows.items())})
    counts = np.ones((n_boot, len(units)))
    if resample != "sequences":
        for key in strata(units):
            if only is not None and key != only:
                continue
            idx = [j for j, u in enumerate(units) if (u.group, u.stratum) == key]
            counts[:, idx] = _draw_counts(rng, len(idx), n_boot)
    return _combine(values, counts, units, signs)


def _var(reps: np.ndarray) -> float:
    reps = reps[np.isfinite(reps)]
    return float(np.var(reps, ddof=1)) if len(reps) >= 2 else float("nan")


def variance(units: list[Unit], signs: dict[str, float] | None = None, n_boot: int = 1000, seed: int = 0) -> float:
    """The estimate's variance over new models and new sequences (see the module docstring).

    V_both, V_models, V_sequences: variances of `replicates` under each `resample`; the interaction
    I = V_both − V_models − V_sequences (at least 0). The model part is V_models with each stratum's share
    (its own bootstrap, `only`) scaled by n / (n − 1), which a bootstrap over n units leaves out.
    Returns model part + V_sequences − I, never below V_sequences or the model part; NaN without
    enough finite replicates.
    """
    both = _var(replicates(units, signs, n_boot, seed, "both"))
    models = _var(replicates(units, signs, n_boot, seed + 1, "models"))
    sequences = _var(replicates(units, signs, n_boot, seed + 2, "sequences"))
    if not all(np.isfinite([both, models, sequences])):
        return float("nan")
    model_part = 0.0
    for i, key in enumerate(strata(units)):
        n = sum(1 for u in units if (u.group, u.stratum) == key)
        if n > 1:
            model_part += n / (n - 1) * _var(replicates(units, signs, n_boot, seed + 3 + i, "models", only=key))
    interaction = max(both - models - sequences, 0.0)
    return max(model_part + sequences - interaction, model_part, sequences)


def degrees_of_freedom(units: list[Unit]) -> int:
    """Units minus resampling strata (at least 1): the df of the t quantile and p-value."""
    return max(1, len(units) - len(strata(units)))


def summarise(units: list[Unit], signs: dict[str, float] | None = None, n_boot: int = 1000, seed: int = 0,
              level: float = LEVEL) -> dict:
    """Estimate, SE, t-based CI and two-sided p of one comparison (see the module docstring).

    Returns {"effect", "se", "ci_low", "ci_high", "p_value", "df", "n_units"}; the statistics are NaN
    when the comparison has no units, and p is NaN when the SE and the effect are both 0.
    """
    signs = signs or {"": 1.0}
    est = estimate(units, signs)
    df = degrees_of_freedom(units)
    out = {"effect": est, "se": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan"),
           "df": df, "n_units": len(units)}
    var = variance(units, signs, n_boot, seed) if np.isfinite(est) else float("nan")
    if not np.isfinite(var):
        return out
    se = float(np.sqrt(var))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    out.update(se=se, ci_low=est - half, ci_high=est + half)
    if se > 0:
        out["p_value"] = float(2 * sps.t.sf(abs(est) / se, df))
    elif est != 0:
        out["p_value"] = 0.0
    return out


def components(values: np.ndarray) -> tuple[float, float, float]:
    """Variance components of a complete (M, S) table of per-sequence values (models x shared sequences).

    Model d_ms = mu + a_m + b_s + e_ms; returns (var a, var b, var e) from the two-way ANOVA mean
    squares (method of moments; a negative estimate is reported as 0). Raises ValueError on NaN or
    fewer than 2 models or sequences.
    """
    d = np.asarray(values, dtype=np.float64)
    if d.ndim != 2 or min(d.shape) < 2 or not np.all(np.isfinite(d)):
        raise ValueError(f"components needs a complete (models, sequences) table with at least 2 of each, got shape "
                         f"{d.shape}{' with NaN' if d.size and not np.all(np.isfinite(d)) else ''}")
    m, s = d.shape
    grand, rows, cols = d.mean(), d.mean(1), d.mean(0)
    ms_rows = s * ((rows - grand) ** 2).sum() / (m - 1)
    ms_cols = m * ((cols - grand) ** 2).sum() / (s - 1)
    resid = d - rows[:, None] - cols[None, :] + grand
    ms_resid = (resid**2).sum() / ((m - 1) * (s - 1))
    return max((ms_rows - ms_resid) / s, 0.0), max((ms_cols - ms_resid) / m, 0.0), float(ms_resid)


def projected_variance(parts: dict[str, tuple[float, float, float]], n_models: dict[str, int], n_sequences: int) -> float:
    """Variance of the mean over models (each once) of a comparison on `n_sequences` shared sequences per task.

    parts: task -> (var a, var b, var e) (`components`); n_models: task -> models. A task's mean has
    variance var_a / M + var_b / n + var_e / (M n); tasks weigh by their share of the models.
    """
    total = sum(n_models.values())
    out = 0.0
    for task, (va, vb, ve) in parts.items():
        m = n_models[task]
        out += (m / total) ** 2 * (va / m + vb / n_sequences + ve / (m * n_sequences))
    return out
