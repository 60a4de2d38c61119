"""Motif databases: JASPAR (through pyjaspar's bundled SQLite, no network) or a MEME file.

A motif database here is an ordered dict ``key -> (w, 4) float32`` position
frequency matrix (rows sum to 1, A, C, G, T order). JASPAR keys read
``NAME_MATRIXID`` (e.g. ``Pou5f1::Sox2_MA0142.1``); MEME keys are the MOTIF
line's identifier and name joined the same way.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_JASPAR_ID = re.compile(r"^MA\d{4}(\.\d+)?$")


class MotifError(ValueError):
    """A motif database or selection is unusable (empty selection, bad MEME file)."""


# A letter-probability row may miss 1 by this much (files rounded to a few digits).
ROW_SUM_TOLERANCE = 0.01


def check_probability_row(values: list[float], where: str) -> None:
    """Raise MotifError (naming `where`, e.g. "file, line 12") unless `values` are probabilities summing to 1.

    Each value must be finite and in [0, 1], the row must not be all zero, and
    it must sum to 1 within `ROW_SUM_TOLERANCE`.
    """
    bad = [v for v in values if not np.isfinite(v) or v < 0 or v > 1 + ROW_SUM_TOLERANCE]
    if bad:
        raise MotifError(f"{where}: probability {bad[0]!r} is outside [0, 1]; a letter-probability row holds "
                         "four probabilities (A C G T) in [0, 1] that sum to 1")
    total = float(sum(values))
    if total == 0:
        raise MotifError(f"{where}: all-zero row; every motif position needs probabilities (A C G T) summing to 1")
    if abs(total - 1.0) > ROW_SUM_TOLERANCE:
        raise MotifError(f"{where}: row sums to {total:g}, not 1 (tolerance {ROW_SUM_TOLERANCE}); "
                         "write letter probabilities, not counts, or normalise the row")


def check_count_matrix(counts: np.ndarray, where: str) -> None:
    """Raise MotifError unless a (w, 4) count matrix is finite, non-negative and has no all-zero row."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[1] != 4 or counts.shape[0] == 0:
        raise MotifError(f"{where}: expected a (w, 4) count matrix, got shape {counts.shape}")
    if not np.isfinite(counts).all() or (counts < 0).any():
        row = int(np.argwhere(~np.isfinite(counts) | (counts < 0))[0][0])
        raise MotifError(f"{where}: position {row + 1} has a negative or non-finite count {counts[row].tolist()}")
    empty = np.flatnonzero(counts.sum(1) == 0)
    if len(empty):
        raise MotifError(f"{where}: position {int(empty[0]) + 1} has all-zero counts")


