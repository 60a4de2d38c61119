"""Faithfulness on the board: rankings by deletion/insertion area, and how far they agree with planted truth.

A record of the main grid carries ``record["faithfulness"]`` (see
`benchmark.scores.faithfulness`): the mean logit drop when the top-ranked
positions are replaced by shuffled bases (deletion area) and the mean rise
when they are restored into a shuffle (insertion area). Both need only the
model, so they rank methods on any model and sequences. Whether that ranking
says the same as the planted-truth auPRC is measured here, per model: Kendall's
tau across methods between the two scores, then its mean over models with a
bootstrap interval over models.

Rows use the board's usual records: main grid, status ok, models that pass the
fidelity gate (`benchmark.analysis.tables.analysis_records`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import kendalltau

from benchmark.analysis import tables

CURVES = ("deletion", "insertion")
#: A mean tau whose whole 95% interval lies at or above this is read as "faithfulness ranks methods as planted truth does".
AGREEMENT_BAR = 0.5


def area(record: dict, curve: str = "deletion") -> float | None:
    """The record's deletion or insertion area (logit units), or None when it has none."""
    faith = record.get("faithfulness") or {}
    value = faith.get(f"{curve}_area")
    return float(value) if value is not None and np.isfinite(value) else None


def scored_records(records: list[dict]) -> list[dict]:
    """Gated main-grid records that carry faithfulness scores."""
    kept, _ = tables.analysis_records(records)
    return [r for r in kept if area(r) is not None]


def by_model(records: list[dict], score) -> dict[tuple, dict[str, float]]:
    """(task, model, seed) -> config -> score(record), for records where score is not None."""
    out: dict[tuple, dict[str, float]] = defaultdict(dict)
    for record in records:
        value = score(record)
        if value is not None:
            out[tables.group_key(record)][tables.display_config(record)] = value
    return dict(out)


def bootstrap_mean(values: list[float], n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): a percentile 95% interval from resampling the values (one per model)."""
    data = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    if len(data) == 0:
        return float("nan"), float("nan"), float("nan")
    if len(data) == 1:
        return float(data[0]), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(n_boot, len(data)))].mean(axis=1)
    return float(data.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def ranking(records: list[dict], task: str, kind: str = "keras") -> list[dict]:
    """Rows for one task and model kind, best deletion area first.

    Each row: config, deletion and insertion area (mean over models, with a
    bootstrap interval over models), mean rank by deletion area within a model,
    the number of models, and whether the row is a control.
    """
    chosen = [r for r in scored_records(records) if r["cell"]["task"] == task and r["cell"].get("kind", "keras") == kind]
    per_curve = {curve: by_model(chosen, lambda r, c=curve: area(r, c)) for curve in CURVES}
    ranks: dict[str, list[float]] = defaultdict(list)
    for configs in per_curve["deletion"].values():
        order = sorted(configs, key=lambda c: -configs[c])
        for position, config in enumerate(order, start=1):
            ranks[config].append(position)
    rows = []
    for config in sorted({c for configs in per_curve["deletion"].values() for c in configs}):
        row = {"config": config, "control": config.split("-")[0] in tables.CONTROLS, "n_models": len(ranks[config]),
               "mean_rank": float(np.mean(ranks[config]))}
        for curve in CURVES:
            row[curve] = bootstrap_mean([configs[config] for configs in per_curve[curve].values() if config in configs])
        rows.append(row)
    return sorted(rows, key=lambda row: (-row["deletion"][0], row["config"]))


def agreement(records: list[dict], task: str, kind: str = "keras", curve: str = "deletion") -> dict:
    """Kendall's tau across methods (controls left out) between `curve` area and planted-truth auPRC, per model.

    Returns the mean tau over models with a bootstrap interval over models,
    the per-model taus and the number of methods compared.
    """
    chosen = [r for r in scored_records(records) if r["cell"]["task"] == task and r["cell"].get("kind", "keras") == kind
              and r["cell"]["method"] not in tables.CONTROLS]
    faith = by_model(chosen, lambda r: area(r, curve))
    truth = by_model(chosen, lambda r: tables.value(r))
    taus, n_methods = [], []
    for unit, configs in sorted(faith.items()):
        shared = sorted(set(configs) & set(truth.get(unit, {})))
        if len(shared) < 3:
            continue
        tau = kendalltau([configs[c] for c in shared], [truth[unit][c] for c in shared]).statistic
        if np.isfinite(tau):
            taus.append(float(tau))
            n_methods.append(len(shared))
    mean, low, high = bootstrap_mean(taus)
    return {"task": task, "kind": kind, "curve": curve, "tau": mean, "low": low, "high": high,
            "taus": taus, "n_models": len(taus), "n_methods": max(n_methods, default=0)}


def tasks_with_scores(records: list[dict]) -> list[tuple[str, str]]:
    """Sorted (task, kind) pairs that have faithfulness scores."""
    return sorted({(r["cell"]["task"], r["cell"].get("kind", "keras")) for r in scored_records(records)})


def reading(rows: list[dict]) -> str:
    """One sentence on when faithfulness alone can stand in for planted truth, from the agreement rows."""
    firm = [f"{r['task']} ({r['kind']})" for r in rows if np.isfinite(r["low"]) and r["low"] >= AGREEMENT_BAR]
    weak = [f"{r['task']} ({r['kind']})" for r in rows if not (np.isfinite(r["low"]) and r["low"] >= AGREEMENT_BAR)]
    if not rows:
        return "No model has both scores yet."
    if not weak:
        return (f"On every task here the deletion ranking agrees with planted truth (mean tau's interval at or above "
                f"{AGREEMENT_BAR}), so on models like these faithfulness alone orders methods as planted truth does.")
    if not firm:
        return (f"On no task here is the agreement firm (mean tau's interval reaching below {AGREEMENT_BAR}): faithfulness "
                "orders methods by what moves the model's logit, which is not the same question as where the planted motifs "
                "are; use it alone to compare methods on one model, not as a stand-in for motif recovery.")
    return (f"Faithfulness agrees firmly with planted truth on {', '.join(firm)} but not on {', '.join(weak)} "
            f"(mean tau's interval at or above {AGREEMENT_BAR} or not): rely on it alone only where the model and task "
            "resemble the first group.")
