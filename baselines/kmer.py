"""A k-mer logistic regression: what a simple model learns from the bases of a task's training split.

The planted-motif ceiling (`baselines.ceiling`) is told where the motifs are;
a model is not. This reference is not told either: a logistic regression on
each sequence's counts of k-mers (a k-mer and its reverse complement pooled,
log(1 + count)), its L2 strength chosen by 3-fold cross-validated auROC on the
training split, scored on the test split. In the fidelity table it separates
a task that is hard to learn from this many sequences (every learner low,
k-mer models included) from models that fall short where a simple learner
does not.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score

#: k of the reference in `motifbench models check` (4,096 k-mers, 2,080 after pooling strands).
DEFAULT_K = 6


def canonical_kmer_index(k: int) -> np.ndarray:
    """(4**k,) column of each k-mer code after pooling it with its reverse complement.

    Codes are base-4 numbers, A=0 C=1 G=2 T=3, first base most significant.
    Columns are numbered 0..C-1 in order of each pair's smaller code.
    """
    codes = np.arange(4**k)
    digits = (codes[:, None] // 4 ** np.arange(k - 1, -1, -1)[None, :]) % 4  # (4**k, k), first base first
    reverse_complement = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)[None, :]).sum(axis=1)
    canonical = np.minimum(codes, reverse_complement)
    _, column = np.unique(canonical, return_inverse=True)
    return column


def kmer_counts(X: np.ndarray, k: int) -> np.ndarray:
    """Strand-pooled k-mer counts of one-hot sequences: X (N, L, 4) -> (N, C) float32.

    A position whose k bases are not all one-hot (e.g. an N) contributes no k-mer.
    """
    X = np.asarray(X)
    n, length, _ = X.shape
    if not 1 <= k <= length:
        raise ValueError(f"k must be in [1, {length}] for {length} bp sequences, got {k!r}")
    base = X.argmax(axis=-1).astype(np.int64)  # (N, L)
    valid = X.sum(axis=-1) == 1
    windows = length - k + 1
    codes = np.zeros((n, windows), np.int64)
    ok = np.ones((n, windows), bool)
    for offset in range(k):
        codes = codes * 4 + base[:, offset : offset + windows]
        ok &= valid[:, offset : offset + windows]
    column = canonical_kmer_index(k)
    n_columns = int(column.max()) + 1
    flat = (np.arange(n)[:, None] * n_columns + column[codes])[ok]
    return np.bincount(flat, minlength=n * n_columns).reshape(n, n_columns).astype(np.float32)


def kmer_reference_auroc(dataset, k: int = DEFAULT_K) -> float:
    """Test auROC of the k-mer logistic regression fit on `dataset`'s training split.

    NaN when a split holds one class only.
    """
    y = np.asarray(dataset.y).astype(int)
    train, test = ~np.asarray(dataset.is_test), np.asarray(dataset.is_test)
    if len(set(y[train].tolist())) < 2 or len(set(y[test].tolist())) < 2:
        return float("nan")
    features = np.log1p(kmer_counts(dataset.X, k))
    model = LogisticRegressionCV(
        Cs=8, cv=3, scoring="roc_auc", max_iter=2000, l1_ratios=(0.0,), use_legacy_attributes=False
    ).fit(features[train], y[train])
    return float(roc_auc_score(y[test], model.decision_function(features[test])))
