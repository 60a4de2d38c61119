"""Bar charts of the leaderboard (PNG, like the paper's figures), rendered from result records.

Figures are written with fixed metadata so the same results give the same
image on the same matplotlib/freetype versions. `leaderboard --check` checks
leaderboard.md only (PNG bytes may differ across platforms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.analysis import tables

METADATA = {"Software": None, "Creation Time": None}


def _plt():
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.rcParams.update({"font.size": 8, "svg.hashsalt": "motifbench"})
    return plt


def overall_figure(rows: list[dict], path: Path) -> Path:
    """Horizontal bars: the main ranking's auPRC with its hierarchical-bootstrap 95% CI; the `random` row's auPRC as the floor."""
    plt = _plt()
    floor = next((r["auprc"] for r in rows if r["config"] == "random-none"), None)
    rows = [r for r in rows if np.isfinite(r["auprc"])][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.22 * len(rows) + 1.2))
    y = np.arange(len(rows))
    values = [r["auprc"] for r in rows]
    err = np.array([[r["auprc"] - r["ci_low"] for r in rows], [r["ci_high"] - r["auprc"] for r in rows]])
    ax.barh(y, values, xerr=err, color="#4C72B0", ecolor="black", capsize=2)
    ax.set_yticks(y, [r["config"] for r in rows])
    if floor is not None and np.isfinite(floor):
        ax.axvline(floor, color="grey", linestyle="--", linewidth=1, label="random control (floor)")
        ax.legend(loc="lower right")
    ax.set_xlabel("mean per-sequence auPRC, observed base, |score| vs all hits\n(CNNs, realistic tasks, mean over models)")
    ax.set_xlim(0, 1)
    fig.tight_layout()
    return _save(fig, path, plt)


def task_figure(records: list[dict], task: str, path: Path) -> Path:
    """Grouped bars: auPRC per main configuration (x) for each model (colour) on one task, with SEM."""
    plt = _plt()
    chosen = [r for r in tables.main_records(records) if r["cell"]["task"] == task]
    configs = sorted({r["cell"]["config"] for r in chosen})
    models = sorted({r["cell"]["model"] for r in chosen})
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(configs) + 2), 3.4))
    width = 0.8 / max(len(models), 1)
    for j, model in enumerate(models):
        by = {r["cell"]["config"]: r for r in chosen if r["cell"]["model"] == model}
        vals = [tables.value(by[c]) if c in by else np.nan for c in configs]
        sems = [tables.value(by[c], stat="auprc_sem") if c in by else np.nan for c in configs]
        ax.bar(np.arange(len(configs)) + j * width, vals, width, yerr=sems, label=model, capsize=1.5)
    ax.set_xticks(np.arange(len(configs)) + 0.4 - width / 2, configs, rotation=60, ha="right")
    ax.set_ylabel("mean per-sequence auPRC\n(|score|, all hits)")
    ax.set_ylim(0, 1)
    ax.set_title(f"task {task}")
    ax.legend(fontsize=7, ncol=len(models))
    fig.tight_layout()
    return _save(fig, path, plt)


def reference_figure(records: list[dict], path: Path, methods=("deeplift_rescale", "deeplift_revealcancel", "integrated_gradients", "deepshap")) -> Path | None:
    """Bars per reference for the reference-ablation methods, one panel per scoring (|score|, positive part)."""
    plt = _plt()
    refs = ["zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50"]
    chosen = [r for r in tables.ok_records(records) if r["cell"]["method"] in methods and tables.is_realistic(r)]
    if not chosen:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    present = [m for m in methods if any(r["cell"]["method"] == m for r in chosen)]
    width = 0.8 / max(len(refs), 1)
    for ax, scoring, label in zip(axes, ("abs", "pos"), ("|score|", "positive part")):
        for j, ref in enumerate(refs):
            vals = []
            for m in present:
                members = [r for r in chosen if r["cell"]["method"] == m and tables.reference_of(r) == ref
                           and r["cell"]["params"].get("steps", 20) == 20]
                got = [tables.value(r, "all_hits", scoring) for r in members]
                vals.append(np.nanmean(got) if got else np.nan)
            ax.bar(np.arange(len(present)) + j * width, vals, width, label=ref)
        ax.set_xticks(np.arange(len(present)) + 0.4 - width / 2, present, rotation=20, ha="right")
        ax.set_title(f"{label}, all hits (mean over realistic task x model)")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("mean per-sequence auPRC")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path, plt)


def kernel_figure(records: list[dict], path: Path,
                  methods=("grad_x_input", "smoothed_grad_x_input", "grad_x_activation", "gradcam_paper", "gradcam")) -> Path | None:
    """GradCAM family vs grad x input per CNN (first-kernel width in the legend), realistic and simplified tasks."""
    plt = _plt()
    chosen = [r for r in tables.main_records(records) if r["cell"]["kind"] == "keras" and r["cell"]["method"] in methods
              and r["cell"]["reference"] == "none"]
    if not chosen:
        return None
    models = sorted({(r["cell"]["model"], (r.get("model") or {}).get("first_kernel_width") or 0) for r in chosen},
                    key=lambda m: (-m[1], m[0]))
    present = [m for m in methods if any(r["cell"]["method"] == m for r in chosen)]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    width = 0.8 / max(len(models), 1)
    for ax, simplified, title in zip(axes, (False, True), ("realistic tasks (Oct4, MafK)", "simplified task")):
        for j, (model, kernel) in enumerate(models):
            vals = []
            for m in present:
                got = [tables.value(r) for r in chosen if r["cell"]["method"] == m and r["cell"]["model"] == model
                       and tables.is_simplified(r) == simplified]
                vals.append(np.nanmean(got) if got else np.nan)
            ax.bar(np.arange(len(present)) + j * width, vals, width, label=f"{model} (k{kernel})")
        ax.set_xticks(np.arange(len(present)) + 0.4 - width / 2, present, rotation=20, ha="right")
        ax.set_title(title)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("mean per-sequence auPRC\n(|score|, all hits)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path, plt)


def _save(fig, path: Path, plt) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata=METADATA)
    plt.close(fig)
    return path


def write_figures(records: list[dict], overall_rows: list[dict], directory: Path) -> list[Path]:
    """Every figure into `directory`; returns the paths written. overall_rows: `tables.ranking` rows."""
    directory = Path(directory)
    written = [overall_figure(overall_rows, directory / "overall_auprc.png")]
    for task in sorted({r["cell"]["task"] for r in tables.main_records(records)}):
        written.append(task_figure(records, task, directory / f"task_{task}_auprc.png"))
    for extra in (reference_figure(records, directory / "reference_ablation.png"),
                  kernel_figure(records, directory / "gradcam_kernel_width.png")):
        if extra is not None:
            written.append(extra)
    return written
