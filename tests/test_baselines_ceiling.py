"""The planted-motif ceiling: a logistic regression on planted-hit counts, scored on the test split."""

import numpy as np
import pytest

from baselines.ceiling import planted_motif_ceiling, planted_motif_counts
from tasks.dataset import HIT_DTYPE, Dataset


def _dataset(labels_follow_hits: bool, n: int = 400, seed: int = 0) -> Dataset:
    """n sequences; half carry one planted "A" hit. Labels are the hit (or coin flips)."""
    rng = np.random.default_rng(seed)
    carries = rng.random(n) < 0.5
    y = carries.astype(np.int8) if labels_follow_hits else (rng.random(n) < 0.5).astype(np.int8)
    rows = np.flatnonzero(carries)
    hits = np.zeros(len(rows) + 1, dtype=HIT_DTYPE)
    hits["seq"] = np.append(rows, 0)
    hits["motif"] = ["A"] * len(rows) + ["B"]  # one stray "B" hit: a second, uninformative column
    hits["start"], hits["end"], hits["strand"] = 10, 20, "+"
    return Dataset(name="planted", X=np.zeros((n, 50, 4), np.uint8), y=y, is_test=np.arange(n) % 5 == 0,
                   mask=np.zeros((n, 50), bool), hits=hits, eval_index=np.arange(0, n, 5))


def test_counts_have_one_column_per_motif():
    counts, names = planted_motif_counts(_dataset(True))
    assert names == ["A", "B"] and counts.shape == (400, 2)
    assert set(counts[:, 0].tolist()) == {0.0, 1.0} and counts[:, 1].sum() == 1


def test_labels_carried_by_the_hits_give_a_ceiling_of_one():
    assert planted_motif_ceiling(_dataset(True)) == pytest.approx(1.0)


def test_labels_unrelated_to_the_hits_give_about_chance():
    assert abs(planted_motif_ceiling(_dataset(False)) - 0.5) < 0.12


def test_no_hits_is_nan():
    import dataclasses

    dataset = _dataset(True)
    dataset = dataclasses.replace(dataset, hits=dataset.hits[:0])
    assert np.isnan(planted_motif_ceiling(dataset))
