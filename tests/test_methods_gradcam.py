"""GradCAM-family methods against a NumPy hand computation, and receptive fields against TF gradients."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.model import KERAS, TrainedModel
from baselines.tf_setup import keras, set_seed, tf
from methods import attribute
from methods._receptive import receptive_fields
from baselines.toy import random_onehot, toy_cnn

L, W, K = 30, 5, 4


@pytest.fixture(scope="module")
def model():
    # one conv layer, no pooling: conv -> flatten -> dense(relu) -> logit, all readable from the weights
    return toy_cnn(length=L, kernel_width=W, filters=K, pooling=None, seed=7)


@pytest.fixture(scope="module")
def X():
    return random_onehot(4, L, seed=8)


def hand_maps(model, X):
    """Activations A (N, P, K) and d logit / d A (N, P, K) from the layer weights in NumPy."""
    (kernel, bias), (w1, b1), (w2, _) = (model.network.get_layer(n).get_weights() for n in ("conv1", "dense1", "logit"))
    P = L - W + 1
    windows = np.stack([X[:, p : p + W] for p in range(P)], axis=1)  # (N, P, W, 4)
    A = np.maximum(np.einsum("npwc,wck->npk", windows, kernel) + bias, 0)
    h = A.reshape(len(X), -1) @ w1 + b1
    dflat = ((h > 0) * w2[:, 0]) @ w1.T  # (N, P*K)
    return A, dflat.reshape(len(X), P, K)


def to_bases(per_position):
    """Valid conv of width W: base i is covered by conv positions max(0, i-W+1)..min(i, P-1); average them."""
    P = per_position.shape[1]
    return np.stack([per_position[:, max(0, i - W + 1) : min(i, P - 1) + 1].mean(1) for i in range(L)], axis=1)


def test_gradcam_matches_hand_computation(model, X):
    A, G = hand_maps(model, X)
    want = to_bases(np.maximum((G.mean(1, keepdims=True) * A).sum(-1), 0))
    got = attribute("gradcam", model, X, params={"layer": "first"})
    np.testing.assert_allclose(got.scores, want, rtol=1e-4, atol=1e-6)
    assert np.all(got.hypothetical == got.hypothetical[..., :1])


def test_gradcam_paper_matches_hand_computation(model, X):
    A, G = hand_maps(model, X)
    want = to_bases(np.maximum(G.mean(-1) * A.sum(-1), 0))
    np.testing.assert_allclose(attribute("gradcam_paper", model, X).scores, want, rtol=1e-4, atol=1e-6)


def test_grad_x_activation_matches_hand_computation(model, X):
    A, G = hand_maps(model, X)
    want = to_bases((G * A).sum(-1))
    np.testing.assert_allclose(attribute("grad_x_activation", model, X).scores, want, rtol=1e-4, atol=1e-6)


def _linear_stack(layers, length=40):
    set_seed(0)
    return keras.Sequential([keras.layers.Input(shape=(length, 4)), *layers])


STACKS = {
    "valid": lambda: [keras.layers.Conv1D(2, 5, name="c1")],
    "same_odd": lambda: [keras.layers.Conv1D(2, 5, padding="same", name="c1")],
    "same_even": lambda: [keras.layers.Conv1D(2, 4, padding="same", name="c1")],
    "pool_then_conv": lambda: [
        keras.layers.Conv1D(2, 3, padding="same", name="c1"),
        keras.layers.AveragePooling1D(2, name="p1"),
        keras.layers.Dropout(0.2, name="d1"),
        keras.layers.Conv1D(2, 3, name="c2"),
    ],
    "strided_dilated_same": lambda: [
        keras.layers.Conv1D(2, 3, strides=2, padding="same", name="c0"),
        keras.layers.Conv1D(2, 3, dilation_rate=2, padding="same", name="c1"),
        keras.layers.AveragePooling1D(3, strides=2, padding="same", name="c2"),
    ],
}


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_receptive_fields_match_tf_gradients(stack):
    layers = STACKS[stack]()
    for layer in layers:
        if isinstance(layer, keras.layers.Conv1D):
            layer.kernel_initializer = keras.initializers.Ones()
    network = _linear_stack(layers)
    target = network.layers[-1].name
    lo, hi = receptive_fields(network, target, 40)
    x = tf.ones((1, 40, 4))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        out = network(x)
        per_position = [tf.reduce_sum(out[0, p]) for p in range(out.shape[1])]
    assert len(lo) == out.shape[1]
    for p, value in enumerate(per_position):
        touched = np.flatnonzero(np.abs(tape.gradient(value, x).numpy()[0]).sum(-1) > 0)
        # dilation leaves holes inside a field; its span is what we report
        assert touched.min() == lo[p] and touched.max() + 1 == hi[p], (stack, p, touched, lo[p], hi[p])


def test_unmappable_layer_is_a_clear_error():
    network = _linear_stack([keras.layers.Flatten(name="flat"), keras.layers.Reshape((160, 1), name="back")])
    with pytest.raises(ValueError, match="cannot map positions through layer 'flat'"):
        receptive_fields(network, "back", 40)


def test_linear_conv_takes_the_following_activation():
    set_seed(0)
    network = keras.Sequential(
        [
            keras.layers.Input(shape=(20, 4)),
            keras.layers.Conv1D(3, 3, name="conv1"),
            keras.layers.BatchNormalization(name="bn1"),
            keras.layers.Activation("relu", name="relu1"),
            keras.layers.Flatten(),
            keras.layers.Dense(1, name="logit"),
        ]
    )
    model = TrainedModel(KERAS, "probe", {}, 0, network, 20, 3, ["conv1"])
    from methods.gradcam import feature_layer

    assert feature_layer(model, "first") == "relu1"
    assert np.isfinite(attribute("gradcam", model, random_onehot(2, 20)).scores).all()
