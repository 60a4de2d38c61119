"""How many eval sequences a verdict needs: ``python -m benchmark.analysis.evalsize results``.

Every model of a task is scored on the same eval sequences, so the precision
of a difference between two methods has a part that more sequences shrink
(the sequence draw and the model x sequence interaction) and a part they do
not (the model draw). From a results directory this measures, for each pair
of neighbouring methods of the headline ranking, the variance components of
their per-sequence auPRC difference on each task of the headline
(`benchmark.analysis.crossed.components`, the models of `tables.is_headline_model`
x the sequences every one of them scored), and projects the 95% CI
half-width of the difference (mean over the models of every task) at other
eval-set sizes, with the board's models (`crossed.projected_variance`, t
quantile with the board's degrees of freedom); then the same for the paired
findings in the paper's scope.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats as sps

from benchmark.analysis import crossed, paper, ranking, tables

SIZES = (50, 100, 200, 400)
#: The paired findings' arms as ranking configs (F3a, F2a, F2b, F2c, F4, F1a/gradcam_paper).
FINDING_PAIRS = [("deeplift_rescale-shuffle20", "deeplift_rescale-zeros"),
                 ("deeplift_rescale-shuffle20", "integrated_gradients-shuffle20"),
                 ("deeplift_rescale-shuffle20", "grad_x_input-none"),
                 ("integrated_gradients-shuffle20", "grad_x_input-none"),
                 ("deeplift_revealcancel-shuffle20", "deeplift_rescale-shuffle20"),
                 ("gradcam_paper-none", "grad_x_input-none")]


def in_paper_scope(record: dict) -> bool:
    """The paper's architectures as registered (`benchmark.analysis.paper.ARCHS`)."""
    return tables.is_headline_model(record) and record["cell"]["arch"] in paper.ARCHS


def task_table(records: list[dict], config: str, task: str, view: tuple = tables.HEADLINE) -> tuple[list, np.ndarray]:
    """(model keys, (M, S) per-sequence values) of `config` on `task` over the rows every model scored."""
    units = tables.unit_table([r for r in records if r["cell"]["task"] == task], view).get(config, {})
    if not units:
        return [], np.zeros((0, 0))
    keys = sorted(units)
    rows = sorted(set.intersection(*(set(units[k]) for k in keys)))
    return keys, np.array([[units[k][r] for r in rows] for k in keys], dtype=np.float64)


def neighbour_components(records: list[dict], configs: list[str], tasks: list[str]) -> dict[tuple, dict]:
    """(config a, config b) of each neighbouring pair -> task -> (var model, var sequence, var residual, models)."""
    out = {}
    for a, b in zip(configs, configs[1:]):
        per_task = {}
        for task in tasks:
            keys_a, va = task_table(records, a, task)
            keys_b, vb = task_table(records, b, task)
            if keys_a != keys_b or va.shape != vb.shape or min(va.shape, default=0) < 2:
                continue
            per_task[task] = (*crossed.components(va - vb), len(keys_a))
        if per_task:
            out[(a, b)] = per_task
    return out


def half_width(per_task: dict, n_sequences: int, level: float = 0.95) -> float:
    """Projected CI half-width of the mean difference over the models of every task at `n_sequences` a task."""
    parts = {t: v[:3] for t, v in per_task.items()}
    models = {t: v[3] for t, v in per_task.items()}
    df = max(1, sum(models.values()) - len(models))
    return float(sps.t.ppf(0.5 + level / 2, df) * np.sqrt(crossed.projected_variance(parts, models, n_sequences)))


def table(records: list[dict], sizes=SIZES, scope=tables.is_position_controlled, models=tables.is_headline_model,
          pairs: list[tuple[str, str]] | None = None) -> tuple[list[list], list[str]]:
    """Rows (pair, share of the variance from sequences at the first size, projected CI half-width at each size).

    pairs: config pairs to project (default: neighbours in the ranking order of the chosen records).
    """
    kept, _ = tables.analysis_records(records)
    chosen = [r for r in kept if r["cell"]["kind"] == "keras" and scope(r) and models(r)]
    if pairs is None:
        order = [row["config"] for row in ranking.ranking(chosen, scope=scope, models=models, n_boot=50)
                 if row["config"] not in tables.CONTROL_CONFIGS]
        pairs = list(zip(order, order[1:]))
    tasks = sorted({r["cell"]["task"] for r in chosen})
    rows = []
    for a, b in pairs:
        per_task = neighbour_components(chosen, [a, b], tasks).get((a, b))
        if not per_task:
            continue
        models_by_task = {t: v[3] for t, v in per_task.items()}
        full = crossed.projected_variance({t: v[:3] for t, v in per_task.items()}, models_by_task, sizes[0])
        model_part = crossed.projected_variance({t: (v[0], 0.0, 0.0) for t, v in per_task.items()}, models_by_task, sizes[0])
        rows.append([f"{a} − {b}", sum(models_by_task.values()), f"{1 - model_part / full:.2f}" if full > 0 else "–",
                     *(f"±{half_width(per_task, n):.3f}" for n in sizes)])
    headers = ["difference", "models", f"share of the variance from sequences at n = {sizes[0]}", *(f"n = {n}" for n in sizes)]
    return rows, headers


def main(argv: list[str] | None = None) -> int:
    from benchmark.analysis.markdown import md_table  # noqa: PLC0415
    from benchmark.store.results import load_all, warn_unusable  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m benchmark.analysis.evalsize", description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="?", default=Path("results"), help="results directory (default: results)")
    args = parser.parse_args(argv)
    records, problems = load_all(args.results)
    warn_unusable(args.results, problems)
    rows, headers = table(records)
    if not rows:
        print("no neighbouring pair with at least 2 models on a task", file=sys.stderr)
        return 1
    print("Neighbours in the headline ranking (registered architectures, realistic tasks and their random-position copies):\n")
    print(md_table(rows, headers))
    rows, headers = table(records, scope=tables.is_realistic, models=in_paper_scope, pairs=FINDING_PAIRS)
    print("\nPaired findings in the paper's scope (Basset and Beluga, realistic tasks):\n")
    print(md_table(rows, headers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
