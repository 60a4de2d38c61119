"""motifbench's benchmark: the grid (run files, profiles), metrics, results store and leaderboard.

``benchmark.load_results(results_dir)`` returns the results as a pandas
DataFrame (`benchmark.analysis.frame`); ``python -m benchmark runs`` lists the
built-in run files.
"""


def load_results(results_dir="results"):
    """One row per cell x scoring x ground truth of `results_dir` (see `benchmark.analysis.frame`)."""
    from benchmark.analysis.frame import load_results as load  # noqa: PLC0415 (pandas only when used)

    return load(results_dir)


__all__ = ["load_results"]
