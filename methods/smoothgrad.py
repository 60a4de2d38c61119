"""SmoothGrad (Smilkov et al. 2017): the gradient averaged over noisy copies of the input.

Gaussian noise of standard deviation ``noise`` x (max - min of the input), which
is ``noise`` for one-hot DNA, is added to every entry; the gradient of the
logit is averaged over ``samples`` noisy copies. Like grad x input, the result
is read at the observed base, so the score is SmoothGrad x input.
"""

from __future__ import annotations

import numpy as np

from methods._backend import grad_backend
from methods._tf_grad import correct_gradient
from methods.registry import register_method


@register_method(
    "smoothgrad",
    model_kinds=("keras", "torch"),
    params={"noise": (0.15, 0.3), "corrected": (False, True)},
    excluded={"gkmsvm": "needs the gradient of a differentiable network; a gkm-SVM has none"},
    description="SmoothGrad: gradient averaged over 25 Gaussian-noised copies of the input, read at the observed base",
)
def smoothgrad(
    model,
    X,
    references,
    *,
    noise: float = 0.15,
    samples: int = 25,
    corrected: bool = False,
    batch_size: int = 512,
    seed: int = 0,
) -> np.ndarray:
    """Mean gradient over noisy inputs. (N, L, 4) one-hot -> (N, L, 4) float32.

    noise: standard deviation of the added Gaussian noise (inputs span 0..1).
    samples: noisy copies per sequence.
    corrected: subtract the per-position mean over the four bases (Majdandzic et al. 2023).
    """
    rng = np.random.default_rng(seed)
    total = np.zeros(X.shape, dtype=np.float64)
    for _ in range(samples):
        noisy = X + rng.normal(0.0, noise, size=X.shape).astype(np.float32)
        total += grad_backend(model).input_gradients(model.network, noisy, batch_size=batch_size)
    mean = (total / samples).astype(np.float32)
    return correct_gradient(mean) if corrected else mean
