"""``python -m benchmark runs [NAME|PATH.toml]``: list the built-in run files, or describe one.

The leaderboard has its own entry point: ``python -m benchmark.leaderboard``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark", description="motifbench benchmark grid")
    commands = parser.add_subparsers(dest="command", required=True)
    runs = commands.add_parser("runs", help="list the built-in run files (--profile NAME), or describe one")
    runs.add_argument("run", nargs="?", help="a built-in run name or a run file path to describe")
    args = parser.parse_args(argv)
    from benchmark.runfile import RunFileError, builtin_runs, read_run  # noqa: PLC0415

    if args.run is None:
        for name, path in builtin_runs().items():
            profile = read_run(path)
            print(f"{name:10s} {profile.description}")
            print(f"{'':10s} {path}  (pytest benchmark/ --profile {name})")
        print("Your own grid: write a run file (see benchmark/runfile.py or README) and pass its path to --profile.")
        return 0
    try:
        profile = read_run(args.run)
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


if __name__ == "__main__":
    sys.exit(main())
