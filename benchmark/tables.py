"""Aggregations of result records into the leaderboard's tables (plain data, no formatting).

A record is one loaded results file (see `benchmark.results`). Metric names
used here: ``truth`` is "all_hits" or "used_hits", ``scoring`` is "abs" or
"pos"; the headline number is the mean per-sequence auPRC of |score| against
all hits (the paper's).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark import metrics

HEADLINE = ("all_hits", "abs")


def group_key(record: dict) -> tuple[str, str, int]:
    cell = record["cell"]
    return cell["task"], cell["model"], int(cell["seed"])


def value(record: dict, truth: str = "all_hits", scoring: str = "abs", stat: str = "auprc_mean") -> float:
    """One summary number of an ok record (NaN when missing)."""
    try:
        got = record["metrics"][truth][scoring][stat]
    except (KeyError, TypeError):
        return float("nan")
    return float("nan") if got is None else float(got)


def per_sequence(record: dict, truth: str = "all_hits", scoring: str = "abs", stat: str = "auprc") -> dict[int, float]:
    """Dataset row -> per-sequence value (NaN where unscored)."""
    values = record["metrics"][truth][scoring][f"per_sequence_{stat}"]
    return {int(r): (np.nan if v is None else float(v)) for r, v in zip(record.get("rows", []), values)}


def ok_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["status"] == "ok"]


def is_simplified(record: dict) -> bool:
    """True for tasks built by the simplified (i.i.d. background) source."""
    source = (record.get("dataset") or {}).get("source")
    return source == "simplified" or (source is None and record["cell"]["task"].startswith("simplified"))


def main_records(records: list[dict]) -> list[dict]:
    """Ok records in the main grid (not only an ablation)."""
    return [r for r in ok_records(records) if "main" in r.get("tags", ["main"])]


def groups(records: list[dict]) -> dict[tuple, list[dict]]:
    """(task, model, seed) -> records, sorted by key."""
    out: dict[tuple, list[dict]] = defaultdict(list)
    for record in records:
        out[group_key(record)].append(record)
    return dict(sorted(out.items()))


def ranks_within(records: list[dict], truth: str = "all_hits", scoring: str = "abs") -> dict[str, float]:
    """config -> rank (1 = best auPRC; ties share the mean rank) among `records` of one group."""
    items = sorted(((r["cell"]["config"], value(r, truth, scoring)) for r in records), key=lambda kv: kv[0])
    items = [(c, v) for c, v in items if np.isfinite(v)]
    if not items:
        return {}
    from scipy.stats import rankdata  # noqa: PLC0415

    ranks = rankdata([-v for _, v in items], method="average")
    return {c: float(rank) for (c, _), rank in zip(items, ranks)}


def overall(records: list[dict], truth: str = "all_hits", scoring: str = "abs", n_boot: int = 1000) -> list[dict]:
    """The overall ranking of method configurations over the main grid.

    Returns rows sorted by mean auPRC (desc), each: config, method, reference,
    auprc (mean over task x model groups of the per-cell mean), ci_low, ci_high
    (bootstrap over sequences within cells), mean_rank (rank within each group,
    averaged), n_groups, auprc_pos, auprc_used, per_1000 (median seconds per
    1,000 sequences), failed (count of failed main cells).
    """
    main = main_records(records)
    by_config: dict[str, list[dict]] = defaultdict(list)
    for record in main:
        by_config[record["cell"]["config"]].append(record)
    rank_lists: dict[str, list[float]] = defaultdict(list)
    for members in groups(main).values():
        for config, rank in ranks_within(members, truth, scoring).items():
            rank_lists[config].append(rank)
    failed = defaultdict(int)
    for record in records:
        if record["status"] == "failed" and "main" in record.get("tags", ["main"]):
            failed[record["cell"]["config"]] += 1
    rows = []
    for config in sorted(set(by_config) | set(failed)):
        members = sorted(by_config.get(config, []), key=group_key)
        arrays = [np.array(list(per_sequence(r, truth, scoring).values())) for r in members]
        estimate, low, high = metrics.bootstrap_mean_ci(arrays, n_boot=n_boot, seed=0)
        runtimes = [r["runtime"]["per_1000_sequences"] for r in members if (r.get("runtime") or {}).get("per_1000_sequences") is not None]
        first = members[0]["cell"] if members else None
        rows.append({
            "config": config,
            "method": first["method"] if first else config.split("-")[0],
            "reference": first["reference"] if first else "",
            "auprc": estimate,
            "ci_low": low,
            "ci_high": high,
            "mean_rank": float(np.mean(rank_lists[config])) if rank_lists.get(config) else float("nan"),
            "n_groups": len(members),
            "auprc_pos": _mean([value(r, truth, "pos") for r in members]),
            "auprc_used": _mean([value(r, "used_hits", scoring) for r in members]),
            "auroc": _mean([value(r, truth, scoring, "auroc_mean") for r in members]),
            "per_1000": float(np.median(runtimes)) if runtimes else float("nan"),
            "failed": failed.get(config, 0),
        })
    return sorted(rows, key=lambda row: (-_nan_low(row["auprc"]), row["config"]))


def _mean(values: list[float]) -> float:
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def _nan_low(x: float) -> float:
    return x if np.isfinite(x) else -np.inf


def find(records: list[dict], **coords) -> list[dict]:
    """Ok records whose cell matches every given coordinate (params compared as dicts)."""
    out = []
    for record in ok_records(records):
        cell = record["cell"]
        if all(cell.get(k) == v for k, v in coords.items()):
            out.append(record)
    return out


def paired(a: dict, b: dict, truth: str = "all_hits", scoring: str = "abs") -> dict:
    """Wilcoxon signed-rank of per-sequence auPRC of two records on their shared rows."""
    va, vb = per_sequence(a, truth, scoring), per_sequence(b, truth, scoring)
    rows = sorted(set(va) & set(vb))
    result = metrics.paired_test(np.array([va[r] for r in rows]), np.array([vb[r] for r in rows]))
    return result


def pooled_paired(pairs: list[tuple[dict, dict]], truth: str = "all_hits", scoring: str = "abs") -> dict:
    """One Wilcoxon test over the per-sequence differences of several (a, b) record pairs pooled."""
    xs, ys = [], []
    for a, b in pairs:
        va, vb = per_sequence(a, truth, scoring), per_sequence(b, truth, scoring)
        rows = sorted(set(va) & set(vb))
        xs += [va[r] for r in rows]
        ys += [vb[r] for r in rows]
    return metrics.paired_test(np.array(xs, dtype=float), np.array(ys, dtype=float))


def fidelity_rows(records: list[dict]) -> list[dict]:
    """One row per (task, model, seed): model key, kernel width, test auROC/auPRC, share of hits used."""
    rows = {}
    for record in ok_records(records):
        key = group_key(record)
        if key in rows:
            continue
        model = record.get("model") or {}
        used = model.get("used_hits") or {}
        fid = model.get("fidelity") or {}
        rows[key] = {
            "task": key[0], "model": key[1], "seed": key[2], "arch": model.get("arch"),
            "kernel": model.get("first_kernel_width"), "auroc": fid.get("test_auroc"), "auprc": fid.get("test_auprc"),
            "hits_used": used.get("n_used"), "hits": used.get("n_hits"), "key": model.get("key"),
        }
    return [rows[k] for k in sorted(rows)]


def dataset_rows(records: list[dict]) -> list[dict]:
    """One row per task: hash, source, length, eval size, prevalence, motif set."""
    rows = {}
    for record in ok_records(records):
        task = record["cell"]["task"]
        data = record.get("dataset") or {}
        all_hits = record["metrics"]["all_hits"]
        rows.setdefault(task, {
            "task": task, "source": data.get("source"), "hash": data.get("hash"), "length": data.get("length"),
            "n_sequences": data.get("n_sequences"), "n_eval": len(record.get("rows", [])),
            "prevalence": all_hits.get("prevalence"), "motifs": data.get("motif_set") or [],
        })
    return [rows[k] for k in sorted(rows)]


def sanity_rows(records: list[dict]) -> list[dict]:
    """Per config (main grid): mean auPRC trained vs weight-randomised model on the sanity sequences, Spearman."""
    by_config: dict[str, list[dict]] = defaultdict(list)
    for record in main_records(records):
        sanity = record.get("sanity") or {}
        if sanity.get("status") == "ok":
            by_config[record["cell"]["config"]].append(sanity)
    rows = []
    for config in sorted(by_config):
        items = by_config[config]
        rows.append({
            "config": config,
            "trained": _mean([s["auprc_trained"] for s in items if s.get("auprc_trained") is not None]),
            "randomized": _mean([s["auprc_randomized"] for s in items if s.get("auprc_randomized") is not None]),
            "spearman": _mean([s["spearman"] for s in items if s.get("spearman") is not None]),
            "n_cells": len(items),
        })
    return rows
