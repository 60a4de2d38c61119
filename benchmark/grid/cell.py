"""Run one benchmark cell: attribute, score against both ground truths, sanity-check, record.

`run_cell` never raises for a failing method, a NaN, a missing model or a
method that runs past the cell timeout: it returns a record with
``status="failed"``, the message and the ``stage`` that failed ("dataset",
"model", "ground truth", "method"), so the session goes on and the
leaderboard shows the failure.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import signal
import threading
import time
from importlib import metadata

from benchmark.store import results
from benchmark.store.results import Cell
from benchmark.scores.scoring import faithfulness_of, flat_maps, grammar_scores_of, sanity, score_projections
from benchmark.grid.session import RANDOMISED_COPIES, model_item

log = logging.getLogger(__name__)

VERSION_PACKAGES = (
    "motifbench", "numpy", "tensorflow", "tf-keras", "deeplift", "shap", "scikit-learn",
    "scipy", "dinuc-shuf", "gkmsvm-lite", "memelite", "pyjaspar",
)


# Stages whose failure says nothing about the method: such a failure never replaces a good stored result.
ARTIFACT_STAGES = ("keys", "dataset", "model", "ground truth")


class _Done(Exception):
    """Ends a real task's cell after its faithfulness score (it has no planted truth for the rest)."""


