"""Render the board (leaderboard.md, its linked pages, the README headline, figures) from a results directory alone.

Usage::

    motifbench board                 # results/ -> leaderboard.md, docs/board/*.md, README headline, docs/figures/*.png
    motifbench board --check         # exit 1 if any of the markdown is not what results/ gives,
                                     # a result file fails its digest or the schema,
                                     # or a cell of the grid has no usable result
    motifbench board --prune         # delete results of cells no longer in the grid, and killed writes' leftovers
    motifbench board --results-dir .cache/results-smoke --output /tmp/lb.md --no-figures

leaderboard.md opens with the answer (overall ranking with CIs, the findings
table, the position control); per-model tables, ablations, model fidelity and
provenance live on linked pages (`PAGES`, under docs/board/ beside the
default leaderboard, under ``board/`` beside any other output). The README's
headline sits between `README_BEGIN` and `README_END` and is rewritten from the
same rows. Everything depends only on the result files (no timestamps, sorted
everything, fixed bootstrap seeds), so ``--check`` can fail CI when someone
edits results/, a page or the README headline by hand, or forgets to regenerate.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from benchmark.analysis import findings, inventory, ranking, tables
from benchmark.board import activation
from benchmark.board.faithfulness import faithfulness_page
from benchmark.board.grammar import grammar_page

from benchmark.board import headline, sections
from benchmark.board import pages as detail_pages
from benchmark.board.sections import REPRODUCE
from benchmark.grid.session import BOARD_RUNS
from benchmark.store.results import GROUND_TRUTH_FIELD, NO_GROUND_TRUTH
from benchmark.analysis.trust import file_problems, grid_profile_of, missing_cells, prune, trusted_records  # noqa: F401 (re-exported)
from tasks.cache import REPO_ROOT
from benchmark.board import boardstamp

log = logging.getLogger(__name__)

DEFAULT_OUTPUT = REPO_ROOT / "leaderboard.md"
DEFAULT_FIGURES = REPO_ROOT / "docs" / "figures"
DEFAULT_PAGES = REPO_ROOT / "docs" / "board"
README = REPO_ROOT / "README.md"
README_BEGIN = "<!-- headline:begin (rendered from results/ by motifbench board; do not edit by hand) -->"
README_END = "<!-- headline:end -->"
PAGES = {
    "views": "Rankings under other views (positive part, used hits, max |.| over bases; the simplified task)",
    "findings": "The findings in detail (every view, per-model differences, sequence-level tests)",
    "groups": "Per task × model tables (every cell)",
    "ablations": "Ablations: references, method parameters, kernel width, simplified vs realistic",
    "models": "Tasks, model fidelity (and the gate), used hits, the weight-randomisation check",
    "faithfulness": "Faithfulness without planted truth (deletion, insertion) and its agreement with planted truth",
    "grammar": "Grammar tasks: sign, decoys and the rule beside localisation",
    "provenance": "Provenance, failed cells, unusable files",
}


def render_all(records: list[dict], problems: list[str] | None = None, results_label: str = "results/",
               figures_prefix: str | None = "docs/figures", pages_prefix: str = "docs/board",
               page_figures_prefix: str | None = "../figures", back_link: str = "../../leaderboard.md") -> dict[str, str]:
    """Every page as markdown (pure function of the records): {"main": leaderboard, <page name>: page}."""
    problems = problems or []
    links = {name: f"{pages_prefix}/{name}.md" for name in PAGES}
    top = ["# motifbench leaderboard", "",
           f"Generated from `{results_label}` by `motifbench board`; do not edit by hand.",
           f"Reproduce: `{REPRODUCE}`.", ""]
    if not records:
        main = top + ["No results yet: run `make run` (or `pytest benchmark/ --profile smoke` for a quick check).", ""]
        main += sections.problems_section(problems)
        return {"main": _join(main)}
    every_record, records = records, with_planted_truth(records)
    back = f"[← leaderboard]({back_link})"
    if not records:  # only tasks without planted truth (real sequences): faithfulness is the board
        main = top + ["Every task here is real sequences without planted motifs, so methods are scored by faithfulness "
                      f"alone: [{PAGES['faithfulness']}]({links['faithfulness']}).", "",
                      *sections.failures_section(every_record), *sections.problems_section(problems)]
        page = faithfulness_page(every_record)
        return {"main": _join(main),
                "faithfulness": _join([back, "", f"Generated from `{results_label}`; do not edit by hand.", "", *page])}
    finding_rows = findings.evaluate_all(records)
    main = top + [" · ".join(f"[{name}]({link})" for name, link in links.items()), ""]
    main += headline.ranking_section(records, links)
    main += headline.gate_section(records, links)
    if figures_prefix:
        main += [f"![overall auPRC]({figures_prefix}/overall_auprc.png)", ""]
    main += headline.findings_section(finding_rows, links, findings.implementation_gap(records))
    main += headline.position_section(records, links)
    main += ["## More", "", *[f"- [{text}]({links[name]})" for name, text in PAGES.items()], ""]
    data = inventory.dataset_rows(records)
    pages = {
        "views": detail_pages.views_page(records),
        "findings": detail_pages.findings_page(finding_rows),
        "groups": ["# Per task × model", "", *sections.per_group_section(records)[2:]],
        "ablations": ["# Ablations", "", *sections.reference_ablation_section(records, page_figures_prefix),
                      *sections.param_ablation_section(records), *sections.simplified_vs_realistic_section(records),
                      *sections.kernel_width_section(records, page_figures_prefix), *activation.activation_section(records)],
        "models": ["# Tasks and models", "", *sections.legend_section(data), *sections.fidelity_section(records),
                   *sections.sanity_section(records)],
        "faithfulness": faithfulness_page(every_record),
        "grammar": grammar_page(records),
        "provenance": ["# Provenance", "", *sections.failures_section(records), *sections.problems_section(problems),
                       *sections.provenance_section(records, data, len(tables.ok_records(records)))],
    }
    out = {"main": _join(main)}
    for name, lines in pages.items():
        out[name] = _join([back, "", f"Generated from `{results_label}`; do not edit by hand.", "", *lines])
    return out


def with_planted_truth(records: list[dict]) -> list[dict]:
    """The records the planted-truth sections can read: all but the cells of tasks without planted truth."""
    return [r for r in records if r.get(GROUND_TRUTH_FIELD) != NO_GROUND_TRUTH]


def render(records: list[dict], problems: list[str] | None = None, results_label: str = "results/",
           figures_prefix: str | None = "docs/figures") -> str:
    """The main page (leaderboard.md) as markdown."""
    return render_all(records, problems, results_label, figures_prefix)["main"]


def _join(lines: list[str]) -> str:
    return "\n".join(lines).rstrip() + "\n"


def pages_dir_for(output: Path) -> Path:
    """Where the linked pages of `output` live: docs/board/ for the repository's leaderboard, else ``board/`` beside it."""
    output = Path(output)
    return DEFAULT_PAGES if output.resolve() == DEFAULT_OUTPUT.resolve() else output.parent / "board"


