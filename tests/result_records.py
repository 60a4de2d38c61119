"""Valid result records (schema of benchmark.store.results) for tests that need one without running a model."""

import numpy as np

from benchmark.scores import metrics


def ok_record(identity: dict, quality: float = 2.0, seed: int = 0, n: int = 12, length: int = 40) -> dict:
    """A complete "ok" record whose metrics come from `metrics.motif_recovery` on random scores."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((n, length), bool)
    mask[:, 10:20] = True
    scores = rng.normal(size=mask.shape) + quality * mask
    recovery = metrics.motif_recovery(scores, mask)
    return {
        "identity": identity,
        "status": "ok",
        "metrics": {"all_hits": recovery, "used_hits": recovery},
        "rows": list(range(n)),
        "convergence_error": None,
        "sanity": {"status": "skipped", "reason": "test"},
        "model": {"key": "k", "kind": "keras", "fidelity": {}, "fidelity_threshold": 0.75},
        "dataset": {"name": "t", "hash": "h"},
        "runtime": {"method_seconds": 0.1, "per_1000_sequences": 100.0 / n, "n_sequences": n},
        "versions": {},
    }
