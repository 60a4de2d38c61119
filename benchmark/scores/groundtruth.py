"""Ground truths a cell is scored against, computed once per model and cached.

- **all hits** (the paper's): the task's mask, every pasted motif position.
- **used hits**: only the motif instances the model responds to. Instances
  are grouped into blocks of overlapping hits in each sequence (a base under
  two hits belongs to both, so their effects cannot be told apart); a block's
  effect is the mean logit drop when all its bases are dinucleotide-shuffled
  together (``n_shuffles`` times). Positions covered only by unused instances
  are left out of the evaluation (weight False), so a method is neither
  charged for missing a motif the model never learned nor rewarded for it.

The threshold comes from a null: for every block, `N_NULL` spans (more when
there are fewer than `MIN_NULL` / `N_NULL` blocks) of the same
length in the same sequence that overlap no motif hit are shuffled the same
way, and a block counts as used when its |effect| exceeds the `QUANTILE`
quantile of those spans' |effects| (what shuffling that many bases of
background does to this model). `EXTRA_QUANTILES` give the same truth at
other quantiles (``GroundTruth.by_fraction``, keyed by quantile), so the board
can show how much a verdict depends on the threshold.

A model that does not separate positives from negatives has no used hits to
find: when its test positives' logits are not significantly above its test
negatives' (one-sided Mann-Whitney U, p >= `GAP_ALPHA`; `MAX_TEST` of each class), or when its
sequences hold fewer than `MIN_NULL` hit-free spans for the null, it gets no
used-hits ground truth (every position weight False, so every used-hits metric
is NaN) and ``info["status"]`` says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import dinuc_shuf
import numpy as np
from scipy import stats as sps

from tasks.cache import cache_root, file_lock

log = logging.getLogger(__name__)

QUANTILE = 0.95
EXTRA_QUANTILES = (0.9, 0.99)
N_NULL = 2  # hit-free spans per block (more when there are few blocks, up to MAX_NULL_PER_BLOCK)
MAX_NULL_PER_BLOCK = 10
MIN_NULL = 20
GAP_ALPHA = 0.05
MAX_TEST = 500  # test sequences of each class for the separation test
SPAN_DTYPE = np.dtype([("seq", "i8"), ("start", "i8"), ("end", "i8")])
STATUS_OK, STATUS_NOT_LEARNED, STATUS_NO_NULL = "ok", "not learned", "no null"


@dataclass
class GroundTruth:
    """Eval rows and both ground truths of one model on one task.

    rows: (E,) dataset rows; X: (E, L, 4); mask: (E, L) all hits;
    used: (E, L) used hits; weight: (E, L) positions evaluated under "used hits";
    info: status, threshold, null, hit counts, share of hits used.
    by_fraction: quantile -> (used (E, L), weight (E, L)) at `EXTRA_QUANTILES` (the name is kept for
    `benchmark.scores.scoring`, which writes them as ``used_hits@<quantile>``).
    """

    rows: np.ndarray
    X: np.ndarray
    mask: np.ndarray
    used: np.ndarray
    weight: np.ndarray
    info: dict
    by_fraction: dict = field(default_factory=dict)


def instance_effects(model, X: np.ndarray, hits: np.ndarray, row_of: dict, n_shuffles: int = 5, seed: int = 0,
                     logits: np.ndarray | None = None) -> np.ndarray:
    """Mean logit drop f(x) - f(x with one span's bases dinucleotide-shuffled), per span.

    Parameters
    ----------
    model: anything with ``predict_logit((N, L, 4)) -> (N,)``.
    X: (E, L, 4) eval sequences. hits: spans (fields seq, start, end; a hit table or `SPAN_DTYPE`).
    row_of: dataset row -> index into X.
    logits: (E,) the model's logits of X if already computed (a gkm-SVM's take seconds).

    Returns
    -------
    (H,) float64 effects, in input order.
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


