"""Tiny Keras models and one-hot data for the suite's tests and the speed benches.

Each builder returns a `TrainedModel` around an untrained-but-seeded
`keras.Sequential` that ends in a linear Dense(1) (the logit), so tests can run
every method in well under a second without training anything.
"""

from __future__ import annotations

import numpy as np

from baselines.model import KERAS, TrainedModel
from baselines.tf_setup import keras, set_seed


def random_onehot(n: int, length: int, seed: int = 0) -> np.ndarray:
    """(n, length, 4) float32 one-hot with i.i.d. uniform bases."""
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


def toy_cnn(
    length: int = 50,
    kernel_width: int = 5,
    filters: int = 4,
    pooling: str | None = "max",
    n_conv: int = 1,
    seed: int = 0,
) -> TrainedModel:
    """A small conv net: n_conv x [Conv1D(relu)], optional pooling, Dense(8, relu), Dense(1).

    pooling: "max", "average" or None (no pooling layer; then DeepLIFT Rescale
    and DeepSHAP should agree exactly).
    """
    set_seed(seed)
    layers = [keras.layers.Input(shape=(length, 4))]
    conv_names = []
    for i in range(n_conv):
        name = f"conv{i + 1}"
        layers.append(keras.layers.Conv1D(filters, kernel_width if i == 0 else 3, activation="relu", name=name))
        conv_names.append(name)
    if pooling == "max":
        layers.append(keras.layers.MaxPooling1D(2, name="pool"))
    elif pooling == "average":
        layers.append(keras.layers.AveragePooling1D(2, name="pool"))
    layers += [
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(8, activation="relu", name="dense1"),
        keras.layers.Dense(1, activation="linear", name="logit"),
    ]
    network = keras.Sequential(layers)
    return TrainedModel(
        kind=KERAS,
        arch=f"toy_k{kernel_width}_{pooling or 'nopool'}",
        params={"kernel_width": kernel_width, "filters": filters, "pooling": pooling, "n_conv": n_conv},
        seed=seed,
        network=network,
        sequence_length=length,
        first_kernel_width=kernel_width,
        conv_layer_names=conv_names,
    )
