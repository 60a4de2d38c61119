"""Figures of `motifbench models`: the learning curve (``show``) and the fidelity check (``check --png``)."""

from __future__ import annotations

import math
from pathlib import Path

from baselines.check import GKM_MARGIN, MIN_AUROC, gap_intervals


def _pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no display on CI or a server)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _save(fig, path: Path) -> Path:
    """Lay out `fig`, write it as a 100 dpi PNG at `path` (parents created), close it; returns the path."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def learning_curve(history: dict, path: Path, title: str = "") -> Path:
    """Plot training/validation loss and validation auROC per epoch to a PNG at `path`."""
    plt = _pyplot()
    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(epochs, history["loss"], label="training loss")
    left.plot(epochs, history["val_loss"], label="validation loss")
    right.plot(epochs, history["val_auroc"], color="tab:green", label="validation auROC")
    best = history.get("best_epoch")
    for axis in (left, right):
        if best:
            axis.axvline(best, color="grey", linestyle=":", label=f"kept epoch {best}")
        axis.set_xlabel("epoch")
        axis.legend(fontsize=8)
    left.set_ylabel("binary cross-entropy")
    right.set_ylabel("auROC")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def check_figure(rows: list, path: Path, min_auroc: float = MIN_AUROC, gaps: dict | None = None) -> Path:
    """Every seed's test auROC (dots) per task x Keras architecture, gkm-SVM's mean (bar), the task's
    planted-motif ceiling (dashed bar, `baselines.ceiling`), its k-mer reference (dotted bar,
    `baselines.kmer`) and the gate (line). When the rows carry test scores, a second panel shows
    each row's gap to gkm-SVM with its 95% interval (`baselines.check.gap_intervals`) against the
    bar of gkm-SVM minus 0.02.

    rows: `baselines.check.Row` objects, gkm-SVM's included. gaps: `gap_intervals(rows)` if
    already computed. Writes a PNG at `path`.
    """
    plt = _pyplot()
    tasks = list(dict.fromkeys(r.task for r in rows))
    archs = list(dict.fromkeys(r.arch for r in rows if r.arch != "gkmsvm"))
    gkm = {r.task: sum(r.aurocs) / len(r.aurocs) for r in rows if r.arch == "gkmsvm" and r.aurocs}
    width = 0.8 / max(len(archs), 1)
    gaps = gap_intervals(rows) if gaps is None else gaps
    fig_width = max(4.8, 1.6 + 1.3 * len(tasks))  # room for the legend when there are few tasks
    if gaps:
        fig, (axis, gap_axis) = plt.subplots(2, 1, figsize=(fig_width, 6.6), sharex=True,
                                             gridspec_kw={"height_ratios": [3, 2]})
    else:
        fig, axis = plt.subplots(figsize=(fig_width, 3.8))
    ceiling = {r.task: r.ceiling for r in rows if not math.isnan(r.ceiling)}
    kmer = {r.task: r.kmer for r in rows if not math.isnan(r.kmer)}
    for i, task in enumerate(tasks):
        if task in gkm:
            axis.hlines(gkm[task], i - 0.45, i + 0.45, color="black", linewidth=2, label="gkm-SVM mean" if i == 0 else None)
        if task in ceiling:
            axis.hlines(ceiling[task], i - 0.45, i + 0.45, color="tab:green", linestyle="--", linewidth=1.2,
                        label="planted-motif ceiling" if task == next(iter(ceiling)) else None)
        if task in kmer:
            axis.hlines(kmer[task], i - 0.45, i + 0.45, color="tab:purple", linestyle=":", linewidth=1.2,
                        label="k-mer LR" if task == next(iter(kmer)) else None)
    for j, arch in enumerate(archs):
        xs, ys = [], []
        for r in rows:
            if r.arch == arch:
                x = tasks.index(r.task) - 0.4 + width * (j + 0.5)
                xs += [x] * len(r.aurocs)
                ys += list(r.aurocs)
        scatter = axis.scatter(xs, ys, s=18, label=arch, alpha=0.8)
        if gaps:
            _draw_gaps(gap_axis, gaps, tasks, arch, j, width, scatter.get_facecolor()[0])
    axis.axhline(min_auroc, color="grey", linestyle=":", label=f"gate {min_auroc:g}")
    axis.axhline(0.5, color="lightgrey", linewidth=0.8)
    axis.set_xticks(range(len(tasks)), tasks, rotation=25, ha="right", fontsize=8)
    axis.set_ylabel("test auROC (one dot per seed)")
    axis.set_ylim(0.4, 1.01)  # a ceiling of 1.0 stays visible
    axis.legend(fontsize=7, ncol=2, loc="lower left")
    if gaps:
        gap_axis.axhline(0.0, color="black", linewidth=1)
        gap_axis.axhline(-GKM_MARGIN, color="tab:red", linestyle="--", linewidth=1, label=f"bar: gkm-SVM - {GKM_MARGIN:g}")
        gap_axis.set_ylabel("mean auROC - gkm-SVM's\n(95% CI: models, test seqs)", fontsize=8)
        gap_axis.legend(fontsize=7, loc="lower left")
        gap_axis.set_xticks(range(len(tasks)), tasks, rotation=25, ha="right", fontsize=8)
    return _save(fig, path)


def _draw_gaps(gap_axis, gaps: dict, tasks: list[str], arch: str, j: int, width: float, color) -> None:
    """One architecture's gap to gkm-SVM per task: a dot with its interval as an error bar."""
    for (task, row_arch), (gap, low, high) in gaps.items():
        if row_arch == arch:
            x = tasks.index(task) - 0.4 + width * (j + 0.5)
            gap_axis.errorbar(x, gap, yerr=[[gap - low], [high - gap]], fmt="o", markersize=4, color=color, capsize=2)
