"""What the hard cell limit costs (``motifbench bench watchdog``): forking the worker, and each cell's round trip.

A cell that returns a stored-size record at once is sent to a `CellWorker`
many times; the first call includes the fork. Prints milliseconds.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmark.grid import watchdog
from benchmark.store.results import Cell
from tasks.cache import REPO_ROOT


class _Session:
    """Just enough of a session for the worker: no dataset, no model."""

    models_used: dict = {}

    def identity(self, cell):
        return {}


def measure(cells: int = 200) -> tuple[float, float]:
    """(ms to fork the worker and run the first cell, ms per further cell) for a record of a committed file's size."""
    stored = sorted((REPO_ROOT / "results").rglob("*.json"))
    record = json.loads(stored[0].read_text()) if stored else {"status": "ok", "rows": list(range(50))}
    cell = Cell(task="t", model="m", arch="m", seed=0, method="gradient", reference="none")
    real = watchdog.compute
    watchdog.compute = lambda session, cell, timeout: record  # the worker calls the module's compute
    try:
        worker = watchdog.CellWorker(_Session())
        start = time.perf_counter()
        worker.run(cell, 10)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(cells):
            worker.run(cell, 10)
        each = (time.perf_counter() - start) / cells
        worker.close()
    finally:
        watchdog.compute = real
    return first * 1000, each * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench bench watchdog", description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200, help="round trips to time (default: %(default)s)")
    args = parser.parse_args(argv)
    first, each = measure(args.cells)
    print(f"fork + first cell: {first:.1f} ms; each further cell: {each:.2f} ms over {args.cells} cells")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
