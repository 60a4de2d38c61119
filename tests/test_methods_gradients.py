"""gradient, grad_x_input, smoothed_grad_x_input and integrated_gradients against direct TF computations."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.tf_setup import tf
from methods import attribute
from methods.gradients import box_mean
from methods.integrated_gradients import midpoint_alphas
from baselines.toy import random_onehot, toy_cnn


@pytest.fixture(scope="module")
def model():
    return toy_cnn(length=40, kernel_width=5, filters=6, pooling="max", seed=1)


@pytest.fixture(scope="module")
def X():
    return random_onehot(5, 40, seed=2)


def tape_gradient(network, X: np.ndarray) -> np.ndarray:
    """d logit / d x by a plain eager GradientTape, one sequence at a time."""
    out = []
    for x in X:
        x = tf.constant(x[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = network(x, training=False)[0, 0]
        out.append(tape.gradient(y, x).numpy()[0])
    return np.stack(out)


def test_grad_x_input_equals_tape(model, X):
    result = attribute("grad_x_input", model, X)
    grad = tape_gradient(model.network, X)
    np.testing.assert_allclose(result.hypothetical, grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.scores, (grad * X).sum(-1), rtol=1e-5, atol=1e-7)


def test_gradient_is_scored_by_max_abs(model, X):
    result = attribute("gradient", model, X)
    grad = tape_gradient(model.network, X)
    np.testing.assert_allclose(result.scores, np.abs(grad).max(-1), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["gradient", "grad_x_input"])
def test_correction_sums_to_zero_over_bases(model, X, method):
    plain = attribute(method, model, X, params={"corrected": False}).hypothetical
    corrected = attribute(method, model, X, params={"corrected": True}).hypothetical
    np.testing.assert_allclose(corrected.sum(-1), 0.0, atol=1e-6)
    assert np.abs(plain.sum(-1)).max() > 1e-4  # the correction changed something
    np.testing.assert_allclose(corrected, plain - plain.mean(-1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_smoothed_grad_x_input_is_a_centred_box(model, X):
    result = attribute("smoothed_grad_x_input", model, X)
    gxi = (tape_gradient(model.network, X) * X).sum(-1)
    w = model.first_kernel_width
    want = np.array([[row[max(0, i - (w - 1) // 2) : i + w // 2 + 1].mean() for i in range(len(row))] for row in gxi])
    np.testing.assert_allclose(result.scores, want, rtol=1e-4, atol=1e-6)
    assert np.all(result.hypothetical == result.hypothetical[..., :1])  # repeated over bases


def test_box_mean_even_width_and_identity():
    s = np.arange(10, dtype=np.float32)[None]
    np.testing.assert_allclose(box_mean(s, 1), s)
    # width 4: positions [i - 1, i + 2]
    np.testing.assert_allclose(box_mean(s, 4)[0, 0], np.mean([0, 1, 2]))
    np.testing.assert_allclose(box_mean(s, 4)[0, 5], np.mean([4, 5, 6, 7]))
    np.testing.assert_allclose(box_mean(s, 4)[0, 9], np.mean([8, 9]))


@pytest.mark.parametrize("reference", ["zeros", "avg_composition", "shuffle10"])
def test_integrated_gradients_sums_to_delta_with_many_steps(model, X, reference):
    few = attribute("integrated_gradients", model, X, reference=reference, params={"steps": 2})
    many = attribute("integrated_gradients", model, X, reference=reference, params={"steps": 300})
    assert many.convergence_error < 5e-3
    # (an untrained toy net with zero biases is positively homogeneous, so IG from zeros is exact at any step count)
    assert many.convergence_error <= few.convergence_error + 1e-5


def test_integrated_gradients_matches_a_direct_riemann_sum(model, X):
    steps = 7
    result = attribute("integrated_gradients", model, X[:2], reference="shuffle10", params={"steps": steps}, seed=4)
    from methods import make_references

    refs = make_references("shuffle10", X[:2], seed=4)
    want = np.zeros(X[:2].shape)
    for n in range(2):
        for r in refs[n]:
            points = np.stack([r + a * (X[n] - r) for a in midpoint_alphas(steps)])
            avg_grad = tape_gradient(model.network, points).mean(0)
            want[n] += (avg_grad * (X[n] - r)).sum(-1)[:, None] * X[n] / len(refs[n])
    np.testing.assert_allclose(result.scores, want.sum(-1), rtol=1e-4, atol=1e-6)


def test_integrated_gradients_without_a_reference_is_refused(model, X):
    from methods import AttributionError

    with pytest.raises(AttributionError, match="accepts references"):
        attribute("integrated_gradients", model, X, reference="none")


def test_batch_size_does_not_change_results(model, X):
    a = attribute("integrated_gradients", model, X, reference="shuffle10", params={"steps": 10}, batch_size=7).hypothetical
    b = attribute("integrated_gradients", model, X, reference="shuffle10", params={"steps": 10}, batch_size=4096).hypothetical
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
