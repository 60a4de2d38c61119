"""Methods on a tiny gkm-SVM fitted here: GkmExplain, ISM, and every method that accepts gkm-SVMs."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.model import GKMSVM, TrainedModel
from methods import METHODS, NO_REFERENCE, attribute
from methods.ism import _ism_by_prediction, centre
from baselines.toy import random_onehot

L = 30


def tiny_gkmsvm(seed: int = 0) -> TrainedModel:
    """A gkm-SVM (l=6, k=4) separating sequences carrying AATTGGCC from random ones; a couple of seconds."""
    import gkmsvm

    X = random_onehot(60, L, seed=seed)
    X[:30, 10:18] = np.eye(4, dtype=np.float32)[[0, 0, 3, 3, 2, 2, 1, 1]]
    x = np.ascontiguousarray(X.transpose(0, 2, 1))
    network = gkmsvm.train_gkmsvm(x[:30], x[30:], l=6, k=4, d=2, device="cpu")
    return TrainedModel(kind=GKMSVM, arch="gkmsvm", params={"l": 6, "k": 4}, seed=seed, network=network, sequence_length=L)


@pytest.fixture(scope="module")
def model():
    return tiny_gkmsvm()


@pytest.fixture(scope="module")
def X():
    return random_onehot(3, L, seed=11)


def test_gkmexplain_sums_to_decision_value_minus_bias(model, X):
    result = attribute("gkmexplain", model, X)
    assert result.hypothetical.shape == X.shape
    np.testing.assert_allclose(result.scores.sum(1), model.predict_logit(X) - model.network.bias, rtol=1e-3, atol=1e-4)
    # hypothetical: other bases carry values too
    assert np.abs(result.hypothetical * (1 - X)).sum() > 0


def test_gkmsvm_ism_equals_brute_force(model, X):
    fast = attribute("ism", model, X).hypothetical
    slow = centre(_ism_by_prediction(model.predict_logit, X, batch_size=500))
    np.testing.assert_allclose(fast, slow, rtol=1e-3, atol=1e-4)


def test_every_gkmsvm_method_returns_finite_contributions(model, X):
    context = {"motifs": {"m": np.full((5, 4), 0.25)}}
    ran = []
    for name, spec in METHODS.items():
        if "gkmsvm" not in spec.model_kinds:
            continue
        for reference in spec.references[:1]:
            params = spec.param_grid()[0]
            result = attribute(name, model, X, reference=reference, params=params, context=context)
            assert result.hypothetical.shape == X.shape and np.isfinite(result.hypothetical).all(), name
            ran.append(name)
    assert {"gkmexplain", "ism", "random"} <= set(ran)
    assert NO_REFERENCE in METHODS["gkmexplain"].references
