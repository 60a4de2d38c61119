"""Verify a pull request's results/ with the board's own code (``python -P -m benchmark.grid.trusted``).

Run from a checkout of the base branch, never from the pull request's, with
``PYTHONPATH`` set to that checkout and ``-P`` (so the working directory's
code is not imported either), pointing ``--candidate`` at the results
directory to judge (the pull request's ``results/``, or the one its run
produced). Nothing of the candidate is imported or executed: its files are
read as data. Every file that differs from the base's ``results/``:

- must be a regular file (a symbolic link, or any other kind of entry, is refused);
- must read under the base's schema, value checks and digest;
- when its cell is in the base's grid with the base's input keys, is recomputed
  here with the base's code and compared field by field (`benchmark.grid.verify`);
  a difference is refused;
- otherwise the base's code cannot recompute it (a new or changed method, task
  or model): in the pull request's committed results it is refused (CI
  computes such cells; they are not committed), and in the results a pull
  request's run computed (``--own list``) it is listed as computed by the pull
  request's code, with the input keys that differ from the base's.

Each changed cell is also placed against the board's models: a record whose
``model.weights_sha256`` equals the one the base's records hold for that model
is on the board's model; any other (a model trained afresh, or a base without
digests) is another draw, kept apart from the board (``--publish``) and named.

Exit status 0 when nothing was refused, 1 otherwise, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.grid.verify import verify_cell
from benchmark.store import results as store

ON_BOARD, OTHER_DRAW = "the board's model", "another draw"


@dataclass
class Verdict:
    """What the verification found, one list per outcome (paths relative to the candidate directory)."""

    refused: list[str] = field(default_factory=list)  # "path: why"
    verified: list[str] = field(default_factory=list)
    own: list[str] = field(default_factory=list)  # the pull request's cells: computed by its code
    removed: list[str] = field(default_factory=list)
    draws: dict[str, str] = field(default_factory=dict)  # path -> ON_BOARD | OTHER_DRAW (+ why)
    why_own: dict[str, str] = field(default_factory=dict)  # path -> why the base's code cannot recompute it

    @property
    def ok(self) -> bool:
        return not self.refused

    def markdown(self) -> str:
        lines = [f"### Verification of the pull request's results ({'passed' if self.ok else 'REFUSED'})", ""]
        lines += [f"- {len(self.refused)} refused, {len(self.verified)} recomputed with the board's code and equal, "
                  f"{len(self.own)} computed by the pull request's code (new or changed cells), {len(self.removed)} removed",
                  ""]
        for title, items in (("Refused", self.refused), ("Recomputed and equal", self.verified),
                             ("Computed by the pull request's code", self.own), ("Removed", self.removed)):
            if items:
                shown = [item if title == "Refused" else f"`{item}`" + (f" ({self.why_own[item]})" if item in self.why_own else "")
                         for item in items[:200]]
                lines += [f"**{title}**", "", *[f"- {item}" for item in shown], ""]
        other = sorted(p for p, d in self.draws.items() if d.startswith(OTHER_DRAW))
        if other:
            lines += ["**Another draw** (not on the board's trained models: shown apart, not ranked with the board)", "",
                      *[f"- `{p}`: {self.draws[p]}" for p in other[:200]], ""]
        return "\n".join(lines)


def changed_entries(candidate: Path, base: Path) -> tuple[list[Path], list[str], list[str]]:
    """(changed result files, refusals of entries that are not regular files, removed paths), relative to the roots.

    Walks `candidate` without following links; dot files (``.budget.json``) are run notes, not results.
    """
    changed, refused = [], []
    for folder, dirs, files in os.walk(candidate, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            rel = path.relative_to(candidate)
            if path.is_symlink() or (name in files and not path.is_file()):
                kind = "a symbolic link" if path.is_symlink() else "not a regular file"
                refused.append(f"{rel}: is {kind}; a result must be a regular file (a link can point at any file)")
            elif name in files and name.endswith(".json") and not name.startswith("."):
                twin = base / rel
                if not (twin.is_file() and not twin.is_symlink() and filecmp.cmp(path, twin, shallow=False)):
                    changed.append(rel)
    kept = {str(p.relative_to(candidate)) for p in candidate.rglob("*.json")} if candidate.exists() else set()
    removed = sorted(str(p.relative_to(base)) for p in base.rglob("*.json")
                     if not p.name.startswith(".") and str(p.relative_to(base)) not in kept)
    return sorted(changed), refused, removed


def board_weights(base: Path) -> dict[str, set[str]]:
    """Model group folder (``task/model-s0``) -> the weights digests the base's records hold for it."""
    out: dict[str, set[str]] = {}
    records, _ = store.load_checked(base)
    for record in records:
        digest = (record.get("model") or {}).get("weights_sha256") if isinstance(record.get("model"), dict) else None
        if digest:
            out.setdefault(str(Path(record["_path"]).parent), set()).add(digest)
    return out


