"""baselines: the models attribution methods explain.

Public API (imported lazily, so ``import baselines.model`` stays light):

- `ARCHITECTURES`: registry of architectures; Keras builders
  ``(sequence_length, **params) -> keras.Sequential`` ("basset", "beluga",
  "shallow"), "gkmsvm", and the PyTorch twins "torch_basset", "torch_beluga",
  "torch_shallow" (`baselines.torch_architectures`, registered on first use);
  `arch_kind(name)` -> "keras" | "gkmsvm" | "torch". A researcher's own torch
  model: `baselines.torch_byo`.
- `PROFILES`: "smoke" | "default" | "paper" (`baselines.profiles`).
- `get_model(dataset, arch, *, seed=0, profile="default", progress=True, **overrides)`
  -> `TrainedModel`, trained once and cached (`baselines.store`).
- `randomized_copy(model, seed=0)`: same Keras architecture, fresh weights.
- `TrainedModel` (`baselines.model`), `predict_gkmsvm` (`baselines.gkmsvm`).

Command line: ``motifbench models list | train TASK ARCH | show TASK ARCH | check``
(`baselines.check`: every architecture x task x seed, test auROC mean and SD next to gkm-SVM).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ARCHITECTURES": "baselines.architectures",
    "arch_kind": "baselines.architectures",
    "arch_defaults": "baselines.architectures",
    "build_network": "baselines.architectures",
    "keras_architectures": "baselines.architectures",
    "PROFILES": "baselines.profiles",
    "get_profile": "baselines.profiles",
    "get_model": "baselines.store",
    "find_model": "baselines.store",
    "load_model": "baselines.store",
    "load_history": "baselines.store",
    "model_key": "baselines.store",
    "resolve_settings": "baselines.store",
    "randomized_copy": "baselines.store",
    "untrained_model": "baselines.store",
    "CorruptModelError": "baselines.store",
    "BASELINES_CODE_VERSION": "baselines.model",
    "TrainingDivergedError": "baselines.train",
    "predict_gkmsvm": "baselines.gkmsvm",
    "TrainedModel": "baselines.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'baselines' has no attribute {name!r}")


def __dir__():
    return __all__
