"""Real tasks (spec ``kind = "real"``): a researcher's sequences as they are, with no planted truth.

Where a simulated task shuffles each sequence and pastes motif hits back (so
their positions are known), a real task keeps every sequence exactly as read:

1. positives and negatives from a FASTA pair or a genome + peak files, read by
   the same functions as the simulated tasks (`tasks.sources`), with the same
   caps (``max_positives``: the first ones in file or signal order;
   ``max_negatives``: a seeded draw) and the same ``non_acgt`` policy;
2. nothing is scanned, shuffled or pasted; every positive is kept;
3. a seeded split: per class (``test_fraction``), or by groups of overlapping
   windows for genome tasks, as `tasks.build` does for simulated ones;
4. the eval set: test positives, the ``n_eval`` with the highest bigWig signal
   when the spec gives a bigWig, otherwise a seeded random sample of them.

There is no ground truth: the dataset's ``mask`` is all False, ``hits`` and
``motifs`` are empty, and the manifest says ``"ground_truth": "none"``
(`has_ground_truth`), so a harness scores such a task by faithfulness
(`benchmark.scores.faithfulness`), never by motif recovery. The arrays keep the
shapes of every other dataset, so everything that loads a dataset still does.
"""

from __future__ import annotations

import json

import numpy as np

from tasks.cache import jsonable
from tasks.dataset import HIT_DTYPE, Dataset

# Bump when a change here changes what a real task's build produces (part of real tasks' hashes only).
REAL_VERSION = "1"
NO_GROUND_TRUTH = "none"


def has_ground_truth(dataset: Dataset) -> bool:
    """False for a real task (its mask is empty by construction), True for every simulated one."""
    return dataset.manifest.get("ground_truth") != NO_GROUND_TRUTH


def read_real(spec, files: dict, progress: bool, rng_for) -> tuple[np.ndarray, np.ndarray, dict, np.ndarray | None, dict]:
    """The spec's positives and negatives, unchanged.

    Returns
    -------
    (X (N, L, 4) uint8, positives first; y (N,) int8; provenance: ``source_index`` (N,) (row in the
    positive or negative input) and for genome tasks ``chrom``, ``start`` (N,); signal (N,) float64
    for ranking the eval set (bigWig means on positives, -inf on negatives) or None; counts)
    """
    from tasks.sources import read_fasta_pair, read_genome_peaks

    if spec.source == "fasta_pair":
        pos_X, neg_X, counts = read_fasta_pair(files["positives"], files["negatives"], spec.non_acgt)
        pos_index, neg_index = np.arange(len(pos_X)), np.arange(len(neg_X))
        if spec.max_positives:
            pos_index = pos_index[: spec.max_positives]
        if spec.max_negatives and len(neg_X) > spec.max_negatives:  # the same draw as a simulated task's
            neg_index = np.sort(rng_for(spec, 0).choice(len(neg_X), spec.max_negatives, replace=False))
        pos_X, neg_X = pos_X[pos_index], neg_X[neg_index]
        signal, regions = None, {}
    elif spec.source == "genome_peaks":
        pos_X, neg_X, pos_signal, counts, regions = read_genome_peaks(
            files["genome"], files["peaks"], files["background_peaks"], files.get("bigwig"),
            spec.region_size, spec.max_positives, spec.max_negatives, rng_for(spec, 0), progress,
        )
        pos_index, neg_index = np.arange(len(pos_X)), np.arange(len(neg_X))
        signal = np.concatenate([pos_signal, np.full(len(neg_X), -np.inf)]) if "bigwig" in files else None
    else:
        raise ValueError(f"task {spec.name!r}: kind = 'real' needs source 'fasta_pair' or 'genome_peaks', got {spec.source!r}")
    X = np.concatenate([pos_X, neg_X]).astype(np.uint8)
    y = np.concatenate([np.ones(len(pos_X), np.int8), np.zeros(len(neg_X), np.int8)])
    provenance = {"source_index": np.concatenate([pos_index, neg_index]).astype(np.int64)}
    if regions:
        provenance["chrom"] = np.concatenate([regions["pos_chrom"], regions["neg_chrom"]]).astype(str)
        provenance["start"] = np.concatenate([regions["pos_start"], regions["neg_start"]]).astype(np.int64)
    counts = {**counts, "n_positives": int(len(pos_X)), "n_negatives": int(len(neg_X))}
    return X, y, provenance, signal, counts


def real_eval_index(y: np.ndarray, is_test: np.ndarray, n_eval: int, rng: np.random.Generator,
                    signal: np.ndarray | None = None) -> np.ndarray:
    """Sorted rows of the eval set: the `n_eval` test positives with the highest `signal` (N,),
    or without a signal a seeded random sample of `n_eval` of them (all when fewer)."""
    candidates = np.flatnonzero((y == 1) & is_test)
    if signal is not None:
        chosen = candidates[np.argsort(-signal[candidates], kind="stable")][:n_eval]
    else:
        chosen = rng.choice(candidates, size=min(n_eval, len(candidates)), replace=False)
    return np.sort(chosen).astype(np.int64)


def make_real(spec, key: str, hashed: dict, files: dict, progress: bool, rng_for, recorded: dict) -> tuple[Dataset, dict]:
    """Build a real task: (Dataset, provenance arrays) for `tasks.build`, which caches them.

    `recorded` holds the builder's manifest fields: ``spec`` (the recorded spec fields),
    ``code_version`` and ``packages``.
    """
    from tasks import simulate

    X, y, provenance, signal, counts = read_real(spec, files, progress, rng_for)
    if "chrom" in provenance:  # overlapping genome windows never straddle the split
        from tasks.sources import overlap_groups

        groups = overlap_groups(provenance["chrom"], provenance["start"], spec.region_size)
        is_test = simulate.grouped_split(y, groups, spec.test_fraction, rng_for(spec, 3))
    else:
        is_test = simulate.split(y, spec.test_fraction, rng_for(spec, 3))
    eval_rows = real_eval_index(y, is_test, spec.n_eval, rng_for(spec, 7), signal)
    manifest = {
        "name": spec.name,
        "hash": key,
        "kind": "real",
        "ground_truth": NO_GROUND_TRUTH,
        "spec": recorded["spec"],
        "spec_path": spec.spec_path,
        "hashed": hashed,
        "code_version": recorded["code_version"],
        "real_version": REAL_VERSION,
        "packages": recorded["packages"],
        "sources": {name: {"path": str(path), "sha256": hashed["spec"][name]} for name, path in files.items()},
        "motif_table": [],
        "kept_motifs": [],
        "counts": counts,
        "split": {
            "positives": int(y.sum()), "negatives": int(len(y) - y.sum()),
            "train": int((~is_test).sum()), "test": int(is_test.sum()), "eval": int(len(eval_rows)),
            "eval_rule": "top signal (bigWig)" if signal is not None else "seeded random sample of test positives",
        },
    }
    dataset = Dataset(
        name=spec.name,
        X=X.astype(np.float32),
        y=y,
        is_test=is_test,
        mask=np.zeros(X.shape[:2], dtype=bool),
        hits=np.zeros(0, dtype=HIT_DTYPE),
        eval_index=eval_rows,
        motifs={},
        manifest=json.loads(json.dumps(manifest, default=jsonable)),
    )
    return dataset, provenance
