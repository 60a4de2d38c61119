"""Motif scanning (FIMO from memelite), the centre-weighted enrichment filter, and the collapse of redundant motifs.

Hit tables are `tasks.dataset.HIT_DTYPE` structured arrays. Within one motif
and one sequence, overlapping hits (a palindrome matched on both strands, or a
motif matching at shifted offsets) are reduced to the best-scoring one, so
one binding site counts once per motif.

Enrichment of a motif: each hit is weighted by (L/2 - |L/2 - c|)^2 where c is
the hit's centre (start + end) / 2, so central hits count most and hits at the
edges count almost nothing; the weighted hit density in positives (sum of
weights / number of sequences) is divided by the same in the background
sequences. One pseudo-hit of average weight (L^2 / 12) is added to both sums so
a motif absent from the background gets a finite ratio.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from tasks.dataset import HIT_DTYPE

log = logging.getLogger(__name__)


def scan(motifs: dict[str, np.ndarray], X: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    """FIMO hits of every motif in every sequence, one per binding site.

    Parameters
    ----------
    motifs: key -> (w, 4) frequency matrix.
    X: (N, L, 4) one-hot.
    threshold: FIMO p-value threshold.

    Returns
    -------
    HIT_DTYPE array sorted by (motif order, seq, start); ``seq`` indexes X.
    """
    from memelite import fimo

    names = list(motifs)
    if len(X) == 0:
        return np.zeros(0, dtype=HIT_DTYPE)
    frames = fimo({k: np.ascontiguousarray(v.T, dtype=np.float64) for k, v in motifs.items()},
                  np.ascontiguousarray(np.asarray(X).transpose(0, 2, 1), dtype=np.float32), threshold=threshold)
    parts = []
    for index, frame in enumerate(frames):
        if len(frame) == 0:
            continue
        seq = frame["sequence_name"].to_numpy(dtype=np.int64)
        start = frame["start"].to_numpy(dtype=np.int64)
        end = frame["end"].to_numpy(dtype=np.int64)
        score = frame["score"].to_numpy(dtype=np.float64)
        strand = frame["strand"].to_numpy(dtype=str)
        keep = _best_non_overlapping(seq, start, end, score)
        part = np.zeros(int(keep.sum()), dtype=HIT_DTYPE)
        part["seq"], part["start"], part["end"] = seq[keep], start[keep], end[keep]
        part["strand"], part["score"], part["motif"] = strand[keep], score[keep], names[index]
        parts.append(part[np.lexsort((part["start"], part["seq"]))])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=HIT_DTYPE)


def _best_non_overlapping(seq: np.ndarray, start: np.ndarray, end: np.ndarray, score: np.ndarray) -> np.ndarray:
    """(H,) bool: greedy best-score-first selection of non-overlapping hits per sequence."""
    order = np.lexsort((start, -score, seq))
    keep = np.zeros(len(seq), dtype=bool)
    taken: list[tuple[int, int]] = []
    current = -1
    for i in order:
        if seq[i] != current:
            current, taken = seq[i], []
        if all(end[i] <= s or start[i] >= e for s, e in taken):
            keep[i] = True
            taken.append((start[i], end[i]))
    return keep


def centre_weights(hits: np.ndarray, length: int) -> np.ndarray:
    """(H,) weights (L/2 - |L/2 - centre|)^2 of each hit."""
    centre = (hits["start"].astype(np.float64) + hits["end"]) / 2.0
    return (length / 2.0 - np.abs(length / 2.0 - centre)) ** 2


def _weighted_sums(names: list[str], hits: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M,) hit counts, sums of centre weights and sums of squared centre weights of each motif in `names`."""
    index = {name: i for i, name in enumerate(names)}
    idx = np.array([index[m] for m in hits["motif"]], dtype=np.int64)
    w = centre_weights(hits, length)
    return (np.bincount(idx, minlength=len(names)), np.bincount(idx, weights=w, minlength=len(names)),
            np.bincount(idx, weights=w**2, minlength=len(names)))


