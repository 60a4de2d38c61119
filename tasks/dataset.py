"""The Dataset: simulated sequences with known motif positions.

A Dataset is what `tasks.build` produces and everything downstream consumes.
Shapes (N sequences of length L):

- ``X``: (N, L, 4) float32 one-hot, bases in A, C, G, T order.
- ``y``: (N,) int8, 1 for positives, 0 for negatives.
- ``is_test``: (N,) bool, the held-out split.
- ``mask``: (N, L) bool, True where a kept motif hit was pasted (ground truth).
- ``hits``: structured array, one row per pasted hit, fields
  ``seq`` (row in X), ``motif`` (name), ``start``, ``end`` (0-based, half-open),
  ``strand`` ("+" or "-"), ``score`` (scan score).
- ``eval_index``: (E,) int64, rows of X that methods are scored on (test
  positives with at least one hit), in sampling order: any prefix is a seeded
  random sample (or the top by signal, for a task ranked by a bigWig).
- ``motifs``: motif name -> (w, 4) float32 position frequency matrix of each
  kept motif (used by the PWM-scan control).
- ``instances``, ``role_mask`` (grammar tasks only, else None; `tasks.grammar`): one row per
  planted instance with its role, expected sign and Shapley value under the task's rule
  (`tasks.grammar_rules.INSTANCE_DTYPE`), and (N, L) int8 the role code at each position.
- ``manifest``: provenance (spec, sources and their sha256, versions, motif
  table, occupancy statistics) and ``files``: the sha256 of every file of the
  directory, checked by `Dataset.load` (`CorruptDatasetError` names the file).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tasks.cache import file_sha256

HIT_DTYPE = np.dtype(
    [("seq", "i4"), ("motif", "U64"), ("start", "i4"), ("end", "i4"), ("strand", "U1"), ("score", "f4")]
)
ARRAYS_FILE = "arrays.npz"
MOTIFS_FILE = "motifs.npz"
MANIFEST_FILE = "manifest.json"
GRAMMAR_FILE = "grammar.npz"  # grammar tasks only: instances and role_mask
FILES_FIELD = "files"  # manifest field: file name -> sha256


class CorruptDatasetError(RuntimeError):
    """A cached dataset directory whose files are missing, truncated or altered (`tasks.build` rebuilds it)."""


def verify_files(directory: Path) -> dict:
    """The manifest of a dataset directory, after checking every file it lists against its sha256.

    Raises CorruptDatasetError naming the directory and the file. For a
    manifest written before the digests existed (no ``files``) the archives'
    zip CRCs are checked instead.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{directory} is not a complete dataset (no {MANIFEST_FILE})") from None
    except (OSError, ValueError) as error:
        raise CorruptDatasetError(f"cached dataset {directory}: unreadable {MANIFEST_FILE} ({error})") from None
    if not isinstance(manifest, dict) or "name" not in manifest:
        raise CorruptDatasetError(f"cached dataset {directory}: {MANIFEST_FILE} is not a dataset manifest")
    if FILES_FIELD not in manifest:  # built before the digests: check the archives' own CRCs instead
        for path in (directory / ARRAYS_FILE, directory / MOTIFS_FILE):
            try:
                with zipfile.ZipFile(path) as archive:
                    broken = archive.testzip()
            except (OSError, zipfile.BadZipFile) as error:
                raise CorruptDatasetError(f"cached dataset {directory}: {path.name} does not read ({error})") from None
            if broken:
                raise CorruptDatasetError(f"cached dataset {directory}: {path.name} entry {broken} fails its CRC")
    for name, digest in (manifest.get(FILES_FIELD) or {}).items():
        path = directory / name
        if not path.exists():
            raise CorruptDatasetError(f"cached dataset {directory}: {name} is missing")
        if file_sha256(path) != digest:
            raise CorruptDatasetError(f"cached dataset {directory}: {name} does not match its sha256 in {MANIFEST_FILE} "
                                      "(truncated or altered)")
    return manifest


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    is_test: np.ndarray
    mask: np.ndarray
    hits: np.ndarray
    eval_index: np.ndarray
    motifs: dict[str, np.ndarray] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    path: Path | None = None
    instances: np.ndarray | None = None
    role_mask: np.ndarray | None = None

    @property
    def length(self) -> int:
        """Sequence length L."""
        return int(self.X.shape[1])

    @property
    def hash(self) -> str:
        """The content hash that names this dataset's cache directory."""
        return str(self.manifest.get("hash", ""))

    @property
    def prevalence(self) -> float:
        """Share of eval-set positions inside a motif hit (random-scorer auPRC)."""
        return float(self.mask[self.eval_index].mean()) if len(self.eval_index) else float("nan")

    def eval_set(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first `n` eval sequences (a random sample, see ``eval_index``): (rows (E,), X (E, L, 4), mask (E, L))."""
        rows = self.eval_index if n is None else self.eval_index[:n]
        return rows, self.X[rows], self.mask[rows]

    def split(self, test: bool) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) of the test split (`test=True`) or the training split."""
        rows = np.flatnonzero(self.is_test == test)
        return self.X[rows], self.y[rows]

    def hits_of(self, row: int) -> np.ndarray:
        """The hit-table rows of sequence `row`."""
        return self.hits[self.hits["seq"] == row]

    def save(self, directory: Path) -> None:
        """Write the dataset into `directory` (normally an `atomic_directory`)."""
        directory.mkdir(parents=True, exist_ok=True)
        savez_deterministic(
            directory / ARRAYS_FILE,
            X=self.X.astype(np.uint8),
            y=self.y.astype(np.int8),
            is_test=self.is_test.astype(bool),
            mask=self.mask.astype(bool),
            hits=self.hits.astype(HIT_DTYPE),
            eval_index=self.eval_index.astype(np.int64),
        )
        savez_deterministic(directory / MOTIFS_FILE, **{k: v.astype(np.float32) for k, v in self.motifs.items()})
        if self.instances is not None:
            savez_deterministic(directory / GRAMMAR_FILE, instances=self.instances,
                                role_mask=np.asarray(self.role_mask, dtype=np.int8))
        # The manifest is written last: its presence marks a complete directory, and it lists
        # the sha256 of every file already there (arrays, motifs, the builder's provenance).
        files = {p.name: file_sha256(p) for p in sorted(directory.iterdir()) if p.is_file() and p.name != MANIFEST_FILE}
        with open(directory / MANIFEST_FILE, "w") as handle:
            json.dump({**self.manifest, FILES_FIELD: files}, handle, indent=2, sort_keys=True)
            handle.write("\n")

    @classmethod
    def load(cls, directory: Path) -> "Dataset":
        """Read a dataset written by `save`, checking its files' sha256.

        Raises FileNotFoundError if incomplete, CorruptDatasetError (naming the
        directory and file) if a file is missing, altered or does not read.
        """
        directory = Path(directory)
        manifest = verify_files(directory)
        try:
            with np.load(directory / ARRAYS_FILE) as arrays:
                data = {key: arrays[key] for key in arrays.files}
            with np.load(directory / MOTIFS_FILE) as motif_file:
                motifs = {key: motif_file[key] for key in motif_file.files}
            grammar = {}
            if (directory / GRAMMAR_FILE).exists():
                with np.load(directory / GRAMMAR_FILE) as grammar_file:
                    grammar = {key: grammar_file[key] for key in grammar_file.files}
        except Exception as error:  # BadZipFile, truncated entries, bad CRC: a damaged cache, not a bug
            raise CorruptDatasetError(f"cached dataset {directory} does not read: {type(error).__name__}: {error}") from None
        return cls(
            name=manifest["name"],
            X=data["X"].astype(np.float32),
            y=data["y"],
            is_test=data["is_test"],
            mask=data["mask"],
            hits=data["hits"],
            eval_index=data["eval_index"],
            motifs=motifs,
            manifest=manifest,
            path=directory,
            instances=grammar.get("instances"),
            role_mask=grammar.get("role_mask"),
        )


def savez_deterministic(path: Path, **arrays: np.ndarray) -> None:
    """Like `np.savez_compressed`, readable by `np.load`, but byte-identical for
    identical arrays (fixed zip timestamps and entry order), so the same spec and
    seed give the same files."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in arrays:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())
