"""Plain-gradient methods: saliency, gradient x input, and a smoothed gradient x input control.

All three explain the logit of a Keras or PyTorch model (`methods._backend`) and take no reference. Each has a
boolean ``corrected``: the gradient correction for one-hot DNA of Majdandzic,
Rajesh & Koo (Genome Biology 2023), which subtracts, at each position, the
mean gradient over the four bases (removing the off-simplex component of the
gradient) before anything else is computed.
"""

from __future__ import annotations

import numpy as np

from methods._backend import grad_backend
from methods._tf_grad import correct_gradient
from methods.registry import register_method

CORRECTION = {"corrected": (False, True)}
KINDS = ("keras", "torch")
NOT_GKM = {"gkmsvm": "needs the gradient of a differentiable network; a gkm-SVM has none"}


def logit_gradient(model, X: np.ndarray, corrected: bool = False, batch_size: int = 512) -> np.ndarray:
    """d logit / d X, optionally corrected. (N, L, 4) -> (N, L, 4) float32."""
    grad = grad_backend(model).input_gradients(model.network, X, batch_size=batch_size)
    return correct_gradient(grad) if corrected else grad


@register_method(
    "gradient",
    model_kinds=KINDS,
    params=CORRECTION,
    excluded=NOT_GKM,
    projection="max_abs",
    description="saliency: raw gradient of the logit; position score = max over bases of |gradient| (projection max_abs)",
)
def gradient(model, X, references, *, corrected: bool = False, batch_size: int = 512, seed: int = 0) -> np.ndarray:
    """Saliency map (Simonyan et al. 2014): the gradient itself. (N, L, 4) -> (N, L, 4).

    Scored by ``max_abs`` projection (largest |gradient| over the four bases),
    the usual saliency convention, so it is not the same as grad x input.
    """
    return logit_gradient(model, X, corrected, batch_size)


@register_method(
    "grad_x_input",
    model_kinds=KINDS,
    params=CORRECTION,
    excluded=NOT_GKM,
    description="gradient x input: the gradient taken at the observed base (hypothetical = the gradient)",
)
def grad_x_input(model, X, references, *, corrected: bool = False, batch_size: int = 512, seed: int = 0) -> np.ndarray:
    """Gradient x input. Returns the gradient, whose observed-base projection is grad x input. (N, L, 4) -> (N, L, 4)."""
    return logit_gradient(model, X, corrected, batch_size)


@register_method(
    "smoothed_grad_x_input",
    model_kinds=KINDS,
    params=CORRECTION,
    excluded=NOT_GKM,
    description="control: grad x input averaged over a centred box as wide as the first conv kernel (tests whether smoothing alone wins)",
)
def smoothed_grad_x_input(
    model, X, references, *, corrected: bool = False, width: int | None = None, batch_size: int = 512, seed: int = 0
) -> np.ndarray:
    """Grad x input per position, box-averaged over ``width`` positions (default: the first conv kernel's width).

    The box is centred: positions [i - (w - 1) // 2, i + w // 2], truncated at
    the sequence ends (the mean is over the positions that exist). The smoothed
    score is repeated over the four bases, so the observed-base projection
    returns it unchanged. (N, L, 4) -> (N, L, 4).
    """
    width = int(width or model.first_kernel_width or 1)
    grad = logit_gradient(model, X, corrected, batch_size)
    smoothed = box_mean((grad * X).sum(-1), width)
    return np.repeat(smoothed[:, :, None], 4, axis=2)


def box_mean(scores: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of (N, L) scores over ``width`` positions, truncated at the ends. -> (N, L)."""
    n, length = scores.shape
    if width <= 1:
        return scores.astype(np.float32)
    padded = np.concatenate([np.zeros((n, 1)), np.cumsum(scores, axis=1, dtype=np.float64)], axis=1)
    starts = np.clip(np.arange(length) - (width - 1) // 2, 0, length)
    ends = np.clip(np.arange(length) + width // 2 + 1, 0, length)
    return ((padded[:, ends] - padded[:, starts]) / (ends - starts)).astype(np.float32)
