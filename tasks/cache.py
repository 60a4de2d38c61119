"""Content-addressed, atomically written artifact directories.

Every artifact (a built dataset, a trained model) lives in a directory whose
name carries a hash of everything that determines it. The directory is built
under a temporary name and renamed into place only when complete, so an
interrupted build leaves nothing that a later run would trust. A file lock
keeps two processes (pytest-xdist workers) from building the same artifact.

The cache root is ``$MOTIFBENCH_CACHE`` if set, else ``.cache/`` at the
repository root.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import filelock

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]


def cache_root() -> Path:
    """The cache directory: ``$MOTIFBENCH_CACHE`` or ``<repo>/.cache``."""
    root = Path(os.environ.get("MOTIFBENCH_CACHE", REPO_ROOT / ".cache"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the input to `content_hash`."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=jsonable)


def content_hash(obj: Any, length: int = 12) -> str:
    """A short sha256 hex digest of the canonical JSON of `obj`."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:length]


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = -1) -> Iterator[None]:
    """Hold an inter-process lock named after `path` (``<path>.lock``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(path) + ".lock", timeout=timeout):
        yield


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary directory that becomes `final` only on success.

    If the body raises, the temporary directory is removed and `final` is left
    untouched. If `final` already exists it is replaced (callers hold
    `file_lock(final)` and only rebuild an artifact they found incomplete).
    Temporary directories of `final` left by a killed build are removed first
    (safe: the caller holds the lock, so no other build of `final` is running).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temporaries(final: Path) -> list[Path]:
    """Delete ``.<final name>.tmp-*`` directories beside `final` (leftovers of killed builds).

    Call only while holding ``file_lock(final)``: every build of `final`
    creates its temporary directory under that lock, so any found then is dead.
    Returns the paths removed (each logged).
    """
    removed = []
    for leftover in sorted(Path(final).parent.glob(f".{Path(final).name}.tmp-*")):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            log.warning("removed %s, left by an interrupted build of %s", leftover, final)
            removed.append(leftover)
    return removed


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as indented, key-sorted JSON via a temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(obj, handle, indent=2, sort_keys=True, default=jsonable)
            handle.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def jsonable(obj: Any) -> Any:
    """JSON `default=` hook for NumPy scalars/arrays, paths and sets."""
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")
