"""The registry as a whole: every Keras method runs on toy data; bad outputs become AttributionError."""

from __future__ import annotations

import numpy as np
import pytest

from methods import METHODS, AttributionError, attribute, register_method
from baselines.toy import random_onehot, toy_cnn

CONTEXT = {"motifs": {"m1": np.eye(4)[[0, 1, 2, 3, 3]] * 0.9 + 0.025, "m2": np.full((4, 4), 0.25)}}


@pytest.fixture(scope="module")
def model():
    return toy_cnn(length=40, kernel_width=5, filters=4, pooling="max", n_conv=2, seed=0)


@pytest.fixture(scope="module")
def X():
    return random_onehot(3, 40, seed=1)


KERAS_METHODS = [name for name, spec in METHODS.items() if "keras" in spec.model_kinds]


def test_the_required_methods_are_registered():
    for name in (
        "gradient",
        "grad_x_input",
        "smoothed_grad_x_input",
        "integrated_gradients",
        "ism",
        "gradcam",
        "gradcam_paper",
        "grad_x_activation",
        "gkmexplain",
        "random",
        "pwm_scan",
    ):
        assert name in METHODS


@pytest.mark.parametrize("name", KERAS_METHODS)
def test_every_keras_method_returns_finite_contributions(model, X, name):
    spec = METHODS[name]
    for params in spec.param_grid()[:2]:
        result = attribute(name, model, X, reference=spec.references[0], params=params, context=CONTEXT)
        assert result.hypothetical.shape == X.shape
        assert result.scores.shape == X.shape[:2]
        assert np.isfinite(result.hypothetical).all()
        assert (result.convergence_error is not None) == spec.promises_delta


def test_every_method_describes_itself():
    for name, spec in METHODS.items():
        assert spec.description, f"{name} has no description"
        assert spec.references and spec.model_kinds, name


@pytest.fixture
def temporary_method():
    """Register throwaway methods under unique names; remove them afterwards."""
    added = []

    def add(name, fn, **kwargs):
        register_method(name, **kwargs)(fn)
        added.append(name)

    yield add
    for name in added:
        METHODS.remove(name)


def test_nan_output_becomes_attribution_error(model, X, temporary_method):
    def nan_method(model, X, references, *, seed=0):
        out = np.zeros(X.shape, np.float32)
        out[1, 3, 2] = np.nan
        return out

    temporary_method("_test_registry_nan", nan_method)
    with pytest.raises(AttributionError, match=r"_test_registry_nan\[none\].*NaN or inf in 1 of 3 sequences"):
        attribute("_test_registry_nan", model, X)


def test_wrong_shape_becomes_attribution_error(model, X, temporary_method):
    temporary_method("_test_registry_shape", lambda model, X, references, *, seed=0: X.sum(-1))
    with pytest.raises(AttributionError, match=r"_test_registry_shape.*returned shape \(3, 40\); expected \(3, 40, 4\)"):
        attribute("_test_registry_shape", model, X)


def test_raising_method_becomes_attribution_error(model, X, temporary_method):
    def boom(model, X, references, *, seed=0):
        raise RuntimeError("kaboom")

    temporary_method("_test_registry_raise", boom)
    with pytest.raises(AttributionError, match="_test_registry_raise.*RuntimeError: kaboom"):
        attribute("_test_registry_raise", model, X)
    assert "_test_registry_raise" in METHODS


def test_unknown_method_lists_the_valid_ones(model, X):
    with pytest.raises(KeyError, match="Did you mean 'gradcam'"):
        attribute("gradcan", model, X)
