"""Aggregations of result records into the leaderboard's tables (plain data, no formatting).

A record is one loaded results file (see `benchmark.store.results`). Metric names
used here: ``projection`` is "observed" (the contribution at the observed
base, the paper's) or "max_abs" (max |.| over the four bases); ``truth`` is
"all_hits" or "used_hits"; ``scoring`` is "abs" or "pos". The headline number
is the mean per-sequence auPRC of |score| of the observed-base projection
against all hits (the paper's).

Where the numbers live in a record: ``metrics`` holds the observed-base
projection and ``metrics_max_abs`` the max |.| projection. Files from before
the second projection have only ``metrics``, in the projection the method
declared (`LEGACY_PROJECTION`: ``gradient`` was scored under max |.|, every
other method at the observed base); the other projection is then missing.

The unit of replication is the trained model (task, model variant, seed):
`ranking` averages over models and takes its CIs from `benchmark.analysis.stats`'
hierarchical bootstrap; models below the fidelity gate (`gate`) are left out.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark.analysis import stats
from benchmark.grid.profiles import DEFAULT_FIDELITY_THRESHOLD

HEADLINE = ("observed", "all_hits", "abs")
PROJECTIONS = ("observed", "max_abs")
LEGACY_PROJECTION = {"gradient": "max_abs"}
#: `gradient` returns grad x input's array (hypothetical contributions = the gradient); only the projection differed.
#: Rows are shown under grad_x_input's name: its max |.| projection *is* saliency.
ALIASES = {"gradient": "grad_x_input"}
FIDELITY_THRESHOLD = DEFAULT_FIDELITY_THRESHOLD  # results that do not carry their run's threshold
CONTROLS = ("random", "centre_prior", "pwm_scan")


def group_key(record: dict) -> tuple[str, str, int]:
    cell = record["cell"]
    return cell["task"], cell["model"], int(cell["seed"])


def metrics_of(record: dict, projection: str = "observed") -> dict | None:
    """The record's metrics under `projection` (None when that projection was not stored; see the module docstring)."""
    if projection not in PROJECTIONS:
        raise ValueError(f"unknown projection {projection!r}; expected one of {PROJECTIONS}")
    if "metrics_max_abs" in record:
        return record.get("metrics") if projection == "observed" else record["metrics_max_abs"]
    declared = LEGACY_PROJECTION.get(record["cell"]["method"], "observed")
    return record.get("metrics") if projection == declared else None


def value(record: dict, truth: str = "all_hits", scoring: str = "abs", stat: str = "auprc_mean",
          projection: str = "observed") -> float:
    """One summary number of an ok record (NaN when missing)."""
    try:
        got = metrics_of(record, projection)[truth][scoring][stat]
    except (KeyError, TypeError):
        return float("nan")
    return float("nan") if got is None else float(got)


def per_sequence(record: dict, truth: str = "all_hits", scoring: str = "abs", stat: str = "auprc",
                 projection: str = "observed") -> dict[int, float]:
    """Dataset row -> per-sequence value (NaN where unscored; empty when the projection is not stored)."""
    chosen = metrics_of(record, projection)
    if chosen is None:
        return {}
    values = chosen[truth][scoring][f"per_sequence_{stat}"]
    return {int(r): (np.nan if v is None else float(v)) for r, v in zip(record.get("rows", []), values)}


def ok_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["status"] == "ok"]


def is_simplified(record: dict) -> bool:
    """True for tasks built by the simplified (i.i.d. background) source."""
    source = (record.get("dataset") or {}).get("source")
    return source == "simplified" or (source is None and record["cell"]["task"].startswith("simplified"))


def is_diagnostic(record: dict) -> bool:
    """True for tasks whose hits were pasted at random positions (spec ``hit_positions = "random"``).

    Read from the record's dataset info when it carries ``hit_positions``,
    else from the task name (the default diagnostic task is ``<task>_randompos``).
    """
    data = record.get("dataset") or {}
    if "hit_positions" in data:
        return data["hit_positions"] == "random"
    return "randompos" in record["cell"]["task"]


