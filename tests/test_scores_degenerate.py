"""Flat maps: all-zero and constant maps are found, anything with a ranking is not."""

import numpy as np
import pytest

from benchmark.scores import degenerate, metrics


def test_zero_and_constant_maps_are_flat_and_ranked_maps_are_not():
    scores = np.array([
        np.zeros(10),                       # all zero (GradCAM with no positive channel)
        np.full(10, 0.3),                   # constant
        np.full(10, -2.0),                  # constant, negative: |score| is constant
        np.full(10, 0.3) + np.float32(1e-8),  # equal to a few ulps
        np.linspace(0, 1, 10),              # a ranking
        np.r_[np.zeros(9), 1e-12],          # one tiny non-zero value is still a ranking
    ], dtype=np.float32)
    assert degenerate.flat_maps(scores).tolist() == [True, True, True, True, False, False]
    assert degenerate.count_flat(scores) == 4
    assert degenerate.flat_positions(scores) == [0, 1, 2, 3]


def test_a_flat_map_scores_the_sequences_prevalence_whatever_the_motifs():
    """Why the board must say so: a flat map's auPRC is a tie's, not a method's."""
    mask = np.zeros((2, 20), bool)
    mask[0, 3:8] = True
    mask[1, 12:14] = True
    got = metrics.per_sequence(np.zeros((2, 20)), mask)["auprc"]
    assert got == pytest.approx(mask.mean(1))


def test_bad_shape_is_an_error_naming_the_shape():
    with pytest.raises(ValueError, match=r"\(E, L\).*\(3,\)"):
        degenerate.flat_maps(np.zeros(3))
