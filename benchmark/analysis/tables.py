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

The unit of replication is the trained model (task, model variant, seed), and
every model of a task is scored on the same eval sequences: `crossed_design`
turns per-sequence values into `benchmark.analysis.crossed` units (models and
sequences crossed) for rankings (`benchmark.analysis.ranking`) and findings;
models below the fidelity gate (`gate`) are left out.

Flat maps (`benchmark.scores.degenerate`: all zero or constant) rank no
position above another. The rule, applied wherever per-sequence values are
read (`sequence_values`): a flat map is scored as the `random` control of the
same model scores that sequence (a map that ranks nothing is a random
ranking's equal, not worse than one), and the board counts the flat maps of
every cell (`benchmark.analysis.inventory.flat_counts`). Records name their
flat maps in ``flat_maps`` ({projection: positions into ``rows``}); records
without the field have none counted.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmark.analysis import crossed
from benchmark.grid.profiles import DEFAULT_FIDELITY_THRESHOLD

HEADLINE = ("observed", "all_hits", "abs")
PROJECTIONS = ("observed", "max_abs")
LEGACY_PROJECTION = {"gradient": "max_abs"}
#: `gradient` returns grad x input's array (hypothetical contributions = the gradient); only the projection differed.
#: Rows are shown under grad_x_input's name: its max |.| projection *is* saliency.
ALIASES = {"gradient": "grad_x_input"}
FIDELITY_THRESHOLD = DEFAULT_FIDELITY_THRESHOLD  # results that do not carry their run's threshold
CONTROLS = ("random", "centre_prior", "pwm_scan")
#: Rows of the board that are controls, not methods: what each tells.
CONTROL_CONFIGS = {
    "random-none": "floor",
    "centre_prior-none": "position only",
    "pwm_scan-none": "the task's motifs, no model",
    "smoothed_grad_x_input-none": "smoothing",
}
RANDOM_CONTROL = "random-none"


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


def is_position_controlled(record: dict) -> bool:
    """A realistic task or its random-position copy: the tasks of the headline."""
    return is_realistic(record) or (is_diagnostic(record) and not is_simplified(record) and not is_grammar(record))


def is_ablation_model(record: dict) -> bool:
    """A model variant with overrides (basset_k8, basset_exp, basset_bn): it counts only where it is the subject."""
    return bool(record["cell"].get("overrides"))


def is_headline_model(record: dict) -> bool:
    """A registered architecture as registered (no overrides): the models of rankings."""
    return not is_ablation_model(record)


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


def flat_rows(record: dict, projection: str = "observed") -> set[int]:
    """Dataset rows whose map the record names as flat under `projection` (empty when the record does not say)."""
    positions = (record.get("flat_maps") or {}).get(projection) or []
    rows = record.get("rows") or []
    return {int(rows[i]) for i in positions if 0 <= int(i) < len(rows)}


def random_controls(records: list[dict]) -> dict[tuple, dict]:
    """Model unit (task, model, seed) -> its ok `random` control record."""
    return {group_key(r): r for r in sorted(ok_records(records), key=lambda r: r.get("_path", ""))
            if r["cell"]["config"] == RANDOM_CONTROL}


def sequence_values(record: dict, view: tuple = HEADLINE, controls: dict | None = None) -> dict[int, float]:
    """Dataset row -> per-sequence value under `view`, with flat maps scored as the random control (module docstring).

    controls: `random_controls` of the records (a flat map keeps its tie score when its model has none).
    """
    projection, truth, scoring = view
    values = per_sequence(record, truth, scoring, projection=projection)
    flat = flat_rows(record, projection) & set(values)
    control = (controls or {}).get(group_key(record))
    if flat and control is not None:
        stand_in = per_sequence(control, truth, scoring, projection=projection)
        values.update({row: stand_in[row] for row in flat if row in stand_in})
    return values


def drop_aliases(records: list[dict]) -> list[dict]:
    """`records` without those of an aliased method (`ALIASES`) whose target has a record of the same model and config:
    the two hold the same array, so a per-cell table would list it twice."""
    have = {(group_key(r), r["cell"]["config"]) for r in records}
    out = []
    for r in records:
        alias = ALIASES.get(r["cell"]["method"])
        if alias and (group_key(r), display_config(r)) in have:
            continue
        out.append(r)
    return out


def unit_table(records: list[dict], view: tuple = HEADLINE, controls: dict | None = None) -> dict[str, dict[tuple, dict[int, float]]]:
    """config -> model unit (task, model, seed) -> dataset row -> per-sequence value, under `view` (`sequence_values`).

    ``view`` = (projection, truth, scoring). A record without that projection
    adds nothing. When an aliased method and the method it equals both give a
    value for one unit, the method's own record wins. controls: default `random_controls(records)`.
    """
    controls = random_controls(records) if controls is None else controls
    out: dict[str, dict[tuple, dict[int, float]]] = defaultdict(dict)
    for record in sorted(records, key=lambda r: (r["cell"]["method"] in ALIASES, r.get("_path", ""), r["cell"]["id"])):
        values = sequence_values(record, view, controls)
        if not values:
            continue
        out[display_config(record)].setdefault(group_key(record), values)
    return dict(out)


def paired_values(a: dict[tuple, dict[int, float]], b: dict[tuple, dict[int, float]]) -> dict[tuple, dict[int, float]]:
    """Per unit present in both, row -> a - b on the rows both scored (finite only)."""
    out = {}
    for unit in sorted(set(a) & set(b)):
        d = {r: a[unit][r] - b[unit][r] for r in sorted(set(a[unit]) & set(b[unit]))}
        out[unit] = {r: v for r, v in d.items() if np.isfinite(v)}
    return out


def unit_means(by_unit: dict[tuple, dict[int, float]]) -> dict[tuple, float]:
    """Per unit, the mean of its finite per-sequence values (NaN when it has none)."""
    out = {}
    for unit, values in sorted(by_unit.items()):
        got = [v for v in values.values() if np.isfinite(v)]
        out[unit] = float(np.mean(got)) if got else float("nan")
    return out


def crossed_design(arms: dict[str, dict[tuple, dict[int, float]]], signs: dict[str, float] | None = None,
                   stratum=None) -> tuple[list[crossed.Unit], dict[str, float]]:
    """`benchmark.analysis.crossed` units and group signs of a comparison, weighting tasks equally.

    arms: arm name -> unit key (task, model, seed) -> row -> value (one arm: a mean; two arms a and b:
    a − b). signs: arm -> sign (default +1 for the first arm, −1 for a second). stratum: unit key ->
    resampling stratum (default: the task). Only tasks every arm has count; each task's units are
    aligned on the rows any of them scored (NaN elsewhere), so one sequence draw per task serves every
    unit of both arms. The estimate is the mean over tasks of each task's (arm-signed) mean over units.
    """
    signs = signs or {name: (1.0 if i == 0 else -1.0) for i, name in enumerate(arms)}
    tasks = sorted(set.intersection(*({key[0] for key in by_unit} for by_unit in arms.values()))) if arms else []
    rows = {t: sorted({r for by_unit in arms.values() for key, v in by_unit.items() if key[0] == t for r in v}) for t in tasks}
    units, group_signs = [], {}
    for arm, by_unit in arms.items():
        for key, values in sorted(by_unit.items()):
            task = key[0]
            if task not in rows:
                continue
            vector = np.array([values.get(r, np.nan) for r in rows[task]], dtype=np.float64)
            group = f"{arm}|{task}"
            group_signs[group] = signs[arm] / len(tasks)
            label = "-".join(str(k) for k in key[:2]) + (f"-s{key[2]}" if len(key) > 2 else "")
            units.append(crossed.Unit(label, ((task, 1.0, vector),), group, str(stratum(key) if stratum else task)))
    return units, group_signs


def find(records: list[dict], **coords) -> list[dict]:
    """Ok records whose cell matches every given coordinate (params compared as dicts)."""
    out = []
    for record in ok_records(records):
        cell = record["cell"]
        if all(cell.get(k) == v for k, v in coords.items()):
            out.append(record)
    return out




def nan_low(x: float) -> float:
    """x, or -inf for NaN (sort keys)."""
    return x if np.isfinite(x) else -np.inf
