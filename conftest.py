"""pytest wiring of the motifbench grid (loaded for every pytest run in this repository).

``pytest benchmark/`` parametrises `benchmark/test_motif_recovery.py` over
task x model variant x seed x method x reference x method parameters (see
`benchmark.grid.profiles`), with ids like
``test_motif_recovery[oct4-basset-s0-deeplift_rescale-shuffle20]``, so
``-k deeplift`` or ``-k "oct4 and ism"`` select what they say.

Options (group "motifbench"):
  --profile NAME|PATH.toml        a built-in run file (smoke, default, paper: benchmark/runs/) or the
                                  path of your own run file (see benchmark.grid.runfile; default: default)
  --results-dir DIR               where result JSONs go (default profile: results/;
                                  others: <cache>/results-<run name>)
  --shard i/n                     run only the i-th of n shards (whole model groups per shard,
                                  the same split on every machine); merge shards' results by copying
  --retry-failed                  recompute cells whose stored result failed
  --force                         recompute selected cells even when cached
  --no-leaderboard                do not render the leaderboard at the end
  --cell-timeout SECONDS          time limit of each cell's method stage (default: the profile's
                                  cell_timeout; 0: none); past it the cell fails "timed out after N s"
  --verify                        recompute the selected cells and compare them with their stored
                                  results (benchmark.grid.verify); a difference fails the cell, files are kept
  --verify-tolerance X            absolute metric tolerance of --verify (default 1e-6)
  --verify-changed FILE           --verify only the cells whose result paths FILE lists (one a line,
                                  e.g. from `git diff --name-only`); a listed path of no grid cell is an error

A cell whose result file exists with matching input keys is reported as
passed and not recomputed. At the end of the session (on the xdist
controller) the leaderboard is rendered from the results directory.

This module stays light: nothing heavy is imported at module level and
nothing is built at collection, so ``pytest tests`` pays nothing for it.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

SESSION_KEY = pytest.StashKey[object]()
GRID_KEY = pytest.StashKey[list]()
SEEN_KEY = pytest.StashKey[dict]()
BUDGET_KEY = pytest.StashKey[dict]()  # the controller's collected budget shares (benchmark.grid.budget)
CELL_TEST = "test_motif_recovery"
RUNS_DIR = Path(__file__).resolve().parent / "benchmark" / "runs"
PROFILE_NAMES = tuple(sorted(path.stem for path in RUNS_DIR.glob("*.toml")))  # the built-in run files

log = logging.getLogger("motifbench")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("motifbench", "motifbench benchmark grid")
    group.addoption("--profile", action="store", default="default", metavar="NAME|RUN.toml",
                    help=f"a built-in run file ({', '.join(PROFILE_NAMES)}; `python -m benchmark runs` describes them) "
                         "or the path of your own run file (default: %(default)r)")
    group.addoption("--results-dir", action="store", default=None, metavar="DIR",
                    help="directory of per-cell result JSONs (default: results/ for the default profile, "
                         "<cache>/results-<profile> otherwise)")
    group.addoption("--shard", action="store", default=None, metavar="i/n",
                    help="run only shard i of n (1-based); shards split whole model groups (default: all)")
    group.addoption("--retry-failed", action="store_true", default=False,
                    help="recompute cells whose stored result is a failure (default: keep them)")
    group.addoption("--force", action="store_true", default=False,
                    help="recompute the selected cells even when their results are up to date")
    group.addoption("--no-leaderboard", action="store_true", default=False,
                    help="do not render the leaderboard at the end of the session")
    group.addoption("--cell-timeout", action="store", type=float, default=None, metavar="SECONDS",
                    help="time limit of one cell's method stage (default: the profile's cell_timeout; 0: none)")
    group.addoption("--verify", action="store_true", default=False,
                    help="recompute the selected cells and fail those that differ from their stored results")
    group.addoption("--verify-tolerance", action="store", type=float, default=1e-6, metavar="X",
                    help="absolute tolerance on metrics for --verify (default: %(default)g)")
    group.addoption("--verify-changed", action="store", default=None, metavar="FILE",
                    help="verify only the cells whose result files FILE lists (implies --verify)")


def is_cell_nodeid(nodeid: str) -> bool:
    """True for a benchmark cell's node id (``...test_motif_recovery.py::test_motif_recovery[...]``)."""
    return f"::{CELL_TEST}[" in nodeid


