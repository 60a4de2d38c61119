"""Run or reuse one cell: the step every benchmark test takes (`run_or_load`).

A stored result whose input keys match is reused; otherwise the cell is
computed (`benchmark.grid.cell.run_cell`, in a worker process that is ended
past the cell's time limit: `benchmark.grid.watchdog`) and saved, or with
``--verify`` recomputed and compared with its file (`benchmark.grid.verify`).
"""

from __future__ import annotations

import logging

from benchmark.grid.cell import save_record
from benchmark.grid.session import BenchmarkSession
from benchmark.grid.verify import verify_cell
from benchmark.grid.watchdog import run_limited
from benchmark.store import results
from benchmark.store.results import Cell

log = logging.getLogger(__name__)


def run_or_load(session: BenchmarkSession, cell: Cell) -> tuple[dict, str]:
    """The cell's record and how it was obtained: "cached" (valid stored result), "computed",
    or with ``session.verify`` "verified" / "mismatch" (see `benchmark.grid.verify`).

    A computed record is saved atomically before returning, so a later crash
    or interrupt loses nothing already done. Any failure inside the cell,
    including an unknown method or reference name, is stored as a failed cell;
    but a failure of a shared artifact (keys, dataset, model, ground truth)
    never replaces a good stored result (see `store`).
    """
    try:
        identity = session.identity(cell)
    except Exception as error:  # e.g. a spec that no longer parses, an unknown name: fail this cell, keep the session
        record = {"identity": {"error": "unavailable"}, "status": "failed", "stage": "keys",
                  "error": f"cannot compute the input keys of {cell.id}: {type(error).__name__}: {error}"}
        return save_record(session, cell, record), "computed"
    if session.verify:
        return verify_cell(session, cell, identity)
    if not session.force:
        record, why = results.cached(session.results_dir, cell, identity, retry_failed=session.retry_failed)
        if record is not None:
            model = record.get("model")
            if isinstance(model, dict) and model.get("fidelity_threshold") != session.profile.fidelity_threshold:
                record["model"] = {**model, "fidelity_threshold": session.profile.fidelity_threshold}
                record["tags"] = None  # forces the rewrite below
            results.retag(session.results_dir, cell, record)
            return record, "cached"
        log.info("computing %s (%s)", cell.id, why)
    record = run_limited(session, cell, session.cell_timeout)  # a hard limit, in a worker process (benchmark.grid.watchdog)
    return save_record(session, cell, record), "computed"  # ``_healed`` (caches rebuilt) stays in the record, not the file
