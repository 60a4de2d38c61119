"""Controls that bracket the real methods: a random floor, a PWM-scan ceiling and a position prior.

- ``random``: seeded standard-normal noise, the score of a method that knows
  nothing (its expected auROC is 0.5 and auPRC the prevalence).
- ``pwm_scan``: uses no model, only the task's own motifs: each base scores the
  best log-odds match (either strand) of any motif window that covers it. It
  is what a method could reach if the model had learned exactly the implanted
  motifs, so it bounds the others from above (not strictly: a motif the model
  never learned still counts for the scan).
- ``centre_prior``: uses neither the model nor the sequence, only each
  position's distance to the sequence centre. Real motifs sit near peak
  summits and the realistic simulation pastes them back where they were, so
  this scorer is strong on those tasks; a method's margin over it is what the
  method knows beyond "motifs are central".
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from methods.registry import register_method


@register_method(
    "random",
    model_kinds=("keras", "gkmsvm", "torch"),
    description="control (floor): seeded Gaussian noise, no model",
)
def random(model, X, references, *, seed: int = 0) -> np.ndarray:
    """Standard-normal hypothetical contributions from ``seed``. (N, L, 4) -> (N, L, 4)."""
    return np.random.default_rng(seed).standard_normal(X.shape).astype(np.float32)


def log_odds(frequencies: np.ndarray, pseudocount: float = 0.01) -> np.ndarray:
    """log2 of a (w, 4) frequency matrix (rows renormalised, pseudocount added) over a uniform background."""
    f = np.asarray(frequencies, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != 4 or (f < 0).any():
        raise ValueError(f"a motif must be a non-negative (w, 4) frequency matrix, got shape {f.shape}")
    f = f / np.maximum(f.sum(1, keepdims=True), 1e-12)
    return np.log2((f + pseudocount) / (1 + 4 * pseudocount) / 0.25)


def window_scores(X: np.ndarray, pssm: np.ndarray) -> np.ndarray:
    """Log-odds of every full window, both strands, max over strands. (N, L, 4), (w, 4) -> (N, L - w + 1)."""
    w = pssm.shape[0]
    per_base = {"+": X @ pssm.T, "-": X @ pssm[::-1, ::-1].T}  # (N, L, w): score of base i at motif column j
    n, length = X.shape[:2]
    best = np.full((n, length - w + 1), -np.inf)
    for strand in per_base.values():
        total = sum(strand[:, j : length - w + 1 + j, j] for j in range(w))
        best = np.maximum(best, total)
    return best


@register_method(
    "pwm_scan",
    model_kinds=("keras", "gkmsvm", "torch"),
    needs=("motifs",),
    description="control (ceiling, no model): best log-odds match of the task's motifs covering each base, clipped at 0",
)
def pwm_scan(model, X, references, *, motifs: dict, pseudocount: float = 0.01, seed: int = 0) -> np.ndarray:
    """Per-base motif evidence from the task's motifs. (N, L, 4) -> (N, L, 4).

    For each base, the maximum over motifs, both strands and every window that
    covers the base of the window's log-odds score (log2, uniform background,
    ``pseudocount`` added to each frequency). Negative scores (no match) are
    clipped to 0, so a base far from any match scores 0 rather than a large
    |negative| value that |score| would rank high. Motifs longer than the
    sequence are skipped. The score is repeated over the four bases.
    """
    if not motifs:
        raise ValueError("pwm_scan needs at least one motif in context['motifs']")
    X = np.asarray(X, dtype=np.float64)
    n, length = X.shape[:2]
    best = np.zeros((n, length))
    for name, frequencies in motifs.items():
        pssm = log_odds(frequencies, pseudocount)
        w = pssm.shape[0]
        if w > length:
            continue
        starts = window_scores(X, pssm)  # (N, L - w + 1)
        # base i is covered by the windows starting in [i - w + 1, i]
        pad = np.full((n, w - 1), -np.inf)
        extended = np.concatenate([pad, starts, pad], axis=1)  # (N, L + w - 1); start s sits at s + w - 1
        covering = sliding_window_view(extended, w, axis=1).max(-1)  # (N, L)
        best = np.maximum(best, covering)
    return np.repeat(best[:, :, None], 4, axis=2).astype(np.float32)


def centre_closeness(length: int) -> np.ndarray:
    """Closeness of each position to the centre: L/2 - |i + 1/2 - L/2|, in (0, L/2]. () -> (L,) float64.

    The two central positions (one when L is odd) score highest, the ends 1/2;
    positions at the same distance from the centre tie. Always positive, so
    |score| and the positive part rank positions identically.
    """
    if length < 1:
        raise ValueError(f"sequence length must be at least 1, got {length}")
    i = np.arange(length, dtype=np.float64)
    return length / 2 - np.abs(i + 0.5 - length / 2)


@register_method(
    "centre_prior",
    model_kinds=("keras", "gkmsvm", "torch"),
    description="control (position prior, no model): closeness of each position to the sequence centre",
)
def centre_prior(model, X, references, *, seed: int = 0) -> np.ndarray:
    """`centre_closeness` of every position, the same for every sequence, repeated over the four bases. (N, L, 4) -> (N, L, 4)."""
    n, length = np.asarray(X).shape[:2]
    closeness = centre_closeness(length).astype(np.float32)
    return np.broadcast_to(closeness[None, :, None], (n, length, 4)).copy()
