"""Sequence sources of the realistic tasks: a FASTA pair, or a genome + peak files (narrowPeak or BED).

Both return one-hot (N, L, 4) uint8 positives and negatives, plus a per-positive
signal (or None) used to rank peaks for the eval set.

Genome + peaks: windows of `region_size` centred on each peak's summit
(narrowPeak column 10; the interval's midpoint when it is -1 or the file is
BED3/BED6). A window that
runs off a chromosome end or contains a non-ACGT base is dropped (counted in
the manifest); a peak whose own interval runs past its chromosome, or on a
chromosome the genome lacks, is an error (the files are from different genome
builds). Background windows overlapping any positive peak or window are
removed. With a bigWig, positives are ranked by the mean signal over their
window; otherwise by narrowPeak column 7 (signalValue) or BED column 5 (score).
Overlapping windows form groups (`overlap_groups`) that the split keeps on one
side. The genome's ``.fai`` index goes to the cache when the genome's folder is
not writable or belongs to an installed package (`fai_path`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasks.sequences import SequenceError, encode, read_fasta_onehot

log = logging.getLogger(__name__)


class PeakError(ValueError):
    """A narrowPeak file is malformed or does not fit the genome."""


@dataclass(frozen=True)
class Peaks:
    """Peaks of one narrowPeak file: (P,) arrays."""

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    summit: np.ndarray
    signal: np.ndarray
    line: np.ndarray


def read_fasta_pair(positives: Path, negatives: Path, non_acgt: str = "error") -> tuple[np.ndarray, np.ndarray, dict]:
    """Positive and negative one-hot sequences of equal length, and counts for the manifest."""
    pos_X, _ = read_fasta_onehot(positives, non_acgt)
    neg_X, _ = read_fasta_onehot(negatives, non_acgt, length=pos_X.shape[1])
    return pos_X, neg_X, {"n_positive_sequences": len(pos_X), "n_negative_sequences": len(neg_X)}


def read_peaks(path: Path) -> Peaks:
    """Parse a peak file: narrowPeak (10 columns) or BED3/BED6 (3 or more columns).

    The format is decided by the first data line: 10 or more columns with an
    integer 10th column is narrowPeak (summit = start + column 10, or the
    midpoint when it is -1; signal = column 7); anything with 3 or more
    columns is BED (summit = the interval's midpoint; signal = column 5, the
    score, when it is a number, else 0). track/browser/# lines are skipped.

    Raises
    ------
    FileNotFoundError, PeakError (naming the file, line and what is wrong).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"peak file {path} does not exist; fix the path in the task spec")
    chrom, start, end, summit, signal, line = [], [], [], [], [], []
    narrowpeak = None
    with open(path) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip() or text.startswith(("#", "track", "browser")):
                continue
            fields = text.rstrip("\n").split("\t")
            if narrowpeak is None:
                narrowpeak = len(fields) >= 10 and _is_int(fields[9])
            parsed = _narrowpeak_line(fields, path, number) if narrowpeak else _bed_line(fields, path, number)
            for values, item in zip((chrom, start, end, summit, signal), parsed):
                values.append(item)
            line.append(number)
    if not chrom:
        raise PeakError(f"{path}: no peaks found")
    return Peaks(
        np.array(chrom), np.array(start, np.int64), np.array(end, np.int64),
        np.array(summit, np.int64), np.array(signal, np.float64), np.array(line, np.int64),
    )


#: The narrowPeak reader of earlier versions: `read_peaks` reads narrowPeak and BED.
read_narrowpeak = read_peaks


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _check_interval(s: int, e: int, path: Path, number: int) -> None:
    if s < 0 or e <= s:
        raise PeakError(f"{path}, line {number}: need 0 <= start < end, got start={s}, end={e}")


