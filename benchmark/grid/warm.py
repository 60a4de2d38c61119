"""Build every model of a grid into the cache, and say which trained models they are (``motifbench warm``).

For each model group (task x model variant x seed) of the profile's grid, its
dataset, model and ground truth are loaded from the cache or built, and a line
says the model's key, the digest of its weights, whether it was restored or
trained, and whether those weights are the ones the board's records were
computed on (``model.weights_sha256`` in the results directory). CI runs it on
the default branch to save the cache that pull requests then restore, so their
cells are computed on the same trained models.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import baselines  # noqa: PLC0415
    import methods  # noqa: PLC0415

    from benchmark.grid.profiles import grid_cells  # noqa: PLC0415
    from benchmark.grid.runcheck import prepare  # noqa: PLC0415
    from benchmark.grid.runfile import get_profile  # noqa: PLC0415
    from benchmark.grid.session import BenchmarkSession, default_results_dir, model_item  # noqa: PLC0415
    from benchmark.grid.trusted import board_weights  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="motifbench warm", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="built-in run or run file (default: %(default)s)")
    parser.add_argument("--results-dir", type=Path, default=None, help="the board's results (default: the profile's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    profile = prepare(get_profile(args.profile))
    results_dir = args.results_dir or default_results_dir(profile.name)
    session = BenchmarkSession(profile, results_dir, progress=False)
    groups: dict = {}
    for cell in grid_cells(profile, methods.METHODS, baselines.arch_kind):
        groups.setdefault(model_item(cell), cell)
    board = board_weights(Path(results_dir)) if Path(results_dir).is_dir() else {}
    failed = 0
    for group, cell in sorted(groups.items()):
        try:
            session.model(cell)
            session.truth(cell)
        except Exception as error:  # one model that cannot be built does not stop the others
            print(f"{group}: FAILED {type(error).__name__}: {error}")
            failed += 1
            continue
        used = session.models_used.get(group, {})
        digests = board.get(str(cell.relpath().parent), set())
        mark = ("the board's" if used.get("weights_sha256") in digests else
                "another draw" if digests else "the board's records carry no weights digest")
        print(f"{group}: key {used.get('key')}, weights {used.get('weights_sha256')}, {used.get('how')}; {mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
