"""``motifbench models check``: does every architecture learn every task, seed after seed?

Trains (or loads from the cache) each architecture on each task with each seed
and prints one row per task x architecture: the mean and standard deviation of
the test auROC over the seeds, gkm-SVM's mean on the same task, and whether
the row meets the fidelity bar:

- mean >= `min_auroc` (the fidelity threshold, default 0.75);
- mean >= gkm-SVM's mean - `gkm_margin` (default 0.02);
- on the default tasks (oct4, mafk, simplified) also SD <= `max_sd` (0.02).

A gkm-SVM's "seeds" are different seeded training subsamples (see
`baselines.gkmsvm.balanced_subsample`), so its SD is the spread of a
resampled fit. Every model is scored here on the task's whole test split, so
both sides of the comparison see the same sequences (a gkm-SVM's stored
fidelity, which the board shows, uses a `max_test` subsample of it). Next to
the verdict, each Keras row shows its gap to gkm-SVM with a 95% interval from a
bootstrap over models and test sequences (`baselines.gap`): the verdict is the
issue's rule on the means; the interval says whether the test set can tell the
row from the bar. With more seeds than the bar averages over (3), one more column says how
often a three-seed draw from them meets the bar (`draws_meeting_bar`): whether a verdict on
three seeds would survive a retrain with other seeds. CPU seconds are the training process's own (user + system,
`time.process_time`, all threads); a model loaded from the cache costs ~0 and
is shown as such.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from baselines.gap import auroc_gap_interval
from baselines.kmer import DEFAULT_K, kmer_reference_auroc
from baselines.model import FIDELITY_GATE

#: The tasks on the default board; the seed-to-seed SD bar applies to these only.
DEFAULT_TASKS = ("oct4", "mafk", "simplified")
#: Small and long tasks built from the embedded data (tasks/specs/stress_*.toml).
STRESS_TASKS = ("stress_oct4_500", "stress_oct4_1000", "stress_mafk_500", "stress_mafk_1000", "stress_simplified_400")
MIN_AUROC = FIDELITY_GATE
GKM_MARGIN = 0.02
MAX_SD = 0.02
#: How many seeds the bar averages over (the default profile trains three).
DRAW_SIZE = 3


@dataclass
class Row:
    """One task x architecture: test auROCs and CPU seconds per seed."""

    task: str
    arch: str
    aurocs: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    kept_attempts: list[int] = field(default_factory=list)
    ceiling: float = float("nan")  # the task's planted-motif ceiling (`baselines.ceiling`)
    kmer: float = float("nan")  # the task's k-mer logistic regression reference (`baselines.kmer`)
    test_scores: list[np.ndarray] = field(default_factory=list)  # per seed: (N,) scores on the whole test split
    test_labels: np.ndarray | None = None  # (N,) labels of that split

    @property
    def mean(self) -> float:
        return statistics.fmean(self.aurocs) if self.aurocs else float("nan")

    @property
    def sd(self) -> float:
        return statistics.stdev(self.aurocs) if len(self.aurocs) > 1 else 0.0


def verdict(row: Row, gkm_mean: float | None, default_task: bool, min_auroc: float = MIN_AUROC,
            gkm_margin: float = GKM_MARGIN, max_sd: float = MAX_SD) -> str:
    """"ok" or the reasons a Keras row misses the bar, e.g. "< 0.75; < gkm-0.02"."""
    reasons = []
    if row.mean < min_auroc:
        reasons.append(f"< {min_auroc:g}")
    if gkm_mean is not None and row.mean < gkm_mean - gkm_margin:
        reasons.append(f"< gkm-{gkm_margin:g}")
    if default_task and row.sd > max_sd:
        reasons.append(f"SD > {max_sd:g}")
    return "; ".join(reasons) or "ok"


def draws_meeting_bar(row: Row, gkm_mean: float | None, default_task: bool, draw_size: int = DRAW_SIZE,
                      min_auroc: float = MIN_AUROC) -> tuple[float, int] | None:
    """(share, count): of the `count` subsets of `draw_size` of the row's seeds, the share whose own
    mean (and SD, on a default task) would meet the bar, gkm-SVM held at `gkm_mean` (all its seeds).

    The bar is judged on one draw of three seeds; a row checked with more seeds holds
    C(n, 3) such draws, and this says how often one of them passes: 1.0 or 0.0 when the
    verdict does not depend on which seeds were drawn, values between when it does.
    Returns None for a gkm-SVM row or a row of at most `draw_size` seeds (one draw only).
    """
    if row.arch == "gkmsvm" or len(row.aurocs) <= draw_size:
        return None
    draws = list(itertools.combinations(row.aurocs, draw_size))
    passed = sum(verdict(Row(row.task, row.arch, list(draw)), gkm_mean, default_task, min_auroc) == "ok"
                 for draw in draws)
    return passed / len(draws), len(draws)


def run_check(
    tasks: list[str],
    archs: list[str] | None = None,
    seeds: list[int] = (0, 1, 2),
    profile: str = "default",
    root: Path | None = None,
    overrides: dict | None = None,
    progress: bool = True,
    gkm_seeds: list[int] | None = None,
) -> list[Row]:
    """Train/load every (task, architecture, seed) and return one Row per task x architecture.

    archs None: every registered architecture (Keras ones and gkm-SVM).
    overrides: architecture parameters or training settings for the Keras
    models (e.g. ``{"first_activation": "exponential"}``); gkm-SVM ignores them.
    gkm_seeds: the gkm-SVM's seeds (training subsamples); None = `seeds`.
    """
    import tasks as task_registry  # noqa: PLC0415
    from baselines.architectures import ARCHITECTURES, arch_kind  # noqa: PLC0415
    from baselines.ceiling import planted_motif_ceiling  # noqa: PLC0415
    from baselines.store import get_model, load_history, resolve_settings  # noqa: PLC0415
    from baselines.train import fidelity  # noqa: PLC0415

    archs = list(archs or ARCHITECTURES.names())
    overrides = dict(overrides or {})
    for arch in archs:  # a misspelt override fails here, before any task is built
        if arch_kind(arch) == "keras":
            resolve_settings(arch, profile, **overrides)
    rows = {(t, a): Row(t, a) for t in tasks for a in archs}
    gkm_seeds = list(seeds if gkm_seeds is None else gkm_seeds)
    jobs = [(t, a, s) for t in tasks for a in archs for s in (gkm_seeds if arch_kind(a) != "keras" else seeds)]
    bar = tqdm(jobs, desc="check", unit="model", disable=not progress)
    datasets, test_splits = {}, {}
    for task, arch, seed in bar:
        bar.set_postfix_str(f"{task} {arch} s{seed}")
        if task not in datasets:
            datasets[task] = task_registry.build(task, progress=False)
            test_splits[task] = datasets[task].split(test=True)
            ceiling = planted_motif_ceiling(datasets[task])
            kmer = kmer_reference_auroc(datasets[task])
            for arch_name in archs:
                rows[(task, arch_name)].ceiling = ceiling
                rows[(task, arch_name)].kmer = kmer
        extra = overrides if arch_kind(arch) == "keras" else {}
        cpu = time.process_time()
        model = get_model(datasets[task], arch, seed=seed, profile=profile, progress=False, root=root, **extra)
        row = rows[(task, arch)]
        row.cpu_seconds.append(time.process_time() - cpu)
        # every model scored on the task's whole test split: a gkm-SVM's stored fidelity uses a
        # subsample of it (`max_test`), a Keras model's is this same number
        X_test, y_test = test_splits[task]
        scores = model.predict_logit(X_test)
        row.aurocs.append(float(fidelity(scores, y_test)["test_auroc"]))
        row.test_scores.append(scores)
        row.test_labels = np.asarray(y_test)
        history = load_history(model)
        row.epochs.append(int(history.get("epochs_run", 0)))
        row.kept_attempts.append(int(history.get("kept_attempt", 0)))
    bar.close()
    return list(rows.values())


def gap_intervals(rows: list[Row]) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(task, arch) -> (gap, low, high): each Keras row's mean test auROC minus gkm-SVM's, both
    on the task's whole test split, with a 95% bootstrap interval (`baselines.gap`).

    Rows without test scores, or tasks without a gkm-SVM row, get no entry.
    """
    gkm = {r.task: r for r in rows if r.arch == "gkmsvm" and r.test_scores}
    out = {}
    for r in rows:
        reference = gkm.get(r.task)
        if r.arch == "gkmsvm" or reference is None or not r.test_scores:
            continue
        out[(r.task, r.arch)] = auroc_gap_interval(np.stack(r.test_scores), np.stack(reference.test_scores),
                                                   r.test_labels)
    return out


