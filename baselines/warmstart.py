"""Warm start: pre-train a network's first stage on its own before training the whole network.

Why: on small or long tasks (a few thousand training sequences) the deep
stacks of Basset and Beluga, and Shallow's dense head, can memorise the
training set from random features: the training loss falls while validation
stays at chance. The same first convolutions under a global max-pool and a
linear output (a motif scanner, which cannot memorise positions) learn those
tasks. So every run of the default profile starts with its first stage copied
from such a probe, and the whole network is then trained as usual; the
architecture is unchanged. Warm-starting every run, not only the restarts of
runs still at chance, also raises and steadies the runs that would have
passed (the 3-seed check of the recipe: `docs/fidelity_check.md`).
The probe trains until the recipe's early stopping ends it, capped at the
profile's `first_stage_epochs` (the whole network's cap in the default profile),
so the probe is not cut off while it still improves.

The *first stage* is every layer from the input up to the first pooling (or
flattening) layer: Basset conv1 (k19), Beluga conv1-conv2 (k8, k8), Shallow
conv1-conv3, with their batch normalisation where the network has it.
"""

from __future__ import annotations

import logging

import numpy as np

from baselines.tf_setup import keras
from baselines.train import fit_keras

log = logging.getLogger(__name__)

#: Layers that end the first stage (the first one met ends it, and is not part of it).
_STAGE_END = (
    keras.layers.MaxPooling1D,
    keras.layers.AveragePooling1D,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.Flatten,
    keras.layers.Dense,
)


def first_stage_layers(network) -> list:
    """The layers of a Sequential `network` before its first pooling/flatten/dense layer.

    Returns [] when `network` is not a `keras.Sequential` (a user's functional
    model may branch, so it has no single first stage) or has no conv layer there.
    """
    if not isinstance(network, keras.Sequential):
        return []
    stage = []
    for layer in network.layers:
        if isinstance(layer, _STAGE_END):
            break
        stage.append(layer)
    if not any(isinstance(layer, keras.layers.Conv1D) for layer in stage):
        return []
    return stage


def first_stage_probe(network, sequence_length: int):
    """A new network: copies of `network`'s first stage (fresh weights, same names), global max-pool, Dense(1).

    Returns None when `network` has no first stage (see `first_stage_layers`).
    """
    stage = first_stage_layers(network)
    if not stage:
        return None
    copies = [layer.__class__.from_config(layer.get_config()) for layer in stage]
    return keras.Sequential(
        [keras.layers.Input(shape=(sequence_length, 4))]
        + copies
        + [keras.layers.GlobalMaxPooling1D(name="probe_pool"), keras.layers.Dense(1, name="probe_logit")],
        name="first_stage_probe",
    )


def warm_start_first_stage(
    network,
    X: np.ndarray,
    y: np.ndarray,
    settings: dict,
    epochs: int,
    seed: int = 0,
    progress: bool = True,
    label: str = "model",
) -> dict | None:
    """Train a first-stage probe on (X (N, L, 4), y (N,)) and copy its first stage into `network`.

    The probe is trained with `fit_keras` and `settings` (same validation
    split, sampling and schedule), capped at `epochs`; its best epoch's
    weights are the ones copied. The caller seeds TensorFlow first.
    Returns the probe's history (``val_auroc``, ``best_epoch``, ``epochs_run``,
    ``layers``), or None when `network` has no first stage (nothing changed).
    """
    probe = first_stage_probe(network, X.shape[1])
    if probe is None:
        log.warning("%s: no first stage to warm-start (not a Sequential network with a conv layer first)", label)
        return None
    probe_settings = dict(settings, epochs=int(epochs), min_epochs=min(int(settings.get("min_epochs", 0)), int(epochs)))
    history = fit_keras(probe, X, y, probe_settings, seed=seed, progress=progress, label=f"{label} (first stage)")
    names = [layer.name for layer in first_stage_layers(network)]
    for name in names:
        network.get_layer(name).set_weights(probe.get_layer(name).get_weights())
    return {
        "layers": names,
        "val_auroc": history["val_auroc"],
        "best_epoch": history["best_epoch"],
        "epochs_run": history["epochs_run"],
        "seconds": history["seconds"],
    }
