"""The ``motifbench`` command: one entry point with a subcommand per job (``python -m benchmark`` is the same).

    motifbench run [--profile default] [-k EXPR] [-n 2]   run a grid (pytest benchmark/ ...), then render the board
    motifbench runs [NAME|PATH.toml]                       list the built-in run files, or describe one
    motifbench tasks  list | build | show | warmup ...     the simulated datasets
    motifbench models list | train | show | check ...      the models that get explained
    motifbench methods list | explain ...                  the attribution methods and references
    motifbench board [--check] [--results-dir DIR]         render leaderboard.md and its pages from results/
    motifbench findings | draws | redraw ...               the paper's findings across models, seed draws, two runs
    motifbench verify-pr --candidate DIR                   judge a pull request's results with this checkout's code
    motifbench warm [--profile default]                    build a grid's models into the cache; which draw each is
    motifbench bench methods | models | deeplift | fastism | recipe | watchdog   speed measurements

Each subcommand has its own ``--help``. Subcommands import what they need only
when they run, so ``motifbench --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

#: subcommand -> (module, function taking argv, one-line help)
FORWARDED = {
    "tasks": ("tasks.__main__", "main", "build, list and inspect the simulated datasets"),
    "models": ("baselines.cli", "main", "train, inspect and check the models that get explained"),
    "methods": ("methods.__main__", "main", "list the attribution methods, or explain one cell"),
    "board": ("benchmark.board.leaderboard", "main", "render leaderboard.md and its pages from a results directory"),
    "findings": ("benchmark.analysis.findings", "main", "the paper's findings tested across trained models"),
    "draws": ("benchmark.analysis.draws", "main", "would each verdict survive other seeds? (every 3-seed draw)"),
    "redraw": ("benchmark.analysis.redraw", "main", "what moved between two runs of one grid"),
    "verify-pr": ("benchmark.grid.trusted", "main", "judge a pull request's results/ with this checkout's code"),
    "warm": ("benchmark.grid.warm", "main", "build a grid's models into the cache and say which draw each is"),
}
BENCH = {
    "methods": ("benchmark.timing.bench", "main", "every method against its plain-TF floor -> docs/speed.json"),
    "models": ("benchmark.timing.bench_models", "main", "seconds to train (cold) and load (cached) every model"),
    "deeplift": ("benchmark.timing.bench_deeplift", "main", "where DeepLIFT's and DeepSHAP's time goes"),
    "fastism": ("benchmark.timing.bench_fastism", "main", "fastISM against the batched naive ISM"),
    "recipe": ("benchmark.timing.bench_recipe", "main", "training cost and auROC of this recipe against another checkout's"),
    "conformance": ("benchmark.timing.conformance", "main", "DeepLIFT/DeepSHAP implementations by layer pattern -> docs/conformance.md"),
    "watchdog": ("benchmark.timing.bench_watchdog", "main", "what the hard cell limit costs: the worker's fork and each cell's round trip"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motifbench", description=__doc__.split("\n\nEach subcommand")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Run `motifbench SUBCOMMAND --help` for a subcommand's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    run = sub.add_parser("run", help="run a grid of cells (pytest benchmark/), then render its board",
                         description="Run a grid: the same as `pytest benchmark/ --profile NAME -n JOBS --dist loadgroup`. "
                                     "Options after `--` go to pytest (e.g. -- --shard 1/4 --retry-failed).")
    run.add_argument("--profile", default="default", help="a built-in run file (motifbench runs) or a run-file path (default: %(default)s)")
    run.add_argument("-k", dest="keyword", default=None, help="only cells whose id matches this pytest -k expression")
    run.add_argument("-n", dest="jobs", type=int, default=2, help="worker processes, one model group each (default: %(default)s)")
    run.add_argument("pytest_args", nargs="*", help="further pytest options, after --")
    runs = sub.add_parser("runs", help="list the built-in run files, or describe one")
    runs.add_argument("run", nargs="?", help="a built-in run name or a run-file path to describe")
    for name, (_, _, text) in FORWARDED.items():
        sub.add_parser(name, help=text, add_help=False)
    bench = sub.add_parser("bench", help="speed measurements (methods, models, deeplift, fastism, recipe)", add_help=False)
    bench.add_argument("what", nargs="?", choices=sorted(BENCH), metavar="{" + ",".join(sorted(BENCH)) + "}")
    return parser


def _forward(target: tuple[str, str, str], argv: list[str], prog: str) -> int:
    module, function, _ = target
    sys.argv[0] = prog
    result = getattr(importlib.import_module(module), function)(argv)
    return int(result or 0)


def _run(args: argparse.Namespace) -> int:
    # the grid lives in the checkout; relative paths (a run file, --results-dir) stay relative to where you are
    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pytest", str(repo / "benchmark"), "--rootdir", str(repo),
               "-c", str(repo / "pyproject.toml"), "-p", "no:randomly", "-p", "no:cacheprovider",
               "--profile", args.profile, "-q", "-rfE"]
    if args.jobs > 1:
        command += ["-n", str(args.jobs), "--dist", "loadgroup"]
    if args.keyword:
        command += ["-k", args.keyword]
    command += args.pytest_args
    print(" ".join(command[1:]), flush=True)
    return subprocess.call(command)


def _runs(name: str | None) -> int:
    from benchmark.grid.runfile import RunFileError, builtin_runs, read_run  # noqa: PLC0415 (reads task specs)

    if name is None:
        for run_name, path in builtin_runs().items():
            profile = read_run(path)
            print(f"{run_name:12s} {profile.description}")
            print(f"{'':12s} {path}  (motifbench run --profile {run_name})")
        print("Your own grid: write a run file (docs/run-files.md) and pass its path to --profile.")
        return 0
    try:
        profile = read_run(name)
    except RunFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{profile.name}: {profile.description}")
    print(f"  file: {profile.source}")
    print(f"  tasks: {', '.join(profile.tasks)}" + (f" (settings: {dict(profile.task_settings)})" if profile.task_settings else ""))
    for variant in profile.models:
        how = "pretrained " + variant.source if variant.pretrained else (variant.source or variant.arch)
        extra = f" {dict(variant.overrides)}" if variant.overrides else ""
        print(f"  model {variant.id}: {how}{extra}" + (f" on {', '.join(variant.tasks)}" if variant.tasks else ""))
    print(f"  seeds {list(profile.seeds)}; model_profile {profile.model_profile}; n_eval {profile.n_eval} "
          f"{dict(profile.n_eval_by_kind) or ''}; sanity_n {profile.sanity_n}")
    print(f"  methods: {', '.join(profile.methods) if profile.methods else 'all'}; references: {', '.join(profile.main_references)}")
    print(f"  fidelity_threshold {profile.fidelity_threshold}; cell_timeout {profile.cell_timeout or 'none'}; "
          f"{len(profile.ablations)} ablation(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in FORWARDED:
        return _forward(FORWARDED[argv[0]], argv[1:], f"motifbench {argv[0]}")
    if argv and argv[0] == "bench" and len(argv) > 1 and argv[1] in BENCH:
        return _forward(BENCH[argv[1]], argv[2:], f"motifbench bench {argv[1]}")
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "runs":
        return _runs(args.run)
    print("usage: motifbench bench {" + ",".join(sorted(BENCH)) + "} [options]\n")
    for name, (_, _, text) in sorted(BENCH.items()):
        print(f"  {name:10s} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
