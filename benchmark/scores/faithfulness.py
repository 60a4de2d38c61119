"""Faithfulness scores that need no planted truth: deletion and insertion curves.

A method's per-position scores (N, L) rank the positions of each sequence.
Removing the top-ranked positions should lower the model's logit (deletion);
restoring them into a scrambled sequence should raise it (insertion). Both
apply to any model and any sequences, real or simulated, since they ask only
the model.

Definitions (one sequence x, model logit f, fractions k_1 < ... < k_m):

- ranking (`rank_positions`): positions by the signed score, descending (a
  position that pushes the logit up ranks first), or by |score| with
  ``order="absolute"``. Exact ties are broken by a seeded random key, not by
  position: a flat map (all scores equal) then ranks like a random scorer
  instead of always deleting the left flank first.
- n_k = max(1, floor(k * L + 0.5)) positions for fraction k (k = 0.01 of 200 bp is 2).
- infill (`infill_shuffles`): D dinucleotide shuffles s_1..s_D of x itself
  (`tasks.simulate.shuffle_dinuc`), never zeros or N bases. They depend only
  on x and the seed, so every method scored with the same seed on the same
  sequences meets the same infill (comparisons between methods are paired).
- deletion: x with its top n_k positions replaced by s_d's bases there, d = 1..D;
  drop_k = f(x) - mean_d f(deleted_{k,d}).
- insertion: s_d with the original bases of x restored at its top n_k positions;
  rise_k = mean_d f(inserted_{k,d}) - mean_d f(s_d).
- area: the trapezoid integral of the curve over k (fraction units) divided
  by (k_m - k_1), i.e. the mean height of the piecewise-linear curve over
  [k_1, k_m], in logit units; with a single fraction it is that point's value.
  The per-sequence area is computed from that sequence's curve; the reported
  area is their mean (equal to the area of the mean curve).

Larger deletion and insertion areas mean a more faithful ranking. Standard
errors are over sequences (ddof=1; NaN for one sequence).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from tasks.simulate import shuffle_dinuc

FRACTIONS = (0.01, 0.02, 0.05, 0.10, 0.20)
ORDERS = ("signed", "absolute")
# Perturbed sequences built at once (memory: rows x L x 4 x 4 bytes); the loop runs over chunks of
# sequences, never over single sequences.
_CHUNK_ROWS = 4096


def rank_positions(scores: np.ndarray, order: str = "signed", seed: int = 0) -> np.ndarray:
    """Positions of each sequence from most to least important.

    Parameters
    ----------
    scores: (N, L) float, one score per position (a method's observed-base
        projection, `methods.registry.project(..., "observed")`).
    order: "signed" ranks by the score, descending; "absolute" by |score|. Default is "signed".
    seed: seeds the random key that breaks exact ties. Default is 0.

    Returns
    -------
    (N, L) int64: row i lists sequence i's positions, rank 0 first.
    """
    scores = _check_scores(scores, None)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}; got {order!r}")
    key = np.abs(scores) if order == "absolute" else scores
    tiebreak = np.random.default_rng(np.random.SeedSequence([seed, 1])).random(key.shape)
    return np.lexsort((tiebreak, -key), axis=-1).astype(np.int64)


def positions_per_fraction(length: int, fractions=FRACTIONS) -> np.ndarray:
    """(m,) int64: n_k = max(1, floor(k * length + 0.5)) positions for each fraction k."""
    fractions = _check_fractions(fractions)
    return np.maximum(1, np.floor(fractions * length + 0.5)).astype(np.int64)


def infill_shuffles(X: np.ndarray, draws: int = 3, seed: int = 0) -> np.ndarray:
    """Dinucleotide shuffles of every sequence, the infill of both curves.

    X: (N, L, 4) one-hot. Returns (D, N, L, 4) float32, ``[d, i]`` a shuffle of
    ``X[i]`` (same dinucleotide counts), from one seeded generator.
    """
    X = _check_onehot(X)
    if int(draws) < 1:
        raise ValueError(f"draws must be >= 1 (infill shuffles per sequence); got {draws}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    shuffled = shuffle_dinuc(np.tile(X.astype(np.uint8), (int(draws), 1, 1)), rng)
    return shuffled.reshape((int(draws),) + X.shape).astype(np.float32)


def perturbed_sequences(X: np.ndarray, ranks: np.ndarray, shuffles: np.ndarray, n_positions) -> tuple[np.ndarray, np.ndarray]:
    """The deletion and insertion inputs of every sequence, fraction and draw.

    X: (N, L, 4) one-hot; ranks: (N, L) from `rank_positions`; shuffles:
    (D, N, L, 4) from `infill_shuffles`; n_positions: (m,) positions per fraction.

    Returns
    -------
    (deleted, inserted), each (m, D, N, L, 4) float32: ``deleted[j, d, i]`` is
    X[i] with its top n_j positions taken from shuffles[d, i];
    ``inserted[j, d, i]`` is shuffles[d, i] with X[i]'s bases at those positions.
    """
    n_positions = np.asarray(n_positions, dtype=np.int64)
    rank_of = np.empty_like(ranks)
    np.put_along_axis(rank_of, ranks, np.arange(ranks.shape[1], dtype=np.int64)[None, :], axis=1)
    top = rank_of[None, :, :] < n_positions[:, None, None]  # (m, N, L)
    top = top[:, None, :, :, None]  # (m, 1, N, L, 1)
    original, infill = X[None, None].astype(np.float32), shuffles[None].astype(np.float32)
    return np.where(top, infill, original), np.where(top, original, infill)


def faithfulness(
    X: np.ndarray,
    scores: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    *,
    fractions=FRACTIONS,
    draws: int = 3,
    order: str = "signed",
    seed: int = 0,
    batch_size: int = 512,
) -> dict:
    """Deletion and insertion curves of one method's scores on one model.

    Parameters
    ----------
    X: (N, L, 4) float32 one-hot, A,C,G,T (no N bases: the infill is a dinucleotide shuffle).
    scores: (N, L) float, the method's per-position scores on X (observed-base projection).
    predict: (M, L, 4) float32 -> (M,) logits (pre-sigmoid), e.g. ``model.predict_logit``.
    fractions: increasing fractions of L in (0, 1]. Default is (0.01, 0.02, 0.05, 0.10, 0.20).
    draws: infill shuffles per sequence, the logit averaged over them. Default is 3.
    order: "signed" or "absolute" (`rank_positions`). Default is "signed".
    seed: seeds the infill shuffles and the tie-break. Default is 0.
    batch_size: sequences per `predict` call. Default is 512.

    Returns
    -------
    A JSON-able dict of plain floats, ints and lists (see the module docstring
    for the definitions): ``fractions``, ``positions`` (n_k), ``order``,
    ``draws``, ``seed``, ``n_sequences``; ``deletion_drop`` and
    ``deletion_drop_se`` (per fraction), ``deletion_area``,
    ``deletion_area_se``, ``deletion_area_per_sequence`` (N,); the same five
    ``insertion_*`` keys (``insertion_rise``, ``insertion_rise_se``, ...);
    ``logit_mean`` and ``shuffled_logit_mean`` (mean f(x), mean f(s_d)).
    """
    X = _check_onehot(X)
    scores = _check_scores(scores, X.shape[:2])
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    fraction_values = _check_fractions(fractions)
    n_positions = positions_per_fraction(X.shape[1], fraction_values)
    ranks = rank_positions(scores, order=order, seed=seed)
    shuffles = infill_shuffles(X, draws=draws, seed=seed)
    n, d, m = len(X), int(draws), len(n_positions)

    logits = _predict(predict, X, batch_size)
    shuffled_logits = _predict(predict, shuffles.reshape((-1,) + X.shape[1:]), batch_size).reshape(d, n)
    deleted_logits = np.empty((m, d, n))
    inserted_logits = np.empty((m, d, n))
    per_chunk = max(1, _CHUNK_ROWS // (m * d))
    for start in range(0, n, per_chunk):
        rows = slice(start, start + per_chunk)
        deleted, inserted = perturbed_sequences(X[rows], ranks[rows], shuffles[:, rows], n_positions)
        shape = deleted.shape[:3]
        deleted_logits[:, :, rows] = _predict(predict, deleted.reshape((-1,) + X.shape[1:]), batch_size).reshape(shape)
        inserted_logits[:, :, rows] = _predict(predict, inserted.reshape((-1,) + X.shape[1:]), batch_size).reshape(shape)

    drops = logits[None, :] - deleted_logits.mean(axis=1)  # (m, N)
    rises = inserted_logits.mean(axis=1) - shuffled_logits.mean(axis=0)[None, :]  # (m, N)
    out = {
        "fractions": [float(k) for k in fraction_values],
        "positions": [int(p) for p in n_positions],
        "order": order,
        "draws": d,
        "seed": int(seed),
        "n_sequences": n,
        "logit_mean": float(logits.mean()),
        "shuffled_logit_mean": float(shuffled_logits.mean()),
    }
    for name, value_key, curve in (("deletion", "drop", drops), ("insertion", "rise", rises)):
        areas = curve_area(curve, fraction_values)
        out[f"{name}_{value_key}"] = [float(v) for v in curve.mean(axis=1)]
        out[f"{name}_{value_key}_se"] = [_se(row) for row in curve]
        out[f"{name}_area"] = float(areas.mean())
        out[f"{name}_area_se"] = _se(areas)
        out[f"{name}_area_per_sequence"] = [float(v) for v in areas]
    return out


def curve_area(curve: np.ndarray, fractions) -> np.ndarray:
    """Normalised trapezoid area of each sequence's curve.

    curve: (m, N) values at the m fractions; fractions: (m,) increasing.
    Returns (N,) float64: sum_j (k_{j+1} - k_j) (c_j + c_{j+1}) / 2, divided by
    (k_m - k_1); the single value itself when m == 1.
    """
    curve = np.asarray(curve, dtype=np.float64)
    k = _check_fractions(fractions)
    if curve.ndim != 2 or curve.shape[0] != len(k):
        raise ValueError(f"curve must be (m, N) with m = {len(k)} fractions; got shape {curve.shape}")
    if len(k) == 1:
        return curve[0].copy()
    widths = np.diff(k)[:, None]
    return (widths * (curve[:-1] + curve[1:]) / 2.0).sum(axis=0) / (k[-1] - k[0])


def _predict(predict, X: np.ndarray, batch_size: int) -> np.ndarray:
    out = []
    for start in range(0, len(X), batch_size):
        batch = np.ascontiguousarray(X[start : start + batch_size], dtype=np.float32)
        logits = np.asarray(predict(batch), dtype=np.float64).reshape(-1)
        if logits.shape != (len(batch),):
            raise ValueError(f"predict returned {logits.size} values for a batch of {len(batch)} sequences; "
                             "it must return one logit per sequence, shape (M,)")
        if not np.isfinite(logits).all():
            raise ValueError("predict returned NaN or inf logits; check the model (faithfulness needs finite logits)")
        out.append(logits)
    return np.concatenate(out) if out else np.zeros(0)


def _se(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")


def _check_onehot(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[2] != 4:
        raise ValueError(f"X must be (N, L, 4) one-hot (A,C,G,T); got shape {X.shape}")
    if len(X) == 0 or X.shape[1] == 0:
        raise ValueError(f"X holds no sequence positions (shape {X.shape}); give at least one sequence")
    onehot = np.isin(X, (0, 1)).all(axis=2) & (X.sum(axis=2) == 1)
    if not onehot.all():
        i, j = np.argwhere(~onehot)[0]
        raise ValueError(f"X is not one-hot at sequence {i}, position {j} ({X[i, j].tolist()}): every position "
                         "needs exactly one of A,C,G,T (N bases cannot be dinucleotide-shuffled; drop those sequences)")
    return X.astype(np.float32)


def _check_scores(scores: np.ndarray, shape: tuple | None) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        hint = " (project (N, L, 4) contributions to the observed base first)" if scores.ndim == 3 else ""
        raise ValueError(f"scores must be (N, L), one score per position; got shape {scores.shape}{hint}")
    if shape is not None and scores.shape != tuple(shape):
        raise ValueError(f"scores shape {scores.shape} does not match X's (N, L) = {tuple(shape)}")
    if not np.isfinite(scores).all():
        bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
        raise ValueError(f"scores contain NaN or inf in {len(bad)} sequence(s), first at sequence {bad[0]}; "
                         "a method must return finite scores")
    return scores


def _check_fractions(fractions) -> np.ndarray:
    k = np.asarray(fractions, dtype=np.float64).reshape(-1)
    if len(k) == 0 or not np.isfinite(k).all() or (k <= 0).any() or (k > 1).any() or (np.diff(k) <= 0).any():
        raise ValueError(f"fractions must be increasing values in (0, 1]; got {list(fractions)}")
    return k
