"""``pytest benchmark/ --verify``: recompute stored cells and compare them with their files.

A result file is trusted only as far as it can be reproduced. `verify_cell`
recomputes one cell from scratch (same code, same seed) and compares the fresh
record with the stored one, field by field, over every field either record
has (so a field added to records later is compared too):

- numbers (metrics, metrics_max_abs, model fidelity and used hits, the sanity
  check, the convergence error, ...) must agree within `TOLERANCE` (absolute),
  applied after both sides are rounded to 6 digits as stored, so only a real
  difference (or an edited file) fails;
- everything else (identity, status, rows, keys, names, versions) must be equal;
- ``runtime.method_seconds`` is a measurement: it must be within a factor of
  `RUNTIME_FACTOR` of the recomputation (above `RUNTIME_FLOOR` seconds); the
  other runtime fields are derived from it or are not shown
  (`benchmark.store.checks` checks them);
- ``cell`` and ``tags`` must be those of the grid's cell; ``schema`` and
  ``digest`` are checked when the file is read.

The stored file is never rewritten by a verification. Byte-identity is
promised on one machine only (see DESIGN.md, "Trust"): a model retrained on
other CPU kernels differs, so verify where the models were trained, or with
the same cached models.
"""

from __future__ import annotations

import math
from typing import Any

from benchmark.grid.cell import save_record
from benchmark.grid.watchdog import run_limited
from benchmark.store import results

TOLERANCE = 1e-6
#: Measured seconds may differ by this factor between a run and its recomputation (other load, other machine).
RUNTIME_FACTOR = 5.0
RUNTIME_FLOOR = 1.0  # below this many seconds, timings are noise
#: Added when a record is saved (checked against the cell, or when the file is read), or measured.
WRITTEN_FIELDS = ("schema", "digest", "cell", "tags", "runtime")
#: Model fields a file written before they existed may lack (compared when both records have them).
NEWER_MODEL_FIELDS = ("weights_sha256",)


def _get(record: dict, dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def differences(stored: dict, fresh: dict, tolerance: float = TOLERANCE, prefix: str = "metrics") -> list[str]:
    """Fields where `fresh` disagrees with `stored`: numbers within `tolerance`, the rest exactly.

    Both records are compared as stored (rounded to 6 digits), over every
    field either has except `WRITTEN_FIELDS`; a failed record is compared on
    identity and status only (its message may name paths and times). Returns
    messages like ``metrics.all_hits.abs.auprc_mean: stored 0.99, recomputed 0.412``.
    """
    stored, fresh = results.rounded(stored), results.rounded(fresh)
    out: list[str] = []
    if stored.get("status") != "ok" or fresh.get("status") != "ok":
        fields = ("identity", "status")
    else:
        fields = sorted((set(stored) | set(fresh)) - set(WRITTEN_FIELDS) - {"error", "stage"})
        fields = [f for f in fields if not f.startswith("_")]
        _runtime(stored.get("runtime"), fresh.get("runtime"), out)
    for name in fields:
        a, b = stored.get(name), fresh.get(name)
        if name == "model" and isinstance(a, dict) and isinstance(b, dict):
            b = {k: v for k, v in b.items() if k in a or k not in NEWER_MODEL_FIELDS}
        _numbers(a, b, tolerance, name, out)
    return sorted(out, key=lambda line: (not line.startswith(prefix), line))


def _runtime(stored: Any, fresh: Any, out: list[str]) -> None:
    a, b = _get({"r": stored}, "r.method_seconds"), _get({"r": fresh}, "r.method_seconds")
    if not (_is_number(a) and _is_number(b)):
        if a != b:
            out.append(f"runtime.method_seconds: stored {_short(a)}, recomputed {_short(b)}")
        return
    if max(a, b) > RUNTIME_FLOOR and max(a, b) > RUNTIME_FACTOR * max(min(a, b), 1e-9):
        out.append(f"runtime.method_seconds: stored {a}, recomputed {b} (more than {RUNTIME_FACTOR:g}x apart)")


def _numbers(a: Any, b: Any, tolerance: float, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _numbers(a.get(key), b.get(key), tolerance, f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a != b:
        for i, (x, y) in enumerate(zip(a, b)):
            _numbers(x, y, tolerance, f"{where}[{i}]", out)
    elif _is_number(a) and _is_number(b):
        if not math.isclose(a, b, rel_tol=0.0, abs_tol=tolerance):
            out.append(f"{where}: stored {a}, recomputed {b}")
    elif a != b:
        out.append(f"{where}: stored {_short(a)}, recomputed {_short(b)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def written_differences(stored: dict, cell) -> list[str]:
    """The fields a save derives from the cell (coordinates, tags) where `stored` disagrees with the grid's `cell`."""
    out = []
    expected = results.rounded(cell.coordinates())
    for key in sorted(set(expected) | set(stored.get("cell") or {})):
        if (stored.get("cell") or {}).get(key) != expected.get(key):
            out.append(f"cell.{key}: stored {_short((stored.get('cell') or {}).get(key))}, the grid's {_short(expected.get(key))}")
    if stored.get("tags") != sorted(cell.tags):
        out.append(f"tags: stored {_short(stored.get('tags'))}, the grid's {sorted(cell.tags)}")
    return out


def verify_cell(session, cell, identity: dict) -> tuple[dict, str]:
    """Recompute `cell` and compare it with its stored file.

    Returns (fresh record, "verified") when they agree; (a failed record whose
    error lists the differing fields, "mismatch") when they do not, or when the
    stored file is unusable. Without a stored file the cell is computed and
    saved as in a normal run ("computed"). Never rewrites an existing file.
    """
    path = results.result_path(session.results_dir, cell)
    if not path.exists():
        return save_record(session, cell, run_limited(session, cell, session.cell_timeout)), "computed"
    try:
        stored = results.load(path)
    except results.ResultError as error:
        return {"status": "failed", "error": f"cannot verify {cell.id}: {error}"}, "mismatch"
    fresh = run_limited(session, cell, session.cell_timeout)
    fresh["identity"] = identity
    diffs = differences(stored, fresh, session.verify_tolerance) + written_differences(stored, cell)
    if not diffs:
        return fresh, "verified"
    shown = "; ".join(diffs[:12]) + (f"; ... ({len(diffs)} fields differ)" if len(diffs) > 12 else "")
    message = (f"the stored result {path} of {cell.id} does not match its recomputation "
               f"(metrics tolerance {session.verify_tolerance:g} absolute): {shown}")
    return {"status": "failed", "error": message, "fresh": fresh}, "mismatch"
