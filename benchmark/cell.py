"""Run one benchmark cell: attribute, score against both ground truths, sanity-check, record.

`run_cell` never raises for a failing method, a NaN, or a missing model: it
returns a record with ``status="failed"`` and the message, so the session goes
on and the leaderboard shows the failure.
"""

from __future__ import annotations

import logging
import platform
import time
from importlib import metadata

import numpy as np

from benchmark import metrics
from benchmark.results import Cell
from benchmark.session import model_item

log = logging.getLogger(__name__)

VERSION_PACKAGES = (
    "motifbench", "numpy", "tensorflow", "tf-keras", "deeplift", "shap", "scikit-learn",
    "scipy", "dinuc-shuf", "gkmsvm-lite", "memelite", "pyjaspar",
)


def versions() -> dict:
    """Installed versions of the packages a result depends on (no imports)."""
    out = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def score(scores: np.ndarray, truth) -> dict:
    """Metrics of (E, L) scores under both ground truths (see `benchmark.groundtruth`)."""
    return {
        "all_hits": metrics.motif_recovery(scores, truth.mask),
        "used_hits": metrics.motif_recovery(scores, truth.used, truth.weight),
    }


def sanity(session, cell: Cell, model, truth, trained_scores: np.ndarray, context: dict) -> dict:
    """The cell's method on the weight-randomised model, on the first ``sanity_n`` sequences.

    Returns auPRC (|score|, all hits) of the randomised and the trained model on
    those sequences, and the mean Spearman correlation between the two maps.
    """
    from methods import attribute  # noqa: PLC0415 (imports TensorFlow)

    n = min(session.profile.sanity_n, len(truth.rows))
    if n == 0:
        return {"status": "skipped", "reason": "sanity_n is 0"}
    try:
        random_model = session.randomized(cell)
        out = attribute(cell.method, random_model, truth.X[:n], cell.reference, dict(cell.params),
                        seed=cell.seed, context=context)
    except Exception as error:  # the sanity check is optional: record why it is missing
        return {"status": "failed", "error": f"{type(error).__name__}: {error}"}
    mask = truth.mask[:n]
    randomised = metrics.mean_sem(metrics.per_sequence(np.abs(out.scores), mask)["auprc"])
    trained = metrics.mean_sem(metrics.per_sequence(np.abs(trained_scores[:n]), mask)["auprc"])
    return {
        "status": "ok",
        "n": n,
        "auprc_randomized": randomised[0],
        "auprc_trained": trained[0],
        "spearman": metrics.rank_correlation(np.abs(trained_scores[:n]), np.abs(out.scores)),
    }


def run_cell(session, cell: Cell) -> dict:
    """Compute one cell's record (status "ok" or "failed"); never raises for cell-level failures."""
    from methods import AttributionError, attribute  # noqa: PLC0415 (imports TensorFlow)

    start = time.perf_counter()
    record: dict = {"identity": session.identity(cell), "status": "failed", "versions": versions()}
    stage = "dataset"
    try:
        dataset = session.dataset(cell.task)
        stage = "model"
        model = session.model(cell)
        stage = "ground truth"
        truth = session.truth(cell)
    except Exception as error:  # a missing model or dataset fails this cell, not the session
        record["error"] = f"{stage} for {cell.id} failed: {type(error).__name__}: {error}"
        log.error("%s", record["error"])
        return record
    waited = time.perf_counter() - start  # dataset, model, ground truth: booked to them, not to the method
    identity = record["identity"]
    if dataset.hash != identity["task"] or model.key != identity["model"]:
        log.warning("%s: keys computed without building (dataset %s, model %s) differ from the built ones "
                    "(%s, %s); its result will be recomputed on every run until tasks/baselines agree",
                    cell.id, identity["task"], identity["model"], dataset.hash, model.key)
    record["dataset"] = session.dataset_info(cell.task)
    record["model"] = session.model_info(cell)
    record["rows"] = [int(r) for r in truth.rows]
    context = {"motifs": dataset.motifs}
    try:
        with session.budget.phase("attribution", cell.method):
            attribution = attribute(cell.method, model, truth.X, cell.reference, dict(cell.params), seed=cell.seed, context=context)
        # a conversion the method did for this model belongs to the model (benchmark.budget)
        session.budget.rebook(("attribution", cell.method), ("training", model_item(cell)), *attribution.setup_seconds)
        record["metrics"] = score(attribution.scores, truth)
    except (AttributionError, ValueError) as error:
        record["error"] = str(error)
        record["runtime"] = {"wall_seconds": time.perf_counter() - start}
        log.error("cell %s failed: %s", cell.id, error)
        return record
    record["status"] = "ok"
    record["convergence_error"] = attribution.convergence_error
    with session.budget.phase("sanity", cell.method):
        record["sanity"] = sanity(session, cell, model, truth, attribution.scores, context)
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
