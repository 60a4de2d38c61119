"""The k-mer logistic-regression reference of the fidelity table."""

import numpy as np
import pytest

from baselines.kmer import canonical_kmer_index, kmer_counts, kmer_reference_auroc
from tasks.dataset import HIT_DTYPE, Dataset


def _one_hot(text: str) -> np.ndarray:
    X = np.zeros((len(text), 4), np.float32)
    for i, base in enumerate(text):
        if base in "ACGT":
            X[i, "ACGT".index(base)] = 1
    return X


def test_a_kmer_and_its_reverse_complement_share_a_column():
    column = canonical_kmer_index(2)
    code = {a + b: 4 * "ACGT".index(a) + "ACGT".index(b) for a in "ACGT" for b in "ACGT"}
    assert column[code["AC"]] == column[code["GT"]] and column[code["AG"]] == column[code["CT"]]
    assert column[code["AC"]] != column[code["CA"]]
    assert column.max() + 1 == 10  # 16 dimers: 4 palindromes + 6 pairs


def test_counts_match_a_hand_count_and_skip_ns():
    X = np.stack([_one_hot("AACGTNAA"), _one_hot("TTTTTTTT")])
    counts = kmer_counts(X, 2)
    column = canonical_kmer_index(2)
    aa = column[0]  # AA, pooled with TT
    assert counts.shape == (2, 10)
    assert counts[0].sum() == 5  # AA AC CG GT AA: the two windows touching N are skipped
    assert counts[0, aa] == 2 and counts[1, aa] == 7
    assert counts[0, column[4 * 0 + 1]] == 2  # AC and its reverse complement GT


def test_reverse_complemented_sequences_have_the_same_counts():
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(5, 40))]
    np.testing.assert_array_equal(kmer_counts(X, 4), kmer_counts(X[:, ::-1, ::-1], 4))


def test_k_longer_than_the_sequences_is_an_error():
    with pytest.raises(ValueError, match="k must be"):
        kmer_counts(np.zeros((1, 5, 4)), 6)


def _dataset(carry_kmer: bool, n: int = 300, seed: int = 0) -> Dataset:
    """Random 60 bp sequences; positives carry GGGCCC (or not, when carry_kmer is False)."""
    rng = np.random.default_rng(seed)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, 60))]
    y = (np.arange(n) % 2).astype(np.int8)
    if carry_kmer:
        X[y == 1, 20:26] = _one_hot("GGGCCC")
    return Dataset(name="kmer", X=X, y=y, is_test=np.arange(n) % 5 == 0, mask=np.zeros((n, 60), bool),
                   hits=np.zeros(0, HIT_DTYPE), eval_index=np.arange(0, n, 5))


def test_a_planted_kmer_is_learned_and_noise_is_not():
    assert kmer_reference_auroc(_dataset(True), k=6) > 0.95
    assert abs(kmer_reference_auroc(_dataset(False), k=3) - 0.5) < 0.15
