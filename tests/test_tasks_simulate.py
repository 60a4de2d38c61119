"""The simulation: shuffled backgrounds, pasted hits, masks, splits, the simplified generator."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.sequences import decode, encode
from tasks.simulate import eval_index, hit_array, mask_from_hits, simulate_realistic, simulate_simplified, split


def dinucleotide_counts(onehot: np.ndarray) -> np.ndarray:
    """(16,) counts of each dinucleotide of one (L, 4) sequence."""
    index = onehot.argmax(-1)
    return np.bincount(index[:-1] * 4 + index[1:], minlength=16)


def random_sequences(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(n, length))]


def test_mask_is_union_of_hit_intervals():
    hits = hit_array([(0, "a", 2, 6, "+", 1.0), (0, "b", 4, 9, "-", 1.0), (2, "a", 0, 3, "+", 1.0)])
    mask = mask_from_hits(hits, 3, 12)
    expected = np.zeros((3, 12), dtype=bool)
    expected[0, 2:9] = True
    expected[2, 0:3] = True
    assert (mask == expected).all()


def make_realistic(seed: int = 0):
    pos, neg = random_sequences(40, 60, 1), random_sequences(30, 60, 2)
    pos_hits = hit_array(
        [(i, "m1", 10 + i % 7, 18 + i % 7, "+", 5.0) for i in range(0, 40, 2)]  # odd positives carry no hit
        + [(i, "m2", 14 + i % 5, 24 + i % 5, "-", 4.0) for i in range(0, 40, 4)]  # overlaps m1 on some
    )
    neg_hits = hit_array([(j, "m1", 40, 48, "-", 5.0) for j in range(0, 30, 3)])
    return pos, neg, pos_hits, neg_hits, simulate_realistic(pos, neg, pos_hits, neg_hits, np.random.default_rng(seed))


def test_positives_without_hits_are_dropped_and_negatives_kept():
    pos, neg, pos_hits, neg_hits, sim = make_realistic()
    assert list(sim["pos_rows"]) == list(range(0, 40, 2))
    assert (sim["y"] == 1).sum() == 20 and (sim["y"] == 0).sum() == 30


def test_pasted_bases_equal_the_original_hits():
    pos, neg, pos_hits, neg_hits, sim = make_realistic()
    originals = np.concatenate([pos[sim["pos_rows"]], neg])
    assert len(sim["hits"]) == len(pos_hits) + len(neg_hits)
    for hit in sim["hits"]:
        row, start, end = hit["seq"], hit["start"], hit["end"]
        assert (sim["X"][row, start:end] == originals[row, start:end]).all()
    # outside the mask every base is the shuffled background's
    outside = ~sim["mask"]
    assert (sim["X"][outside] == sim["background"][outside]).all()
    assert (sim["mask"] == mask_from_hits(sim["hits"], len(sim["X"]), pos.shape[1])).all()


def test_backgrounds_are_true_dinucleotide_shuffles_of_their_source():
    pos, neg, pos_hits, neg_hits, sim = make_realistic()
    kept = pos[sim["pos_rows"]]
    n_pos = len(kept)
    changed = 0
    for row, background in enumerate(sim["background"]):
        source = kept[row] if row < n_pos else kept[sim["neg_source"][row - n_pos]]
        assert (dinucleotide_counts(background) == dinucleotide_counts(source)).all()
        assert background[0].argmax() == source[0].argmax() and background[-1].argmax() == source[-1].argmax()
        changed += decode(background[None])[0] != decode(source[None])[0]
    assert changed > 0.9 * len(sim["background"])  # a real shuffle, not a copy


def test_same_seed_same_simulation_other_seed_differs():
    a, b, c = make_realistic(0)[-1], make_realistic(0)[-1], make_realistic(1)[-1]
    assert a["X"].tobytes() == b["X"].tobytes() and a["hits"].tobytes() == b["hits"].tobytes()
    assert a["X"].tobytes() != c["X"].tobytes()


def test_simplified_instances_come_from_the_motif_and_negatives_are_clean():
    motif = np.zeros((6, 4), dtype=np.float32)
    motif[np.arange(6), [0, 1, 2, 3, 0, 1]] = 1.0  # deterministic "ACGTAC"
    sim = simulate_simplified({"m": motif}, {}, 50, 40, 40, 0.4, 1, 3, np.random.default_rng(0))
    assert sim["X"].shape == (90, 40, 4) and (sim["X"].sum(-1) == 1).all()
    hits = sim["hits"]
    assert set(hits["seq"]) == set(range(50))  # every positive carries >= 1 instance, no negative does
    assert (np.bincount(hits["seq"], minlength=50) <= 3).all()
    for hit in hits:
        text = decode(sim["X"][hit["seq"], hit["start"] : hit["end"]][None])[0]
        assert text == ("ACGTAC" if hit["strand"] == "+" else "GTACGT")
    assert not sim["mask"][50:].any() and sim["mask"][:50].any()


def test_simplified_background_gc_content():
    sim = simulate_simplified({"m": np.full((4, 4), 0.25, np.float32)}, {}, 10, 200, 200, 0.6, 1, 1, np.random.default_rng(3))
    background = sim["X"][10:]
    gc = background[..., 1:3].sum() / background.sum()
    assert abs(gc - 0.6) < 0.01


def test_split_is_stratified_and_eval_index_takes_test_positives_with_hits():
    y = np.array([1] * 50 + [0] * 50, dtype=np.int8)
    is_test = split(y, 0.2, np.random.default_rng(0))
    assert is_test[:50].sum() == 10 and is_test[50:].sum() == 10
    hits = hit_array([(i, "m", 0, 5, "+", 1.0) for i in range(0, 100, 3)])
    rows = eval_index(y, is_test, hits, 4, np.random.default_rng(1))
    assert len(rows) <= 4 and len(set(rows.tolist())) == len(rows)
    for r in rows:
        assert y[r] == 1 and is_test[r] and r % 3 == 0
    assert np.array_equal(rows, eval_index(y, is_test, hits, 4, np.random.default_rng(1)))
    signal = np.arange(100, dtype=float)
    top = eval_index(y, is_test, hits, 2, signal=signal)
    candidates = [r for r in range(100) if y[r] == 1 and is_test[r] and r % 3 == 0]
    assert list(top) == sorted(candidates)[::-1][:2]  # highest signal first
    with pytest.raises(ValueError, match="rng"):
        eval_index(y, is_test, hits, 4)


def test_eval_index_is_a_random_sample_whose_prefixes_are_random_samples():
    """Not the first rows of the file: every candidate is equally likely, at any prefix length."""
    y = np.ones(1000, dtype=np.int8)
    is_test = np.ones(1000, dtype=bool)
    hits = hit_array([(i, "m", 0, 5, "+", 1.0) for i in range(1000)])
    firsts = np.concatenate([eval_index(y, is_test, hits, 300, np.random.default_rng(seed))[:50] for seed in range(40)])
    assert 400 < firsts.mean() < 600  # the first 50 rows would average 24.5
    counts = np.bincount(firsts // 100, minlength=10)
    assert counts.min() > 120 and counts.max() < 280  # 200 expected per tenth of the file
    pool = eval_index(y, is_test, hits, 300, np.random.default_rng(0))
    assert np.array_equal(eval_index(y, is_test, hits, 50, np.random.default_rng(0)), pool[:50])


def test_encode_rejects_bad_input():
    import pytest

    with pytest.raises(ValueError, match="unequal"):
        encode(["ACGT", "ACG"])
    with pytest.raises(ValueError, match="other than A, C, G, T"):
        encode(["ACNT"])
    assert decode(encode(["acgT"]))[0] == "ACGT"
