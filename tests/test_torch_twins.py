"""PyTorch twins of the Keras architectures: the same function, and the same attributions, on the same weights.

Each built-in architecture at a small scale is built in Keras with seeded
random weights and copied into its torch twin (`baselines.torch_convert`).
Then the logits agree to float32 rounding, and so do the gradient family,
SmoothGrad, integrated gradients and ISM computed through torch.autograd and
through TensorFlow. Tolerances are relative to the largest value compared;
measured differences are recorded as test properties (``-rA`` shows them).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed; `make install` installs the pinned CPU build")

from baselines.toy import random_onehot  # noqa: E402
from baselines.torch_convert import copy_keras_weights, twin_pair  # noqa: E402
from methods import attribute  # noqa: E402

L = 160
VARIANTS = {
    "basset": {"scale": 0.05},
    "beluga": {"scale": 0.03},
    "shallow": {"scale": 0.125},
    "basset_avgpool_valid": {"scale": 0.05, "pooling": "average", "padding": "valid", "kernel_width": 9},
    "beluga_bn_exponential": {"scale": 0.03, "batch_norm": True, "first_activation": "exponential"},
    "shallow_even_kernel": {"scale": 0.125, "kernel_width": 8, "n_conv": 2},
}
METHODS = [  # (method, reference, params)
    ("gradient", "none", {"corrected": True}),
    ("grad_x_input", "none", {"corrected": False}),
    ("smoothed_grad_x_input", "none", {}),
    ("smoothgrad", "none", {"noise": 0.15}),
    ("integrated_gradients", "zeros", {"steps": 10}),
    ("integrated_gradients", "shuffle10", {"steps": 20}),
    ("ism", "none", {}),
]


def _arch(variant: str) -> str:
    return variant.split("_")[0]


def _pair(variant: str, seed: int = 0):
    keras_model, torch_model = twin_pair(_arch(variant), L, seed=seed, **VARIANTS[variant])
    if VARIANTS[variant].get("batch_norm"):  # fresh batch norms are the identity: give them statistics
        rng = np.random.default_rng(seed)
        for layer in keras_model.network.layers:
            if layer.name.startswith("bn"):
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights([1 + 0.2 * rng.standard_normal(gamma.shape).astype(np.float32),
                                   0.1 * rng.standard_normal(beta.shape).astype(np.float32),
                                   0.1 * rng.standard_normal(mean.shape).astype(np.float32),
                                   rng.uniform(0.5, 1.5, var.shape).astype(np.float32)])
        copy_keras_weights(keras_model.network, torch_model.network)
    return keras_model, torch_model


@pytest.fixture(scope="module")
def X():
    return random_onehot(12, L, seed=5)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_twin_logits_equal_keras(variant, X, record_property):
    keras_model, torch_model = _pair(variant)
    a, b = keras_model.predict_logit(X), torch_model.predict_logit(X)
    assert np.abs(a).max() > 1e-3  # the copy is not trivially equal
    diff = float(np.abs(a - b).max())
    record_property("max_abs_logit_difference", diff)
    assert diff <= 1e-5, f"{variant}: logits differ by {diff}"
    assert torch_model.first_kernel_width == keras_model.first_kernel_width
    assert [n.rsplit(".", 1)[-1] for n in torch_model.conv_layer_names] == keras_model.conv_layer_names


@pytest.mark.parametrize("method,reference,params", METHODS, ids=[f"{m}-{r}" for m, r, _ in METHODS])
@pytest.mark.parametrize("variant", ["basset", "beluga", "shallow", "beluga_bn_exponential"])
def test_gradient_methods_equal_across_frameworks(variant, method, reference, params, X, record_property):
    keras_model, torch_model = _pair(variant, seed=1)
    a = attribute(method, keras_model, X, reference, params, seed=3)
    b = attribute(method, torch_model, X, reference, params, seed=3)
    scale = float(np.abs(a.hypothetical).max())
    gaps = np.abs(a.hypothetical - b.hypothetical)
    diff = float(gaps.max())
    record_property("relative_max_difference", diff / scale)
    per_sequence = gaps.max(axis=(1, 2)) / scale
    record_property("sequences_beyond_1e-4", int((per_sequence > 1e-4).sum()))
    assert scale > 1e-6
    if method == "integrated_gradients":
        # one of the 20 x 10 path points of a sequence can sit on a ReLU's kink or a MaxPool's tie, where
        # float rounding picks the side; that one gradient moves the sequence's result (measured: 1 sequence
        # of 12, 2.3e-3 of the scale, on the exponential + batch-norm beluga; none with 21 steps)
        assert (per_sequence > 1e-4).sum() <= 1 and diff <= 1e-2 * scale, f"{method} on {variant}: {per_sequence}"
    else:
        assert diff <= 1e-4 * scale, f"{method} on {variant}: max difference {diff} of values up to {scale}"
    if a.convergence_error is not None:  # IG: the same summation error in both frameworks
        assert abs(a.convergence_error - b.convergence_error) <= 1e-3 * max(1.0, a.convergence_error)


def test_torch_ism_equals_brute_force(X):
    _, torch_model = _pair("shallow")
    out = attribute("ism", torch_model, X[:2]).hypothetical
    table = np.empty(X[:2].shape)
    for n, x in enumerate(X[:2]):
        for i in range(L):
            for b in range(4):
                mutant = x.copy()
                mutant[i] = np.eye(4, dtype=np.float32)[b]
                table[n, i, b] = torch_model.predict_logit(mutant[None])[0]
    expected = table - table.mean(-1, keepdims=True)
    np.testing.assert_allclose(out, expected, atol=1e-5, rtol=0)


def test_torch_methods_leave_the_network_in_its_mode_and_are_repeatable(X):
    _, torch_model = _pair("basset")
    torch_model.network.train()  # dropout on: the methods must still explain the eval-mode logit
    first = attribute("grad_x_input", torch_model, X).hypothetical
    assert torch_model.network.training
    torch_model.network.eval()
    again = attribute("grad_x_input", torch_model, X).hypothetical
    np.testing.assert_array_equal(first, again)


def test_integrated_gradients_sums_to_delta_on_torch(X):
    _, torch_model = _pair("shallow")
    result = attribute("integrated_gradients", torch_model, X, "shuffle10", {"steps": 50})
    assert result.convergence_error < 0.05


def test_twins_register_on_first_use_with_the_keras_parameters():
    from baselines.architectures import ARCHITECTURES, TORCH_TWINS, arch_defaults, arch_kind

    for twin, original in TORCH_TWINS.items():
        assert arch_kind(twin) == "torch" and twin in ARCHITECTURES
        assert arch_defaults(twin) == arch_defaults(original)
