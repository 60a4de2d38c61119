"""A small planted-motif Dataset for tests and quick checks of the training code.

Not a benchmark task (those come from `tasks.build`): i.i.d. uniform
background, and every positive carries one instance of a fixed motif at a
random position and strand. A model that learns the motif separates the
classes almost perfectly.
"""

from __future__ import annotations

import numpy as np

from tasks.dataset import HIT_DTYPE, Dataset

DEFAULT_MOTIF = "GATAAGGC"


def planted_motif_dataset(
    n: int = 600,
    length: int = 60,
    motif: str = DEFAULT_MOTIF,
    positive_fraction: float = 0.4,
    test_fraction: float = 0.25,
    seed: int = 0,
    name: str = "planted",
) -> Dataset:
    """A Dataset of `n` random sequences of `length` bp, positives carrying `motif`.

    Returns a Dataset with X (n, length, 4) float32 one-hot, y (n,) int8,
    is_test (n,) bool, mask (n, length) marking the planted bases, a hit table
    and eval_index (test positives). Its manifest has no hash, so the model
    cache keys it by a hash of its arrays.
    """
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, size=(n, length))
    y = (rng.random(n) < positive_fraction).astype(np.int8)
    mask = np.zeros((n, length), dtype=bool)
    code = np.array(["ACGT".index(b) for b in motif])
    width = len(code)
    hits = []
    for row in np.flatnonzero(y):
        start = int(rng.integers(0, length - width + 1))
        strand = "+" if rng.random() < 0.5 else "-"
        site = code if strand == "+" else (3 - code)[::-1]
        bases[row, start : start + width] = site
        mask[row, start : start + width] = True
        hits.append((row, "planted", start, start + width, strand, 1.0))
    X = np.eye(4, dtype=np.float32)[bases]
    is_test = rng.random(n) < test_fraction
    eval_index = np.flatnonzero(is_test & (y == 1)).astype(np.int64)
    motif_matrix = np.eye(4, dtype=np.float32)[code]
    return Dataset(
        name=name,
        X=X,
        y=y,
        is_test=is_test,
        mask=mask,
        hits=np.array(hits, dtype=HIT_DTYPE),
        eval_index=eval_index,
        motifs={"planted": motif_matrix},
        manifest={"name": name, "generator": "baselines.synthetic.planted_motif_dataset", "seed": seed},
    )
