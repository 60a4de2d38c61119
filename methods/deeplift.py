"""DeepLIFT from the `deeplift` package: Rescale, and the package's genomics default (RevealCancel).

Both explain the pre-sigmoid logit (the final linear Dense(1)) and return
hypothetical contributions averaged over the references. deeplift's MaxPool
rule is the gradient (the package has no other), so on max-pooling models the
contributions do not sum exactly to f(x) - f(ref): the harness reports that
per cell as the convergence error. See `methods/_deeplift_adapter.py` for how
the TF1 package runs under TensorFlow 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from methods._deeplift_adapter import deeplift_hypothetical
from methods.registry import register_method

REFERENCES = ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50")
GKMSVM_REASON = "deeplift converts Keras layer graphs; a gkm-SVM is explained by gkmexplain"
TORCH_REASON = "deeplift converts Keras layer graphs; torch models have captum_deeplift (the same MaxPool step) and deepshap"


@register_method(
    "deeplift_rescale",
    model_kinds=("keras",),
    references=REFERENCES,
    promises_delta=True,
    excluded={"gkmsvm": GKMSVM_REASON, "torch": TORCH_REASON},
    description="deeplift package, Rescale rule on every nonlinearity (MaxPool by gradient), logit",
)
def deeplift_rescale(
    model: Any,
    X: np.ndarray,
    references: np.ndarray,
    *,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """DeepLIFT Rescale hypothetical contributions. (N, L, 4), (N, R, L, 4) -> (N, L, 4).

    batch_size: (input, reference) pairs per deeplift call. seed: unused
    (deterministic given the references). progress: show a tqdm bar.
    """
    return deeplift_hypothetical(model.network, X, references, mode="rescale", batch_size=batch_size, progress=progress)


@register_method(
    "deeplift_revealcancel",
    model_kinds=("keras",),
    references=REFERENCES,
    promises_delta=True,
    excluded={"gkmsvm": GKMSVM_REASON, "torch": TORCH_REASON},
    description="deeplift package GenomicsDefault: RevealCancel after dense layers, Rescale after conv, logit",
)
def deeplift_revealcancel(
    model: Any,
    X: np.ndarray,
    references: np.ndarray,
    *,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """DeepLIFT GenomicsDefault hypothetical contributions. (N, L, 4), (N, R, L, 4) -> (N, L, 4).

    deeplift's DeepLIFT_GenomicsDefault mode: RevealCancel on nonlinearities
    after dense layers, Rescale after conv layers. batch_size, seed, progress:
    as for `deeplift_rescale`.
    """
    return deeplift_hypothetical(
        model.network, X, references, mode="genomics_default", batch_size=batch_size, progress=progress
    )
