"""gkm-SVM models through gkmsvm-lite: training, prediction, saving.

A gkm-SVM `TrainedModel` has ``kind == "gkmsvm"`` and its ``network`` is the
fitted ``gkmsvm.GkmSVM`` object. gkmsvm-lite works on channels-first one-hot
arrays (B, 4, L); this module converts from the project's (N, L, 4).

Scores: ``network(x)`` with x (B, 4, L) float32 returns (B, 1) SVM decision
values (uncalibrated, sign = class); they play the role of the logit, and
`predict_gkmsvm` returns them as (N,) float32, computed through the model's
l-mer weight table (`baselines.gkm_table`: the same values up to float32
rounding, at a tenth of the cost or less).

Explanations (for the GkmExplain method): gkmsvm-lite ships GkmExplain
(Shrikumar, Prakash & Kundaje 2019) and ISM for these objects::

    from gkmsvm import gkmexplain, ism
    x = X.transpose(0, 2, 1)                             # (N, L, 4) -> (N, 4, L)
    hyp = gkmexplain(model.network, x, mode=1)           # (N, 4, L) hypothetical importance
    hyp = hyp.transpose(0, 2, 1)                         # back to (N, L, 4)
    # mode=0 gives hyp * one-hot; ism(model.network, x) gives (N, 4, L) mutation deltas.

Settings (the ``params`` of a gkm-SVM, see `baselines.profiles`): ``kernel``
(gkmsvm-lite kernel alias, default "estimated" = LS-GKM's -t 2), ``l``,
``k``, ``d``, ``C``, ``solver`` ("nystrom", "auto", "libsvm", "smo"),
``n_components`` (Nyström landmarks), ``max_train`` (a seeded, class-balanced
subsample of the training split, None = all), ``train_fraction`` (the
subsample is at most this share of the split, so seeds differ on small tasks
too) and ``max_test`` (a seeded
subsample of the test split on which fidelity is measured, None = all).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # baselines.model calls this module lazily, so no runtime import back
    from baselines.model import TrainedModel


log = logging.getLogger(__name__)

WEIGHTS_FILE = "gkmsvm.npz"
SOLVERS = ("nystrom", "auto", "libsvm", "smo")


def predict_gkmsvm(model: TrainedModel, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """SVM decision values. X: (N, L, 4) one-hot -> (N,) float32.

    Through the model's l-mer weight table (`baselines.gkm_table`: the same function, about 10x
    less work) when it covers the model, else through gkmsvm-lite's own scoring.
    """
    from baselines import gkm_table  # noqa: PLC0415

    X = np.asarray(X, dtype=np.float32)
    by_table = gkm_table.covers(model.network)
    out = []
    for start in range(0, len(X), batch_size):
        batch = np.ascontiguousarray(X[start : start + batch_size].transpose(0, 2, 1))
        values = gkm_table.decision_values(model.network, batch) if by_table else model.network(batch)
        out.append(np.asarray(values).reshape(-1))
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def balanced_subsample(y: np.ndarray, max_n: int | None, seed: int) -> np.ndarray:
    """Sorted row indices of at most `max_n` rows, half positives where possible.

    y: (N,) 0/1 labels. If one class has fewer than max_n / 2 rows, the other
    class fills the rest. max_n None keeps every row.
    """
    rows = np.arange(len(y))
    if max_n is None or max_n >= len(y):
        return rows
    rng = np.random.default_rng(seed)
    pos, neg = rows[y == 1], rows[y == 0]
    n_pos = min(len(pos), max(max_n // 2, max_n - len(neg)))
    n_neg = min(len(neg), max_n - n_pos)
    chosen = np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)])
    return np.sort(chosen)


def training_rows(y: np.ndarray, max_train: int | None, train_fraction: float, seed: int) -> np.ndarray:
    """Sorted rows of the training split a gkm-SVM of this `seed` fits on.

    A seeded, class-balanced subsample (`balanced_subsample`) of at most
    `max_train` rows and at most `train_fraction` of the split, so that
    different seeds fit different subsamples even when the split is smaller
    than `max_train` (the small stress tasks): a gkm-SVM's "seed" is its
    training subsample.
    """
    if not 0.0 < train_fraction <= 1.0:
        raise ValueError(f"gkmsvm: train_fraction must be in (0, 1], got {train_fraction!r}")
    cap = int(np.floor(train_fraction * len(y)))
    limit = cap if max_train is None else min(int(max_train), cap)
    return balanced_subsample(y, None if limit >= len(y) else limit, seed)


def fit_gkmsvm(X: np.ndarray, y: np.ndarray, params: dict, seed: int, progress: bool = False):
    """Fit a gkm-SVM on (N, L, 4) one-hot X and (N,) 0/1 y.

    Returns (GkmSVM, info dict with n_train, n_support_vectors, seconds).
    """
    from gkmsvm import train_gkmsvm

    if params["solver"] not in SOLVERS:
        raise ValueError(f"gkmsvm: solver must be one of {SOLVERS}, got {params['solver']!r}")
    if int(params["l"]) > X.shape[1]:
        raise ValueError(
            f"gkmsvm: l-mer length l={params['l']} is longer than the sequences ({X.shape[1]} bp); lower l"
        )
    rows = training_rows(y, params["max_train"], params.get("train_fraction", 1.0), seed)
    Xc = np.ascontiguousarray(X[rows].transpose(0, 2, 1))
    yc = y[rows]
    start = time.perf_counter()
    log.info("gkm-SVM: fitting on %d sequences (%s solver)", len(rows), params["solver"])
    network = train_gkmsvm(
        Xc[yc == 1],
        Xc[yc == 0],
        kernel_type=params["kernel"],
        l=int(params["l"]),
        k=int(params["k"]),
        d=int(params["d"]),
        C=float(params["C"]),
        solver=params["solver"],
        n_components=params["n_components"],
        device="cpu",
        verbose=progress,
    )
    info = {
        "n_train": int(len(rows)),
        "n_support_vectors": int(network.num_support_vectors),
        "fit_seconds": round(time.perf_counter() - start, 3),
    }
    if not np.all(np.isfinite(network.coefficients)) or not np.isfinite(network.bias):
        raise FloatingPointError("gkm-SVM training produced non-finite coefficients; nothing was cached")
    return network, info


def fidelity_rows(is_test: np.ndarray, y: np.ndarray, max_n: int | None, seed: int) -> np.ndarray:
    """Rows of the test split on which a gkm-SVM's fidelity is measured (class-balanced subsample)."""
    rows = np.flatnonzero(is_test)
    return rows[balanced_subsample(y[rows], max_n, seed + 1)]


def save_gkmsvm(network, directory: Path) -> str:
    """Write the fitted model into `directory`; returns the file name."""
    network.save(str(directory / WEIGHTS_FILE), fmt="npz")
    return WEIGHTS_FILE


def load_gkmsvm(directory: Path):
    """Read a model written by `save_gkmsvm`."""
    from gkmsvm import load_npz

    return load_npz(directory / WEIGHTS_FILE, device="cpu")
