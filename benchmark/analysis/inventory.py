"""What the board lists beside the rankings: models and their fidelity, tasks, sanity checks, flat maps.

Plain rows from result records (no statistics); the board formats them.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark.analysis.tables import (HEADLINE, display_config, flat_rows, group_key, main_records, ok_records,
                                       per_sequence)


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
            "used_by_fraction": used.get("n_used_by_quantile") or used.get("n_used_by_fraction") or {},
            "threshold_kind": "quantile" if "n_used_by_quantile" in used else "fraction",
            "used_status": used.get("status", "ok"), "used_reason": used.get("reason", ""),
            "shared": used.get("n_hits_in_shared_blocks"),
        }
    return [rows[k] for k in sorted(rows)]


def extra_truths(records: list[dict]) -> list[str]:
    """The "used hits" ground truths at other thresholds present in the records (``used_hits@<fraction>``), sorted."""
    found = set()
    for record in ok_records(records):
        found |= {k for k in (record.get("metrics") or {}) if k.startswith("used_hits@")}
    return sorted(found, key=lambda k: float(k.split("@")[1]))


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


def _mean(values: list[float]) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def flat_counts(records: list[dict], view: tuple = HEADLINE) -> dict[str, dict]:
    """Per config (main grid, ok cells): flat maps under the view's projection.

    Returns config -> {"models": models with at least one flat map, "of": models, "maps": flat maps,
    "of_maps": maps scored}; configs without a flat map are left out.
    """
    projection = view[0]
    out: dict[str, dict] = defaultdict(lambda: {"models": 0, "of": 0, "maps": 0, "of_maps": 0})
    seen = set()
    for record in main_records(records):
        key = (display_config(record), group_key(record))
        if key in seen or not per_sequence(record, *view[1:], projection=projection):
            continue
        seen.add(key)
        entry = out[key[0]]
        flat = len(flat_rows(record, projection))
        entry["of"] += 1
        entry["of_maps"] += len(record.get("rows") or [])
        entry["models"] += flat > 0
        entry["maps"] += flat
    return {config: dict(entry) for config, entry in sorted(out.items()) if entry["maps"]}
