"""TrainedModel: the one object attribution methods receive.

A TrainedModel wraps a Keras network, a PyTorch module or a gkm-SVM behind the
same small interface: `predict_logit(X)` maps (N, L, 4) one-hot to (N,)
pre-sigmoid scores. Keras models are `keras.Sequential` networks whose last
layer is a `Dense(1)` with linear activation (the logit); PyTorch models are
`torch.nn.Module`s mapping (N, L, 4) float32 to (N, 1) logits (a researcher's
module is wrapped to that form, `baselines.torch_byo.TorchLogit`); methods
explain that output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

KERAS = "keras"
GKMSVM = "gkmsvm"
TORCH = "torch"
#: Bump when training or saving changes in a way a model's settings do not show: every cached model is rebuilt.
BASELINES_CODE_VERSION = "3"
#: Test auROC a model needs before its attributions are ranked (a run file may set another threshold).
FIDELITY_GATE = 0.75
MODEL_KINDS = (KERAS, GKMSVM, TORCH)


@dataclass(eq=False)
class TrainedModel:
    """A trained model and what the harness needs to know about it.

    Attributes
    ----------
    kind: "keras", "gkmsvm" or "torch".
    arch: registered architecture name ("basset", "beluga", "shallow", "gkmsvm").
    params: the architecture/training parameters it was built with.
    seed: training seed.
    network: the `keras.Sequential` (kind "keras"), the gkm-SVM object, or the
        `torch.nn.Module` ((N, L, 4) -> (N, 1) logits, kind "torch").
    sequence_length: L the model accepts.
    first_kernel_width: width of the first conv layer's kernel (None for gkm-SVM).
    conv_layer_names: names of the conv layers, input side first (empty for gkm-SVM).
    fidelity: test-set metrics, e.g. {"test_auroc": 0.91, "test_auprc": 0.88}.
    path: cache directory it was loaded from (None if never saved).
    key: the content hash that names its cache directory.
    """

    kind: str
    arch: str
    params: dict
    seed: int
    network: Any
    sequence_length: int
    first_kernel_width: int | None = None
    conv_layer_names: list[str] = field(default_factory=list)
    fidelity: dict = field(default_factory=dict)
    path: Path | None = None
    key: str = ""

    @property
    def name(self) -> str:
        return f"{self.arch}-s{self.seed}"

    def predict_logit(self, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Pre-sigmoid scores. X: (N, L, 4) float32 -> (N,) float32."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 3 or X.shape[2] != 4 or X.shape[1] != self.sequence_length:
            raise ValueError(
                f"model {self.name} expects one-hot input of shape (N, {self.sequence_length}, 4), got {X.shape}"
            )
        if self.kind == KERAS:
            out = []
            for start in range(0, len(X), batch_size):
                out.append(self.network(X[start : start + batch_size], training=False).numpy().reshape(-1))
            return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
        if self.kind == GKMSVM:
            from baselines.gkmsvm import predict_gkmsvm  # noqa: PLC0415 (optional heavy import)

            return predict_gkmsvm(self, X)
        if self.kind == TORCH:
            from baselines.torch_train import predict as predict_torch  # noqa: PLC0415 (imports torch)

            return predict_torch(self.network, X, batch_size=batch_size)
        raise ValueError(f"unknown model kind {self.kind!r}; expected one of {MODEL_KINDS}")


def weights_digest(network: Any) -> str:
    """A short hash of a Keras network's weights: tells a cache built from the network (a
    deeplift conversion, a shap explainer, a fastISM model) that the weights have changed."""
    h = hashlib.blake2b(digest_size=12)
    for w in network.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()
