"""Ground truths a cell is scored against, computed once per model and cached.

- **all hits** (the paper's): the task's mask, every pasted motif position.
- **used hits**: only the motif instances the model responds to. Instances
  are grouped into blocks of overlapping hits in each sequence (a base under
  two hits belongs to both, so their effects cannot be told apart); a block
  counts as used when dinucleotide-shuffling all its bases together
  (``n_shuffles`` times, averaged) moves the model's logit by at least
  ``threshold``, and every instance in it is then used. Positions covered only
  by unused instances are left out of the evaluation (weight False), so a
  method is neither charged for missing a motif the model never learned nor
  rewarded for it.

The threshold is ``fraction`` of the model's separation: the mean logit of the
eval positives minus the mean logit of the test negatives (or, if that gap is
not positive, ``fraction`` of the standard deviation of the test logits). The
main "used hits" truth uses `FRACTION`; `EXTRA_FRACTIONS` give the same truth
at other thresholds (``GroundTruth.by_fraction``), so the board can show how
much a verdict depends on the threshold, with the count of used instances at
each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import dinuc_shuf
import numpy as np

from tasks.cache import cache_root, file_lock

log = logging.getLogger(__name__)

FRACTION = 0.05
EXTRA_FRACTIONS = (0.02, 0.1)


@dataclass
class GroundTruth:
    """Eval rows and both ground truths of one model on one task.

    rows: (E,) dataset rows; X: (E, L, 4); mask: (E, L) all hits;
    used: (E, L) used hits; weight: (E, L) positions evaluated under "used hits";
    info: threshold, hit counts, share of hits used.
    """

    rows: np.ndarray
    X: np.ndarray
    mask: np.ndarray
    used: np.ndarray
    weight: np.ndarray
    info: dict
    by_fraction: dict = field(default_factory=dict)  # fraction -> (used (E, L), weight (E, L)) at EXTRA_FRACTIONS


def instance_effects(model, X: np.ndarray, hits: np.ndarray, row_of: dict, n_shuffles: int = 5, seed: int = 0,
                     logits: np.ndarray | None = None) -> np.ndarray:
    """Mean logit drop f(x) - f(x with one hit's bases dinucleotide-shuffled), per hit.

    Parameters
    ----------
    model: anything with ``predict_logit((N, L, 4)) -> (N,)``.
    X: (E, L, 4) eval sequences. hits: hit table rows (fields seq, start, end).
    row_of: dataset row -> index into X.
    logits: (E,) the model's logits of X if already computed (a gkm-SVM's take seconds).

    Returns
    -------
    (H,) float64 effects, in hit-table order.
    """
    if len(hits) == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    base = (model.predict_logit(X) if logits is None else logits).astype(np.float64)
    variants = np.repeat(X[[row_of[int(h["seq"])] for h in hits]], n_shuffles, axis=0)
    for i, hit in enumerate(hits):
        start, end = int(hit["start"]), int(hit["end"])
        segment = np.repeat(X[row_of[int(hit["seq"])], start:end][None].astype(np.uint8), n_shuffles, axis=0)
        if end - start >= 3:
            segment = dinuc_shuf.shuffle(segment, rng=rng, verify=False)
        variants[i * n_shuffles : (i + 1) * n_shuffles, start:end] = segment
    mutated = model.predict_logit(variants).astype(np.float64).reshape(len(hits), n_shuffles).mean(1)
    originals = np.array([base[row_of[int(h["seq"])]] for h in hits])
    return originals - mutated


def overlap_blocks(hits: np.ndarray) -> list[np.ndarray]:
    """Indices into `hits` grouped into blocks of overlapping hits of the same sequence (sorted by sequence, start)."""
    from tasks.simulate import overlap_blocks as within  # noqa: PLC0415

    out = []
    for seq in np.unique(hits["seq"]) if len(hits) else []:
        mine = np.flatnonzero(hits["seq"] == seq)
        out += [mine[b] for b in within(hits[mine])]
    return out


def block_effects(model, X: np.ndarray, hits: np.ndarray, blocks: list[np.ndarray], row_of: dict, n_shuffles: int = 5,
                  seed: int = 0, logits: np.ndarray | None = None) -> np.ndarray:
    """Mean logit drop when all bases of one overlap block are dinucleotide-shuffled together, per block.

    Each block is shuffled as its span (first start to last end), so a
    base under several hits is changed once, for all of them. (B,) float64.
    """
    spans = np.zeros(len(blocks), dtype=[("seq", "i8"), ("start", "i8"), ("end", "i8")])
    for i, block in enumerate(blocks):
        spans[i] = (int(hits["seq"][block[0]]), int(hits["start"][block].min()), int(hits["end"][block].max()))
    return instance_effects(model, X, spans, row_of, n_shuffles=n_shuffles, seed=seed, logits=logits)


def threshold_for(model, dataset, eval_logits: np.ndarray, fraction: float = FRACTION) -> float:
    """``fraction`` x (mean eval-positive logit - mean test-negative logit), see the module docstring."""
    X_test, y_test = dataset.split(True)
    negatives = X_test[y_test == 0][:500]
    neg_logits = model.predict_logit(negatives) if len(negatives) else np.zeros(0)
    gap = float(np.mean(eval_logits) - np.mean(neg_logits)) if len(neg_logits) else 0.0
    if gap > 0:
        return fraction * gap
    spread = float(np.std(np.concatenate([eval_logits, neg_logits])))
    return fraction * spread if spread > 0 else 1e-6


def compute(model, dataset, n_eval: int, fraction: float = FRACTION, seed: int = 0) -> GroundTruth:
    """Both ground truths of `model` on the first `n_eval` eval sequences of `dataset`."""
    rows, X, mask = dataset.eval_set(n_eval)
    rows = np.asarray(rows)
    row_of = {int(r): i for i, r in enumerate(rows)}
    hits = dataset.hits[np.isin(dataset.hits["seq"], rows)]
    n_shuffles = 5 if model.kind == "keras" else 2
    blocks = overlap_blocks(hits)
    eval_logits = model.predict_logit(X)
    effects = block_effects(model, X, hits, blocks, row_of, n_shuffles=n_shuffles, seed=seed, logits=eval_logits)
    scale = threshold_for(model, dataset, eval_logits, 1.0)  # thresholds are linear in the fraction
    counts, by_fraction = {}, {}
    for f in sorted({fraction, *EXTRA_FRACTIONS}):
        is_used = _used_instances(len(hits), blocks, np.abs(effects) >= f * scale)
        used, weight = _used_masks(mask, hits, is_used, row_of)
        counts[str(f)] = int(is_used.sum())
        if f == fraction:
            main_used, main_weight, main_is_used = used, weight, is_used
        else:
            by_fraction[f] = (used, weight)
    info = {
        "threshold": fraction * scale,
        "fraction": fraction,
        "n_shuffles": n_shuffles,
        "n_hits": int(len(hits)),
        "n_used": int(main_is_used.sum()),
        "share_used": float(main_is_used.mean()) if len(hits) else float("nan"),
        "used_by_motif": _used_by_motif(hits, main_is_used),
        "n_blocks": len(blocks),
        "n_hits_in_shared_blocks": int(sum(len(b) for b in blocks if len(b) > 1)),
        "n_used_by_fraction": counts,
    }
    used, weight = main_used, main_weight
    return GroundTruth(rows, X, np.asarray(mask, dtype=bool), used, weight, info, by_fraction)


def _used_instances(n_hits: int, blocks: list[np.ndarray], block_used: np.ndarray) -> np.ndarray:
    """(H,) bool: an instance is used when its overlap block is."""
    is_used = np.zeros(n_hits, dtype=bool)
    for block, flag in zip(blocks, block_used):
        is_used[block] = bool(flag)
    return is_used


def _used_masks(mask: np.ndarray, hits: np.ndarray, is_used: np.ndarray, row_of: dict) -> tuple[np.ndarray, np.ndarray]:
    """(used (E, L), weight (E, L)): positions of used instances, and every position not covered only by unused ones."""
    used = np.zeros_like(mask, dtype=bool)
    unused = np.zeros_like(mask, dtype=bool)
    for hit, flag in zip(hits, is_used):
        target = used if flag else unused
        target[row_of[int(hit["seq"])], int(hit["start"]) : int(hit["end"])] = True
    return used, ~(unused & ~used)


def _used_by_motif(hits: np.ndarray, is_used: np.ndarray) -> dict:
    out = {}
    for name in sorted(set(hits["motif"].tolist())):
        pick = hits["motif"] == name
        out[str(name)] = [int(is_used[pick].sum()), int(pick.sum())]
    return out


def cached(model, dataset, n_eval: int, key: str, fraction: float = FRACTION) -> GroundTruth:
    """`compute`, cached on disk under ``<cache>/benchmark/groundtruth/<key>.npz`` (file-locked).

    Beside the archive, ``<key>.json`` (written after it) holds its sha256. An
    archive without a matching manifest (truncated, altered, or left by a
    killed run) is never trusted: it is recomputed with a log line naming it.
    """
    path = Path(cache_root()) / "benchmark" / "groundtruth" / f"{key}.npz"
    with file_lock(path):
        _remove_leftovers(path)
        if path.exists():
            try:
                return _read(path, dataset, n_eval)
            except Exception as error:  # any damage (BadZipFile, digest, shape): recompute, never trust
                log.warning("ground-truth cache %s is damaged (%s); recomputing it", path, error)
        truth = compute(model, dataset, n_eval, fraction)
        _write(path, truth)
        return truth


def _manifest_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _remove_leftovers(path: Path) -> None:
    """Temporary files of `path` left by a killed run (called under its lock, so none is live)."""
    for leftover in path.parent.glob(f".{path.name}.*"):
        leftover.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted ground-truth write", leftover)


def _write(path: Path, truth: GroundTruth) -> None:
    import json
    import os
    import tempfile

    from tasks.cache import file_sha256, write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".npz", dir=path.parent)
    os.close(fd)
    extra = {f"{name}_{f}": arr for f, pair in truth.by_fraction.items() for name, arr in zip(("used", "weight"), pair)}
    np.savez_compressed(tmp, rows=truth.rows, used=truth.used, weight=truth.weight, info=np.array(json.dumps(truth.info)), **extra)
    digest = file_sha256(tmp)
    _manifest_path(path).unlink(missing_ok=True)  # no window where an old manifest vouches for the new file
    os.replace(tmp, path)
    write_json_atomic(_manifest_path(path), {"files": {path.name: digest}})


def _read(path: Path, dataset, n_eval: int) -> GroundTruth:
    import json

    from tasks.cache import file_sha256

    manifest = _manifest_path(path)
    if not manifest.exists():
        raise ValueError(f"no manifest {manifest.name} (written after the archive: the write was interrupted)")
    expected = json.loads(manifest.read_text())["files"][path.name]
    if file_sha256(path) != expected:
        raise ValueError(f"{path.name} does not match its sha256 in {manifest.name} (truncated or altered)")
    rows, X, mask = dataset.eval_set(n_eval)
    with np.load(path) as data:
        if not np.array_equal(data["rows"], rows):
            raise ValueError("cached rows differ from the dataset's eval set")
        by_fraction = {f: (data[f"used_{f}"], data[f"weight_{f}"]) for f in EXTRA_FRACTIONS if f"used_{f}" in data}
        return GroundTruth(np.asarray(rows), X, np.asarray(mask, bool), data["used"], data["weight"], json.loads(str(data["info"])),
                           by_fraction)
