"""Skip re-rendering a board whose inputs have not changed (the warm `make run`).

Rendering the default board takes 15-20 s (bootstrap CIs, findings under four
views, figures), most of a warm run that computes no cell. A stamp in the
cache records a fingerprint of everything the board is rendered from (every
file under the results directory, the harness, method, model and task code
and specs, the profile, the output paths) and the sha256 of every file it
wrote. When both still match, the board on disk is exactly what rendering
would write again, so the session keeps it. Any edited input or output
means a full render.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tasks.cache import REPO_ROOT, cache_root, content_hash, file_sha256, write_json_atomic

#: Source folders whose files can change what the board says (code, run files, task specs).
SOURCES = ("benchmark", "methods", "baselines", "tasks")


def fingerprint(results_dir: Path, profile: str, output: Path, figures_dir: Path, with_figures: bool) -> str:
    """sha256 over the results directory's files, the source files in `SOURCES` and the render settings."""
    digest = hashlib.sha256()
    results_dir = Path(results_dir)
    for path in sorted(p for p in results_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(results_dir)).encode() + b"\0" + file_sha256(path).encode())
    for folder in SOURCES:
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + file_sha256(path).encode())
    digest.update(json.dumps([profile, str(Path(output).resolve()), str(Path(figures_dir).resolve()), bool(with_figures)]).encode())
    return digest.hexdigest()


def _stamp_path(output: Path) -> Path:
    return cache_root() / "benchmark" / "board-stamps" / f"{content_hash(str(Path(output).resolve()))}.json"


def unchanged(output: Path, key: str) -> list[Path] | None:
    """The files of the last render if its fingerprint is `key` and none of them changed since; else None."""
    stamp = _stamp_path(output)
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != key:
        return None
    written = [(Path(p), sha) for p, sha in data.get("files", [])]
    for path, sha in written:
        if not path.exists() or file_sha256(path) != sha:
            return None
    return [path for path, _ in written]


def remember(output: Path, key: str, written: list[Path]) -> None:
    """Record a render: its fingerprint and the sha256 of each file it wrote."""
    stamp = _stamp_path(output)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(stamp, {"fingerprint": key, "files": [[str(Path(p)), file_sha256(p)] for p in written]})
