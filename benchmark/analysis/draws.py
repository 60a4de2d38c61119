"""Would a verdict survive other seeds? ``motifbench draws results <cache>/results-replication``.

The board judges each of the paper's findings on one draw of three seeds per
model (0-2), and ``make replicate`` on one more (3-5). Given the results of
several seed sets of the same grid, this pools them and re-evaluates every
finding (`benchmark.analysis.findings.evaluate_all`, the board's own code) on every
subset of ``--draw-size`` seeds: with six seeds, the 20 three-seed draws a
board could have been made from. For each finding it counts, over those draws,
the verdicts in the paper's view (observed base, all hits, |score|):

- ``reproduced`` / ``opposite``: firm verdicts (the interval over models and sequences decides, and
  not overturned by dropping any one model);
- ``fragile``: significant, but one model can overturn it;
- ``neither``: not significant, inconclusive, not reproduced, too few models.

A finding whose firm verdict holds in every draw does not depend on which seeds
were trained; one that is firm in some draws and not in others does. The draws
share models (two three-seed draws of six seeds overlap), so the counts are a
measure of how much a verdict leans on particular seeds, not independent
replications.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from pathlib import Path

from benchmark.analysis import findings
from benchmark.store.results import load_all, warn_unusable

#: Verdict classes, in the order the table shows them.
CLASSES = ("reproduced", "opposite", "fragile", "neither")
#: Seeds per draw: the board's three (as `baselines.check.DRAW_SIZE` for the fidelity bar).
DRAW_SIZE = 3


def verdict_class(verdict_text: str) -> str:
    """"reproduced", "opposite" (firm), "fragile" (significant but fragile) or "neither"."""
    firm = findings.firm_verdict(verdict_text)
    if firm:
        return firm
    if "fragile" in verdict_text:
        return "fragile"
    return "neither"


def pool(runs: dict[str, list[dict]]) -> list[dict]:
    """One list of records from several results directories of the same grid with disjoint seeds.

    Raises ValueError naming both directories when a seed appears in more than one.
    """
    owner = {}
    for name, records in runs.items():
        for seed in {int(r["cell"]["seed"]) for r in records}:
            if seed in owner:
                raise ValueError(f"seed {seed} is in both {owner[seed]} and {name}: pool results of disjoint seed sets "
                                 "(e.g. results/ with seeds 0-2 and the cache's results-replication with 3-5)")
            owner[seed] = name
    return [r for records in runs.values() for r in records]


def verdicts_over_draws(records: list[dict], draw_size: int = DRAW_SIZE,
                        view: tuple = findings.VIEWS[0]) -> tuple[list[tuple[int, ...]], dict[str, list[str]]]:
    """Evaluate every finding on each `draw_size`-subset of the records' seeds.

    Returns (draws in lexicographic order, finding name -> its verdict text in each draw, same order).
    Raises ValueError when the records hold fewer than `draw_size` seeds.
    """
    seeds = sorted({int(r["cell"]["seed"]) for r in records})
    if len(seeds) < draw_size:
        raise ValueError(f"need at least {draw_size} seeds to draw {draw_size}, the results hold {seeds}")
    draws = list(itertools.combinations(seeds, draw_size))
    out: dict[str, list[str]] = {}
    for draw in draws:
        chosen = set(draw)
        evaluated = findings.evaluate_all([r for r in records if int(r["cell"]["seed"]) in chosen])
        for row in evaluated:
            out.setdefault(row["name"], []).append(row["views"][findings.view_key(view)]["verdict"])
    return draws, out


def summary_rows(draws: list[tuple[int, ...]], verdicts: dict[str, list[str]]) -> list[list]:
    """One row per finding: name, the first draw's verdict, then the count of each class in `CLASSES`."""
    rows = []
    for name, texts in verdicts.items():
        counts = Counter(verdict_class(t) for t in texts)
        rows.append([name, texts[0], *(f"{counts[c]} of {len(draws)}" if counts[c] else "" for c in CLASSES)])
    return rows


def main(argv: list[str] | None = None) -> int:
    """Pool results of disjoint seed sets and count each finding's verdict over every draw of three seeds."""
    from benchmark.analysis.markdown import md_table

    parser = argparse.ArgumentParser(prog="motifbench draws", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, metavar="DIR",
                        help="results directories of the same grid with disjoint seeds, e.g. results <cache>/results-replication")
    parser.add_argument("--draw-size", type=int, default=DRAW_SIZE, help="seeds per draw (default: %(default)s, as on the board)")
    parser.add_argument("--markdown", type=Path, default=None, metavar="PATH",
                        help="also write the table, with the command that made it, to this Markdown file")
    args = parser.parse_args(argv)
    try:
        if len({d.resolve() for d in args.runs}) < len(args.runs):
            raise ValueError(f"a results directory is given twice: {' '.join(map(str, args.runs))}")
        loaded = {}
        for directory in args.runs:
            if not directory.is_dir():
                raise ValueError(f"{directory} is not a results directory")
            loaded[str(directory)], problems = load_all(directory)
            warn_unusable(directory, problems)  # left out of every draw: say so rather than count silently
        draws, verdicts = verdicts_over_draws(pool(loaded), args.draw_size)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    first = ",".join(map(str, draws[0]))
    table = md_table(summary_rows(draws, verdicts), ["finding", f"verdict on seeds {first}", *CLASSES])
    lines = [f"Every finding in the board's headline view ({findings.view_key(findings.VIEWS[0])}), evaluated on each of the "
             f"{len(draws)} draws of {args.draw_size} seeds from {sorted({s for d in draws for s in d})}.", "", table]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        command = "motifbench draws " + " ".join(map(str, args.runs))
        args.markdown.write_text(f"Written by `{command}`; do not edit by hand. Counts are over draws that share "
                                 "models, not independent replications.\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