class CellTimeout(BaseException):
    """A cell ran past its time limit.

    A BaseException, so a method's own ``except Exception`` cannot swallow it.
    """


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str):
    """Raise `CellTimeout` ("<what> timed out after N s") if the body runs longer than `seconds`.

    Uses SIGALRM (``signal.setitimer``), so its limits are those of Unix signals:
    it works only in the main thread of the process (pytest and each
    pytest-xdist worker run tests there) and on platforms with SIGALRM; elsewhere,
    or when `seconds` is None or <= 0, the body runs unlimited (logged). The
    signal is handled between Python bytecodes: a long call into C (one
    TensorFlow op, one NumPy kernel) is interrupted only when it returns, while
    ``time.sleep``, Python loops and the gaps between TensorFlow calls are
    interrupted on time. A previously set alarm is restored afterwards.
    """
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not seconds or seconds <= 0 or not usable:
        if seconds and seconds > 0:
            log.info("no time limit for %s: SIGALRM needs the main thread of a Unix process", what)
        yield
        return

    def expire(signum, frame):
        raise CellTimeout(f"{what} timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def versions() -> dict:
    """Installed versions of the packages a result depends on (no imports)."""
    out = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _setup_seconds_so_far() -> tuple[float, float]:
    """(wall, CPU) seconds this process has spent in `methods.registry.model_setup` blocks."""
    from methods import registry  # noqa: PLC0415 (imports TensorFlow lazily)

    return registry.setup_seconds()


def run_cell(session, cell: Cell, timeout: float | None = None) -> dict:
    """Compute one cell's record (status "ok" or "failed"); never raises for cell-level failures.

    `timeout` (seconds, None: unlimited) bounds the method stage (attribution,
    scoring and the sanity check), not the shared builds of dataset and model:
    past it the cell fails with "timed out after N s" and the worker goes on.
    """
    from methods import attribute  # noqa: PLC0415 (imports TensorFlow)
    from methods.registry import project  # noqa: PLC0415

    start = time.perf_counter()
    record: dict = {"identity": session.identity(cell), "status": "failed", "versions": versions()}
    stage = "dataset"
    try:
        dataset = session.dataset(cell.task)
        stage = "model"
        model = session.model(cell)
        stage = "ground truth"
        truth = session.truth(cell)
        record["dataset"] = session.dataset_info(cell.task)
        record["model"] = session.model_info(cell)
    except Exception as error:  # a missing model or dataset fails this cell, not the session
        record["error"] = f"{stage} for {cell.id} failed: {type(error).__name__}: {error}"
        record["stage"] = stage
        log.error("%s", record["error"])
        return record
    waited = time.perf_counter() - start  # dataset, model, ground truth: booked to them, not to the method
    identity = record["identity"]
    if dataset.hash != identity["task"] or model.key != identity["model"]:
        log.warning("%s: keys computed without building (dataset %s, model %s) differ from the built ones "
                    "(%s, %s); its result will be recomputed on every run until tasks/baselines agree",
                    cell.id, identity["task"], identity["model"], dataset.hash, model.key)
    record["rows"] = [int(r) for r in truth.rows]
    if truth.info.get("status") == "none":  # a task without planted truth: said on every record, failed ones too
        record["ground_truth"] = "none"
    context = {"motifs": dataset.motifs}
    try:
        with time_limit(timeout, f"method {cell.method}"):
            with session.budget.phase("attribution", cell.method):
                attribution = attribute(cell.method, model, truth.X, cell.reference, dict(cell.params), seed=cell.seed, context=context)
            # a conversion the method did for this model belongs to the model (benchmark.grid.budget)
            session.budget.rebook(("attribution", cell.method), ("training", model_item(cell)), *attribution.setup_seconds)
            observed = project(attribution.hypothetical, truth.X, "observed")
            record["flat_maps"] = flat_maps(attribution.hypothetical, truth.X)
            if truth.info.get("status") == "none":  # a real task: faithfulness is the only score, on every cell
                with session.budget.phase("faithfulness", cell.method):
                    record["faithfulness"] = faithfulness_of(model, truth.X, observed, seed=cell.seed)
                record["sanity"] = {"status": "skipped", "reason": "no planted truth to score the randomised model against"}
                raise _Done
            record["metrics"], record["metrics_max_abs"] = score_projections(attribution.hypothetical, truth.X, truth)
            if getattr(dataset, "instances", None) is not None:  # a grammar task: sign, decoys and the rule, beside localisation
                record["grammar"] = grammar_scores_of(observed, dataset.instances, truth.rows)
            if "main" in cell.tags:  # the board ranks faithfulness on the main grid only: ablations do not pay for it
                with session.budget.phase("faithfulness", cell.method):
                    record["faithfulness"] = faithfulness_of(model, truth.X, observed, seed=cell.seed)
            setup_before = _setup_seconds_so_far()
            with session.budget.phase("sanity", cell.method):
                record["sanity"] = sanity(session, cell, model, truth, attribution.scores, context)
            # converting the randomised copy (deeplift, shap) is done once per model: book it to the copies
            setup_after = _setup_seconds_so_far()
            session.budget.rebook(("sanity", cell.method), ("sanity", RANDOMISED_COPIES),
                                  setup_after[0] - setup_before[0], setup_after[1] - setup_before[1])
    except _Done:  # a real task's cell: scored by faithfulness alone
        pass
    except (Exception, CellTimeout) as error:  # any failure of the method is this cell's failure
        record.pop("metrics", None)
        record.pop("metrics_max_abs", None)
        record["error"] = str(error) if isinstance(error, CellTimeout) else _message(error)
        record["stage"] = "method"
        record["runtime"] = {"wall_seconds": time.perf_counter() - start}
        log.error("cell %s failed: %s", cell.id, record["error"])
        return record
    record["status"] = "ok"
    record["convergence_error"] = attribution.convergence_error
    n = len(truth.rows)
    record["runtime"] = {
        "method_seconds": attribution.seconds,
        "method_cpu_seconds": attribution.cpu_seconds,
        "setup_seconds": attribution.setup_seconds[0],  # one-time model conversion, excluded from method_seconds
        "model_wait_seconds": waited,
        "per_1000_sequences": attribution.seconds * 1000.0 / max(n, 1),
        "wall_seconds": time.perf_counter() - start,
        "n_sequences": n,
    }
    return record


def _message(error: Exception) -> str:
    """The error text; the exception type too unless it is one of ours (already phrased for the reader)."""
    from methods import AttributionError  # noqa: PLC0415

    if isinstance(error, (AttributionError, ValueError)) and not isinstance(error, KeyError):
        return str(error)
    text = error.args[0] if isinstance(error, KeyError) and error.args else error
    return f"{type(error).__name__}: {text}"


def save_record(session, cell: Cell, record: dict) -> dict:
    """Save `record`, unless it is an artifact failure and the stored file holds a good result.

    Then the good file is kept untouched and the returned record's error says so.
    """
    path = results.result_path(session.results_dir, cell)
    if record["status"] == "failed" and record.get("stage") in ARTIFACT_STAGES and path.exists():
        try:
            kept = results.load(path)["status"] == "ok"
        except results.ResultError:
            kept = False
        if kept:
            record = {**record, "error": f"{record['error']} (the stored good result {path} was kept, not replaced)"}
            log.error("%s", record["error"])
            return record
    results.save(session.results_dir, cell, record)
    return record