def _normalise(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return (counts / np.where(totals > 0, totals, 1.0)).astype(np.float32)


def _jaspar_key(motif) -> str:
    return f"{motif.name}_{motif.matrix_id}"


def _jaspar_matrix(motif) -> np.ndarray:
    counts = np.array([motif.counts[b] for b in "ACGT"]).T  # (w, 4)
    check_count_matrix(counts, f"JASPAR matrix {_jaspar_key(motif)}")
    return _normalise(counts)


@functools.lru_cache(maxsize=8)
def _jaspar_all(release: str, collection: str, taxon: str) -> tuple[tuple[str, np.ndarray], ...]:
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    with warnings.catch_warnings():  # pyjaspar warns on an empty result; we raise a clearer error
        warnings.simplefilter("ignore")
        found = db.fetch_motifs(collection=collection, tax_group=[taxon] if taxon else None, all_versions=False)
    return tuple((_jaspar_key(m), _jaspar_matrix(m)) for m in found)


def load_jaspar(
    release: str = "JASPAR2024",
    collection: str = "CORE",
    taxon: str = "vertebrates",
    select: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """Motifs of one JASPAR release/collection/taxon, optionally a selection.

    Parameters
    ----------
    select: JASPAR matrix IDs (``MA0142.1``; without version = latest) or TF
        names (case-insensitive; the match within `taxon`). Empty = every motif
        of the collection and taxon (latest versions only).

    Returns
    -------
    dict key -> (w, 4) float32 frequency matrix, in database order (or in
    selection order when `select` is given).
    """
    from pyjaspar import jaspardb

    if release not in jaspardb().get_releases():
        raise MotifError(f"unknown JASPAR release {release!r}; valid: {', '.join(jaspardb().get_releases())}")
    if not select:
        motifs = dict(_jaspar_all(release, collection, taxon))
        if not motifs:
            raise MotifError(
                f"JASPAR {release} {collection} has no motifs for taxon {taxon!r}; valid taxa include "
                "vertebrates, insects, nematodes, plants, fungi, urochordates"
            )
        return motifs
    db = jaspardb(release=release)
    out: dict[str, np.ndarray] = {}
    for item in select:
        if _JASPAR_ID.match(item):
            with warnings.catch_warnings():  # pyjaspar warns on an unknown ID; we raise a clearer error
                warnings.simplefilter("ignore")
                motif = db.fetch_motif_by_id(item)
            if motif is None:
                raise MotifError(f"JASPAR {release} has no matrix {item!r}; check the ID in the task spec's motifs list")
            found = [motif]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                by_name = db.fetch_motifs_by_name(item)
            found = [
                m
                for m in by_name
                if m.collection == collection and (not taxon or str(m.tax_group).lower() == taxon.lower())
            ]
            if not found:
                names = [key.rsplit("_", 1)[0] for key, _ in _jaspar_all(release, collection, taxon)]
                close = difflib.get_close_matches(item, sorted(set(names)), n=3)
                hint = f" Close names: {', '.join(close)}." if close else ""
                raise MotifError(
                    f"no JASPAR {release} {collection} {taxon} motif named {item!r}.{hint} "
                    "Use a JASPAR matrix ID (e.g. MA0142.1) or an exact TF name in the spec's motifs list"
                )
        for motif in found:
            out[_jaspar_key(motif)] = _jaspar_matrix(motif)
    return out


def read_meme(path: Path) -> dict[str, np.ndarray]:
    """Read the letter-probability matrices of a MEME-format motif file.

    Returns
    -------
    dict key -> (w, 4) float32 frequency matrix. Raises MotifError naming the
    file and line on malformed input (including a probability outside [0, 1],
    an all-zero row, or a row not summing to 1; see `check_probability_row`),
    FileNotFoundError if missing.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"motif file {path} does not exist; fix motif_file in the task spec")
    motifs: dict[str, np.ndarray] = {}
    key, width, rows, started = None, None, [], 0
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if text.startswith("MOTIF"):
                if key is not None and width is None:
                    raise MotifError(f"{path}, line {started}: motif {key!r} has no 'letter-probability matrix' line")
                parts = text.split()[1:]
                if not parts:
                    raise MotifError(f"{path}, line {number}: MOTIF line without a name")
                key = "_".join(reversed(parts[:2])) if len(parts) > 1 else parts[0]
                width, rows, started = None, [], number
            elif key is not None and text.startswith("letter-probability"):
                match = re.search(r"\bw=\s*(\d+)", text)
                if not match:
                    raise MotifError(f"{path}, line {number}: letter-probability line without w=")
                width = int(match.group(1))
                if width < 1:
                    raise MotifError(f"{path}, line {number}: motif {key!r} has width w={width}; it needs at least 1 row")
            elif key is not None and width is not None and text:
                try:
                    values = [float(v) for v in text.split()]
                except ValueError:
                    raise MotifError(f"{path}, line {number}: expected 4 probabilities, got {text!r}") from None
                if len(values) != 4:
                    raise MotifError(f"{path}, line {number}: expected 4 probabilities (A C G T), got {len(values)}")
                check_probability_row(values, f"{path}, line {number} (motif {key!r})")
                rows.append(values)
                if len(rows) == width:
                    if key in motifs:
                        raise MotifError(f"{path}, line {started}: duplicate motif {key!r}")
                    motifs[key] = _normalise(np.array(rows))
                    key, width, rows = None, None, []
    if key is not None:
        raise MotifError(f"{path}, line {started}: motif {key!r} ends after {len(rows)} of {width} rows")
    if not motifs:
        raise MotifError(f"{path}: no motifs found (expected MEME format: MOTIF lines + letter-probability matrices)")
    return motifs


def select_motifs(motifs: dict[str, np.ndarray], select: tuple[str, ...], origin: str) -> dict[str, np.ndarray]:
    """Keep the motifs whose key, identifier or name matches an item of `select`."""
    if not select:
        return dict(motifs)
    out = {}
    for item in select:
        low = item.lower()
        found = [k for k in motifs if low in (k.lower(), *[p.lower() for p in k.split("_")])]
        if not found:
            close = difflib.get_close_matches(item, list(motifs), n=3)
            hint = f" Close: {', '.join(close)}." if close else ""
            raise MotifError(f"{origin}: no motif matches {item!r} from the spec's motifs list.{hint}")
        for key in found:
            out[key] = motifs[key]
    return out


def load_database(spec) -> tuple[dict[str, np.ndarray], dict]:
    """The motifs a spec asks for, and a description for the manifest.

    Returns
    -------
    motifs: dict key -> (w, 4) float32; info: {"database": ..., ...}.
    Raises MotifError when the selection is empty.
    """
    from tasks.cache import file_sha256

    if spec.motif_database == "meme":
        path = spec.resolve_path("motif_file")
        motifs = select_motifs(read_meme(path), spec.motifs, str(path))
        info = {"database": "meme", "file": str(path), "sha256": file_sha256(path)}
    else:
        motifs = load_jaspar(spec.jaspar_release, spec.jaspar_collection, spec.taxon, spec.motifs)
        info = {
            "database": "jaspar",
            "release": spec.jaspar_release,
            "collection": spec.jaspar_collection,
            "taxon": spec.taxon,
        }
    if not motifs:
        raise MotifError(
            f"task {spec.name!r}: the motif selection is empty; check motifs / taxon / motif_file in {spec.spec_path or 'the spec'}"
        )
    info["n_motifs"] = len(motifs)
    return motifs, info