_GROUP_OF_CELL = re.compile(r"::" + CELL_TEST + r"\[(.+?-s\d+)-")


def model_group(nodeid: str) -> str | None:
    """A cell's model group (``task-model-s<seed>``, `benchmark.grid.session.model_item`) from its node id; None for any other test.

    ``...::test_motif_recovery[oct4-basset-s0-deeplift_rescale-shuffle20]`` -> ``oct4-basset-s0``.
    """
    match = _GROUP_OF_CELL.search(nodeid)
    return match.group(1) if match else None


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'2/4' -> (2, 4); None -> None; anything else raises pytest.UsageError."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not (1 <= int(match.group(1)) <= int(match.group(2))):
        raise pytest.UsageError(f"--shard must look like i/n with 1 <= i <= n (e.g. --shard 2/4), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): cells of one model run on one xdist worker (--dist loadgroup)")
    profile = config.getoption("--profile")
    is_path = profile.endswith(".toml") or "/" in profile
    if is_path and not Path(profile).expanduser().is_file():
        raise pytest.UsageError(f"--profile {profile!r}: run file {Path(profile).expanduser().resolve()} does not exist")
    if not is_path and profile not in PROFILE_NAMES:
        raise pytest.UsageError(f"unknown --profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)} "
                                "or give the path of a run file (my_run.toml)")
    parse_shard(config.getoption("--shard"))
    config.stash[SEEN_KEY] = {"cells": 0, "cached": 0, "computed": 0, "failed": 0}
    config.stash[BUDGET_KEY] = {"shares": [], "start": time.perf_counter()}


def _session(config: pytest.Config):
    """The BenchmarkSession of this process, created on first use (never for `pytest tests`)."""
    if SESSION_KEY not in config.stash:
        from benchmark.grid.runcheck import prepare  # noqa: PLC0415
        from benchmark.grid.runfile import RunFileError, get_profile  # noqa: PLC0415
        from benchmark.grid.session import BenchmarkSession  # noqa: PLC0415

        try:  # the run file's tasks and model files put in use, every name and size checked
            profile = prepare(get_profile(config.getoption("--profile")))
        except RunFileError as error:
            raise pytest.UsageError(f"--profile {config.getoption('--profile')}: {error}") from None
        config.stash[SESSION_KEY] = BenchmarkSession(
            profile, _results_dir(config),
            progress=True, retry_failed=config.getoption("--retry-failed"), force=config.getoption("--force"),
            cell_timeout=config.getoption("--cell-timeout"),
            verify=config.getoption("--verify") or bool(config.getoption("--verify-changed")),
            verify_tolerance=config.getoption("--verify-tolerance"),
        )
    return config.stash[SESSION_KEY]


def _collects_grid(config: pytest.Config) -> bool:
    """True when the command line points at the benchmark grid (benchmark/ or its test file)."""
    grid = (Path(__file__).resolve().parent / "benchmark").resolve()
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == grid or grid in path.parents or path in grid.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    # read and validate the run file before collecting, so a bad one is a plain usage error
    if _collects_grid(session.config) and not hasattr(session.config, "workerinput"):
        _session(session.config)