def _narrowpeak_line(fields: list[str], path: Path, number: int) -> tuple:
    if len(fields) < 10:
        raise PeakError(
            f"{path}, line {number}: expected 10 tab-separated narrowPeak columns "
            f"(chrom start end name score strand signalValue pValue qValue peak) like the file's first line, got {len(fields)}"
        )
    try:
        s, e, offset = int(fields[1]), int(fields[2]), int(fields[9])
        value = float(fields[6])
    except ValueError:
        raise PeakError(
            f"{path}, line {number}: start, end and peak (columns 2, 3, 10) must be integers "
            f"and signalValue (column 7) a number; got {fields[1]!r}, {fields[2]!r}, {fields[9]!r}, {fields[6]!r}"
        ) from None
    _check_interval(s, e, path, number)
    if offset < -1 or offset >= e - s:
        raise PeakError(
            f"{path}, line {number}: summit offset (column 10) {offset} is outside the peak "
            f"(length {e - s}); use -1 when the summit is unknown"
        )
    return fields[0], s, e, s + offset if offset >= 0 else (s + e) // 2, value


def _bed_line(fields: list[str], path: Path, number: int) -> tuple:
    if len(fields) < 3:
        raise PeakError(
            f"{path}, line {number}: expected at least 3 tab-separated BED columns (chrom start end), got {len(fields)}; "
            "peak files are BED3, BED6 or narrowPeak"
        )
    try:
        s, e = int(fields[1]), int(fields[2])
    except ValueError:
        raise PeakError(f"{path}, line {number}: start and end (columns 2, 3) must be integers; got {fields[1]!r}, {fields[2]!r}") from None
    _check_interval(s, e, path, number)
    try:
        value = float(fields[4]) if len(fields) >= 5 else 0.0
    except ValueError:
        value = 0.0  # a BED score of "." : no signal, keep file order
    return fields[0], s, e, (s + e) // 2, value


def overlap_groups(chrom: np.ndarray, start: np.ndarray, size: int) -> np.ndarray:
    """(N,) int group ids: windows [start, start + size) that overlap, directly or through
    a chain of overlapping windows on the same chromosome, share a group."""
    groups = np.zeros(len(chrom), dtype=np.int64)
    order = np.lexsort((np.asarray(start), np.asarray(chrom)))
    group, previous_chrom, running_end = -1, None, None
    for row in order:
        c, s = chrom[row], int(start[row])
        if c != previous_chrom or s >= running_end:
            group += 1
            previous_chrom, running_end = c, s + size
        else:
            running_end = max(running_end, s + size)
        groups[row] = group
    return groups


def check_chromosomes(peaks: Peaks, path: Path, sizes: dict[str, int]) -> None:
    """Every peak lies on a chromosome of the genome, inside it."""
    for c, e, number in zip(peaks.chrom.tolist(), peaks.end.tolist(), peaks.line.tolist()):
        if c not in sizes:
            known = ", ".join(sorted(sizes)[:10]) + (" ..." if len(sizes) > 10 else "")
            raise PeakError(
                f"{path}, line {number}: chromosome {c!r} is not in the genome (genome has: {known}); "
                "use peaks called on the same genome build, or filter them to the genome's chromosomes"
            )
        if e > sizes[c]:
            raise PeakError(
                f"{path}, line {number}: peak ends at {e}, past the end of {c} ({sizes[c]} bp); "
                "the peaks and the genome are probably from different builds"
            )


def windows(peaks: Peaks, region_size: int, sizes: dict[str, int]) -> tuple[np.ndarray, np.ndarray, int]:
    """(keep (P,) bool, window starts (P,), n dropped off a chromosome end)."""
    starts = peaks.summit - region_size // 2
    ends = starts + region_size
    limit = np.array([sizes[c] for c in peaks.chrom], dtype=np.int64)
    keep = (starts >= 0) & (ends <= limit)
    return keep, starts, int((~keep).sum())


