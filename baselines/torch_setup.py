"""The one place PyTorch is imported and configured (the counterpart of `baselines.tf_setup`).

- One intra-op thread: how torch splits one kernel's work changes float sums,
  and two processes with two threads each on a 2-core machine oversubscribe
  it; parallelism comes from processes (pytest-xdist workers), as for
  TensorFlow. The count is part of every torch model's cache key.
- Deterministic algorithms: an op without a deterministic CPU kernel raises
  instead of running a nondeterministic one, so the same seed gives the same
  bytes on one machine.
- `KERNELS` names the CPU convolution kernels in use ("onednn" when torch's
  oneDNN backend is on, else "native"): they round differently, so torch model
  keys record it, as Keras keys record TensorFlow's.

Import `torch` from here, never directly, in code that trains or explains a model.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

#: Threads that split one kernel's work; see the module docstring.
INTRA_OP_THREADS = 1
torch.set_num_threads(INTRA_OP_THREADS)
try:  # the inter-op pool changes no number; it can only be sized before torch first uses it
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
torch.use_deterministic_algorithms(True)

KERNELS = "onednn" if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else "native"


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch for a reproducible run (weights, dropout masks)."""
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))


@contextmanager
def unpooling_allowed() -> Iterator[None]:
    """Let ops that torch flags as nondeterministic run inside the block (deterministic mode back after).

    For DeepLIFT's MaxPool rule (tangermeme, captum), which routes values back
    with ``max_unpool1d``: torch flags it because parallel writes to one slot
    race; on one CPU thread (`INTRA_OP_THREADS`) each slot is written in a
    fixed order, and the tests check that two calls give the same bytes.
    """
    torch.use_deterministic_algorithms(False)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(True)


def to_tensor(X: np.ndarray) -> torch.Tensor:
    """A float32 CPU tensor sharing memory with X where it can (a copy of a read-only view). (N, L, 4) -> (N, L, 4)."""
    array = np.ascontiguousarray(X, dtype=np.float32)
    return torch.from_numpy(array if array.flags.writeable else array.copy())


__all__ = ["torch", "set_seed", "to_tensor", "unpooling_allowed", "KERNELS", "INTRA_OP_THREADS"]
