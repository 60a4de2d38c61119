"""``pytest benchmark/ --verify``: recompute stored cells and compare them with their files.

A result file is trusted only as far as it can be reproduced. `verify_cell`
recomputes one cell from scratch (same code, same seed) and compares the fresh
record with the stored one:

- ``identity`` (the recipe keys), ``status``, ``rows``, ``dataset.hash`` and
  ``model.key`` must be equal;
- every number under ``metrics`` must agree within `TOLERANCE` (absolute),
  applied after both sides are rounded to 6 digits as stored, so only a real
  difference (or an edited file) fails.

The stored file is never rewritten by a verification. Byte-identity is
promised on one machine only (see DESIGN.md, "Trust"): a model retrained on
other CPU kernels differs, so verify where the models were trained, or with
the same cached models.
"""

from __future__ import annotations

import math
from typing import Any

from benchmark.grid.cell import run_cell, save_record
from benchmark.store import results

TOLERANCE = 1e-6
EQUAL_FIELDS = ("identity", "status", "rows", "dataset.hash", "model.key")


def _get(record: dict, dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def differences(stored: dict, fresh: dict, tolerance: float = TOLERANCE, prefix: str = "metrics") -> list[str]:
    """Fields where `fresh` disagrees with `stored`: equal fields exactly, metrics within `tolerance`.

    Both records are compared as stored (rounded to 6 digits). Returns
    messages like ``metrics.all_hits.abs.auprc_mean: stored 0.99, recomputed 0.412``.
    """
    stored, fresh = results.rounded(stored), results.rounded(fresh)
    out = []
    for name in EQUAL_FIELDS:
        a, b = _get(stored, name), _get(fresh, name)
        if isinstance(a, dict) and isinstance(b, dict):  # name the keys that differ (identity.method, ...)
            out += [f"{name}.{k}: stored {_short(a.get(k))}, recomputed {_short(b.get(k))}"
                    for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        elif a != b:
            out.append(f"{name}: stored {_short(a)}, recomputed {_short(b)}")
    if stored.get("status") == "ok" and fresh.get("status") == "ok":
        _numbers(stored.get("metrics"), fresh.get("metrics"), tolerance, prefix, out)
    return out


def _numbers(a: Any, b: Any, tolerance: float, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _numbers(a.get(key), b.get(key), tolerance, f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
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


def verify_cell(session, cell, identity: dict) -> tuple[dict, str]:
    """Recompute `cell` and compare it with its stored file.

    Returns (fresh record, "verified") when they agree; (a failed record whose
    error lists the differing fields, "mismatch") when they do not, or when the
    stored file is unusable. Without a stored file the cell is computed and
    saved as in a normal run ("computed"). Never rewrites an existing file.
    """
    path = results.result_path(session.results_dir, cell)
    if not path.exists():
        return save_record(session, cell, run_cell(session, cell, timeout=session.cell_timeout)), "computed"
    try:
        stored = results.load(path)
    except results.ResultError as error:
        return {"status": "failed", "error": f"cannot verify {cell.id}: {error}"}, "mismatch"
    fresh = run_cell(session, cell, timeout=session.cell_timeout)
    fresh["identity"] = identity
    diffs = differences(stored, fresh, session.verify_tolerance)
    if not diffs:
        return fresh, "verified"
    shown = "; ".join(diffs[:12]) + (f"; ... ({len(diffs)} fields differ)" if len(diffs) > 12 else "")
    message = (f"the stored result {path} of {cell.id} does not match its recomputation "
               f"(metrics tolerance {session.verify_tolerance:g} absolute): {shown}")
    return {"status": "failed", "error": message, "fresh": fresh}, "mismatch"
