"""Rankings of method configs over models: a mean per task, an overall order, CIs over models and sequences.

A ranking covers the models of one kind in one scope (e.g. the CNNs on the
realistic tasks and their random-position copies), gated by fidelity, and by
default only the registered architectures as registered
(`tables.is_headline_model`): ablation variants count where they are the
subject, not in the ranking. For each config:

- ``by_task``: per task, the mean over its models of each model's mean
  per-sequence value;
- ``auprc``: the mean over tasks of those means, with a 95% CI and p from
  `benchmark.analysis.crossed` (models and each task's shared sequences
  resampled as crossed factors);
- ``margin``: the same for the per-sequence difference with `centre_prior`
  (a scorer that knows only the distance to the centre);
- ``rank``: mean rank within each model over the models every ranked row shares.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark.analysis import crossed
from benchmark.analysis.tables import (FIDELITY_THRESHOLD, HEADLINE, analysis_records, crossed_design, display_config,
                                       is_headline_model, is_realistic, metrics_of, nan_low, paired_values, unit_means,
                                       unit_table, value)

CENTRE_PRIOR = "centre_prior-none"


def comparable_ranks(table: dict[str, dict[tuple, dict[int, float]]]) -> dict[str, dict]:
    """Mean rank of each config over the models every fully-covered config shares.

    Ranks (1 = best unit-mean auPRC, ties averaged) are computed within each
    shared unit among the configs present in all of them, so every rank in
    the table is over the same set of rows and models. The shared units are
    those of the configs with the widest coverage; a config missing from some
    of them gets no rank (``rank`` NaN, ``missing`` = how many).
    Returns config -> {"rank", "n_shared", "missing"}.
    """
    from scipy.stats import rankdata  # noqa: PLC0415

    means = {c: {u: float(np.nanmean(list(v.values()))) if any(np.isfinite(list(v.values()))) else np.nan
                 for u, v in units.items()} for c, units in table.items()}
    if not means:
        return {}
    widest = max(len(m) for m in means.values())
    core = [c for c, m in means.items() if len(m) == widest]
    shared = sorted(set.intersection(*(set(means[c]) for c in core)))
    ranked = sorted(c for c in means if set(shared) <= set(means[c]))
    ranks = defaultdict(list)
    for unit in shared:
        vals = [means[c][unit] for c in ranked]
        finite = [i for i, v in enumerate(vals) if np.isfinite(v)]
        got = rankdata([-vals[i] for i in finite], method="average")
        for i, rank in zip(finite, got):
            ranks[ranked[i]].append(float(rank))
    out = {}
    for c in sorted(means):
        missing = len([u for u in shared if u not in means[c]])
        out[c] = {"rank": float(np.mean(ranks[c])) if ranks.get(c) else float("nan"), "n_shared": len(shared), "missing": missing}
    return out


def task_summary(by_unit: dict[tuple, dict[int, float]], n_boot: int = 1000, seed: int = 0) -> dict:
    """`crossed.summarise` of the mean over tasks of each task's mean over its units, plus ``by_task`` means."""
    units, signs = crossed_design({"": by_unit})
    result = crossed.summarise(units, signs, n_boot=n_boot, seed=seed)
    means = unit_means(by_unit)
    result["by_task"] = {t: _mean([m for k, m in means.items() if k[0] == t]) for t in sorted({k[0] for k in by_unit})}
    result["above"] = int(sum(m > 0 for m in means.values()))
    result["below"] = int(sum(m < 0 for m in means.values()))
    return result


def ranking(records: list[dict], kind: str = "keras", view: tuple = HEADLINE, scope=is_realistic, n_boot: int = 1000,
            default_threshold: float = FIDELITY_THRESHOLD, models=is_headline_model) -> list[dict]:
    """One ranking table: main-grid configs on models of `kind` in `scope` and `models`, gated, under `view`.

    Returns rows sorted by auprc (desc), each: config, auprc (mean over tasks of the task means),
    ci_low, ci_high, p_value (`task_summary`), by_task, n_units, rank / n_shared / missing
    (`comparable_ranks`), margin (`task_summary` of the paired difference with centre_prior, None
    without centre_prior cells), auroc, auprc_pos, auprc_used (means over models, same projection),
    per_1000 (median seconds per 1,000 sequences), failed (failed main cells).
    """
    kept, _ = analysis_records(records, default_threshold)
    chosen = [r for r in kept if r["cell"]["kind"] == kind and scope(r) and models(r)]
    table = unit_table(chosen, view)
    ranks = comparable_ranks(table)
    control = table.get(CENTRE_PRIOR)
    projection, truth, scoring = view
    by_config: dict[str, list[dict]] = defaultdict(list)
    for r in chosen:
        by_config[display_config(r)].append(r)
    failed = defaultdict(int)
    for r in records:
        if (r["status"] == "failed" and "main" in r.get("tags", ["main"]) and r["cell"]["kind"] == kind and scope(r)
                and models(r)):
            failed[display_config(r)] += 1
    rows = []
    for config in sorted(set(table) | set(failed)):
        units = table.get(config, {})
        summary = task_summary(units, n_boot) if units else {"effect": float("nan"), "ci_low": float("nan"),
                                                               "ci_high": float("nan"), "p_value": float("nan"), "by_task": {}}
        margin = None
        if control is not None and config != CENTRE_PRIOR and units:
            margin = task_summary(paired_values(units, control), n_boot)
        members = [r for r in by_config.get(config, []) if metrics_of(r, projection) is not None]
        runtimes = [r["runtime"]["per_1000_sequences"] for r in members if (r.get("runtime") or {}).get("per_1000_sequences") is not None]
        rows.append({
            "config": config, "auprc": summary["effect"], "ci_low": summary["ci_low"], "ci_high": summary["ci_high"],
            "p_value": summary["p_value"], "by_task": summary["by_task"], "n_units": len(units),
            **{k: ranks.get(config, {}).get(k, float("nan")) for k in ("rank", "n_shared", "missing")},
            "margin": margin,
            "auroc": _mean([value(r, truth, scoring, "auroc_mean", projection) for r in members]),
            "auprc_pos": _mean([value(r, truth, "pos", projection=projection) for r in members]),
            "auprc_used": _mean([value(r, "used_hits", scoring, projection=projection) for r in members]),
            "per_1000": float(np.median(runtimes)) if runtimes else float("nan"),
            "failed": failed.get(config, 0),
        })
    return sorted(rows, key=lambda row: (-nan_low(row["auprc"]), row["config"]))


def _mean(values: list[float]) -> float:
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")