def expected_files(results_dir: Path, output: Path, figures_dir: Path, profile: str = "default") -> dict[Path, str]:
    """path -> text of every markdown file the board consists of (README only for the repository's leaderboard).

    Only trusted files are ranked (`benchmark.analysis.trust`); the others are listed on the provenance page.
    """
    records, problems = trusted_records(results_dir, grid_profile_of(results_dir, profile))
    output = Path(output)
    pages_dir = pages_dir_for(output)
    rendered = render_all(records, problems, _label(results_dir), _relative(figures_dir, output.parent),
                          _relative(pages_dir, output.parent), _relative(figures_dir, pages_dir), _relative(output, pages_dir))
    files = {output: rendered.pop("main")}
    files.update({pages_dir / f"{name}.md": text for name, text in rendered.items()})
    if output.resolve() == DEFAULT_OUTPUT.resolve() and README.exists():
        truth_records = with_planted_truth(records)
        block = headline.readme_block(truth_records, findings.evaluate_all(truth_records)) if truth_records else ["No results yet."]
        files[README] = replace_readme_block(README.read_text(), block)
    return files


def replace_readme_block(text: str, block: list[str]) -> str:
    """`text` with the lines between the headline markers replaced by `block` (ValueError if the markers are missing)."""
    if README_BEGIN not in text or README_END not in text:
        raise ValueError(f"README.md has no headline markers; put {README_BEGIN!r} and {README_END!r} around its headline")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return head + README_BEGIN + "\n" + "\n".join(block).rstrip() + "\n" + README_END + tail


def write_outputs(results_dir: Path, profile: str = "default", output: Path | None = None,
                  figures_dir: Path | None = None, with_figures: bool = True, reuse: bool = False) -> list[Path]:
    """Render the board (and figures) of `results_dir`; returns the paths written.

    Default profile: leaderboard.md, docs/board/, the README headline and
    docs/figures/ at the repository root; other profiles:
    ``<results_dir>/leaderboard.md``, ``<results_dir>/board/`` and ``<results_dir>/figures``.
    reuse: keep the board on disk when nothing it is rendered from changed since it was written
    (`benchmark.board.boardstamp`); the benchmark session does this, the command line always renders.
    """
    results_dir = Path(results_dir)
    output, figures_dir = board_paths(results_dir, profile, output, figures_dir)
    key = boardstamp.fingerprint(results_dir, profile, output, figures_dir, with_figures)
    if reuse:
        kept = boardstamp.unchanged(output, key)
        if kept is not None:
            log.info("the board of %s is unchanged since it was rendered; kept it", results_dir)
            return kept
    written = _render_files(results_dir, profile, output, figures_dir, with_figures)
    boardstamp.remember(output, key, written)
    return written