def block_spans(hits: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """(B,) `SPAN_DTYPE`: each block as its span (first start to last end), so a base under several hits is shuffled once."""
    spans = np.zeros(len(blocks), dtype=SPAN_DTYPE)
    for i, block in enumerate(blocks):
        spans[i] = (int(hits["seq"][block[0]]), int(hits["start"][block].min()), int(hits["end"][block].max()))
    return spans


def null_spans(spans: np.ndarray, hits: np.ndarray, length: int, n_null: int = N_NULL, seed: int = 0) -> np.ndarray:
    """For every span, up to `n_null` distinct spans of its length in its sequence that overlap no hit (`SPAN_DTYPE`).

    spans: (B,) spans to match; hits: every hit of those sequences; length: L. A span whose sequence
    has no hit-free stretch that long gets none. Seeded: the same input gives the same spans.
    """
    rng = np.random.default_rng([seed, 1])
    out = []
    for span in spans:
        seq, width = int(span["seq"]), int(span["end"] - span["start"])
        covered = np.zeros(length + 1, dtype=np.int64)
        for hit in hits[hits["seq"] == seq]:
            covered[int(hit["start"])] += 1
            covered[int(hit["end"])] -= 1
        busy = np.cumsum(covered[:length]) > 0
        busy_before = np.concatenate([[0], np.cumsum(busy)])  # busy positions in [0, i)
        starts = np.arange(0, length - width + 1)
        free = busy_before[starts + width] - busy_before[starts] == 0
        candidates = starts[free]
        for start in rng.permutation(candidates)[:n_null]:
            out.append((seq, int(start), int(start) + width))
    return np.array(out, dtype=SPAN_DTYPE)


def separation(eval_logits: np.ndarray, negative_logits: np.ndarray) -> dict:
    """Does the model score positives above negatives? {"gap": mean difference, "p_value": one-sided
    Mann-Whitney U p (NaN without negatives)}."""
    if not len(negative_logits) or not len(eval_logits):
        return {"gap": float("nan"), "p_value": float("nan")}
    p = sps.mannwhitneyu(eval_logits, negative_logits, alternative="greater").pvalue
    return {"gap": float(np.mean(eval_logits) - np.mean(negative_logits)), "p_value": float(p)}


def compute(model, dataset, n_eval: int, quantile: float = QUANTILE, seed: int = 0) -> GroundTruth:
    """Both ground truths of `model` on the first `n_eval` eval sequences of `dataset` (see the module docstring)."""
    rows, X, mask = dataset.eval_set(n_eval)
    rows = np.asarray(rows)
    mask = np.asarray(mask, dtype=bool)
    row_of = {int(r): i for i, r in enumerate(rows)}
    hits = dataset.hits[np.isin(dataset.hits["seq"], rows)]
    n_shuffles = 5 if model.kind == "keras" else 2
    blocks = overlap_blocks(hits)
    spans = block_spans(hits, blocks)
    per_block = min(MAX_NULL_PER_BLOCK, max(N_NULL, -(-MIN_NULL // max(len(spans), 1))))  # small eval sets: more per block
    nulls = null_spans(spans, hits, X.shape[1], n_null=per_block, seed=seed)
    eval_logits = model.predict_logit(X)
    X_test, y_test = dataset.split(True)
    positives, negatives = X_test[y_test == 1][:MAX_TEST], X_test[y_test == 0][:MAX_TEST]
    test_logits = np.asarray(model.predict_logit(np.concatenate([positives, negatives])), np.float64)
    learned = separation(test_logits[: len(positives)], test_logits[len(positives):])
    effects = instance_effects(model, X, np.concatenate([spans, nulls]), row_of, n_shuffles=n_shuffles, seed=seed,
                               logits=eval_logits)
    block_effect, null_effect = np.abs(effects[: len(spans)]), np.abs(effects[len(spans) :])
    status, reason = STATUS_OK, ""
    if not (np.isfinite(learned["p_value"]) and learned["p_value"] < GAP_ALPHA):
        status = STATUS_NOT_LEARNED
        reason = (f"test positives' logits are not above test negatives' (one-sided Mann-Whitney p "
                  f"{learned['p_value']:.3g} >= {GAP_ALPHA}): no motif use to find")
    elif len(null_effect) < MIN_NULL:
        status = STATUS_NO_NULL
        reason = f"{len(null_effect)} hit-free spans for the null (needs {MIN_NULL})"
    info = {
        "status": status, "reason": reason, "gap": learned["gap"], "gap_p": learned["p_value"],
        "quantile": quantile, "n_null": int(len(null_effect)), "n_shuffles": n_shuffles, "n_hits": int(len(hits)),
        "n_blocks": len(blocks), "n_hits_in_shared_blocks": int(sum(len(b) for b in blocks if len(b) > 1)),
        "null_median": float(np.median(null_effect)) if len(null_effect) else float("nan"),
    }
    counts, by_quantile = {}, {}
    for q in sorted({quantile, *EXTRA_QUANTILES}):
        if status == STATUS_OK:
            threshold = float(np.quantile(null_effect, q))
            is_used = _used_instances(len(hits), blocks, block_effect > threshold)
            used, weight = _used_masks(mask, hits, is_used, row_of)
        else:
            threshold, is_used = float("nan"), np.zeros(len(hits), dtype=bool)
            used, weight = np.zeros_like(mask), np.zeros_like(mask)
        counts[str(q)] = int(is_used.sum()) if status == STATUS_OK else None
        if q == quantile:
            info["threshold"] = threshold
            main = (used, weight, is_used)
        else:
            by_quantile[q] = (used, weight)
    used, weight, is_used = main
    ok = status == STATUS_OK
    info.update({
        "n_used": int(is_used.sum()) if ok else None,
        "share_used": float(is_used.mean()) if ok and len(hits) else float("nan"),
        "used_by_motif": _used_by_motif(hits, is_used) if ok else {},
        "n_used_by_quantile": counts,
    })
    return GroundTruth(rows, X, mask, used, weight, info, by_quantile)


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


def cached(model, dataset, n_eval: int, key: str, quantile: float = QUANTILE) -> GroundTruth:
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
        truth = compute(model, dataset, n_eval, quantile)
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
        by_fraction = {f: (data[f"used_{f}"], data[f"weight_{f}"]) for f in EXTRA_QUANTILES if f"used_{f}" in data}
        return GroundTruth(np.asarray(rows), X, np.asarray(mask, bool), data["used"], data["weight"], json.loads(str(data["info"])),
                           by_fraction)
