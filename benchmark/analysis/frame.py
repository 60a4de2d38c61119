"""Benchmark results as a pandas DataFrame: ``benchmark.load_results(results_dir)``.

One row per cell x projection x scoring x ground truth: the cell's coordinates (task,
model, arch, seed, method, reference, params, kind, id, config), its
``status`` and ``error``, the ``projection`` of per-base contributions to one
score per position ("observed": the observed base's, the paper's, stored under
``metrics``; "max_abs": max |.| over the four bases, under ``metrics_max_abs``
in files that have it), the ``scoring`` ("abs": |score|, the paper's; "pos":
its positive part) and ``ground_truth`` ("all_hits": every pasted motif hit,
the paper's; "used_hits": the hits the model uses), that pair's metrics
(auprc_mean, auprc_sem, auroc_mean, auroc_sem, n_scored, pooled_auprc,
pooled_auroc), the ground truth's scoring-independent metrics (prevalence,
prevalence_mean, share_inside, signed_contrast), runtime (method_seconds,
per_1000_sequences, wall_seconds, n_sequences), the model's fidelity
(test_auroc, test_auprc) and whether it is a pretrained model, the task's
eval prevalence, and the result file (``path``). A failed cell has one row
with its error and empty metrics.

Files are read through `benchmark.store.results.load_all`; unusable ones are left
out and listed in ``frame.attrs["problems"]``.
"""

from __future__ import annotations

from pathlib import Path
from benchmark.store.results import load_all

PAIR_METRICS = ("auprc_mean", "auprc_sem", "auroc_mean", "auroc_sem", "n_scored", "pooled_auprc", "pooled_auroc")
TRUTH_METRICS = ("prevalence", "prevalence_mean", "share_inside", "signed_contrast")
RUNTIME = ("method_seconds", "per_1000_sequences", "wall_seconds", "n_sequences")
PROJECTION_FIELDS = (("observed", "metrics"), ("max_abs", "metrics_max_abs"))
CELL_FIELDS = ("task", "model", "arch", "seed", "method", "reference", "params", "overrides", "kind", "id", "config")


def record_rows(record: dict) -> list[dict]:
    """The rows of one result record (see the module docstring)."""
    cell = record.get("cell", {})
    base = {key: cell.get(key) for key in CELL_FIELDS}
    for key in ("params", "overrides"):  # dicts -> a readable, hashable text (groupby-friendly)
        value = base[key] or {}
        base[key] = ",".join(f"{k}={v}" for k, v in sorted(value.items())) if isinstance(value, dict) else str(value)
    model = record.get("model") or {}
    fidelity = model.get("fidelity") or {}
    runtime = record.get("runtime") or {}
    base.update(
        status=record.get("status"),
        error=record.get("error"),
        test_auroc=fidelity.get("test_auroc"),
        test_auprc=fidelity.get("test_auprc"),
        pretrained=bool(model.get("pretrained", False)),
        convergence_error=record.get("convergence_error"),
        dataset_prevalence=(record.get("dataset") or {}).get("prevalence"),
        path=record.get("_path"),
        **{key: runtime.get(key) for key in RUNTIME},
    )
    rows = []
    for projection, field in PROJECTION_FIELDS:
        metrics = record.get(field) or {}
        for truth in sorted(metrics):
            by_truth = metrics[truth] or {}
            shared = {key: by_truth.get(key) for key in TRUTH_METRICS}
            for scoring in sorted(k for k, v in by_truth.items() if isinstance(v, dict)):
                values = by_truth[scoring]
                rows.append({**base, "projection": projection, "ground_truth": truth, "scoring": scoring, **shared,
                             **{key: values.get(key) for key in PAIR_METRICS}})
    return rows or [{**base, "projection": None, "ground_truth": None, "scoring": None}]


def load_results(results_dir: str | Path = "results"):
    """A pandas DataFrame of every result under `results_dir`, one row per cell x projection x scoring x ground truth.

    Example::

        import benchmark
        frame = benchmark.load_results("results")
        ok = frame[(frame.status == "ok") & (frame.projection == "observed") & (frame.scoring == "abs")
                   & (frame.ground_truth == "all_hits")]
        print(ok.groupby(["method", "reference"]).auprc_mean.mean().sort_values(ascending=False).head())
    """
    import pandas as pd  # noqa: PLC0415

    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"results directory {results_dir} does not exist (run `pytest benchmark/ ...` first, "
                                f"or pass the --results-dir it wrote to)")
    records, problems = load_all(results_dir)
    rows = [row for record in records for row in record_rows(record)]
    columns = [*CELL_FIELDS, "status", "error", "projection", "ground_truth", "scoring", *PAIR_METRICS, *TRUTH_METRICS,
               *RUNTIME, "test_auroc", "test_auprc", "pretrained", "convergence_error", "dataset_prevalence", "path"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["problems"] = list(problems)
    return frame