def _overlaps(chrom: np.ndarray, start: np.ndarray, end: np.ndarray, other: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """(P,) bool: does interval i overlap any interval of `other` (per chrom: sorted starts, ends)."""
    out = np.zeros(len(chrom), dtype=bool)
    for c in np.unique(chrom):
        if c not in other:
            continue
        o_start, o_end = other[c]
        rows = np.flatnonzero(chrom == c)
        order = np.argsort(o_start)
        o_start, o_end = o_start[order], o_end[order]
        running_end = np.maximum.accumulate(o_end)
        # the last other interval starting before our end: overlap iff the max end so far exceeds our start
        idx = np.searchsorted(o_start, end[rows], side="left") - 1
        out[rows] = (idx >= 0) & (running_end[np.maximum(idx, 0)] > start[rows])
    return out


def _extract(genome, chrom: np.ndarray, starts: np.ndarray, size: int, progress: bool, desc: str) -> tuple[np.ndarray, np.ndarray]:
    from tqdm import tqdm

    seqs, ok = [], np.zeros(len(chrom), dtype=bool)
    for i in tqdm(range(len(chrom)), desc=desc, disable=not progress, leave=False):
        seq = str(genome[str(chrom[i])][int(starts[i]) : int(starts[i]) + size]).upper()
        if len(seq) == size and set(seq) <= set("ACGT"):
            seqs.append(seq)
            ok[i] = True
    return (encode(seqs) if seqs else np.zeros((0, size, 4), np.uint8)), ok


def read_genome_peaks(
    genome_path: Path,
    peaks_path: Path,
    background_path: Path,
    bigwig_path: Path | None,
    region_size: int,
    max_positives: int,
    max_negatives: int,
    rng: np.random.Generator,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, dict]:
    """Positive and background windows from a genome and two narrowPeak files.

    Returns
    -------
    pos_X (P, L, 4) uint8 sorted by decreasing signal; neg_X (M, L, 4) uint8;
    signal (P,) float64; counts for the manifest; regions: the windows'
    chromosomes and 0-based starts (``pos_chrom``, ``pos_start``, ``neg_chrom``,
    ``neg_start``).
    """
    import pyfaidx

    if not Path(genome_path).exists():
        raise FileNotFoundError(f"genome FASTA {genome_path} does not exist; fix `genome` in the task spec")
    try:
        genome = pyfaidx.Fasta(str(genome_path), indexname=str(fai_path(Path(genome_path))), as_raw=True,
                               sequence_always_upper=True)
    except Exception as err:  # pyfaidx raises several types for a broken FASTA
        raise SequenceError(f"{genome_path}: cannot index the genome FASTA ({err})") from None
    sizes = {name: len(genome[name]) for name in genome.keys()}
    pos, bg = read_peaks(peaks_path), read_peaks(background_path)
    check_chromosomes(pos, peaks_path, sizes)
    check_chromosomes(bg, background_path, sizes)

    pos_keep, pos_start, pos_off = windows(pos, region_size, sizes)
    bg_keep, bg_start, bg_off = windows(bg, region_size, sizes)
    # background windows overlapping any positive peak or positive window are removed
    positives_by_chrom = {}
    for c in np.unique(pos.chrom):
        rows = pos.chrom == c
        positives_by_chrom[c] = (
            np.concatenate([pos.start[rows], pos_start[rows]]),
            np.concatenate([pos.end[rows], pos_start[rows] + region_size]),
        )
    bg_overlap = _overlaps(bg.chrom, bg_start, bg_start + region_size, positives_by_chrom)
    bg_keep &= ~bg_overlap

    signal = pos.signal.copy()
    if bigwig_path is not None:
        signal = _bigwig_means(bigwig_path, pos.chrom, pos_start, region_size)
    # one window per distinct position (duplicate summits collapse)
    pos_rows = _unique_windows(pos.chrom, pos_start, np.flatnonzero(pos_keep), -signal)
    bg_rows = _unique_windows(bg.chrom, bg_start, np.flatnonzero(bg_keep), None)

    pos_X, ok = _extract(genome, pos.chrom[pos_rows], pos_start[pos_rows], region_size, progress, "positive windows")
    pos_rows, pos_non_acgt = pos_rows[ok], int((~ok).sum())
    order = np.argsort(-signal[pos_rows], kind="stable")
    pos_X, pos_rows = pos_X[order], pos_rows[order]
    if max_positives:
        pos_X, pos_rows = pos_X[:max_positives], pos_rows[:max_positives]
    if max_negatives and len(bg_rows) > max_negatives:
        bg_rows = np.sort(rng.choice(bg_rows, size=max_negatives, replace=False))
    neg_X, ok = _extract(genome, bg.chrom[bg_rows], bg_start[bg_rows], region_size, progress, "background windows")
    counts = {
        "positive_peaks": len(pos.chrom),
        "positive_windows_off_chromosome": pos_off,
        "positive_windows_non_acgt": pos_non_acgt,
        "positive_windows": len(pos_X),
        "background_peaks": len(bg.chrom),
        "background_windows_off_chromosome": bg_off,
        "background_windows_overlapping_positives": int(bg_overlap.sum()),
        "background_windows_non_acgt": int((~ok).sum()),
        "background_windows": len(neg_X),
    }
    if len(pos_X) == 0:
        raise PeakError(f"{peaks_path}: no usable positive window of {region_size} bp (see counts: {counts})")
    if len(neg_X) == 0:
        raise PeakError(f"{background_path}: no usable background window of {region_size} bp (see counts: {counts})")
    regions = {
        "pos_chrom": pos.chrom[pos_rows], "pos_start": pos_start[pos_rows],
        "neg_chrom": bg.chrom[bg_rows][ok], "neg_start": bg_start[bg_rows][ok],
    }
    return pos_X, neg_X, signal[pos_rows], counts, regions


def fai_path(genome_path: Path) -> Path:
    """Where the genome's ``.fai`` index is read or written.

    Beside the FASTA when an index is already there, or when its folder is
    writable and not inside an installed package (janggu's sample genome);
    otherwise in ``<cache>/tasks/.fai/`` under a name keyed by the FASTA's
    resolved path, size and modification time.
    """
    from tasks.cache import cache_root, content_hash

    beside = Path(str(genome_path) + ".fai")
    if beside.exists() or (_folder_writable(beside.parent) and not _in_package(beside.parent)):
        return beside
    stat = Path(genome_path).stat()
    key = content_hash([str(Path(genome_path).resolve()), stat.st_size, stat.st_mtime_ns])
    folder = cache_root() / "tasks" / ".fai"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{Path(genome_path).name}-{key}.fai"


def _folder_writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def _in_package(folder: Path) -> bool:
    parts = Path(folder).resolve().parts
    return "site-packages" in parts or "dist-packages" in parts


def _unique_windows(chrom: np.ndarray, start: np.ndarray, rows: np.ndarray, priority: np.ndarray | None) -> np.ndarray:
    if priority is not None:
        rows = rows[np.argsort(priority[rows], kind="stable")]
    seen, out = set(), []
    for r in rows:
        key = (chrom[r], int(start[r]))
        if key not in seen:
            seen.add(key)
            out.append(r)
    out = np.array(out, dtype=np.int64)
    return out if priority is not None else np.sort(out)


def _bigwig_means(path: Path, chrom: np.ndarray, starts: np.ndarray, size: int) -> np.ndarray:
    import pyBigWig

    if not Path(path).exists():
        raise FileNotFoundError(f"bigWig {path} does not exist; fix `bigwig` in the task spec or remove it")
    handle = pyBigWig.open(str(path))
    if handle is None or not handle.isBigWig():
        raise SequenceError(f"{path} is not a bigWig file")
    lengths = handle.chroms()
    out = np.zeros(len(chrom))
    for i, (c, s) in enumerate(zip(chrom, starts)):
        if c in lengths and s >= 0 and s + size <= lengths[c]:
            value = handle.stats(str(c), int(s), int(s) + size, type="mean")[0]
            out[i] = 0.0 if value is None else value
    handle.close()
    return out