def is_grammar(record: dict) -> bool:
    """True for grammar tasks (implanted motif pairs under a labelling rule, `tasks.grammar`)."""
    source = (record.get("dataset") or {}).get("source")
    return source == "grammar" or (source is None and record["cell"]["task"].startswith("grammar"))


def is_realistic(record: dict) -> bool:
    """A realistic task as the paper built it: not simplified, not a grammar task, hits at their original positions."""
    return not is_simplified(record) and not is_diagnostic(record) and not is_grammar(record)


def main_records(records: list[dict]) -> list[dict]:
    """Ok records in the main grid (not only an ablation)."""
    return [r for r in ok_records(records) if "main" in r.get("tags", ["main"])]


def groups(records: list[dict]) -> dict[tuple, list[dict]]:
    """(task, model, seed) -> records, sorted by key."""
    out: dict[tuple, list[dict]] = defaultdict(list)
    for record in records:
        out[group_key(record)].append(record)
    return dict(sorted(out.items()))


def fidelity_threshold(record: dict, default: float = FIDELITY_THRESHOLD) -> float:
    """The fidelity gate's test-auROC threshold: the record's ``fidelity_threshold`` (top level or under
    ``model``; stored from the run file) if present, else `default`."""
    for holder in (record, record.get("model") or {}):
        got = holder.get("fidelity_threshold")
        if got is not None:
            return float(got)
    return default


def gate(records: list[dict], default: float = FIDELITY_THRESHOLD) -> tuple[list[dict], list[dict]]:
    """Split records into (kept, excluded models) by the fidelity gate.

    A model (task, model variant, seed) whose test auROC
    (``record["model"]["fidelity"]["test_auroc"]``) is below its threshold
    (`fidelity_threshold`) is left out of rankings and findings: attributions
    of a model that has not learned the task say nothing about the method.
    Models without a recorded auROC are kept. Returns the kept records and one
    dict per excluded model: task, model, seed, auroc, threshold, reason.
    """
    kept, excluded = [], {}
    for record in records:
        fid = (record.get("model") or {}).get("fidelity") or {}
        auroc = fid.get("test_auroc")
        threshold = fidelity_threshold(record, default)
        if auroc is not None and np.isfinite(auroc) and auroc < threshold:
            key = group_key(record)
            excluded.setdefault(key, {"task": key[0], "model": key[1], "seed": key[2], "auroc": float(auroc),
                                      "threshold": threshold,
                                      "reason": f"test auROC {auroc:.3f} < {threshold:.2f}"})
            continue
        kept.append(record)
    return kept, [excluded[k] for k in sorted(excluded)]


def analysis_records(records: list[dict], default: float = FIDELITY_THRESHOLD) -> tuple[list[dict], list[dict]]:
    """(main-grid ok records that pass the fidelity gate, excluded models): what rankings and findings use."""
    return gate(main_records(records), default)


def reference_of(record: dict) -> str:
    """The reference a record really used. Files written before both projections were stored (no
    ``metrics_max_abs``) predate the rename: their ``avg_composition`` was each sequence's own composition,
    now called ``seq_composition``."""
    reference = record["cell"]["reference"]
    if reference == "avg_composition" and "metrics_max_abs" not in record:
        return "seq_composition"
    return reference


def display_config(record: dict) -> str:
    """The row name of a record: its config, with aliased methods (`ALIASES`) under the method they equal
    and the reference as `reference_of` reads it."""
    cell = record["cell"]
    alias = ALIASES.get(cell["method"])
    config = alias + cell["config"][len(cell["method"]):] if alias else cell["config"]
    if reference_of(record) != cell["reference"]:
        config = config.replace(f"-{cell['reference']}", f"-{reference_of(record)}", 1)
    return config


