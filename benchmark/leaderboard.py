"""Render leaderboard.md (and the figures) from a results directory alone, deterministically.

Usage::

    python -m benchmark.leaderboard                 # results/ -> leaderboard.md + docs/figures/*.png
    python -m benchmark.leaderboard --check         # exit 1 if leaderboard.md is not what results/ gives,
                                                    # or a result file fails its digest or the schema
    python -m benchmark.leaderboard --prune         # delete results of cells no longer in the grid
    python -m benchmark.leaderboard --results-dir .cache/results-smoke --output /tmp/lb.md --no-figures

The markdown depends only on the result files (no timestamps, sorted
everything, fixed bootstrap seed), so ``--check`` can fail CI when someone
edits results/ or leaderboard.md by hand, or forgets to regenerate.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from benchmark import sections, tables
from benchmark import results as results_store
from benchmark.sections import REPRODUCE
from tasks.cache import REPO_ROOT

log = logging.getLogger(__name__)

DEFAULT_OUTPUT = REPO_ROOT / "leaderboard.md"
DEFAULT_FIGURES = REPO_ROOT / "docs" / "figures"


def render(records: list[dict], problems: list[str] | None = None, results_label: str = "results/",
           figures_prefix: str | None = "docs/figures") -> str:
    """The whole leaderboard as markdown (pure function of the records)."""
    problems = problems or []
    out = ["# motifbench leaderboard", "",
           f"Generated from `{results_label}` by `python -m benchmark.leaderboard`; do not edit by hand.",
           f"Reproduce: `{REPRODUCE}`.", ""]
    if not records:
        out += ["No results yet: run `make run` (or `pytest benchmark/ --profile smoke` for a quick check).", ""]
        out += sections.problems_section(problems)
        return "\n".join(out).rstrip() + "\n"
    ok = tables.ok_records(records)
    data = tables.dataset_rows(records)
    out += sections.legend_section(data)
    overall = tables.overall(records)
    out += sections.findings_section(records)
    out += sections.overall_section(overall, figures_prefix)
    out += sections.per_group_section(records)
    out += sections.reference_ablation_section(records, figures_prefix)
    out += sections.param_ablation_section(records)
    out += sections.simplified_vs_realistic_section(records)
    out += sections.kernel_width_section(records, figures_prefix)
    out += sections.fidelity_section(records)
    out += sections.sanity_section(records)
    out += sections.failures_section(records)
    out += sections.problems_section(problems)
    out += sections.provenance_section(records, data, len(ok))
    return "\n".join(out).rstrip() + "\n"


def write_outputs(results_dir: Path, profile: str = "default", output: Path | None = None,
                  figures_dir: Path | None = None, with_figures: bool = True) -> list[Path]:
    """Render the leaderboard (and figures) of `results_dir`; returns the paths written.

    Default profile: leaderboard.md and docs/figures/ at the repository root;
    other profiles: ``<results_dir>/leaderboard.md`` and ``<results_dir>/figures``.
    """
    results_dir = Path(results_dir)
    in_repo = profile == "default" and results_dir.resolve() == (REPO_ROOT / "results").resolve()
    output = Path(output) if output else (DEFAULT_OUTPUT if in_repo else results_dir / "leaderboard.md")
    figures_dir = Path(figures_dir) if figures_dir else (DEFAULT_FIGURES if in_repo else results_dir / "figures")
    records, problems = trusted_records(results_dir, _grid_profile(results_dir, profile))
    prefix = _relative(figures_dir, output.parent)
    text = render(records, problems, _label(results_dir), prefix)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    written = [output]
    if with_figures and tables.ok_records(records):
        from benchmark.figures import write_figures  # noqa: PLC0415 (matplotlib)

        data = tables.dataset_rows(records)
        prevalence = float(np.mean([d["prevalence"] for d in data if d["prevalence"] is not None])) if data else None
        written += write_figures(records, tables.overall(records), figures_dir, prevalence)
    return written


# -- which files the board may rank (issue 11) --------------------------------------------------

def grid_relpaths(profile: str) -> set[str] | None:
    """Relative result paths of every cell of `profile`'s grid (None for an unknown profile)."""
    from benchmark.profiles import PROFILES, grid_cells  # noqa: PLC0415

    if profile not in PROFILES:
        return None
    import baselines  # noqa: PLC0415 (imports TensorFlow: a few seconds)
    import methods  # noqa: PLC0415

    return {str(c.relpath()) for c in grid_cells(PROFILES[profile], methods.METHODS, baselines.arch_kind)}


def _grid_profile(results_dir: Path, profile: str) -> str | None:
    """`profile` when `results_dir` is that profile's own results directory, else None (no grid check:
    a hand-made or merged directory may hold any cells)."""
    from benchmark.session import default_results_dir  # noqa: PLC0415

    return profile if Path(results_dir).resolve() == Path(default_results_dir(profile)).resolve() else None


