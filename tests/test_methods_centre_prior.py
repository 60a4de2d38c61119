"""centre_prior: a position-only control, checked against a brute-force distance computation."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.scores import metrics
from methods import attribute
from methods.controls import centre_closeness
from baselines.toy import random_onehot, toy_cnn


def brute_force(length):
    """Rank-equivalent by construction: minus the distance of each base's midpoint to the sequence midpoint."""
    return np.array([-abs((i + 0.5) - length / 2) for i in range(length)])


@pytest.mark.parametrize("length", [1, 2, 7, 60, 200])
def test_centre_closeness_equals_brute_force(length):
    got = centre_closeness(length)
    expected = brute_force(length) + length / 2
    assert np.allclose(got, expected)
    assert (got > 0).all()
    # symmetric: position i and L-1-i tie
    assert np.allclose(got, got[::-1])


def test_centre_prior_method_scores_every_sequence_alike():
    model = toy_cnn(length=60, seed=0)
    X = random_onehot(3, 60)
    out = attribute("centre_prior", model, X)
    assert out.hypothetical.shape == X.shape
    for n in range(3):
        assert np.allclose(out.scores[n], centre_closeness(60))  # observed-base projection of a repeated score
    assert np.allclose(np.abs(out.hypothetical).max(-1), out.scores)  # same under max |.|


def test_centre_prior_finds_central_motifs_and_not_edge_ones():
    scores = np.tile(centre_closeness(40), (2, 1))
    central = np.zeros((2, 40), bool)
    central[:, 16:24] = True
    edge = np.zeros((2, 40), bool)
    edge[:, :8] = True
    assert np.allclose(metrics.per_sequence(scores, central)["auprc"], 1.0)
    assert (metrics.per_sequence(scores, edge)["auprc"] < 0.3).all()
