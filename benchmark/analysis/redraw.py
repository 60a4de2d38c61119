"""What moved between two runs of one grid: ``motifbench redraw OLD NEW``.

OLD and NEW are results directories (``results/``, a fresh clone's ``results/``,
``<cache>/results-replication``). A retrain on another machine, on other CPU
kernels or with another thread count is another draw of every model; this
says how far the board's numbers moved with it. Cells are matched by their
path (task / model-seed / method-reference-params). For each matched pair:

- identical: every field equal except ``runtime`` (seconds) and the
  ``digest`` that covers it;
- otherwise, how far the model's test auROC and the cell's headline auPRC
  (per-sequence mean, all hits, |score|) moved. Controls that ignore the
  model (`benchmark.analysis.tables.CONTROLS`) are left out of the auPRC moves.

Verdicts are compared by ``motifbench findings OLD NEW``; this module
gives the numbers under them. ``--require-identical`` exits 1 unless both
directories hold the same cells and every one is identical: the check that a
fresh clone reproduces the committed board on the same machine. ``--ignore
FIELD`` leaves a top-level field out (``identity`` after a code move changes
the source hashes in the input keys, ``faithfulness`` when only one run records it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.store.results import DIGEST_FIELD, load_checked
from benchmark.analysis.tables import CONTROLS

#: Fields that may differ between two runs of the same cell without the result differing.
VOLATILE_FIELDS = ("runtime", DIGEST_FIELD, "_path")


@dataclass
class Redraw:
    """The comparison of two results directories (paths relative to each)."""

    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)
    #: cell path -> the top-level fields that differ
    differing: dict[str, list[str]] = field(default_factory=dict)
    #: "task/model-sN" -> (old, new) test auROC
    model_auroc: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: cell path -> (old, new) headline auPRC, model-based cells that are "ok" on both sides
    cell_auprc: dict[str, tuple[float, float]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """Same cells on both sides, every one identical, and no unreadable file."""
        return not (self.only_old or self.only_new or self.differing or self.unreadable)


def comparable(record: dict, ignore: tuple = ()) -> dict:
    """`record` without the fields that may differ between runs of the same cell (`VOLATILE_FIELDS`) and `ignore`."""
    return {key: value for key, value in record.items() if key not in VOLATILE_FIELDS and key not in ignore}


def headline_auprc(record: dict) -> float | None:
    """The board's headline number of one "ok" record: mean per-sequence auPRC, all hits, |score|."""
    if record.get("status") != "ok":
        return None
    return record["metrics"]["all_hits"]["abs"]["auprc_mean"]


def model_test_auroc(record: dict) -> float | None:
    """The test auROC of the record's model, when the record carries one."""
    value = record.get("model", {}).get("fidelity", {}).get("test_auroc")
    return None if value is None else float(value)


def compare(old: dict[str, dict], new: dict[str, dict], ignore: tuple = ()) -> Redraw:
    """Compare records keyed by their path relative to their results directory (top-level fields in `ignore` left out)."""
    redraw = Redraw(only_old=sorted(set(old) - set(new)), only_new=sorted(set(new) - set(old)))
    for path in sorted(set(old) & set(new)):
        a, b = old[path], new[path]
        a_fields, b_fields = comparable(a, ignore), comparable(b, ignore)
        if a_fields == b_fields:
            redraw.identical.append(path)
        else:
            redraw.differing[path] = sorted(key for key in set(a_fields) | set(b_fields)
                                            if a_fields.get(key) != b_fields.get(key))
        model = str(Path(path).parent)
        auroc = model_test_auroc(a), model_test_auroc(b)
        if None not in auroc:
            redraw.model_auroc[model] = auroc
        auprc = headline_auprc(a), headline_auprc(b)
        if None not in auprc and a["cell"]["method"] not in CONTROLS:
            redraw.cell_auprc[path] = auprc
    return redraw


def compare_dirs(old_dir: Path, new_dir: Path, ignore: tuple = ()) -> Redraw:
    """`compare` the readable, digest-checked records of two results directories."""
    sides, unreadable = [], []
    for root in (Path(old_dir), Path(new_dir)):
        if not root.is_dir():
            raise SystemExit(f"error: {root} is not a results directory")
        records, excluded = load_checked(root)
        sides.append({record["_path"]: record for record in records})
        unreadable += [f"{path}: {error}" for path, error in excluded]
    redraw = compare(*sides, ignore=ignore)
    redraw.unreadable = unreadable
    return redraw


def _moves(pairs: dict[str, tuple[float, float]]) -> np.ndarray:
    return np.array([abs(b - a) for a, b in pairs.values()], dtype=float)


def summary(redraw: Redraw, top: int = 5) -> str:
    """A plain-text report: cell counts, then median / 95th percentile / max of each move, then the largest."""
    matched = len(redraw.identical) + len(redraw.differing)
    lines = [f"cells in both: {matched} ({len(redraw.identical)} identical apart from runtime, "
             f"{len(redraw.differing)} differ); only in OLD: {len(redraw.only_old)}; only in NEW: {len(redraw.only_new)}"]
    lines += [f"  unreadable: {message}" for message in redraw.unreadable]
    for label, pairs in (("model test auROC", redraw.model_auroc), ("cell auPRC (model-based cells)", redraw.cell_auprc)):
        moves = _moves(pairs)
        if not len(moves):
            lines.append(f"{label}: nothing to compare")
            continue
        lines.append(f"{label}, |change| over {len(moves)}: median {np.median(moves):.4f}, "
                     f"95th percentile {np.percentile(moves, 95):.4f}, max {moves.max():.4f}")
        largest = sorted(pairs.items(), key=lambda item: -abs(item[1][1] - item[1][0]))[:top]
        lines += [f"  {name}: {a:.3f} -> {b:.3f}" for name, (a, b) in largest if a != b]
    lines += [f"  differs: {path} ({', '.join(fields)})" for path, fields in list(redraw.differing.items())[:top]]
    for label, paths in (("only in OLD", redraw.only_old), ("only in NEW", redraw.only_new)):
        lines += [f"  {label}: {path}" for path in paths[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench redraw", description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="results directory of the first run (e.g. results)")
    parser.add_argument("new", type=Path, help="results directory of the second run")
    parser.add_argument("--top", type=int, default=5, help="largest moves listed per table (default %(default)s)")
    parser.add_argument("--require-identical", action="store_true",
                        help="exit 1 unless both hold the same cells and each is identical apart from runtime")
    parser.add_argument("--ignore", action="append", default=[], metavar="FIELD",
                        help="a top-level record field left out of the comparison (repeatable), e.g. identity after "
                             "a change that moves source files, or a field only the new run records")
    args = parser.parse_args(argv)
    redraw = compare_dirs(args.old, args.new, tuple(args.ignore))
    print(summary(redraw, top=args.top))
    if args.require_identical and not redraw.reproduced:
        print("not reproduced: the two directories differ beyond runtime (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
