"""Batched logits and gradients of a PyTorch model's logit: the torch counterpart of `methods._tf_grad`.

The same functions with the same arguments and shapes, so a method picks its
framework with `methods._backend.grad_backend(model)` and calls either. The
network is a `torch.nn.Module` mapping (B, L, 4) float32 to (B, 1) logits (a
built-in `StackNet`, or a researcher's module wrapped as a `TorchLogit`); it
runs in eval mode (dropout off, batch-norm statistics fixed) and is left in
the mode it came in. Gradients come from ``torch.autograd.grad`` with respect
to the input only.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from baselines.torch_setup import to_tensor, torch
from baselines.torch_train import predict as _predict


@contextmanager
def evaluating(network) -> Iterator[None]:
    """Run `network` in eval mode, then put its train/eval mode back."""
    was_training = network.training
    network.eval()
    try:
        yield
    finally:
        network.train(was_training)


def _logit(network, x):
    """(B, L, 4) tensor -> (B,) logits of the first (only) output unit."""
    out = network(x)
    return out.reshape(out.shape[0], -1)[:, 0]


def predict(network, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Logits of a torch network. (N, L, 4) -> (N,) float32."""
    return _predict(network, X, batch_size=batch_size)


def input_gradients(network, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Gradient of the logit with respect to the one-hot input. (N, L, 4) -> (N, L, 4) float32."""
    out = np.empty(X.shape, dtype=np.float32)
    with evaluating(network), torch.enable_grad():
        for s in range(0, len(X), batch_size):
            x = to_tensor(X[s : s + batch_size]).clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(_logit(network, x).sum(), x)
            out[s : s + batch_size] = grad.numpy()
    return out


def path_gradients(network, X: np.ndarray, refs: np.ndarray, alphas: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Average gradient along straight paths from each reference to its input.

    X, refs: (P, L, 4), one reference per input row; alphas: (S,) points in
    [0, 1]; batch_size: gradient evaluations per call (P rows x S points are
    split to fit). Returns (P, L, 4) float32: mean over alphas of
    grad f(ref + alpha (x - ref)).
    """
    alphas_t = torch.from_numpy(np.asarray(alphas, dtype=np.float32))
    steps = len(alphas_t)
    rows = max(1, batch_size // steps)
    out = np.empty(X.shape, dtype=np.float32)
    with evaluating(network), torch.enable_grad():
        for s in range(0, len(X), rows):
            x, ref = to_tensor(X[s : s + rows]), to_tensor(refs[s : s + rows])
            points = ref[:, None] + alphas_t[None, :, None, None] * (x - ref)[:, None]  # (P, S, L, 4)
            flat = points.reshape(-1, *X.shape[1:]).requires_grad_(True)
            (grad,) = torch.autograd.grad(_logit(network, flat).sum(), flat)
            out[s : s + rows] = grad.reshape(len(x), steps, *X.shape[1:]).mean(1).numpy()
    return out


def ism_table(network, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Uncentred f(mutant) table (N, L, 4): the logit of every single-base substitution, f(x) at the observed base.

    The 3L mutants of a few sequences at a time are built as tensors and go
    through the network in batches of about `batch_size` (whole sequences).
    """
    n, length, _ = X.shape
    positions = torch.arange(length).repeat_interleave(3)  # (3L,)
    bases = (X.argmax(-1)[:, :, None] + np.arange(1, 4)) % 4  # (N, L, 3), never the observed base
    bases = torch.from_numpy(bases.reshape(n, 3 * length).astype(np.int64))
    table = np.broadcast_to(predict(network, X, batch_size=batch_size)[:, None, None], X.shape).astype(np.float64)
    per_batch = max(1, round(batch_size / (3 * length)))
    at = torch.nn.functional.one_hot(positions, length).to(torch.float32)[None, :, :, None]  # (1, 3L, L, 1)
    with evaluating(network), torch.inference_mode():
        for start in range(0, n, per_batch):
            stop = min(start + per_batch, n)
            x = to_tensor(X[start:stop])
            new = torch.nn.functional.one_hot(bases[start:stop], 4).to(torch.float32)[:, :, None, :]  # (S, 3L, 1, 4)
            mutants = x[:, None] * (1.0 - at) + at * new  # (S, 3L, L, 4)
            logits = _logit(network, mutants.reshape(-1, length, 4)).reshape(stop - start, 3 * length).numpy()
            rows = np.arange(start, stop)[:, None]
            table[rows, positions.numpy()[None, :], bases[start:stop].numpy()] = logits
    return table


def correct_gradient(grad: np.ndarray) -> np.ndarray:
    """Majdandzic et al. (2023) correction: subtract each position's mean over the four bases. (..., 4) -> (..., 4)."""
    return grad - grad.mean(axis=-1, keepdims=True)