def enrichment_table(
    names: list[str], pos_hits: np.ndarray, n_pos: int, bg_hits: np.ndarray, n_bg: int, length: int
) -> dict[str, dict]:
    """Per motif: hit counts in positives / background and the centre-weighted density ratio."""
    pseudo = length**2 / 12.0
    pos_count, pos_weight, _ = _weighted_sums(names, pos_hits, length)
    bg_count, bg_weight, _ = _weighted_sums(names, bg_hits, length)
    ratio = ((pos_weight + pseudo) / n_pos) / ((bg_weight + pseudo) / n_bg)
    return {
        name: {
            "motif": name,
            "pos_hits": int(pos_count[i]),
            "bg_hits": int(bg_count[i]),
            "enrichment": round(float(ratio[i]), 4),
        }
        for i, name in enumerate(names)
    }


def enrichment_lower_bounds(
    names: list[str], pos_hits: np.ndarray, n_pos: int, bg_hits: np.ndarray, n_bg: int, length: int, z: float = 1.96
) -> dict[str, float]:
    """Per motif: a lower confidence bound on `enrichment_table`'s centre-weighted density ratio.

    The ratio of two weighted hit sums is noisy when either sum rests on few hits: on 500
    Oct4 peaks, POU3F1 (301 hits in positives, 27 in the background, ratio 29.4) outranked
    Pou5f1::Sox2 (542 and 39, ratio 29.0). The bound is ``ratio * exp(-z * se)``, with the
    delta-method standard error of the log ratio, ``se**2 = sum(w**2) / sum(w)**2`` summed
    over both sides (the pseudo-count counted as one hit of mean weight on each side).

    Returns
    -------
    motif name -> lower bound (same scale as the ratio), rounded to 4 decimals.
    """
    pseudo = length**2 / 12.0
    _, pos_weight, pos_squares = _weighted_sums(names, pos_hits, length)
    _, bg_weight, bg_squares = _weighted_sums(names, bg_hits, length)
    w_pos, w_bg = pos_weight + pseudo, bg_weight + pseudo
    ratio = (w_pos / n_pos) / (w_bg / n_bg)
    se = np.sqrt((pos_squares + pseudo**2) / w_pos**2 + (bg_squares + pseudo**2) / w_bg**2)
    lower = ratio * np.exp(-z * se)
    return {name: round(float(lower[i]), 4) for i, name in enumerate(names)}


def similarity_pvalues(queries: dict[str, np.ndarray], targets: dict[str, np.ndarray]) -> np.ndarray:
    """TOMTOM p-values (Q, T) of every query motif against every target motif."""
    from memelite import tomtom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pvalues = tomtom([v.T.astype(np.float64) for v in queries.values()],
                         [v.T.astype(np.float64) for v in targets.values()], n_jobs=1)[0]
    return np.asarray(pvalues)


def collapse(candidates: list[str], motifs: dict[str, np.ndarray], database: dict[str, np.ndarray], pvalue: float) -> dict[str, str]:
    """Greedy collapse of redundant motifs.

    Parameters
    ----------
    candidates: motif keys in priority order (most enriched first).
    motifs: every candidate's frequency matrix.
    database: the whole database, the TOMTOM targets that calibrate p-values
        (p-values against a handful of targets are unreliable).
    pvalue: two motifs are redundant when TOMTOM's p-value is below this.

    Returns
    -------
    key -> the kept key it was collapsed into (itself for kept motifs).
    """
    if not candidates:
        return {}
    names = list(database)
    missing = [c for c in candidates if c not in database]
    targets = dict(database, **{c: motifs[c] for c in missing})
    names = list(targets)
    pv = similarity_pvalues({c: motifs[c] for c in candidates}, targets)
    column = {name: j for j, name in enumerate(names)}
    result: dict[str, str] = {}
    kept: list[int] = []
    for i, name in enumerate(candidates):
        match = next((k for k in kept if min(pv[i, column[candidates[k]]], pv[k, column[name]]) < pvalue), None)
        if match is None:
            kept.append(i)
            result[name] = name
        else:
            result[name] = candidates[match]
    return result


def warmup() -> float:
    """Run FIMO and TOMTOM once on tiny inputs so numba compiles (and caches) their kernels.

    Returns the seconds it took (a few minutes on a fresh install of a busy
    2-core machine; well under a second once cached).
    """
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    motifs = {f"m{i}": rng.dirichlet(np.ones(4), size=8).astype(np.float32) for i in range(30)}
    X = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(4, 50))]
    scan(motifs, X, 1e-2)
    similarity_pvalues(dict(list(motifs.items())[:2]), motifs)
    return time.perf_counter() - started
