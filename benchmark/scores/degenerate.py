"""Flat attribution maps: all zero, or one value at every position.

A flat map ranks no position above another, so its auPRC is a tie's (the
sequence's prevalence) whatever the motifs: it says the method returned
nothing for that sequence (GradCAM does this when no first-layer channel has
a positive weighted gradient). The board counts flat maps per cell and rules
on them (`benchmark.analysis.tables`); this module only finds them.

Flatness is judged on |score| per sequence, the scoring the paper used: a map
is flat when max |score| is 0 or when max |score| − min |score| is at most
`RTOL` x max |score| (float32 maps of an averaged constant are equal to a few
ulps, not bit for bit).
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-6


def flat_maps(scores: np.ndarray, rtol: float = RTOL) -> np.ndarray:
    """(E,) bool: which of (E, L) projected scores are flat (see the module docstring). Non-finite rows count as not flat."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"flat_maps takes (E, L) projected scores, got shape {scores.shape}")
    magnitude = np.abs(scores)
    top = magnitude.max(1, initial=0.0)
    spread = np.ptp(magnitude, axis=1) if scores.shape[1] else np.zeros(len(scores))
    return np.isfinite(top) & ((top == 0) | (spread <= rtol * top))


def count_flat(scores: np.ndarray, rtol: float = RTOL) -> int:
    """How many of (E, L) projected scores are flat maps."""
    return int(flat_maps(scores, rtol).sum())


def flat_positions(scores: np.ndarray, rtol: float = RTOL) -> list[int]:
    """Positions (0-based, into the eval rows) of the flat maps among (E, L) projected scores: what a record stores."""
    return [int(i) for i in np.flatnonzero(flat_maps(scores, rtol))]