def board_paths(results_dir: Path, profile: str = "default", output: Path | None = None,
                figures_dir: Path | None = None) -> tuple[Path, Path]:
    """(markdown file, figure directory) of the board of `results_dir`: the given ones, else the defaults of `write_outputs`."""
    in_repo = profile in BOARD_RUNS and Path(results_dir).resolve() == (REPO_ROOT / "results").resolve()
    output = Path(output) if output else (DEFAULT_OUTPUT if in_repo else Path(results_dir) / "leaderboard.md")
    figures_dir = Path(figures_dir) if figures_dir else (DEFAULT_FIGURES if in_repo else Path(results_dir) / "figures")
    return output, figures_dir


def _render_files(results_dir: Path, profile: str, output: Path, figures_dir: Path, with_figures: bool) -> list[Path]:
    """Write every board file and figure (see `write_outputs`); returns the paths written."""
    written = []
    for path, text in expected_files(results_dir, output, figures_dir, profile).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    records, _ = trusted_records(results_dir, grid_profile_of(results_dir, profile))
    records = with_planted_truth(records)
    if with_figures and tables.ok_records(records):
        from benchmark.board.figures import write_figures  # noqa: PLC0415 (matplotlib)

        rows = ranking.ranking(records, "keras", tables.HEADLINE, headline.main_scope(records)[0])
        written += write_figures(records, rows, figures_dir)
    return written


def _label(results_dir: Path) -> str:
    try:
        return str(Path(results_dir).resolve().relative_to(REPO_ROOT)) + "/"
    except ValueError:
        return str(results_dir)


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(Path(target).resolve(), Path(start).resolve())


def check(results_dir: Path, output: Path, figures_dir: Path | None = None, profile: str = "default") -> tuple[bool, str]:
    """(up to date?, message) comparing the board's markdown files to what `results_dir` renders."""
    output = Path(output)
    if not output.exists():
        return False, f"{output} does not exist; run `motifbench board` to create it from {results_dir}"
    try:
        expected = expected_files(results_dir, output, Path(figures_dir) if figures_dir else DEFAULT_FIGURES, profile)
    except ValueError as error:
        return False, str(error)
    import difflib  # noqa: PLC0415

    stale = []
    for path, text in expected.items():
        current = path.read_text() if path.exists() else ""
        if current != text:
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), f"{path.name} (committed)",
                                             "rendered from results/", lineterm="", n=0))
            stale.append((path, diff))
    if not stale:
        return True, f"{output} and its {len(expected) - 1} linked files are up to date with {results_dir}"
    path, diff = stale[0]
    shown = "\n".join(diff[:20])
    names = ", ".join(str(p) for p, _ in stale)
    return False, (f"{output} is stale: {names} differ from what {results_dir} renders ({len(diff)} diff lines in the "
                   f"first; first ones below).\nRegenerate with `motifbench board` and commit it.\n{shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench board", description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "results", help="results directory (default: results/)")
    parser.add_argument("--output", type=Path, default=None, help="markdown file (default: leaderboard.md)")
    parser.add_argument("--figures-dir", type=Path, default=None, help="figure directory (default: docs/figures)")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the markdown is stale, a result file is edited (digest), corrupt or invalid, "
                             "or (for a built-in grid's own results directory) a cell of the grid has no usable result")
    parser.add_argument("--check-files", action="store_true",
                        help="exit 1 if a result file is edited (digest), corrupt or invalid (leaderboard.md not compared)")
    parser.add_argument("--prune", action="store_true",
                        help="delete result files of cells no longer in the profile's grid and temporary files left by killed runs, then render")
    parser.add_argument("--profile", default="default", help="grid the results belong to (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.check or args.check_files:
        bad = file_problems(args.results_dir)
        for message in bad:
            print(f"error: {message}", file=sys.stderr)
        if args.check_files:
            print(f"{len(bad)} unusable result file(s) in {args.results_dir}", file=sys.stderr if bad else sys.stdout)
            return 1 if bad else 0
        grid = grid_profile_of(args.results_dir, args.profile)  # the results directory of a built-in grid: none may be missing
        missing = missing_cells(args.results_dir, grid) if grid else []
        for message in missing:
            print(f"error: {message}", file=sys.stderr)
        ok, message = check(args.results_dir, *board_paths(args.results_dir, args.profile, args.output, args.figures_dir),
                            args.profile)
        if missing:
            ok, message = False, f"{len(missing)} cell(s) of the grid have no usable result (listed above); {message}"
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
