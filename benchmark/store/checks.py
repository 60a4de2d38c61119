"""Value checks of a result record beyond its field types: ranges, lengths, and fields derived from others.

`benchmark.store.results.validate` checks that each required field is there
with its type. A forged or damaged file can still be well-typed: an auPRC of
5.0, a per-sequence list cut from 50 values to 3, a mean that is not the mean
of its per-sequence values, a string where the board reads a number. Every
field the board renders is checked here, so such a file is refused by name
(``metrics.all_hits.abs.auprc_mean: 5.0 is outside [0, 1]``) instead of being
ranked or crashing the renderer.

Derived fields must follow from the fields they are computed from (within
rounding): ``cell.id`` from the coordinates, ``n_scored`` and ``auprc_mean``
from ``per_sequence_auprc``, ``runtime.n_sequences`` from ``rows`` and
``runtime.per_1000_sequences`` from ``runtime.method_seconds``. What cannot be
derived (the numbers themselves) is recomputed by ``--verify``
(`benchmark.grid.verify`).
"""

from __future__ import annotations

import math
from typing import Any

SCORINGS = ("abs", "pos")
UNIT = (0.0, 1.0)  # auPRC, auROC, shares, prevalences, fidelity
SANITY_STATUSES = ("ok", "failed", "skipped")
#: Means are stored to 6 digits and per-sequence values to 5, so a mean recomputed from them differs by < 1e-5.
MEAN_TOLERANCE = 5e-5
_PER_SCORING_UNIT = ("auprc_mean", "auroc_mean", "pooled_auprc", "pooled_auroc")
_PER_TRUTH_UNIT = ("share_inside", "prevalence", "prevalence_mean")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any, where: str, out: list[str], bounds: tuple[float, float] | None = None,
            nullable: bool = True) -> bool:
    """Append a problem unless `value` is a number (or null when `nullable`) within `bounds`; True when a number."""
    if value is None and nullable:
        return False
    if not _is_number(value):
        out.append(f"{where}: expected a number{' or null' if nullable else ''}, got {_shown(value)}")
        return False
    if bounds and not bounds[0] <= value <= bounds[1]:
        out.append(f"{where}: {value!r} is outside [{bounds[0]:g}, {bounds[1]:g}]")
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:40] + '...'}"