def _results_dir(config: pytest.Config) -> Path:
    """--results-dir, else results/ (the built-in default profile) or <cache>/results-<run name>."""
    from benchmark.grid.runfile import is_run_path, run_name  # noqa: PLC0415
    from benchmark.grid.session import default_results_dir  # noqa: PLC0415
    from tasks.cache import cache_root  # noqa: PLC0415

    if config.getoption("--results-dir"):
        return Path(config.getoption("--results-dir"))
    profile = config.getoption("--profile")
    if is_run_path(profile):  # a user's run file never writes into the committed results/, whatever its name
        return cache_root() / f"results-{run_name(profile)}"
    return default_results_dir(profile)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` that keeps each model group on one worker, on any pytest.

    pytest-xdist 3.8 groups tests by appending ``@<group>`` to their node ids, which pytest 9
    ignores (a node id is read-only there): its loadgroup silently becomes ``load``, so the cells
    of one model would run on both workers, each loading and converting every model while one
    waits for the other to train it. The group is read from the cell's id instead; other tests
    go one by one.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # noqa: PLC0415 (only with xdist)

    class ModelGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return model_group(nodeid) or nodeid

    return ModelGroupScheduling(config, log)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__name__ != CELL_TEST or "cell" not in metafunc.fixturenames:
        return
    import baselines  # noqa: PLC0415 (only when the grid is collected)
    import methods  # noqa: PLC0415

    from benchmark.grid.profiles import grid_cells  # noqa: PLC0415

    session = _session(metafunc.config)
    cells = grid_cells(session.profile, methods.METHODS, baselines.arch_kind)
    metafunc.config.stash[GRID_KEY] = cells
    from benchmark.grid.session import model_item  # noqa: PLC0415

    params = [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(model_item(c))) for c in cells]
    metafunc.parametrize("cell", params)


def shard_groups(cells: list, index: int, count: int) -> set[str]:
    """Model groups (task-model-seed) of shard `index` of `count`: round-robin over the sorted groups."""
    from benchmark.grid.session import model_item  # noqa: PLC0415

    groups = sorted({model_item(c) for c in cells})
    return {g for i, g in enumerate(groups) if i % count == index - 1}


def read_changed_paths(path: str) -> list[str]:
    """Result paths listed in `path` (one a line), relative to the results directory.

    Accepts ``results/oct4/basset-s0/x.json`` or ``oct4/basset-s0/x.json``; blank
    lines and non-JSON paths are ignored.
    """
    out = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.endswith(".json"):
            out.append(line[len("results/"):] if line.startswith("results/") else line)
    return out


def _select_changed(config: pytest.Config, items: list) -> None:
    """Keep only the cells whose result files --verify-changed lists; unknown paths are a usage error."""
    wanted = set(read_changed_paths(config.getoption("--verify-changed")))
    kept, dropped, found = [], [], set()
    for item in items:
        cell = getattr(getattr(item, "callspec", None), "params", {}).get("cell")
        rel = str(cell.relpath()) if cell is not None else None
        if rel in wanted:
            kept.append(item)
            found.add(rel)
        else:
            dropped.append(item)
    unknown = sorted(wanted - found)
    if unknown:
        raise pytest.UsageError(
            f"--verify-changed: {len(unknown)} result file(s) belong to no cell of profile "
            f"{config.getoption('--profile')!r} and cannot be verified: {', '.join(unknown[:20])}. "
            "Remove them from the pull request (or `motifbench board --prune`)")
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    if config.getoption("--verify-changed") and GRID_KEY in config.stash:
        _select_changed(config, items)
    if GRID_KEY in config.stash:
        longest_groups_first(config, items)
    shard = parse_shard(config.getoption("--shard"))
    if shard is None or GRID_KEY not in config.stash:
        return
    from benchmark.grid.session import model_item  # noqa: PLC0415

    keep_groups = shard_groups(config.stash[GRID_KEY], *shard)
    kept, dropped = [], []
    for item in items:
        cell = getattr(getattr(item, "callspec", None), "params", {}).get("cell")
        if cell is None or model_item(cell) in keep_groups:
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def longest_groups_first(config: pytest.Config, items: list) -> None:
    """Reorder cells so that model groups with the longest stored runtimes come first (cells keep their order
    inside a group). With ``-n 2 --dist loadgroup`` a long group started last would leave one worker idle."""
    from benchmark.grid.budget import group_costs, longest_first  # noqa: PLC0415
    from benchmark.grid.session import model_item  # noqa: PLC0415

    costs = group_costs(_results_dir(config))

    def group(item) -> str | None:
        cell = getattr(getattr(item, "callspec", None), "params", {}).get("cell")
        return None if cell is None else model_item(cell)

    order = {g: i for i, g in enumerate(longest_first(list(dict.fromkeys(filter(None, map(group, items)))), costs))}
    items.sort(key=lambda item: order.get(group(item), -1))  # stable; non-cell items stay in front


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if GRID_KEY in config.stash and not any(is_cell_nodeid(item.nodeid) for item in session.items):
        example = config.stash[GRID_KEY][0].id if config.stash[GRID_KEY] else "(empty grid)"
        config.get_terminal_writer().line(
            f"motifbench: no benchmark cell selected (profile {config.getoption('--profile')!r}, "
            f"-k {config.getoption('keyword')!r}, shard {config.getoption('--shard')!r}). Cell ids look like "
            f"{example!r}; list them with `pytest benchmark/ --collect-only -q`.", yellow=True)


@pytest.fixture(scope="session")
def motifbench_session(request: pytest.FixtureRequest):
    """The BenchmarkSession (profile, results directory, lazily built datasets and models)."""
    return _session(request.config)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not is_cell_nodeid(report.nodeid) or report.when != "call":
        return
    # runs on the controller too (reports come back from xdist workers)
    seen = _CONFIG[0].stash[SEEN_KEY] if _CONFIG else None
    if seen is None:
        return
    seen["cells"] += 1
    share = dict(report.user_properties).get("motifbench_budget")
    if share is not None:
        _CONFIG[0].stash[BUDGET_KEY]["shares"].append(share)
    how = dict(report.user_properties).get("motifbench")
    if how in seen:
        seen[how] += 1
    elif report.failed:
        seen["failed"] += 1


_CONFIG: list = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Attach this process's budget share of a cell to its call report (it travels to the xdist controller)."""
    outcome = yield
    if call.when == "call" and is_cell_nodeid(item.nodeid):
        from benchmark.grid.budget import budget  # noqa: PLC0415

        outcome.get_result().user_properties.append(("motifbench_budget", budget().drain()))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG[:] = [session.config]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    seen = config.stash.get(SEEN_KEY, None)
    if hasattr(config, "workerinput") or not seen or not seen["cells"]:
        return
    from benchmark.board.leaderboard import write_outputs  # noqa: PLC0415
    from benchmark.grid.runfile import run_name  # noqa: PLC0415

    name = run_name(config.getoption("--profile"))
    results_dir = _results_dir(config)
    if config.getoption("--no-leaderboard"):
        report_budget(config, results_dir, (0.0, 0.0), write=seen["computed"] > 0, run=name)
        return
    writer = config.get_terminal_writer()
    render_wall, render_cpu = time.perf_counter(), time.process_time()
    try:
        written = write_outputs(results_dir, profile=name, reuse=True)
    except Exception as error:  # the results are safe on disk; say what went wrong
        writer.line(f"motifbench: could not render the leaderboard from {results_dir}: {type(error).__name__}: {error}", red=True)
        return
    finally:
        rendering = (time.perf_counter() - render_wall, time.process_time() - render_cpu)
        report_budget(config, results_dir, rendering, write=seen["computed"] > 0, run=name)
    writer.line("")
    writer.line(
        f"motifbench: {seen['cells']} cells (computed {seen['computed']}, cached {seen['cached']}, "
        f"failed {seen['failed']}); results in {results_dir}; wrote {', '.join(str(p) for p in written)}")


def report_budget(config: pytest.Config, results_dir: Path, rendering: tuple[float, float], write: bool,
                  run: str = "default") -> None:
    """Print the run's time budget (benchmark.grid.budget); store it beside the results when cells were computed."""
    from benchmark.grid import budget  # noqa: PLC0415

    collected = config.stash[BUDGET_KEY]
    workers = len({share["pid"] for share in collected["shares"]})  # processes that ran cells
    result = budget.summary(collected["shares"], time.perf_counter() - collected["start"], time.process_time(),
                            workers, rendering)
    writer = config.get_terminal_writer()
    writer.line("")
    writer.line("motifbench time budget (wall s summed over workers; CPU s of all processes):")
    writer.line(budget.render(result))
    if write:
        writer.line(f"budget stored in {budget.write(result, results_dir, run)}")