def unit_table(records: list[dict], view: tuple = HEADLINE) -> dict[str, dict[tuple, dict[int, float]]]:
    """config -> model unit (task, model, seed) -> dataset row -> per-sequence auPRC, under `view`.

    ``view`` = (projection, truth, scoring). A record without that projection
    adds nothing. When an aliased method and the method it equals both give a
    value for one unit, the method's own record wins.
    """
    projection, truth, scoring = view
    out: dict[str, dict[tuple, dict[int, float]]] = defaultdict(dict)
    for record in sorted(records, key=lambda r: (r["cell"]["method"] in ALIASES, r.get("_path", ""), r["cell"]["id"])):
        values = per_sequence(record, truth, scoring, projection=projection)
        if not values:
            continue
        out[display_config(record)].setdefault(group_key(record), values)
    return dict(out)


def unit_arrays(by_unit: dict[tuple, dict[int, float]]) -> list[np.ndarray]:
    """Per unit (sorted), its per-sequence values as an array."""
    return [np.array([v[r] for r in sorted(v)], dtype=np.float64) for _, v in sorted(by_unit.items())]


def paired_unit_differences(a: dict[tuple, dict[int, float]], b: dict[tuple, dict[int, float]]) -> dict[tuple, np.ndarray]:
    """Per unit present in both, the per-sequence differences a - b on their shared rows (finite only)."""
    out = {}
    for unit in sorted(set(a) & set(b)):
        rows = sorted(set(a[unit]) & set(b[unit]))
        d = np.array([a[unit][r] - b[unit][r] for r in rows], dtype=np.float64)
        out[unit] = d[np.isfinite(d)]
    return out


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


def ranking(records: list[dict], kind: str = "keras", view: tuple = HEADLINE, scope=is_realistic, n_boot: int = 1000,
            default_threshold: float = FIDELITY_THRESHOLD) -> list[dict]:
    """One ranking table: main-grid configs on models of `kind` in `scope`, gated, under `view`.

    Returns rows sorted by auPRC (desc), each: config, auprc (mean over models
    of each model's mean per-sequence auPRC), ci_low, ci_high (hierarchical
    bootstrap: models, then sequences), n_units, rank / n_shared / missing
    (`comparable_ranks`), margin (model-level comparison with centre_prior,
    `stats.compare_paired`, None without centre_prior cells), auroc,
    auprc_pos, auprc_used (means over models, same projection), per_1000
    (median seconds per 1,000 sequences), failed (failed main cells).
    """
    kept, _ = analysis_records(records, default_threshold)
    chosen = [r for r in kept if r["cell"]["kind"] == kind and scope(r)]
    table = unit_table(chosen, view)
    ranks = comparable_ranks(table)
    control = table.get("centre_prior-none")
    projection, truth, scoring = view
    by_config: dict[str, list[dict]] = defaultdict(list)
    for r in chosen:
        by_config[display_config(r)].append(r)
    failed = defaultdict(int)
    for r in records:
        if r["status"] == "failed" and "main" in r.get("tags", ["main"]) and r["cell"]["kind"] == kind and scope(r):
            failed[display_config(r)] += 1
    rows = []
    for config in sorted(set(table) | set(failed)):
        units = table.get(config, {})
        est, low, high = stats.hierarchical_ci(unit_arrays(units), n_boot=n_boot, seed=0)
        margin = None
        if control is not None and config != "centre_prior-none" and units:
            diffs = paired_unit_differences(units, control)
            margin = stats.compare_paired(list(diffs.values()), n_boot=n_boot, seed=0)
        members = [r for r in by_config.get(config, []) if metrics_of(r, projection) is not None]
        runtimes = [r["runtime"]["per_1000_sequences"] for r in members if (r.get("runtime") or {}).get("per_1000_sequences") is not None]
        rows.append({
            "config": config, "auprc": est, "ci_low": low, "ci_high": high, "n_units": len(units),
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


def nan_low(x: float) -> float:
    return x if np.isfinite(x) else -np.inf


def find(records: list[dict], **coords) -> list[dict]:
    """Ok records whose cell matches every given coordinate (params compared as dicts)."""
    out = []
    for record in ok_records(records):
        cell = record["cell"]
        if all(cell.get(k) == v for k, v in coords.items()):
            out.append(record)
    return out


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
            "used_by_fraction": used.get("n_used_by_fraction") or {}, "shared": used.get("n_hits_in_shared_blocks"),
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
