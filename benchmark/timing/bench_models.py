"""Training and loading times of every model of a profile: ``motifbench bench models``.

Prints one row per task x architecture: whether the model was trained or
found in the cache, the seconds it took, the seconds a second (cached) load
takes, the CPU seconds of the first call (all threads of this process: on a
busy machine a fairer figure than wall time), and its test auROC/auPRC (flagged when under 0.75). With ``--cold`` the
models go to a fresh temporary directory (removed afterwards), so every model
is trained. Dataset builds are timed separately. Timings depend on what else
runs on the machine: the 1-minute load average is printed with them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import argparse
from pathlib import Path

from tabulate import tabulate

from baselines.model import FIDELITY_GATE as FLAG_BELOW

DEFAULT_TASKS = "oct4,mafk,simplified"


def run_bench(task_names: list[str], archs: list[str] | None, profile: str, seed: int = 0, cold: bool = False) -> int:
    import tasks  # noqa: PLC0415

    from baselines.architectures import ARCHITECTURES  # noqa: PLC0415
    from baselines.profiles import get_profile  # noqa: PLC0415
    from baselines.store import get_model, model_dir, model_key  # noqa: PLC0415

    get_profile(profile)
    archs = archs or ARCHITECTURES.names()
    for arch in archs:
        ARCHITECTURES[arch]
    start = time.perf_counter()
    datasets = {name: tasks.build(name, progress=False) for name in task_names}
    print(f"datasets ({', '.join(task_names)}) ready in {time.perf_counter() - start:.1f} s")
    root = Path(tempfile.mkdtemp(prefix="baselines-bench-")) if cold else None
    rows, total_first, total_cached, total_cpu = [], 0.0, 0.0, 0.0
    try:
        for name, dataset in datasets.items():
            for arch in archs:
                cached_before = model_dir(dataset, arch, seed, model_key(dataset, arch, seed, profile), root).exists()
                load = os.getloadavg()[0]
                t0, c0 = time.perf_counter(), time.process_time()
                model = get_model(dataset, arch, seed=seed, profile=profile, progress=False, root=root)
                first, cpu = time.perf_counter() - t0, time.process_time() - c0
                t0 = time.perf_counter()
                get_model(dataset, arch, seed=seed, profile=profile, progress=False, root=root)
                again = time.perf_counter() - t0
                total_first += first
                total_cpu += cpu
                total_cached += again
                auroc, auprc = model.fidelity["test_auroc"], model.fidelity["test_auprc"]
                flag = "LOW" if min(auroc, auprc) < FLAG_BELOW else ""
                rows.append([name, arch, "cached" if cached_before else "trained", f"{first:.1f}", f"{cpu:.1f}", f"{again:.2f}",
                             f"{auroc:.3f}", f"{auprc:.3f}", f"{load:.1f}", flag])
                print(" | ".join(str(v) for v in rows[-1]), flush=True)
    finally:
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
    headers = ["task", "arch", "first call", "wall s", "CPU s", "cached load s", "test auROC", "test auPRC", "load avg", ""]
    print()
    print(tabulate(rows, headers=headers, tablefmt="github"))
    print(f"\nprofile {profile}: first calls {total_first:.1f} s wall ({total_cpu:.1f} CPU s) in total, "
          f"cached loads {total_cached:.2f} s in total ({len(rows)} models, {os.cpu_count()} cores, "
          f"load average now {os.getloadavg()[0]:.1f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench bench models", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="model profile (default: %(default)r)")
    parser.add_argument("--tasks", default=DEFAULT_TASKS, help="comma-separated tasks (default: %(default)r)")
    parser.add_argument("--archs", default=None, help="comma-separated architectures (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)r)")
    parser.add_argument("--cold", action="store_true", help="train into a fresh temporary models directory, so every model is trained")
    args = parser.parse_args(argv)
    archs = args.archs.split(",") if args.archs else None
    return run_bench(args.tasks.split(","), archs, args.profile, args.seed, args.cold)
