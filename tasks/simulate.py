"""Simulation: the realistic (shuffle + paste) and the simplified (i.i.d. + sampled PWM) generators.

Realistic (the paper's recipe): each positive with at least one kept motif
hit becomes a dinucleotide shuffle of itself with the original bases of every
kept hit pasted back at their original positions (so strand is preserved).
Hits of different motifs may overlap: all of them are pasted, and since every
pasted base is the sequence's own original base the pastes never conflict; the
ground-truth mask is the union of the hit intervals. Each negative becomes a
dinucleotide shuffle of a randomly chosen kept positive (so composition
matches the positives) with the negative's own kept hits pasted back.

With ``hit_positions="random"`` (a diagnostic: spec field ``hit_positions``)
the same hit bases are pasted at random positions instead of their original
ones: each sequence's hits are grouped into blocks of overlapping hits (a
block moves whole, keeping its hits' relative offsets), and the blocks are
placed in a uniformly random non-overlapping arrangement inside the sequence
(`random_block_starts`). Real motifs sit near peak summits; this removes the
positional prior a method could ride on.

Simplified (simdna-style): i.i.d. background at a chosen GC content; each
positive carries `min_instances`..`max_instances` non-overlapping instances,
each of a motif drawn uniformly from the spec's motifs, its bases sampled from
the motif's frequency matrix, on a random strand at a random position.
Negatives carry pure background, or instances of `negative_motifs` when the
spec lists some (a harder variant where both classes carry motifs).
"""

from __future__ import annotations

import numpy as np

from tasks.dataset import HIT_DTYPE


def hit_array(rows: list[tuple]) -> np.ndarray:
    """A HIT_DTYPE structured array from (seq, motif, start, end, strand, score) tuples."""
    return np.array(rows, dtype=HIT_DTYPE) if rows else np.zeros(0, dtype=HIT_DTYPE)


def mask_from_hits(hits: np.ndarray, n: int, length: int) -> np.ndarray:
    """(n, length) bool: the union of the half-open hit intervals."""
    diff = np.zeros((n, length + 1), dtype=np.int32)
    np.add.at(diff, (hits["seq"], hits["start"]), 1)
    np.add.at(diff, (hits["seq"], hits["end"]), -1)
    return np.cumsum(diff[:, :length], axis=1) > 0


