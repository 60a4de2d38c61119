"""References: shapes, determinism, and that dinucleotide shuffles keep what they promise."""

from __future__ import annotations

import numpy as np
import pytest

from methods import NO_REFERENCE, REFERENCES, make_references
from baselines.toy import random_onehot


def dinucleotide_counts(X: np.ndarray) -> np.ndarray:
    """(..., L, 4) one-hot -> (..., 4, 4) counts of each adjacent base pair."""
    return np.einsum("...ia,...ib->...ab", X[..., :-1, :], X[..., 1:, :])


@pytest.fixture(scope="module")
def X():
    return random_onehot(6, 60, seed=3)


def test_registered_names():
    for name in ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50"):
        assert name in REFERENCES
    assert make_references(NO_REFERENCE, random_onehot(2, 10)) is None


@pytest.mark.parametrize("name,r", [("zeros", 1), ("avg_composition", 1), ("seq_composition", 1), ("shuffle10", 10), ("shuffle20", 20), ("shuffle50", 50)])
def test_shape_and_dtype(X, name, r):
    refs = make_references(name, X, seed=0)
    assert refs.shape == (len(X), r, *X.shape[1:])
    assert refs.dtype == np.float32


def test_zeros_are_zero(X):
    assert not make_references("zeros", X).any()


def test_avg_composition_is_the_papers_shared_per_position_average(X):
    refs = make_references("avg_composition", X)
    # by hand: at each position, the share of inputs with each base; the same reference for every input
    by_hand = np.array([[np.mean([X[n, i, b] for n in range(len(X))]) for b in range(4)] for i in range(X.shape[1])])
    for n in range(len(X)):
        np.testing.assert_allclose(refs[n, 0], by_hand, rtol=1e-6)
    np.testing.assert_allclose(refs.sum(-1), 1.0, rtol=1e-6)


def test_seq_composition_is_each_inputs_own_composition(X):
    refs = make_references("seq_composition", X)
    for n in range(len(X)):
        np.testing.assert_allclose(refs[n, 0], np.tile(X[n].mean(0), (X.shape[1], 1)), rtol=1e-6)
        np.testing.assert_allclose(refs[n, 0].sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["shuffle10", "shuffle20"])
def test_shuffles_keep_each_inputs_dinucleotide_counts(X, name):
    refs = make_references(name, X, seed=0)
    assert set(np.unique(refs)) <= {0.0, 1.0} and (refs.sum(-1) == 1).all()
    want = dinucleotide_counts(X)[:, None]  # (N, 1, 4, 4)
    np.testing.assert_array_equal(dinucleotide_counts(refs), np.broadcast_to(want, (len(X), refs.shape[1], 4, 4)))
    # and they are shuffles, not copies
    assert (refs != X[:, None]).any(axis=(2, 3)).mean() > 0.9


def test_same_seed_same_bytes_other_seed_differs(X):
    a = make_references("shuffle10", X, seed=7)
    b = make_references("shuffle10", X, seed=7)
    c = make_references("shuffle10", X, seed=8)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_shuffles_of_a_sequence_do_not_depend_on_its_batch(X):
    whole = make_references("shuffle10", X, seed=1)
    part = make_references("shuffle10", X[[4, 2]], seed=1)
    np.testing.assert_array_equal(part, whole[[4, 2]])


def test_non_onehot_input_names_the_sequence(X):
    bad = X.copy()
    bad[3, 17] = 0.0  # an N base
    with pytest.raises(ValueError, match="sequence 3 position 17"):
        make_references("shuffle10", bad)
