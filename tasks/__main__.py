"""Command line: ``motifbench tasks list | build NAME|SPEC.toml | show NAME|SPEC.toml``."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from tasks.motifs import MotifError
from tasks.sequences import SequenceError
from tasks.sources import PeakError
from tasks.spec import SpecError

def damaged_reason(directory) -> str:
    """Why a built dataset directory is damaged ("" when it verifies)."""
    from tasks.dataset import CorruptDatasetError, verify_files  # noqa: PLC0415

    try:
        verify_files(directory)
    except CorruptDatasetError as error:
        return str(error)
    return ""


def dataset_state(directory) -> str:
    """"not built", "built" (every file matches its sha256) or "damaged"."""
    if not (directory / "manifest.json").exists():
        return "not built"
    return "damaged" if damaged_reason(directory) else "built"


EXPECTED_ERRORS = (SpecError, MotifError, SequenceError, PeakError, FileNotFoundError, KeyError)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motifbench tasks",
        description="Build and inspect motifbench's simulated tasks (datasets with known motif positions). "
        "Built datasets are cached under $MOTIFBENCH_CACHE/tasks (default <repo>/.cache/tasks).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the registered tasks and whether each is built")
    build = sub.add_parser("build", help="build a task (a cache hit when nothing changed)")
    build.add_argument("task", nargs="+", help="task name (see `list`) or path to a spec .toml")
    build.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    sub.add_parser(
        "warmup",
        help="compile the numba kernels of FIMO and TOMTOM once (cached on disk; a fresh install "
        "otherwise pays this on its first realistic build)",
    )
    show = sub.add_parser("show", help="print a task's summary and write <name>-summary.txt/.png")
    show.add_argument("task", help="task name or path to a spec .toml (built first if needed)")
    show.add_argument("--out", default=None, help="folder for the summary files (default: the task's cache folder)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    import tasks

    try:
        if args.command == "list":
            for name, path in tasks.TASKS.items():
                spec = tasks.load_spec(name)
                try:
                    state = dataset_state(tasks.cache_dir(spec))
                except SpecError:
                    state = "needs your files"
                print(f"{name:16s} {spec.source:13s} {state:17s} {spec.description}")
                if state == "damaged":
                    print(f"  {damaged_reason(tasks.cache_dir(spec))}; `motifbench tasks build {name}` rebuilds it")
        elif args.command == "build":
            for task in args.task:
                started = time.perf_counter()
                dataset = tasks.build(task, progress=not args.no_progress)
                print(
                    f"{dataset.name}: {len(dataset.y)} sequences x {dataset.length} bp, {len(dataset.motifs)} motifs, "
                    f"eval prevalence {dataset.prevalence:.3f} ({time.perf_counter() - started:.1f} s) -> {dataset.path}"
                )
        elif args.command == "warmup":
            from tasks.scan import warmup

            print(f"FIMO and TOMTOM kernels ready ({warmup():.1f} s)")
        elif args.command == "show":
            from tasks.show import show

            text, text_path, png_path = show(tasks.build(args.task), args.out)
            print(text)
            print(f"wrote {text_path}\nwrote {png_path}")
    except EXPECTED_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
