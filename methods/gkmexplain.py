"""GkmExplain (Shrikumar, Prakash & Kundaje 2019) for gapped k-mer SVMs, via gkmsvm-lite.

gkmsvm-lite's ``gkmexplain(model, x, mode=1)`` returns *hypothetical*
importance scores (N, 4, L) for its (N, 4, L) one-hot input: the contribution
each base would make at each position. Taken at the observed bases they sum to
the SVM decision value minus the model's bias, so GkmExplain promises f(x) - b
rather than f(x) - f(ref); this method takes no reference and so does not
declare ``promises_delta``.
"""

from __future__ import annotations

import numpy as np

from methods.registry import register_method


@register_method(
    "gkmexplain",
    model_kinds=("gkmsvm",),
    excluded={"keras": "GkmExplain decomposes a gapped k-mer kernel; Keras nets use DeepLIFT/DeepSHAP"},
    description="GkmExplain (gkmsvm-lite): hypothetical per-base contributions to the gkm-SVM decision value",
)
def gkmexplain(model, X, references, *, batch_size: int = 50, seed: int = 0) -> np.ndarray:
    """Hypothetical GkmExplain scores. (N, L, 4) -> (N, L, 4).

    batch_size: sequences per gkmsvm-lite call.
    """
    import gkmsvm  # noqa: PLC0415 (only for gkm-SVM models)

    if not isinstance(model.network, gkmsvm.GkmSVM):
        raise TypeError(f"gkmexplain needs a gkmsvm-lite GkmSVM network, got {type(model.network).__name__}")
    x = np.ascontiguousarray(np.asarray(X, dtype=np.float32).transpose(0, 2, 1))  # (N, 4, L)
    hypothetical = gkmsvm.gkmexplain(model.network, x, mode=1, batch_size=batch_size)
    return np.asarray(hypothetical, dtype=np.float32).transpose(0, 2, 1)