def trusted_records(results_dir: Path, profile: str | None = "default") -> tuple[list[dict], list[str]]:
    """(records the board ranks, lines naming every file it does not rank and why).

    Ranked: files that satisfy the results schema and whose digest verifies,
    of cells in `profile`'s grid (any cell when `profile` is None). Listed instead: corrupt, edited (digest),
    invalid (field named) and stale-schema files, and results of cells no
    longer in the grid (``--prune`` deletes those).
    """
    results_dir = Path(results_dir)
    records, excluded = results_store.load_checked(results_dir)
    stale = [p for p, e in excluded if isinstance(e, results_store.StaleResultError)]
    # paths relative to the results directory, so the board reads the same in every checkout
    lines = [str(e).replace(str(p), str(p.relative_to(results_dir)))
             for p, e in excluded if not isinstance(e, results_store.StaleResultError)]
    if stale:
        lines.append(f"{len(stale)} files of an older results schema (stale; this motifbench reads schema "
                     f"{results_store.SCHEMA}), recomputed by the next run: "
                     + ", ".join(f"`{p.relative_to(results_dir)}`" for p in stale))
    grid = grid_relpaths(profile) if records and profile else None
    if grid is not None:
        orphans = [r for r in records if r["_path"] not in grid]
        records = [r for r in records if r["_path"] in grid]
        lines += [f"{r['_path']}: cell {r['cell']['id']} is no longer in the {profile} grid "
                  "(listed, not ranked; `python -m benchmark.leaderboard --prune` deletes it)" for r in orphans]
    return records, lines


def file_problems(results_dir: Path) -> list[str]:
    """Messages for result files that must fail CI: edited (digest), corrupt or invalid; stale ones pass."""
    _, excluded = results_store.load_checked(Path(results_dir))
    return [str(e) for _, e in excluded if not isinstance(e, results_store.StaleResultError)]


def prune(results_dir: Path, profile: str = "default") -> list[Path]:
    """Delete the valid result files of cells no longer in `profile`'s grid; returns their paths."""
    results_dir = Path(results_dir)
    records, _ = results_store.load_checked(results_dir)
    grid = grid_relpaths(profile)
    if grid is None:
        raise ValueError(f"unknown profile {profile!r}: cannot tell which cells are in its grid")
    removed = []
    for record in records:
        if record["_path"] not in grid:
            path = results_dir / record["_path"]
            path.unlink()
            removed.append(path)
    return removed


def _label(results_dir: Path) -> str:
    try:
        return str(Path(results_dir).resolve().relative_to(REPO_ROOT)) + "/"
    except ValueError:
        return str(results_dir)


def _relative(target: Path, start: Path) -> str:
    import os  # noqa: PLC0415

    return os.path.relpath(Path(target).resolve(), Path(start).resolve())


def check(results_dir: Path, output: Path) -> tuple[bool, str]:
    """(up to date?, message) comparing `output` to what `results_dir` renders."""
    records, problems = trusted_records(results_dir, _grid_profile(results_dir, "default"))
    expected = render(records, problems, _label(results_dir), _relative(DEFAULT_FIGURES, Path(output).parent))
    if not Path(output).exists():
        return False, f"{output} does not exist; run `python -m benchmark.leaderboard` to create it from {results_dir}"
    current = Path(output).read_text()
    if current == expected:
        return True, f"{output} is up to date with {results_dir} ({len(records)} result files)"
    import difflib  # noqa: PLC0415

    diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(), "leaderboard.md (committed)", "rendered from results/", lineterm="", n=0))
    shown = "\n".join(diff[:20])
    return False, (f"{output} is stale: it differs from what {results_dir} renders ({len(diff)} diff lines; first ones below).\n"
                   f"Regenerate with `python -m benchmark.leaderboard` and commit it.\n{shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.leaderboard", description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "results", help="results directory (default: results/)")
    parser.add_argument("--output", type=Path, default=None, help="markdown file (default: leaderboard.md)")
    parser.add_argument("--figures-dir", type=Path, default=None, help="figure directory (default: docs/figures)")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the markdown is stale or a result file is edited (digest), corrupt or invalid")
    parser.add_argument("--check-files", action="store_true",
                        help="exit 1 if a result file is edited (digest), corrupt or invalid (leaderboard.md not compared)")
    parser.add_argument("--prune", action="store_true",
                        help="delete result files of cells no longer in the profile's grid, then render")
    parser.add_argument("--profile", default="default", help="grid the results belong to (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.check_files:
        bad = file_problems(args.results_dir)
        for message in bad:
            print(f"error: {message}", file=sys.stderr)
        print(f"{len(bad)} unusable result file(s) in {args.results_dir}", file=sys.stderr if bad else sys.stdout)
        return 1 if bad else 0
    if args.check:
        bad = file_problems(args.results_dir)
        for message in bad:
            print(f"error: {message}", file=sys.stderr)
        ok, message = check(args.results_dir, args.output or DEFAULT_OUTPUT)
        print(message, file=sys.stdout if ok else sys.stderr)
        return 0 if ok and not bad else 1
    if args.prune:
        for path in prune(args.results_dir, args.profile):
            print(f"removed {path} (its cell is no longer in the {args.profile} grid)")
    written = write_outputs(args.results_dir, args.profile, args.output, args.figures_dir, not args.no_figures)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