def shuffle_dinuc(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dinucleotide shuffles (uniform over shuffles; `dinuc_shuf`) of (N, L, 4) uint8 one-hot."""
    import dinuc_shuf

    if len(X) == 0:
        return X.copy()
    return np.ascontiguousarray(dinuc_shuf.shuffle(np.ascontiguousarray(X, dtype=np.uint8), rng=rng))


HIT_POSITIONS = ("original", "random")


def overlap_blocks(hits: np.ndarray) -> list[np.ndarray]:
    """Indices into `hits` (one sequence's) grouped into blocks of overlapping half-open intervals, by start."""
    order = np.argsort(hits["start"], kind="stable")
    blocks: list[list[int]] = []
    end = -1
    for i in order:
        if blocks and int(hits["start"][i]) < end:
            blocks[-1].append(int(i))
            end = max(end, int(hits["end"][i]))
        else:
            blocks.append([int(i)])
            end = int(hits["end"][i])
    return [np.array(b, dtype=np.int64) for b in blocks]


def random_block_starts(widths: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Starts of blocks of the given widths, placed in a uniformly random non-overlapping arrangement in [0, length).

    The blocks are put in a random order and the free positions
    (length - sum(widths)) split into len(widths) + 1 gaps uniformly over all
    compositions (stars and bars). (K,) -> (K,) int64, in the input order.
    """
    widths = np.asarray(widths, dtype=np.int64)
    free = length - int(widths.sum())
    if free < 0:
        raise ValueError(f"blocks of total width {int(widths.sum())} do not fit in a sequence of length {length}")
    k = len(widths)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    bars = np.sort(rng.choice(free + k, size=k, replace=False))
    gaps = np.diff(np.concatenate([[-1], bars])) - 1  # k gaps before each block (the rest trails)
    order = rng.permutation(k)
    starts = np.empty(k, dtype=np.int64)
    position = 0
    for gap, block in zip(gaps, order):
        position += int(gap)
        starts[block] = position
        position += int(widths[block])
    return starts


def relocate_hits(original: np.ndarray, background: np.ndarray, hits: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Paste each sequence's hit blocks (`overlap_blocks`) at random non-overlapping positions.

    Parameters
    ----------
    original: (N, L, 4) the sequences the hit bases come from; background: (N, L, 4) what they are pasted onto.
    hits: HIT_DTYPE, ``seq`` = row of original/background.

    Returns
    -------
    (X (N, L, 4) uint8, moved hits (HIT_DTYPE, same order as `hits`, start/end at the new positions)).
    """
    X = np.array(background, dtype=np.uint8, copy=True)
    moved = hits.copy()
    length = X.shape[1]
    for row in np.unique(hits["seq"]):
        mine = np.flatnonzero(hits["seq"] == row)
        blocks = overlap_blocks(hits[mine])
        spans = [(int(hits["start"][mine[b]].min()), int(hits["end"][mine[b]].max())) for b in blocks]
        starts = random_block_starts(np.array([e - s for s, e in spans]), length, rng)
        for block, (old_start, old_end), new_start in zip(blocks, spans, starts):
            X[row, new_start : new_start + old_end - old_start] = original[row, old_start:old_end]
            shift = int(new_start) - old_start
            moved["start"][mine[block]] += shift
            moved["end"][mine[block]] += shift
    return X, moved


def simulate_realistic(
    pos_X: np.ndarray,
    neg_X: np.ndarray,
    pos_hits: np.ndarray,
    neg_hits: np.ndarray,
    rng: np.random.Generator,
    hit_positions: str = "original",
) -> dict:
    """Shuffle backgrounds and paste the original kept hits back (at their positions, or at random ones).

    Parameters
    ----------
    pos_X, neg_X: (P, L, 4), (M, L, 4) uint8 original sequences.
    pos_hits, neg_hits: HIT_DTYPE arrays of kept hits; ``seq`` indexes pos_X / neg_X.
    rng: the generator that draws shuffles and negative sources (and, with "random", the new positions).
    hit_positions: "original" (the paper's) or "random" (see the module docstring).

    Returns
    -------
    dict with X (N, L, 4) uint8 (kept positives first, then all negatives),
    y (N,) int8, hits (HIT_DTYPE, ``seq`` = row of X), mask (N, L) bool,
    pos_rows (indices into pos_X of the kept positives), neg_source (index
    into the kept positives each negative's background was shuffled from),
    background (N, L, 4) the shuffled backgrounds before pasting.
    """
    if hit_positions not in HIT_POSITIONS:
        raise ValueError(f"hit_positions must be one of {HIT_POSITIONS}, got {hit_positions!r}")
    length = pos_X.shape[1]
    kept = np.unique(pos_hits["seq"])
    remap = np.full(len(pos_X), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    pos_bg = shuffle_dinuc(pos_X[kept], rng)
    neg_source = rng.integers(0, len(kept), size=len(neg_X)) if len(kept) else np.zeros(len(neg_X), dtype=np.int64)
    neg_bg = shuffle_dinuc(pos_X[kept][neg_source], rng) if len(kept) else neg_X.copy()

    hits_p = pos_hits.copy()
    hits_p["seq"] = remap[pos_hits["seq"]]
    hits_n = neg_hits.copy()
    hits_n["seq"] = neg_hits["seq"] + len(kept)
    hits = np.concatenate([hits_p, hits_n])
    original = np.concatenate([pos_X[kept], neg_X])
    background = np.concatenate([pos_bg, neg_bg])
    if hit_positions == "random":
        X, hits = relocate_hits(original, background, hits, rng)
    order = np.lexsort((hits["motif"], hits["start"], hits["seq"]))
    hits = hits[order]
    mask = mask_from_hits(hits, len(original), length)
    if hit_positions == "original":
        X = np.where(mask[..., None], original, background).astype(np.uint8)
    y = np.concatenate([np.ones(len(kept), np.int8), np.zeros(len(neg_X), np.int8)])
    return {"X": X, "y": y, "hits": hits, "mask": mask, "pos_rows": kept, "neg_source": neg_source, "background": background}


def _log_odds(matrix: np.ndarray, bases: np.ndarray, probs: np.ndarray) -> float:
    return float(np.sum(np.log2(matrix[np.arange(len(bases)), bases] + 1e-4) - np.log2(probs[bases])))


def _implant(
    X: np.ndarray, row: int, motifs: dict[str, np.ndarray], count: int, rng: np.random.Generator, probs: np.ndarray
) -> list[tuple]:
    names = list(motifs)
    length = X.shape[1]
    occupied = np.zeros(length, dtype=bool)
    rows = []
    for _ in range(count):
        name = names[rng.integers(len(names))]
        matrix = motifs[name]
        width = len(matrix)
        cumulative = np.cumsum(matrix, axis=1)
        bases = (rng.random((width, 1)) > cumulative[:, :3]).sum(axis=1)
        strand = "+" if rng.random() < 0.5 else "-"
        score = _log_odds(matrix, bases, probs)
        placed = False
        for _attempt in range(100):
            start = int(rng.integers(0, length - width + 1))
            if not occupied[start : start + width].any():
                placed = True
                break
        if not placed:
            continue
        occupied[start : start + width] = True
        written = bases if strand == "+" else (3 - bases)[::-1]
        X[row, start : start + width] = np.eye(4, dtype=np.uint8)[written]
        rows.append((row, name, start, start + width, strand, score))
    return rows


def simulate_simplified(
    motifs: dict[str, np.ndarray],
    negative_motifs: dict[str, np.ndarray],
    n_positives: int,
    n_negatives: int,
    length: int,
    gc_content: float,
    min_instances: int,
    max_instances: int,
    rng: np.random.Generator,
) -> dict:
    """i.i.d. background with sampled motif instances (see module docstring).

    Returns
    -------
    dict with X (N, L, 4) uint8 (positives first), y (N,) int8, hits
    (HIT_DTYPE), mask (N, L) bool.
    """
    for name, matrix in {**motifs, **negative_motifs}.items():
        if len(matrix) > length:
            raise ValueError(f"motif {name} is {len(matrix)} bp, longer than sequence_length {length}")
    probs = np.array([(1 - gc_content) / 2, gc_content / 2, gc_content / 2, (1 - gc_content) / 2])
    n = n_positives + n_negatives
    X = np.eye(4, dtype=np.uint8)[rng.choice(4, size=(n, length), p=probs)]
    rows: list[tuple] = []
    for i in range(n_positives):
        rows += _implant(X, i, motifs, int(rng.integers(min_instances, max_instances + 1)), rng, probs)
    if negative_motifs:
        for i in range(n_positives, n):
            rows += _implant(X, i, negative_motifs, int(rng.integers(min_instances, max_instances + 1)), rng, probs)
    hits = hit_array(rows)
    y = np.concatenate([np.ones(n_positives, np.int8), np.zeros(n_negatives, np.int8)])
    return {"X": X, "y": y, "hits": hits, "mask": mask_from_hits(hits, n, length)}


def grouped_split(y: np.ndarray, groups: np.ndarray, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """(N,) bool test flags: whole groups go to the test split, per class, in a seeded random
    order, until about `test_fraction` of the class's rows are in it.

    y: (N,) 0/1 labels; groups: (N,) int group ids (e.g. overlapping genome windows).
    A group holding both classes is assigned with the first class that reaches it.
    """
    is_test = np.zeros(len(y), dtype=bool)
    decided: set[int] = set()
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        target = int(round(test_fraction * len(rows)))
        taken = 0
        for group in rng.permutation(np.unique(groups[rows])):
            if taken >= target:
                break
            if int(group) in decided:
                continue
            members = np.flatnonzero(groups == group)
            is_test[members] = True
            decided.add(int(group))
            taken += int((y[members] == label).sum())
        decided.update(int(g) for g in np.unique(groups[rows]))
    return is_test


def split(y: np.ndarray, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """(N,) bool test flags, stratified by class, `test_fraction` of each class."""
    is_test = np.zeros(len(y), dtype=bool)
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        chosen = rng.permutation(rows)[: int(round(test_fraction * len(rows)))]
        is_test[chosen] = True
    return is_test


def eval_index(
    y: np.ndarray, is_test: np.ndarray, hits: np.ndarray, n_eval: int, rng: np.random.Generator | None = None,
    signal: np.ndarray | None = None,
) -> np.ndarray:
    """Rows of the eval set (E,) int64: test positives with >= 1 hit, in sampling order.

    Without `signal`: a seeded uniform random sample of `n_eval` of them, in the order drawn, so the
    first n of the set are themselves a random sample for any n (a grid scoring 50 of a 300-row pool
    scores 50 random rows, not the first 50 of the file, whose order follows the source's). With
    `signal` (N,): the `n_eval` with the highest signal, highest first (the paper's top-N by signal).
    `rng` is required without `signal`.
    """
    has_hit = np.zeros(len(y), dtype=bool)
    has_hit[hits["seq"]] = True
    candidates = np.flatnonzero((y == 1) & is_test & has_hit)
    if signal is not None:
        return candidates[np.argsort(-signal[candidates], kind="stable")][:n_eval].astype(np.int64)
    if rng is None:
        raise ValueError("eval_index samples the eval set at random: pass rng, a seeded numpy Generator")
    return rng.permutation(candidates)[:n_eval].astype(np.int64)