def draw_of(record: dict, rel: Path, weights: dict[str, set[str]]) -> str:
    """ON_BOARD when the record's model weights are the board's for that model, else OTHER_DRAW and why."""
    mine = (record.get("model") or {}).get("weights_sha256") if isinstance(record.get("model"), dict) else None
    board = weights.get(str(rel.parent), set())
    if mine and mine in board:
        return ON_BOARD
    if not board:
        return f"{OTHER_DRAW}: the board's records of {rel.parent} carry no weights digest to match"
    return f"{OTHER_DRAW}: weights {mine or 'unrecorded'}, the board's {', '.join(sorted(board))}"


def verify_candidate(candidate: Path, base: Path, session, cells: dict, own: str = "refuse") -> Verdict:
    """Judge `candidate` against `base` with `session` (the base's code, results_dir = `candidate`, verify on).

    cells: relative result path -> Cell of the base's grid. own: what to do with a
    changed file the base's code cannot recompute (a cell of no base grid, or whose
    input keys differ from the base's): "refuse" it (a pull request's committed
    results: such files are computed by CI, not committed) or "list" it as the
    pull request's own (the results its run computed).
    """
    verdict = Verdict()
    changed, verdict.refused, verdict.removed = changed_entries(candidate, base)
    weights = board_weights(base)
    for rel in changed:
        try:
            record = store.load(candidate / rel)
        except store.ResultError as error:
            verdict.refused.append(str(error).replace(str(candidate / rel), str(rel)))
            continue
        cell = cells.get(str(rel))
        why = "a cell of no grid of the base" if cell is None else _differing_keys(record["identity"], session.identity(cell))
        if why and own == "refuse":
            verdict.refused.append(f"{rel}: the base's code cannot recompute it ({why}); result files of new or changed "
                                   "cells are computed by CI, not committed: remove it from the pull request")
            continue
        if why:
            verdict.own.append(str(rel))
            verdict.why_own[str(rel)] = why
        else:
            fresh, how = verify_cell(session, cell, record["identity"])
            if how != "verified":
                verdict.refused.append(f"{rel}: {fresh.get('error')}")
                continue
            verdict.verified.append(str(rel))
        verdict.draws[str(rel)] = draw_of(record, rel, weights)
    return verdict


def _differing_keys(stored: dict, base: dict) -> str:
    """"" when the input keys are the base's, else which differ ("input keys differ from the base's: method, scoring")."""
    keys = sorted(k for k in set(stored) | set(base) if stored.get(k) != base.get(k))
    return f"input keys differ from the base's: {', '.join(keys)}" if keys else ""


def publish(candidate: Path, base: Path, verdict: Verdict, target: Path) -> Path:
    """A results directory for the published board: the base's results plus the changed files on the board's models."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target, symlinks=True)
    for rel in verdict.removed:
        (target / rel).unlink()
    for rel in verdict.verified + verdict.own:
        if verdict.draws.get(rel) == ON_BOARD:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidate / rel, target / rel)
    return target


def main(argv: list[str] | None = None) -> int:
    from tasks.cache import REPO_ROOT  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -P -m benchmark.grid.trusted", description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", type=Path, required=True, help="the results directory to judge")
    parser.add_argument("--base-results", type=Path, default=REPO_ROOT / "results",
                        help="the board's results (default: this checkout's results/)")
    parser.add_argument("--profile", default="default", help="the grid the board belongs to (default: %(default)s)")
    parser.add_argument("--report", type=Path, default=None, help="also write the verdict as markdown here")
    parser.add_argument("--own", choices=("refuse", "list"), default="refuse",
                        help="a changed file the base cannot recompute: refuse it (committed results, the default) "
                             "or list it as the pull request's own (the results its run computed)")
    parser.add_argument("--publish", type=Path, default=None,
                        help="write the results directory to render the published board from (only when nothing was refused)")
    args = parser.parse_args(argv)
    for where in (args.candidate, args.base_results):
        if not where.is_dir() or where.is_symlink():
            parser.error(f"{where} is not a results directory")
    verdict = verify_candidate(args.candidate, args.base_results, *_board_session(args.candidate, args.profile), own=args.own)
    text = verdict.markdown()
    print(text)
    if args.report:
        args.report.write_text(text + "\n")
    if args.publish and verdict.ok:
        print(f"published results: {publish(args.candidate, args.base_results, verdict, args.publish)}")
    return 0 if verdict.ok else 1


def _board_session(candidate: Path, profile_name: str):
    """The base's session over `candidate` (verify on, the profile's cell limit) and its grid's cells by path."""
    import baselines  # noqa: PLC0415
    import methods  # noqa: PLC0415

    from benchmark.grid.profiles import grid_cells  # noqa: PLC0415
    from benchmark.grid.runcheck import prepare  # noqa: PLC0415
    from benchmark.grid.runfile import get_profile  # noqa: PLC0415
    from benchmark.grid.session import BenchmarkSession  # noqa: PLC0415

    profile = prepare(get_profile(profile_name))
    session = BenchmarkSession(profile, candidate, progress=False, verify=True)
    cells = {str(c.relpath()): c for c in grid_cells(profile, methods.METHODS, baselines.arch_kind)}
    return session, cells


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