def _numbers_only(value: Any, where: str, out: list[str]) -> None:
    """Every leaf of a nested dict/list must be a number or null (the board does arithmetic on them)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _numbers_only(inner, f"{where}.{key}", out)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _numbers_only(inner, f"{where}[{i}]", out)
    else:
        _number(value, where, out)


def _dict(record: dict, dotted: str, out: list[str]) -> dict | None:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    if not isinstance(value, dict):
        out.append(f"{dotted}: expected an object, got {_shown(value)}")
        return None
    return value


def recovery_problems(recovery: Any, where: str, n_rows: int) -> list[str]:
    """Problems of one `benchmark.scores.metrics.motif_recovery` result (ranges, lengths, derived fields)."""
    out: list[str] = []
    if not isinstance(recovery, dict):
        return [f"{where}: expected an object, got {_shown(recovery)}"]
    for key in _PER_TRUTH_UNIT:
        _number(recovery.get(key), f"{where}.{key}", out, UNIT)
    _number(recovery.get("signed_contrast"), f"{where}.signed_contrast", out)
    for scoring in SCORINGS:
        block, at = recovery.get(scoring), f"{where}.{scoring}"
        if not isinstance(block, dict):
            out.append(f"{at}: expected an object, got {_shown(block)}")
            continue
        for key in _PER_SCORING_UNIT:
            _number(block.get(key), f"{at}.{key}", out, UNIT)
        for key in ("auprc_sem", "auroc_sem"):
            _number(block.get(key), f"{at}.{key}", out, (0.0, 1.0))
        per_seq = block.get("per_sequence_auprc")
        if not isinstance(per_seq, list):
            out.append(f"{at}.per_sequence_auprc: expected a list, got {_shown(per_seq)}")
            continue
        if len(per_seq) != n_rows:
            out.append(f"{at}.per_sequence_auprc: {len(per_seq)} values for {n_rows} rows (one per scored sequence)")
            continue
        scored = [v for i, v in enumerate(per_seq) if _number(v, f"{at}.per_sequence_auprc[{i}]", out, UNIT)]
        if block.get("n_scored") != len(scored):
            out.append(f"{at}.n_scored: {block.get('n_scored')!r}, but per_sequence_auprc has {len(scored)} scored values")
        mean = block.get("auprc_mean")
        if scored and _is_number(mean) and abs(sum(scored) / len(scored) - mean) > MEAN_TOLERANCE:
            out.append(f"{at}.auprc_mean: {mean!r} is not the mean of per_sequence_auprc ({sum(scored) / len(scored):.6f})")
    return out


def _rows(record: dict, out: list[str]) -> int | None:
    rows = record.get("rows")
    if not isinstance(rows, list):
        return None
    bad = [i for i, r in enumerate(rows) if isinstance(r, bool) or not isinstance(r, int) or r < 0]
    if bad:
        out.append(f"rows[{bad[0]}]: expected a non-negative integer (an eval-set row), got {_shown(rows[bad[0]])}")
        return None
    if len(set(rows)) != len(rows):
        out.append("rows: a row appears twice")
    return len(rows)


def _runtime(record: dict, n_rows: int | None, out: list[str]) -> None:
    runtime = _dict(record, "runtime", out)
    if runtime is None:
        return
    for key, value in runtime.items():
        _number(value, f"runtime.{key}", out, (0.0, math.inf))
    if n_rows is not None and "n_sequences" in runtime and runtime["n_sequences"] != n_rows:
        out.append(f"runtime.n_sequences: {runtime['n_sequences']!r}, but the record scores {n_rows} rows")
    seconds, per_1000 = runtime.get("method_seconds"), runtime.get("per_1000_sequences")
    if n_rows and _is_number(seconds) and _is_number(per_1000):
        derived = seconds * 1000.0 / n_rows
        if abs(derived - per_1000) > 1e-4 + 1e-5 * abs(derived):
            out.append(f"runtime.per_1000_sequences: {per_1000!r} does not follow from method_seconds "
                       f"{seconds!r} over {n_rows} sequences ({derived:.6f})")


def _model(record: dict, out: list[str]) -> None:
    model = _dict(record, "model", out)
    if model is None:
        return
    fidelity = _dict(record, "model.fidelity", out) or {}
    for key, value in fidelity.items():
        _number(value, f"model.fidelity.{key}", out, UNIT if key.startswith(("test_auroc", "test_auprc")) else None)
    if "fidelity_threshold" in model:
        _number(model["fidelity_threshold"], "model.fidelity_threshold", out, UNIT)
    if model.get("first_kernel_width") is not None:
        width = model["first_kernel_width"]
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            out.append(f"model.first_kernel_width: expected a positive integer or null, got {_shown(width)}")
    for key in ("arch", "weights_sha256"):
        if key in model and not isinstance(model[key], str):
            out.append(f"model.{key}: expected a string, got {_shown(model[key])}")
    if "used_hits" in model:
        used = _dict(record, "model.used_hits", out) or {}
        # status and reason say why a model has no used-hits truth (benchmark.scores.groundtruth); the rest is numeric
        for key in ("status", "reason"):
            if key in used and not isinstance(used[key], str):
                out.append(f"model.used_hits.{key}: expected a string, got {_shown(used[key])}")
        _numbers_only({k: v for k, v in used.items() if k not in ("status", "reason")}, "model.used_hits", out)


def _sanity(record: dict, out: list[str]) -> None:
    sanity = _dict(record, "sanity", out)
    if sanity is None:
        return
    status = sanity.get("status")
    if status not in SANITY_STATUSES:
        out.append(f"sanity.status: {status!r} is not one of {SANITY_STATUSES}")
    elif status == "ok":
        n = sanity.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            out.append(f"sanity.n: expected a positive integer, got {_shown(n)}")
        for key in ("auprc_randomized", "auprc_trained"):
            _number(sanity.get(key), f"sanity.{key}", out, UNIT)
        _number(sanity.get("spearman"), "sanity.spearman", out, (-1.0, 1.0))


def _dataset(record: dict, out: list[str]) -> None:
    dataset = _dict(record, "dataset", out) or {}
    for key in ("length", "n_sequences", "n_eval_available"):
        if key in dataset and (isinstance(dataset[key], bool) or not isinstance(dataset[key], int) or dataset[key] < 0):
            out.append(f"dataset.{key}: expected a non-negative integer, got {_shown(dataset[key])}")
    if "prevalence" in dataset:
        _number(dataset["prevalence"], "dataset.prevalence", out, UNIT)


def _cell(record: dict, out: list[str]) -> None:
    cell = record.get("cell") or {}
    parts = [cell.get("task"), cell.get("model"), f"s{cell.get('seed')}", cell.get("config")]
    if all(isinstance(p, str) for p in parts) and cell.get("id") != "-".join(parts):
        out.append(f"cell.id: {cell.get('id')!r} does not follow from the coordinates ({'-'.join(parts)!r})")
    for key, value in (cell.get("params") or {}).items():
        if not isinstance(value, (str, int, float, bool)):
            out.append(f"cell.params.{key}: expected a string, number or boolean, got {_shown(value)}")
    tags = record.get("tags")
    if isinstance(tags, list) and not all(isinstance(t, str) for t in tags):
        out.append("tags: expected a list of strings")
    versions = record.get("versions")
    if isinstance(versions, dict):
        for key, value in versions.items():
            if value is not None and not isinstance(value, str):
                out.append(f"versions.{key}: expected a version string or null, got {_shown(value)}")


def _faithfulness(record: dict, n_rows: int | None, out: list[str]) -> None:
    """Deletion/insertion scores (`benchmark.scores.faithfulness`): numbers, per-sequence areas one per row."""
    faith = _dict(record, "faithfulness", out)
    if faith is None:
        return
    for key, value in faith.items():
        if key != "order":  # the one word: which ranking of positions was deleted first
            _numbers_only(value, f"faithfulness.{key}", out)
        if key.endswith("_per_sequence") and isinstance(value, list) and n_rows is not None and len(value) != n_rows:
            out.append(f"faithfulness.{key}: {len(value)} values for {n_rows} rows")
    grammar = _dict(record, "grammar", out)
    if grammar is not None:
        for key, value in grammar.items():
            _number(value, f"grammar.{key}", out)


def value_problems(record: dict) -> list[str]:
    """Problems of a record whose fields have the right types (`validate` passed): ranges, lengths, derived fields.

    Each names the dotted field; empty when the record is sound.
    """
    out: list[str] = []
    _cell(record, out)
    if record.get("status") != "ok":
        return out
    n_rows = _rows(record, out)
    for top in ("metrics", "metrics_max_abs"):
        metrics = _dict(record, top, out)
        for truth, recovery in (metrics or {}).items():
            if n_rows is not None:
                out += recovery_problems(recovery, f"{top}.{truth}", n_rows)
    _number(record.get("convergence_error"), "convergence_error", out, (0.0, math.inf))
    _runtime(record, n_rows, out)
    _model(record, out)
    _sanity(record, out)
    _dataset(record, out)
    _faithfulness(record, n_rows, out)
    return out
