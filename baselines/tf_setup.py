"""The one place TensorFlow is imported and configured.

deeplift and shap need the Keras 2 API, so `TF_USE_LEGACY_KERAS=1` must be set
before TensorFlow is first imported; op determinism makes the same seed give
the same bytes on the CPU. Import `tf` and `keras` from here, never directly.
"""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN kernels may reorder float sums between runs; keep bytes reproducible.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.config.experimental.enable_op_determinism()


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow for a reproducible run."""
    keras.utils.set_random_seed(int(seed))


__all__ = ["tf", "keras", "set_seed"]
