"""Training cost and test auROC of this checkout's CNN recipe against another checkout's.

    motifbench bench recipe --before /path/to/other/checkout [--tasks oct4,mafk,simplified]

A change to the training recipe is judged on its cost as well as its fidelity:
training CPU per model on the default tasks, before against after. Wall time read from a grid
run's model histories mixes in the other worker and each version's thread
settings, so this bench trains the same models under both recipes in the
same sitting, each arm in its own single-threaded Python process (one per
core) with PYTHONPATH set to its checkout, through the public
`baselines.store.get_model` into an empty temporary models directory. It
prints, per task x architecture, both arms' mean test auROC (and SD over the
seeds) and mean process CPU seconds per model, and the CPU ratio after/before.

Datasets come from $MOTIFBENCH_CACHE when it is set (else each checkout's
own .cache). The other checkout is driven only through `tasks.load`/`tasks.build`,
`baselines.store.get_model` and `TrainedModel.fidelity`, which every version
since the first board has.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _worker(out: str, specs: list[str]) -> None:
    """Train each task:arch:seed cold with this process's checkout; append one JSON line per model to `out`."""
    # through the arm's own tf_setup, so each checkout runs the CPU kernels it chose
    from baselines.tf_setup import tf  # noqa: PLC0415

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import time  # noqa: PLC0415

    import tasks  # noqa: PLC0415
    from baselines.store import get_model  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-recipe-") as root:
        for spec in specs:
            task, arch, seed = spec.split(":")
            dataset = tasks.build(task, progress=False)
            start = time.process_time()
            model = get_model(dataset, arch, seed=int(seed), profile="default", progress=False, root=Path(root))
            record = {"task": task, "arch": arch, "seed": int(seed), "cpu_s": round(time.process_time() - start, 2),
                      "test_auroc": float(model.fidelity["test_auroc"])}
            with open(out, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)


def _arm(checkout: Path, out: Path, specs: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(checkout), TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
               TF_CPP_MIN_LOG_LEVEL="3")
    # the workers' one-line-per-model records show on stdout as progress
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", str(out), *specs], env=env,
                            cwd=checkout)


def _by_row(records: list[dict]) -> dict:
    by: dict[tuple, list[dict]] = {}
    for record in records:
        by.setdefault((record["task"], record["arch"]), []).append(record)
    return by


def comparison_table(before: list[dict], after: list[dict]) -> str:
    """Markdown: per task x arch (then all models), mean test auROC (SD) and mean CPU s per model of both arms.

    before, after: per-model records {"task", "arch", "seed", "cpu_s", "test_auroc"}; rows follow `after`.
    """

    def auroc(records: list[dict]) -> str:
        values = [r["test_auroc"] for r in records]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.fmean(values):.3f} ({spread:.3f})"

    def row(task: str, arch: str, old: list[dict], new: list[dict]) -> str:
        cpu_old = statistics.fmean(r["cpu_s"] for r in old)
        cpu_new = statistics.fmean(r["cpu_s"] for r in new)
        return (f"| {task} | {arch} | {len(new)} | {auroc(old)} | {auroc(new)} | {cpu_old:.1f} | {cpu_new:.1f} | "
                f"{cpu_new / cpu_old:.2f} |")

    old_rows, new_rows = _by_row(before), _by_row(after)
    lines = ["| task | arch | seeds | test auROC before (SD) | after (SD) | CPU s / model before | after | ratio |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [row(*key, old_rows[key], new_rows[key]) for key in new_rows if key in old_rows]
    lines.append(row("all", "all", before, after))
    return "\n".join(lines)


def compare(before: Path, tasks: list[str], archs: list[str], seeds: list[int], work: Path) -> str:
    """Run both arms side by side (one process each) and return `comparison_table` of their records."""
    specs = [f"{t}:{a}:{s}" for t in tasks for a in archs for s in seeds]
    outputs = {"before": work / "before.jsonl", "after": work / "after.jsonl"}
    for path in outputs.values():
        path.unlink(missing_ok=True)
    arms = [_arm(before, outputs["before"], specs), _arm(REPO, outputs["after"], specs)]
    codes = [arm.wait() for arm in arms]
    if any(codes):
        raise RuntimeError(f"an arm failed (exit codes before/after: {codes}); its records so far are in {work}")
    records = {name: [json.loads(line) for line in path.read_text().splitlines()] for name, path in outputs.items()}
    return comparison_table(records["before"], records["after"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _worker(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(prog="motifbench bench recipe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (e.g. a git worktree of an older commit)")
    parser.add_argument("--tasks", default="oct4,mafk,simplified", help="comma-separated tasks (default: %(default)s)")
    parser.add_argument("--archs", default="basset,beluga,shallow", help="comma-separated architectures (default: %(default)s)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=None, help="where the per-model JSON lines go (default: a temporary directory)")
    args = parser.parse_args(argv)
    if not (args.before / "baselines" / "store.py").is_file():
        parser.error(f"--before {args.before} is not a motifbench checkout (no baselines/store.py)")
    split = lambda text: [part.strip() for part in text.split(",") if part.strip()]  # noqa: E731
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-recipe-"))
    work.mkdir(parents=True, exist_ok=True)
    print(compare(args.before.resolve(), split(args.tasks), split(args.archs), [int(s) for s in split(args.seeds)], work))
    print(f"\nper-model records: {work}")
    return 0


if __name__ == "__main__":
    # run as a script (the workers are): benchmark/ itself must not shadow the checkout's modules
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    sys.exit(main())
