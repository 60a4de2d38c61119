"""Reference inputs ("baselines" in the attribution literature) for methods that need them.

Every reference is a registered function ``fn(X, *, seed) -> (N, R, L, 4)`` float32:
R references for each of the N inputs. Methods average their contributions over R.

- ``zeros``: R=1, the all-zero sequence.
- ``avg_composition`` (the paper's): R=1, one reference shared by every input,
  the mean of the one-hot inputs *at each position* over the whole set passed
  in (in a benchmark cell: the model's eval set), as the paper's code
  (interpret-benchmark, ``compute_imp_scores.py``) built it. It depends on
  which sequences are passed together (the sanity check's subset gets its own
  average), and on simulated positives it carries the implanted motifs'
  central enrichment into the reference.
- ``seq_composition``: R=1, every position set to the *input's own* mean base
  composition (e.g. [0.3, 0.2, 0.2, 0.3] at each position of an AT-rich input).
  It needs nothing but the input and is the expectation of a mononucleotide
  shuffle of it, the composition-matched counterpart of the ``shuffle<k>``
  references.
- ``shuffle10``, ``shuffle20``, ``shuffle50``: R=k dinucleotide shuffles of each
  input (``dinuc_shuf.shuffle``). Each input's shuffles are seeded by ``seed``
  and a hash of the input's own bases, so the same sequence gets the same
  references whatever batch, subset or order it comes in, and the same seed
  gives the same bytes.

``none`` (``NO_REFERENCE``) is the reference of reference-free methods: it is
known to the registry but has no generator. The references' registry lives
here, below the method registry, which imports it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable

import dinuc_shuf
import numpy as np

from tasks.registry import Registry

REFERENCES = Registry("reference")
NO_REFERENCE = "none"
SHUFFLE_FAMILY = re.compile(r"^shuffle([1-9]\d*)$")


def register_reference(name: str) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register a reference generator ``fn(X, *, seed) -> (N, R, L, 4)``."""
    return REFERENCES.register(name)


def known_reference(name: str) -> bool:
    """True for a registered reference, ``none``, or a member of the ``shuffle<k>`` family."""
    return name == NO_REFERENCE or bool(SHUFFLE_FAMILY.match(name)) or name in REFERENCES

SHUFFLE_COUNTS = (10, 20, 50)


@register_reference("zeros")
def zeros(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """The all-zero reference. (N, L, 4) -> (N, 1, L, 4)."""
    X = np.asarray(X, dtype=np.float32)
    return np.zeros((X.shape[0], 1, *X.shape[1:]), dtype=np.float32)


@register_reference("avg_composition")
def avg_composition(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """The paper's average-composition reference: the per-position mean of all inputs, shared. (N, L, 4) -> (N, 1, L, 4)."""
    X = np.asarray(X, dtype=np.float32)
    average = X.mean(axis=0, dtype=np.float64).astype(np.float32)  # (L, 4)
    return np.broadcast_to(average[None, None], (X.shape[0], 1, *X.shape[1:])).copy()


@register_reference("seq_composition")
def seq_composition(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Each input's own mean base composition at every position. (N, L, 4) -> (N, 1, L, 4)."""
    X = np.asarray(X, dtype=np.float32)
    composition = X.mean(axis=1, keepdims=True)  # (N, 1, 4)
    return np.broadcast_to(composition[:, None], (X.shape[0], 1, *X.shape[1:])).astype(np.float32)


def dinucleotide_shuffles(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k dinucleotide shuffles of every input, deterministic per sequence.

    Parameters
    ----------
    X: (N, L, 4) one-hot, A,C,G,T. Every position must hold exactly one base.
    k: shuffles per input.
    seed: base seed; each input's generator is seeded by (seed, hash of its bases).

    Returns
    -------
    (N, k, L, 4) float32 one-hot shuffles.
    """
    X = np.asarray(X)
    check_onehot(X)
    bases = X.argmax(-1).astype(np.uint8)
    out = np.empty((X.shape[0], k, *X.shape[1:]), dtype=np.float32)
    for n in range(X.shape[0]):
        rng = np.random.default_rng([int(seed), _sequence_key(bases[n])])
        tiled = np.repeat(X[n : n + 1].astype(np.uint8), k, axis=0)
        out[n] = dinuc_shuf.shuffle(tiled, rng=rng, verify=False)
    return out


def _sequence_key(bases: np.ndarray) -> int:
    """A 64-bit integer that identifies a sequence by its bases (for seeding)."""
    return int.from_bytes(hashlib.blake2b(bases.tobytes(), digest_size=8).digest(), "little")


def check_onehot(X: np.ndarray) -> None:
    """Raise ValueError naming the first sequence and position that is not one-hot ACGT."""
    if X.ndim != 3 or X.shape[-1] != 4:
        raise ValueError(f"expected one-hot sequences of shape (N, L, 4), got {X.shape}")
    ok = (X.sum(-1) == 1) & ((X == 0) | (X == 1)).all(-1)
    if not ok.all():
        n, i = np.argwhere(~ok)[0]
        raise ValueError(
            f"sequence {n} position {i} is not one-hot ACGT (values {X[n, i].tolist()}); "
            "dinucleotide shuffles need every position to hold exactly one base (no N)"
        )


def _register_shuffle(k: int) -> None:
    def shuffle(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
        return dinucleotide_shuffles(X, k, seed=seed)

    shuffle.__name__ = shuffle.__qualname__ = f"shuffle{k}"
    shuffle.__doc__ = f"{k} dinucleotide shuffles of each input. (N, L, 4) -> (N, {k}, L, 4)."
    register_reference(f"shuffle{k}")(shuffle)


for _k in SHUFFLE_COUNTS:
    _register_shuffle(_k)
