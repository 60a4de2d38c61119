"""DNA strings <-> one-hot arrays, and FASTA reading with clear errors.

One-hot arrays are (N, L, 4) uint8 (or float32) in A, C, G, T order.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ALPHABET = "ACGT"
_INDEX = np.full(256, -1, dtype=np.int8)
for _i, _b in enumerate(ALPHABET):
    _INDEX[ord(_b)] = _i
    _INDEX[ord(_b.lower())] = _i


class SequenceError(ValueError):
    """A sequence file is malformed (unequal lengths, non-ACGT bases, ...)."""


def encode(sequences: list[str]) -> np.ndarray:
    """One-hot encode equal-length ACGT strings (case-insensitive).

    Returns
    -------
    (N, L, 4) uint8. Raises ValueError on unequal lengths or non-ACGT bases.
    """
    if not sequences:
        return np.zeros((0, 0, 4), dtype=np.uint8)
    length = len(sequences[0])
    if any(len(s) != length for s in sequences):
        raise ValueError("sequences have unequal lengths")
    codes = _INDEX[np.frombuffer("".join(sequences).encode("ascii"), dtype=np.uint8)]
    if (codes < 0).any():
        raise ValueError("sequences contain bases other than A, C, G, T")
    return np.eye(4, dtype=np.uint8)[codes.reshape(len(sequences), length)]


def decode(onehot: np.ndarray) -> list[str]:
    """(N, L, 4) one-hot -> list of N strings (argmax per position)."""
    letters = np.array(list(ALPHABET))
    return ["".join(row) for row in letters[np.asarray(onehot).argmax(-1)]]


def reverse_complement(onehot: np.ndarray) -> np.ndarray:
    """Reverse complement of a (..., L, 4) one-hot array (ACGT order)."""
    return onehot[..., ::-1, ::-1]


def read_fasta(path: Path) -> list[tuple[str, str, int]]:
    """Records of a FASTA file as (name, upper-cased sequence, header line number).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    SequenceError
        If the file holds no record or sequence lines come before a header.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"FASTA file {path} does not exist; fix the path in the task spec")
    records: list[tuple[str, list[str], int]] = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                records.append((line[1:].split()[0] if len(line) > 1 else f"line{number}", [], number))
            elif not records:
                raise SequenceError(f"{path}, line {number}: sequence data before the first '>' header")
            else:
                records[-1][1].append(line)
    if not records:
        raise SequenceError(f"{path}: no FASTA records found")
    return [(name, "".join(parts).upper(), number) for name, parts, number in records]


def read_fasta_onehot(path: Path, non_acgt: str = "error", length: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Read a FASTA of equal-length sequences into one-hot.

    Parameters
    ----------
    path: the FASTA file (soft-masked lowercase is upper-cased).
    non_acgt: "error" (default) raises on a sequence with N or other bases;
        "drop" skips such sequences with a logged count.
    length: the required length; default is the first record's length.

    Returns
    -------
    X: (N, L, 4) uint8 one-hot; names: the N record names.
    """
    records = read_fasta(path)
    length = len(records[0][1]) if length is None else length
    kept, names, dropped = [], [], 0
    for name, seq, number in records:
        if len(seq) != length:
            raise SequenceError(
                f"{path}, line {number}: sequence {name!r} has length {len(seq)}, expected {length} "
                f"(all sequences of a FASTA source must have the same length; trim or re-extract them)"
            )
        bad = set(seq) - set(ALPHABET)
        if bad:
            if non_acgt == "drop":
                dropped += 1
                continue
            raise SequenceError(
                f"{path}, line {number}: sequence {name!r} contains non-ACGT bases {sorted(bad)}; "
                f"remove it or set non_acgt = \"drop\" in the task spec"
            )
        kept.append(seq)
        names.append(name)
    if dropped:
        log.warning("%s: dropped %d of %d sequences with non-ACGT bases", path, dropped, len(records))
    if not kept:
        raise SequenceError(f"{path}: no usable sequence left (all contain non-ACGT bases)")
    return encode(kept), names
