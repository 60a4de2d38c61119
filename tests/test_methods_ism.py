"""ISM on Keras models against brute-force prediction of every mutant."""

from __future__ import annotations

import numpy as np
import pytest

from methods import attribute
from methods.ism import mutants
from baselines.toy import random_onehot, toy_cnn


def brute_force_table(model, X: np.ndarray) -> np.ndarray:
    """f(x with base b at i) for every n, i, b, one mutant at a time through model.predict_logit."""
    n, length, _ = X.shape
    table = np.zeros(X.shape)
    for s in range(n):
        for i in range(length):
            for b in range(4):
                m = X[s].copy()
                m[i] = np.eye(4)[b]
                table[s, i, b] = model.predict_logit(m[None])[0]
    return table


def test_mutants_change_exactly_one_base():
    x = random_onehot(1, 12, seed=5)[0]
    M, positions, bases = mutants(x)
    assert M.shape == (36, 12, 4)
    diff = (M != x[None]).any(-1)  # (36, 12)
    assert (diff.sum(1) == 1).all() and (diff.argmax(1) == positions).all()
    assert (M[np.arange(36), positions].argmax(-1) == bases).all()
    assert (bases != x.argmax(-1)[positions]).all()


@pytest.mark.parametrize("pooling", ["max", None])
def test_ism_equals_brute_force(pooling):
    model = toy_cnn(length=15, kernel_width=4, filters=3, pooling=pooling, seed=3)
    X = random_onehot(2, 15, seed=6)
    table = brute_force_table(model, X)
    result = attribute("ism", model, X, batch_size=50)  # small batches: mutants of one sequence span calls
    np.testing.assert_allclose(result.hypothetical, table - table.mean(-1, keepdims=True), rtol=1e-4, atol=1e-6)
    # the observed base holds f(x) - mean: the paper's ISM score
    fx = model.predict_logit(X)
    np.testing.assert_allclose(result.scores, fx[:, None] - table.mean(-1), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("arch", ["basset", "beluga", "shallow"])
def test_fastism_equals_batched_ism(arch):
    """fastISM's receptive-field trick and batched naive ISM give the same table on every registered CNN."""
    from baselines import untrained_model  # noqa: PLC0415
    from methods.ism import fastism_table, ism  # noqa: PLC0415

    model = untrained_model(arch, 100, profile="smoke", seed=4)
    X = random_onehot(5, 100, seed=7)
    assert fastism_table(model.network, X) is not None  # fastISM ran, no fallback
    fast = ism(model, X, None, implementation="fastism")
    batched = ism(model, X, None, implementation="batched")
    scale = np.abs(batched).max()
    assert scale > 1e-5
    np.testing.assert_allclose(fast, batched, atol=1e-5 * scale, rtol=0)


def test_network_fastism_cannot_rewrite_falls_back_to_batched():
    """A strided conv is outside fastISM; ISM still equals brute force."""
    from baselines.tf_setup import keras, set_seed  # noqa: PLC0415
    from baselines.model import KERAS, TrainedModel  # noqa: PLC0415
    from methods.ism import fastism_table, ism  # noqa: PLC0415

    set_seed(0)
    network = keras.Sequential(
        [keras.layers.Input(shape=(12, 4)), keras.layers.Conv1D(3, 4, strides=2, activation="relu"),
         keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    model = TrainedModel(kind=KERAS, arch="strided", params={}, seed=0, network=network, sequence_length=12,
                         first_kernel_width=4, conv_layer_names=[network.layers[0].name])
    X = random_onehot(2, 12, seed=2)
    assert fastism_table(network, X) is None
    table = brute_force_table(model, X)
    result = ism(model, X, None, implementation="fastism")
    np.testing.assert_allclose(result, table - table.mean(-1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_fastism_rebuilds_after_weights_change():
    from methods.ism import ism  # noqa: PLC0415

    model = toy_cnn(length=15, kernel_width=4, filters=3, pooling="max", seed=3)
    X = random_onehot(2, 15, seed=6)
    before = ism(model, X, None, implementation="fastism")
    model.network.set_weights([w * 1.5 for w in model.network.get_weights()])
    table = brute_force_table(model, X)
    after = ism(model, X, None, implementation="fastism")
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, table - table.mean(-1, keepdims=True), rtol=1e-4, atol=1e-6)
