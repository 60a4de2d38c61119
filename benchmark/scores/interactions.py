"""Interactions between two planted instances: double-mutant ISM epistasis.

Remove instance a, instance b, or both (overwrite their spans with infill
bases) and compare the model's outputs:

    epistasis = f(x) - f(x without a) - f(x without b) + f(x without a and b)

Zero for a model additive in the two instances; positive when they act together
(an AND: each matters only with the other); negative when one cancels the other
(a repressor beside its activator). A grammar task's rule fixes the expected
sign, so a model's epistasis says whether it learnt the rule, independently of
any attribution method.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def pair_epistasis(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, span_a: np.ndarray, span_b: np.ndarray,
                   infill: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Double-mutant epistasis of two spans per sequence.

    Parameters
    ----------
    predict: (M, L, 4) float32 -> (M,) or (M, 1) outputs (e.g. logits); called in batches.
    X: (N, L, 4) one-hot sequences.
    span_a, span_b: (N, 2) int, [start, end) of the two instances in each sequence
        (0-based, half-open, inside 0..L, not overlapping).
    infill: (N, L, 4) one-hot bases written over a removed span (e.g. each row's
        shuffled background before the instances were pasted, or a dinucleotide
        shuffle of the row); never zeros, which no model saw in training.
    batch_size: sequences per `predict` call. Default is 256.

    Returns
    -------
    dict of (N,) float64 arrays: ``full``, ``without_a``, ``without_b``, ``without_both``,
    ``effect_a`` (full - without_a), ``effect_b`` and ``epistasis``.

    Example: f = 1 [A] + 2 [B] + 3 [A and B] on a sequence holding both: full 6,
    without_a 2, without_b 1, without_both 0, epistasis 6 - 2 - 1 + 0 = 3.
    """
    X = np.asarray(X, dtype=np.float32)
    infill = np.asarray(infill, dtype=np.float32)
    span_a, span_b = np.asarray(span_a, dtype=np.int64), np.asarray(span_b, dtype=np.int64)
    n, length = X.shape[:2]
    if X.ndim != 3 or X.shape[2] != 4:
        raise ValueError(f"X must be (N, L, 4) one-hot, got shape {X.shape}")
    if infill.shape != X.shape:
        raise ValueError(f"infill must have X's shape {X.shape}, got {infill.shape}")
    for name, span in (("span_a", span_a), ("span_b", span_b)):
        if span.shape != (n, 2):
            raise ValueError(f"{name} must be ({n}, 2) [start, end) per sequence, got shape {span.shape}")
        if (span[:, 0] < 0).any() or (span[:, 1] > length).any() or (span[:, 0] >= span[:, 1]).any():
            bad = int(np.flatnonzero((span[:, 0] < 0) | (span[:, 1] > length) | (span[:, 0] >= span[:, 1]))[0])
            raise ValueError(f"{name} of sequence {bad} is {span[bad].tolist()}: need 0 <= start < end <= {length}")
    overlap = (span_a[:, 0] < span_b[:, 1]) & (span_b[:, 0] < span_a[:, 1])
    if overlap.any():
        bad = int(np.flatnonzero(overlap)[0])
        raise ValueError(f"sequence {bad}: spans {span_a[bad].tolist()} and {span_b[bad].tolist()} overlap; "
                         "epistasis needs two separate instances")
    positions = np.arange(length)
    in_a = (positions >= span_a[:, :1]) & (positions < span_a[:, 1:])
    in_b = (positions >= span_b[:, :1]) & (positions < span_b[:, 1:])
    variants = [X, np.where(in_a[..., None], infill, X), np.where(in_b[..., None], infill, X),
                np.where((in_a | in_b)[..., None], infill, X)]
    stacked = np.concatenate(variants)
    outputs = np.concatenate([np.asarray(predict(stacked[i:i + batch_size]), dtype=np.float64).reshape(-1)
                              for i in range(0, len(stacked), batch_size)])
    if outputs.shape != (4 * n,):
        raise ValueError(f"predict returned {outputs.shape[0]} values for {4 * n} sequences; it must give one output "
                         "per sequence (select the explained output first)")
    full, without_a, without_b, without_both = outputs.reshape(4, n)
    return {"full": full, "without_a": without_a, "without_b": without_b, "without_both": without_both,
            "effect_a": full - without_a, "effect_b": full - without_b,
            "epistasis": full - without_a - without_b + without_both}


def first_pair_spans(instances: np.ndarray, rows: np.ndarray,
                     letters: tuple[str, str] = ("A", "B")) -> tuple[np.ndarray, np.ndarray]:
    """(span_a (E, 2), span_b (E, 2)) of the first instance of each of two letters in each row.

    instances: a grammar task's INSTANCE_DTYPE table; rows: (E,) dataset rows that
    carry both letters (e.g. AND positives, or repressor negatives with letters ("A", "R")).
    Raises ValueError naming a row without one of the letters.
    """
    spans = {letter: np.zeros((len(rows), 2), dtype=np.int64) for letter in letters}
    for i, row in enumerate(np.asarray(rows, dtype=np.int64)):
        mine = instances[instances["seq"] == row]
        for letter in letters:
            hits = mine[mine["letter"] == letter]
            if not len(hits):
                raise ValueError(f"row {int(row)} has no {letter} instance; pick rows that carry both {' and '.join(letters)}")
            first = hits[np.argmin(hits["start"])]
            spans[letter][i] = (first["start"], first["end"])
    return spans[letters[0]], spans[letters[1]]