def format_table(rows: list[Row], min_auroc: float = MIN_AUROC, gaps: dict | None = None) -> str:
    """The check table as Markdown: task, arch, seeds, mean, SD, gkm-SVM mean, 6-mer reference,
    planted-motif ceiling, epochs, kept attempt, CPU s/model, verdict, gap to gkm-SVM, and,
    when some Keras row has more than three seeds, the share of its three-seed draws that
    meet the bar (`draws_meeting_bar`).

    "kept attempt" per seed: 0 = the first run, a = its a-th restart (see `baselines.store._train_keras`).
    The k-mer reference (`baselines.kmer`) and the ceiling (`baselines.ceiling`) describe the task;
    they are not part of the verdict. Nor is the last column (`gap_intervals`): the gap on the
    whole test split with its 95% interval over models and test sequences; pass `gaps` when
    already computed (the bootstrap takes seconds per row on the default tasks).
    """
    gkm = {r.task: r.mean for r in rows if r.arch == "gkmsvm"}
    gaps = gap_intervals(rows) if gaps is None else gaps
    with_draws = any(r.arch != "gkmsvm" and len(r.aurocs) > DRAW_SIZE for r in rows)
    lines = [
        f"| task | arch | seeds | test auROC mean | SD | gkm-SVM mean | {DEFAULT_K}-mer LR | planted-motif ceiling | epochs "
        "| kept attempt | CPU s / model | verdict | gap to gkm-SVM [95% CI] |"
        + (f" {DRAW_SIZE}-seed draws meeting the bar |" if with_draws else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if with_draws else ""),
    ]
    for r in rows:
        gkm_mean = gkm.get(r.task)
        is_gkm = r.arch == "gkmsvm"
        mark = "(gkm-SVM)" if is_gkm else verdict(r, gkm_mean, r.task in DEFAULT_TASKS, min_auroc)
        epochs = "-" if is_gkm else "/".join(str(e) for e in r.epochs)
        kept = "-" if is_gkm else "/".join(str(a) for a in r.kept_attempts)
        gap = gaps.get((r.task, r.arch))
        gap_text = "-" if gap is None else f"{gap[0]:+.3f} [{gap[1]:+.3f}, {gap[2]:+.3f}]"
        lines.append(
            f"| {r.task} | {r.arch} | {len(r.aurocs)} | {r.mean:.3f} | {r.sd:.3f} | "
            f"{'-' if gkm_mean is None else f'{gkm_mean:.3f}'} | {_number(r.kmer)} | {_number(r.ceiling)} | "
            f"{epochs} | {kept} | "
            f"{statistics.fmean(r.cpu_seconds):.1f} | {mark} | {gap_text} |"
            + (f" {_draws_text(draws_meeting_bar(r, gkm_mean, r.task in DEFAULT_TASKS, min_auroc=min_auroc))} |"
               if with_draws else "")
        )
    return "\n".join(lines)


def _draws_text(draws: tuple[float, int] | None) -> str:
    return "-" if draws is None else f"{draws[0]:.0%} of {draws[1]:,}"


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def failures(rows: list[Row], min_auroc: float = MIN_AUROC) -> list[Row]:
    """Keras rows that miss the bar."""
    gkm = {r.task: r.mean for r in rows if r.arch == "gkmsvm"}
    return [r for r in rows if r.arch != "gkmsvm" and verdict(r, gkm.get(r.task), r.task in DEFAULT_TASKS, min_auroc) != "ok"]
