"""benchmark.scores.faithfulness: deletion and insertion curves, checked on a linear model whose
logit is known exactly (logit = sum(X * w)), against a per-sequence brute-force loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark.scores.faithfulness import (
    FRACTIONS,
    curve_area,
    faithfulness,
    infill_shuffles,
    perturbed_sequences,
    positions_per_fraction,
    rank_positions,
)


def onehot(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


def linear_model(length: int, seed: int):
    """(w (L, 4), predict): logit = sum over positions and bases of X * w."""
    w = np.random.default_rng(seed).normal(size=(length, 4))
    return w, lambda batch: (batch.astype(np.float64) * w).sum(axis=(1, 2))


def dinucleotide_counts(seq: np.ndarray) -> np.ndarray:
    """(4, 4) counts of each ordered base pair at adjacent positions of one (L, 4) sequence."""
    return np.einsum("la,lb->ab", seq[:-1], seq[1:])


def brute_force(X, scores, w, order, draws, seed, fractions=FRACTIONS):
    """Per-sequence areas and mean curves, one sequence, fraction and draw at a time."""
    shuffles = infill_shuffles(X, draws=draws, seed=seed)
    length = X.shape[1]
    k = np.asarray(fractions)
    deletion_areas, insertion_areas, drops, rises = [], [], [], []
    for i in range(len(X)):
        key = np.abs(scores[i]) if order == "absolute" else scores[i]
        ranking = np.argsort(-key, kind="stable")  # continuous scores: no ties
        drop_curve, rise_curve = [], []
        original = float((X[i] * w).sum())
        shuffled = np.mean([float((shuffles[d, i] * w).sum()) for d in range(draws)])
        for fraction in fractions:
            top = ranking[: max(1, math.floor(fraction * length + 0.5))]
            deleted, inserted = [], []
            for d in range(draws):
                seq = X[i].copy()
                seq[top] = shuffles[d, i][top]
                deleted.append(float((seq * w).sum()))
                seq = shuffles[d, i].copy()
                seq[top] = X[i][top]
                inserted.append(float((seq * w).sum()))
            drop_curve.append(original - np.mean(deleted))
            rise_curve.append(np.mean(inserted) - shuffled)
        drops.append(drop_curve)
        rises.append(rise_curve)
        deletion_areas.append(np.trapezoid(drop_curve, k) / (k[-1] - k[0]))
        insertion_areas.append(np.trapezoid(rise_curve, k) / (k[-1] - k[0]))
    return np.array(deletion_areas), np.array(insertion_areas), np.mean(drops, axis=0), np.mean(rises, axis=0)


@pytest.mark.parametrize("order", ["signed", "absolute"])
def test_areas_equal_a_per_sequence_loop(order):
    X = onehot(12, 50, seed=1)
    w, predict = linear_model(50, seed=2)
    scores = np.random.default_rng(3).normal(size=(12, 50))
    result = faithfulness(X, scores, predict, order=order, draws=3, seed=4, batch_size=7)
    deletion, insertion, drops, rises = brute_force(X, scores, w, order, draws=3, seed=4)
    np.testing.assert_allclose(result["deletion_area_per_sequence"], deletion, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["insertion_area_per_sequence"], insertion, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["deletion_drop"], drops, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["insertion_rise"], rises, rtol=1e-9, atol=1e-9)
    assert result["deletion_area"] == pytest.approx(deletion.mean(), abs=1e-9)
    assert result["insertion_area"] == pytest.approx(insertion.mean(), abs=1e-9)
    assert result["deletion_area_se"] == pytest.approx(deletion.std(ddof=1) / math.sqrt(12), abs=1e-9)
    assert result["positions"] == [1, 1, 3, 5, 10]
    # the batch size changes only how predict is called
    assert faithfulness(X, scores, predict, order=order, draws=3, seed=4, batch_size=4096) == result


def test_exact_contributions_rank_best_and_random_worst():
    n, length = 200, 100
    X = onehot(n, length, seed=5)
    w, predict = linear_model(length, seed=6)
    rng = np.random.default_rng(7)
    exact = (X * w).sum(axis=2)  # the model's own per-position contributions
    spread = exact.std()
    orderings = {
        "exact": exact,
        "noisy_small": exact + rng.normal(scale=0.5 * spread, size=exact.shape),
        "noisy_large": exact + rng.normal(scale=2.0 * spread, size=exact.shape),
        "smoothed": np.apply_along_axis(lambda row: np.convolve(row, np.ones(9) / 9, mode="same"), 1, exact),
        "random": rng.normal(size=exact.shape),
    }
    results = {name: faithfulness(X, scores, predict, seed=0) for name, scores in orderings.items()}
    for key in ("deletion_area", "insertion_area"):
        values = {name: r[key] for name, r in results.items()}
        print(key, {name: round(v, 3) for name, v in values.items()})
        assert max(values, key=values.get) == "exact"
        assert min(values, key=values.get) == "random"
        assert values["exact"] > values["noisy_small"] > values["noisy_large"] > values["random"]
    # for a linear model both curves measure sum over the top positions of (x - s) . w
    for r in results.values():
        np.testing.assert_allclose(r["deletion_area_per_sequence"], r["insertion_area_per_sequence"], atol=1e-9)
    # |score| puts negative contributions first too: deleting them raises the logit
    absolute = faithfulness(X, exact, predict, order="absolute", seed=0)
    assert absolute["deletion_area"] < results["exact"]["deletion_area"]


def test_infill_comes_from_a_dinucleotide_shuffle_of_the_same_sequence():
    X = onehot(8, 60, seed=8)
    _, linear = linear_model(60, seed=9)
    seen = []

    def predict(batch):
        seen.append(batch.copy())
        return linear(batch)

    result = faithfulness(X, np.random.default_rng(1).normal(size=(8, 60)), predict, draws=2, seed=3, batch_size=10**6)
    assert [len(b) for b in seen] == [8, 2 * 8, 5 * 2 * 8, 5 * 2 * 8]  # originals, shuffles, deleted, inserted
    shuffles = seen[1].reshape(2, 8, 60, 4)
    assert not np.array_equal(shuffles[0], X)
    for d in range(2):
        for i in range(8):
            np.testing.assert_array_equal(dinucleotide_counts(shuffles[d, i]), dinucleotide_counts(X[i]))
    np.testing.assert_array_equal(shuffles, infill_shuffles(X, draws=2, seed=3))
    deleted = seen[2].reshape(5, 2, 8, 60, 4)
    inserted = seen[3].reshape(5, 2, 8, 60, 4)
    ranks = rank_positions(np.random.default_rng(1).normal(size=(8, 60)), seed=3)
    for j, count in enumerate(result["positions"]):
        for i in range(8):
            top = np.zeros(60, dtype=bool)
            top[ranks[i, :count]] = True
            for d in range(2):
                np.testing.assert_array_equal(deleted[j, d, i][top], shuffles[d, i][top])
                np.testing.assert_array_equal(deleted[j, d, i][~top], X[i][~top])
                np.testing.assert_array_equal(inserted[j, d, i][top], X[i][top])
                np.testing.assert_array_equal(inserted[j, d, i][~top], shuffles[d, i][~top])
                assert (deleted[j, d, i].sum(axis=1) == 1).all()  # never zeros or N


def test_same_seed_same_numbers():
    X = onehot(10, 40, seed=10)
    _, predict = linear_model(40, seed=11)
    scores = np.random.default_rng(12).normal(size=(10, 40))
    first = faithfulness(X, scores, predict, seed=5)
    assert faithfulness(X, scores, predict, seed=5) == first
    assert faithfulness(X, scores, predict, seed=6)["deletion_area_per_sequence"] != first["deletion_area_per_sequence"]
    np.testing.assert_array_equal(infill_shuffles(X, seed=5), infill_shuffles(X, seed=5))


def test_chunks_of_sequences_change_nothing(monkeypatch):
    import benchmark.scores.faithfulness as faith

    X = onehot(9, 40, seed=14)
    _, predict = linear_model(40, seed=15)
    scores = np.random.default_rng(16).normal(size=(9, 40))
    whole = faithfulness(X, scores, predict, seed=2)
    monkeypatch.setattr(faith, "_CHUNK_ROWS", 2 * len(FRACTIONS) * 3)  # two sequences per chunk
    assert faithfulness(X, scores, predict, seed=2) == whole


def test_ties_are_broken_by_a_seeded_random_key_not_by_position():
    flat = np.zeros((3, 30))
    ranks = rank_positions(flat, seed=0)
    assert not np.array_equal(ranks[0], np.arange(30))
    np.testing.assert_array_equal(ranks, rank_positions(flat, seed=0))
    assert not np.array_equal(ranks, rank_positions(flat, seed=1))
    for row in ranks:
        assert sorted(row) == list(range(30))
    # distinct scores: the signed order, highest first, whatever the seed
    scores = np.array([[0.5, -2.0, 1.5, 0.0]])
    assert rank_positions(scores, seed=9).tolist() == [[2, 0, 3, 1]]
    assert rank_positions(scores, order="absolute", seed=9).tolist() == [[1, 2, 0, 3]]


def test_area_definition_and_position_counts():
    curve = np.array([[1.0], [3.0], [3.0]])
    assert curve_area(curve, (0.1, 0.2, 0.4))[0] == pytest.approx((0.1 * 2 + 0.2 * 3) / 0.3)
    assert curve_area(np.array([[2.5, -1.0]]), (0.05,)).tolist() == [2.5, -1.0]
    assert positions_per_fraction(200).tolist() == [2, 4, 10, 20, 40]
    assert positions_per_fraction(50).tolist() == [1, 1, 3, 5, 10]


def test_perturbed_sequences_shapes():
    X = onehot(4, 20, seed=13)
    shuffles = infill_shuffles(X, draws=3, seed=0)
    deleted, inserted = perturbed_sequences(X, rank_positions(np.zeros((4, 20))), shuffles, [1, 5])
    assert deleted.shape == inserted.shape == (2, 3, 4, 20, 4)
    assert deleted.dtype == np.float32


@pytest.mark.parametrize(
    "change, message",
    [
        ({"scores": np.zeros((5, 31))}, r"scores shape \(5, 31\) does not match X's \(N, L\) = \(5, 30\)"),
        ({"scores": np.where(np.eye(5, 30) > 0, np.nan, 0.0)}, "NaN or inf in 5 sequence"),
        ({"scores": np.zeros((5, 30, 4))}, "project"),
        ({"X": np.zeros((5, 30, 4), np.float32)}, "not one-hot at sequence 0, position 0"),
        ({"X": np.zeros((5, 30), np.float32)}, r"X must be \(N, L, 4\)"),
        ({"fractions": (0.2, 0.1)}, "fractions must be increasing"),
        ({"fractions": (0.0, 0.1)}, "fractions must be increasing"),
        ({"order": "magnitude"}, "order must be one of signed, absolute"),
        ({"draws": 0}, "draws must be >= 1"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"predict": lambda batch: np.zeros((len(batch), 2))}, "one logit per sequence"),
        ({"predict": lambda batch: np.full(len(batch), np.nan)}, "NaN or inf logits"),
    ],
)
def test_bad_input_is_named(change, message):
    _, predict = linear_model(30, seed=0)
    arguments = {"X": onehot(5, 30, seed=0), "scores": np.zeros((5, 30)), "predict": predict, **change}
    X, scores, predict = arguments.pop("X"), arguments.pop("scores"), arguments.pop("predict")
    with pytest.raises(ValueError, match=message):
        faithfulness(X, scores, predict, **arguments)
