"""Which result files the board may rank, and which it only lists.

A file is ranked when it satisfies the results schema, its digest verifies
(it was not edited after it was written), and its cell belongs to the grid
of the profile whose results directory it sits in. Everything else is listed
on the board with the reason: corrupt, edited, invalid (field named), of an
older schema (stale: recomputed by the next run), or of a cell no longer in
the grid (``motifbench board --prune`` deletes those).
"""

from __future__ import annotations

from pathlib import Path

from benchmark.grid.profiles import grid_cells
from benchmark.grid.runfile import PROFILES
from benchmark.grid.session import BOARD_RUNS, default_results_dir
from benchmark.store import results as results_store



def grid_relpaths(profile: str) -> set[str] | None:
    """Relative result paths of every cell of `profile`'s grid (None for an unknown profile).

    A run file of the committed board (`BOARD_RUNS`) shares results/ with the others, so its
    grid is theirs together.
    """
    if profile not in PROFILES:
        return None
    import baselines  # noqa: PLC0415 (imports TensorFlow: a few seconds)
    import methods  # noqa: PLC0415

    names = [name for name in BOARD_RUNS if name in PROFILES] if profile in BOARD_RUNS else [profile]
    return {str(c.relpath()) for name in names for c in grid_cells(PROFILES[name], methods.METHODS, baselines.arch_kind)}


def grid_profile_of(results_dir: Path, profile: str) -> str | None:
    """`profile` when `results_dir` is that profile's own results directory, else None (no grid check:
    a hand-made or merged directory may hold any cells)."""
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
                  "(listed, not ranked; `motifbench board --prune` deletes it)" for r in orphans]
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
    return removed + remove_write_leftovers(results_dir)


def remove_write_leftovers(results_dir: Path) -> list[Path]:
    """Delete the temporary files a killed run left beside result files (``.<name>.json.<random>``).

    `tasks.cache.write_json_atomic` writes to such a file and renames it into
    place; readers skip dot files, so a leftover is never read, only clutter.
    Call it when no run writes to `results_dir`. Returns the deleted paths.
    """
    leftovers = sorted(p for p in Path(results_dir).rglob(".*.json.*") if p.is_file())
    for path in leftovers:
        path.unlink()
    return leftovers
