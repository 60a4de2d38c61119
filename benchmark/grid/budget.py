"""Where the seconds of a grid run go: a time budget per phase, printed and stored at the end.

Phases (wall and CPU seconds; CPU is user+system of every thread of the process,
`time.process_time`, the steadier figure on a shared machine):

- ``dataset``       building or loading a task's dataset (item: task);
- ``training``      training or loading a model, plus the one-time per-model setup a
                    method does before its first pass (converting for deeplift/shap,
                    building fastISM's models; item: task-model-seed);
- ``ground_truth``  the used-hits ground truth of a model (item: task-model-seed);
- ``attribution``   the method itself, references and convergence check included (item: method);
- ``sanity``        the weight-randomised copies and the sanity re-runs (item: method);
- ``rendering``     the leaderboard and figures (controller only);
- ``left over``     everything else: interpreter and TensorFlow start-up, collection,
                    cache look-ups, result files, idle workers.

Phases nest (a model build that first builds its dataset): each second is booked
once, to the innermost phase. Each process keeps its own `Budget`; xdist workers
ship each cell's share to the controller in the test report (`drain`), which
sums them (`merge`) and renders the table (`render`).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tabulate import tabulate
from benchmark.store.results import iter_results

PHASES = ("dataset", "training", "ground_truth", "attribution", "faithfulness", "sanity", "rendering")
LEFT_OVER = "left over"
BUDGET_FILE = ".budget.json"  # dot-prefixed: the results loader skips it


class Budget:
    """Per-process accumulator of (phase, item) -> [wall s, CPU s, count], booking nested phases exclusively."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str], list[float]] = {}
        self._pending: dict[tuple[str, str], list[float]] = {}
        self._stack: list[list[float]] = []  # per open phase: [child wall, child cpu]

    @contextmanager
    def phase(self, name: str, item: str = "") -> Iterator[None]:
        """Book the time spent inside the block to (name, item), minus what nested phases book."""
        if name not in PHASES:
            raise ValueError(f"unknown budget phase {name!r}; expected one of {PHASES}")
        frame = [0.0, 0.0]
        self._stack.append(frame)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            self._stack.pop()
            if self._stack:
                self._stack[-1][0] += wall
                self._stack[-1][1] += cpu
            self.add(name, item, wall - frame[0], cpu - frame[1])

    def add(self, name: str, item: str, wall: float, cpu: float, count: int = 1) -> None:
        """Book measured seconds to (name, item) (negative values move time away from it)."""
        for table in (self.totals, self._pending):
            entry = table.setdefault((name, item), [0.0, 0.0, 0])
            entry[0] += float(wall)  # plain Python numbers: pytest-xdist cannot ship NumPy scalars
            entry[1] += float(cpu)
            entry[2] += int(count)

    def rebook(self, source: tuple[str, str], target: tuple[str, str], wall: float, cpu: float) -> None:
        """Move seconds already booked to `source` over to `target` (e.g. a conversion out of a method)."""
        if wall or cpu:
            self.add(*source, -wall, -cpu, count=0)
            self.add(*target, wall, cpu)

    def drain(self) -> dict:
        """What was booked since the last drain, with this process's id and CPU so far (JSON-able)."""
        rows = [[name, item, wall, cpu, count] for (name, item), (wall, cpu, count) in sorted(self._pending.items())]
        self._pending = {}
        return {"pid": os.getpid(), "process_cpu": time.process_time(), "rows": rows}


_BUDGET = Budget()


def budget() -> Budget:
    """The Budget of this process."""
    return _BUDGET


def merge(shares: list[dict]) -> dict:
    """Sum drained shares (from any number of processes) into (phase, item) totals and per-process CPU."""
    totals: dict[tuple[str, str], list[float]] = {}
    process_cpu: dict[int, float] = {}
    for share in shares:
        process_cpu[share["pid"]] = max(process_cpu.get(share["pid"], 0.0), share["process_cpu"])
        for name, item, wall, cpu, count in share["rows"]:
            entry = totals.setdefault((name, item), [0.0, 0.0, 0])
            entry[0] += wall
            entry[1] += cpu
            entry[2] += count
    return {"totals": totals, "process_cpu": process_cpu}


