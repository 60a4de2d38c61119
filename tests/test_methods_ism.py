"""ISM on Keras models against brute-force prediction of every mutant."""

from __future__ import annotations

import numpy as np
import pytest

from methods import attribute
from methods.ism import mutants
from tests.toy_models import random_onehot, toy_cnn


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
