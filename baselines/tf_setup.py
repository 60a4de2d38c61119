"""The one place TensorFlow is imported and configured.

deeplift and shap need the Keras 2 API, so `TF_USE_LEGACY_KERAS=1` must be set
before TensorFlow is first imported; op determinism makes the same seed give
the same bytes on the CPU. Import `tf` and `keras` from here, never directly.
"""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN kernels: TensorFlow says at start-up that this build uses AVX2/FMA only in its oneDNN
# operations, and its default left them off on this 2-core machine; on, an epoch of Beluga or Shallow
# costs about a third less CPU, and repeated runs with one seed still give the same weights. They round floats differently from the Eigen kernels, so which ones ran is part of every
# Keras model's cache key (`KERNELS`). TF_ENABLE_ONEDNN_OPTS=0 before the first import selects Eigen.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

#: Which CPU kernels TensorFlow runs ("onednn" or "eigen"): they round differently, so Keras model keys record it.
#: TensorFlow reads the variable as a boolean, so "true" counts as on too.
KERNELS = "onednn" if os.environ["TF_ENABLE_ONEDNN_OPTS"].strip().lower() in ("1", "true") else "eigen"

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.config.experimental.enable_op_determinism()


def worker_threads(cores: int | None = None, workers: str | None = None) -> int | None:
    """TensorFlow inter-op threads for one of several pytest-xdist workers, or None outside xdist.

    Two workers with TensorFlow's default pools (one thread per core each) on
    two cores oversubscribe them; a worker's share is cores // workers (at least 1).
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT") if workers is None else workers
    if not workers or not workers.isdigit() or int(workers) < 2:
        return None
    cores = cores or len(os.sched_getaffinity(0))
    return max(1, cores // int(workers))


#: TensorFlow's intra-op pool (threads that split one kernel's work) defaults to one thread per core,
#: and the split changes float sums: the same seed trained other weights with 1 and with 2 threads
#: (measured on every default architecture). Pinned to one thread, a model's bytes no longer depend
#: on the machine's core count, so it is part of every Keras model's cache key; parallelism comes
#: from processes instead (`make run` runs 2 pytest-xdist workers).
INTRA_OP_THREADS = 1
tf.config.threading.set_intra_op_parallelism_threads(INTRA_OP_THREADS)

# The inter-op pool (independent ops side by side) changes no number; under xdist a worker gets its share.
_THREADS = worker_threads()
if _THREADS is not None:
    tf.config.threading.set_inter_op_parallelism_threads(_THREADS)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow for a reproducible run."""
    keras.utils.set_random_seed(int(seed))


__all__ = ["tf", "keras", "set_seed", "KERNELS", "INTRA_OP_THREADS"]