def summary(shares: list[dict], session_wall: float, controller_cpu: float, workers: int,
            rendering: tuple[float, float] = (0.0, 0.0)) -> dict:
    """The budget of a run as a JSON-able dict.

    shares: drained `Budget` shares of every cell (from every process);
    session_wall: wall seconds of the controller's session; controller_cpu: the
    controller's CPU seconds (its own share is not in `shares` under xdist);
    workers: processes that ran cells (1 without xdist); rendering: (wall, CPU).
    Wall seconds of phases are summed over workers, so "left over" wall is
    ``workers x session wall`` minus the phases (idle workers included).
    """
    merged = merge(shares)
    totals = merged["totals"]
    if rendering != (0.0, 0.0):
        totals[("rendering", "leaderboard")] = [rendering[0], rendering[1], 1]
    worker_cpu = sum(cpu for pid, cpu in merged["process_cpu"].items() if pid != os.getpid())
    total_cpu = controller_cpu + worker_cpu
    total_wall = session_wall * max(workers, 1)
    phases = {}
    for name in PHASES:
        items = {item: {"wall_s": round(w, 2), "cpu_s": round(c, 2), "count": n}
                 for (phase, item), (w, c, n) in sorted(totals.items()) if phase == name}
        phases[name] = {"wall_s": round(sum(v["wall_s"] for v in items.values()), 2),
                        "cpu_s": round(sum(v["cpu_s"] for v in items.values()), 2), "items": items}
    booked_wall = sum(p["wall_s"] for p in phases.values())
    booked_cpu = sum(p["cpu_s"] for p in phases.values())
    return {
        "session_wall_s": round(session_wall, 2),
        "workers": workers,
        "worker_wall_s": round(total_wall, 2),
        "total_cpu_s": round(total_cpu, 2),
        "phases": phases,
        LEFT_OVER: {"wall_s": round(total_wall - booked_wall, 2), "cpu_s": round(total_cpu - booked_cpu, 2)},
    }


def render(result: dict) -> str:
    """The budget as a table: one row per phase, indented rows per item of training and attribution."""
    rows = []
    total_wall, total_cpu = result["worker_wall_s"], result["total_cpu_s"]

    def share(cpu: float) -> str:
        return f"{100 * cpu / total_cpu:.0f}%" if total_cpu > 0 else "-"

    for name in PHASES:
        phase = result["phases"][name]
        rows.append([name, "", f"{phase['wall_s']:.1f}", f"{phase['cpu_s']:.1f}", share(phase["cpu_s"])])
        if name in ("training", "attribution", "sanity"):
            small = 0
            for item, value in sorted(phase["items"].items(), key=lambda kv: -kv[1]["cpu_s"]):
                if max(value["wall_s"], value["cpu_s"]) < 0.05:
                    small += 1
                    continue
                rows.append(["", item, f"{value['wall_s']:.1f}", f"{value['cpu_s']:.1f}", share(value["cpu_s"])])
            if small:
                rows.append(["", f"({small} more under 0.05 s)", "", "", ""])
    left = result[LEFT_OVER]
    rows.append([LEFT_OVER, "", f"{left['wall_s']:.1f}", f"{left['cpu_s']:.1f}", share(left["cpu_s"])])
    rows.append(["total", f"{result['workers']} worker(s) x {result['session_wall_s']:.1f} s", f"{total_wall:.1f}",
                 f"{total_cpu:.1f}", "100%"])
    return tabulate(rows, headers=["phase", "item", "wall s", "CPU s", "CPU share"], tablefmt="github")


def write(result: dict, results_dir: Path, run: str = "default") -> Path:
    """Write the budget atomically to ``<results_dir>/.budget.json`` (``.budget-<run>.json`` for another run
    sharing the directory); returns the path."""
    path = Path(results_dir) / (BUDGET_FILE if run == "default" else f".budget-{run}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def group_costs(results_dir: Path) -> dict[str, float]:
    """Wall seconds per model (``task-model``, seeds pooled: the mean over seeds) from the stored cells' runtimes.

    The stored ``runtime.wall_seconds`` of a cell includes what its model group
    waited for, so the sum over a group estimates the group's cost on the next
    cold run. Reads only the result files (no TensorFlow); unreadable files are skipped.
    """
    per_seed: dict[tuple[str, str, int], float] = {}
    for _, record in iter_results(results_dir):
        if not isinstance(record, dict):
            continue
        cell, runtime = record.get("cell") or {}, record.get("runtime") or {}
        try:
            key = (str(cell["task"]), str(cell["model"]), int(cell["seed"]))
            per_seed[key] = per_seed.get(key, 0.0) + float(runtime.get("wall_seconds", 0.0))
        except (KeyError, TypeError, ValueError):
            continue
    pooled: dict[str, list[float]] = {}
    for (task, model, _), seconds in per_seed.items():
        pooled.setdefault(f"{task}-{model}", []).append(seconds)
    return {group: sum(values) / len(values) for group, values in pooled.items()}


def longest_first(groups: list[str], costs: dict[str, float]) -> list[str]:
    """`groups` (``task-model-s<seed>``) sorted by estimated cost, longest first; ties keep their order.

    A group with no stored cost is estimated at the median of the known ones, so
    a new seed of a known model gets that model's cost.
    """
    known = sorted(costs.values())
    median = known[len(known) // 2] if known else 0.0

    def cost(group: str) -> float:
        return costs.get(group.rsplit("-s", 1)[0], median)

    return sorted(groups, key=lambda group: -cost(group))


def makespan(groups: list[str], costs: dict[str, float], workers: int = 2) -> float:
    """Estimated wall seconds of running `groups` in this order on `workers` (each takes the next group when free)."""
    known = sorted(costs.values())
    median = known[len(known) // 2] if known else 0.0
    finish = [0.0] * max(workers, 1)
    for group in groups:
        i = finish.index(min(finish))
        finish[i] += costs.get(group.rsplit("-s", 1)[0], median)
    return max(finish)
