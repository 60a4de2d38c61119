"""captum's DeepLift on PyTorch models: its own row, because its MaxPool step differs from DeepSHAP's.

captum's ``DeepLift`` (``multiply_by_inputs=False``: the multipliers) applies
Rescale at ReLUs and the cross-max rule at MaxPool, like tangermeme and shap;
but where a ReLU's output goes straight into a MaxPool, as in every conv
block here, the ReLU's hook reads the gradient before the MaxPool's rule
replaces it, so that step is the gradient, as in the `deeplift` package's
Rescale (`methods.deeplift`). On max-pooling networks its contributions then
need not sum to f(x) - f(ref); the harness measures by how much per cell.
Explains the logit; hypothetical contributions averaged over the references.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from methods._deeplift_adapter import paired_hypothetical
from methods.registry import register_method

REFERENCES = ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50")


@register_method(
    "captum_deeplift",
    model_kinds=("torch",),
    references=REFERENCES,
    promises_delta=True,
    excluded={
        "keras": "captum hooks torch modules; Keras models have deeplift_rescale (the same MaxPool step)",
        "gkmsvm": "needs a differentiable torch network; a gkm-SVM is explained by gkmexplain",
    },
    description="captum DeepLift: Rescale at ReLU, cross-max at MaxPool except after a ReLU (gradient there), logit",
)
def captum_deeplift(
    model: Any,
    X: np.ndarray,
    references: np.ndarray,
    *,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """captum DeepLift hypothetical contributions. (N, L, 4), (N, R, L, 4) -> (N, L, 4).

    batch_size: (input, reference) pairs per captum call. seed: unused
    (deterministic given the references). progress: show a tqdm bar.
    """
    from methods._torch_deeplift import captum_multipliers  # noqa: PLC0415 (torch only when needed)

    return paired_hypothetical(lambda xs, refs: captum_multipliers(model.network, xs, refs), X, references,
                               batch_size=batch_size, progress=progress, desc="captum_deeplift")
