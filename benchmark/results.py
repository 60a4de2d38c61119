"""The results store: one JSON file per benchmark cell.

A cell is one (task, model variant, seed, method, reference, method parameters)
combination. Its file lives at ``<results>/<task>/<model>-s<seed>/<method>-<reference>[-<params>].json``
so runs on different machines (xdist workers, CI shards) merge by copying
files. Every file carries:

- ``schema``: `SCHEMA` (files of another schema are reported and recomputed);
- ``cell``: the coordinates (task, model, arch, overrides, seed, method,
  reference, params) and ``id`` (the pytest id);
- ``identity``: the recipe keys that decide validity (see `benchmark.keys`);
- ``status``: "ok" or "failed" (then ``error`` holds the message);
- ``metrics``: ``{"all_hits": ..., "used_hits": ...}``, each the output of
  `benchmark.metrics.motif_recovery`;
- ``sanity``, ``model``, ``dataset``, ``runtime``, ``convergence_error``,
  ``versions``, ``tags`` (which leaderboard sections the cell belongs to),
  ``rows`` (the eval-set rows scored, for paired tests).

Files are written atomically with sorted keys and rounded floats, so the same
run gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tasks.cache import write_json_atomic

log = logging.getLogger(__name__)

SCHEMA = 1
STATUSES = ("ok", "failed")
REQUIRED = ("schema", "cell", "identity", "status")


class ResultError(ValueError):
    """A results file that cannot be used (corrupt, older schema, wrong shape)."""


@dataclass(frozen=True)
class Cell:
    """One point of the benchmark grid.

    ``model`` is the model variant id ("basset", "basset_k8", ...): the
    architecture ``arch`` plus ``overrides`` (sorted (key, value) pairs).
    ``params`` are the method parameters as sorted (key, value) pairs.
    """

    task: str
    model: str
    arch: str
    seed: int
    method: str
    reference: str
    params: tuple = ()
    overrides: tuple = ()
    kind: str = "keras"
    tags: frozenset = field(default_factory=frozenset)
    defaults: frozenset = field(default_factory=frozenset)  # param keys at the method's default: not in the id

    @property
    def id(self) -> str:
        """The pytest id: ``oct4-basset-s0-deeplift_rescale-shuffle20`` (+ ``-steps20`` ...)."""
        return "-".join([self.task, self.model, f"s{self.seed}", self.config])

    @property
    def config(self) -> str:
        """The method configuration without task and model: ``deeplift_rescale-shuffle20``."""
        shown = [_param_text(k, v) for k, v in self.params if k not in self.defaults]
        return "-".join([self.method, self.reference] + shown)

    def relpath(self) -> Path:
        """Where this cell's result lives, relative to the results directory."""
        return Path(self.task) / f"{self.model}-s{self.seed}" / f"{self.config}.json"

    def coordinates(self) -> dict:
        return {
            "task": self.task,
            "model": self.model,
            "arch": self.arch,
            "overrides": {k: v for k, v in self.overrides},
            "seed": self.seed,
            "method": self.method,
            "reference": self.reference,
            "params": {k: v for k, v in self.params},
            "kind": self.kind,
            "id": self.id,
            "config": self.config,
        }


def _param_text(key: str, value: Any) -> str:
    """A parameter as an id part: True -> key, False -> no_key, else key + value (steps50, layerlast)."""
    if value is True:
        return key
    if value is False:
        return f"no_{key}"
    return f"{key}{value}".replace(".", "p").replace("-", "m")


def result_path(results_dir: Path, cell: Cell) -> Path:
    return Path(results_dir) / cell.relpath()


def rounded(obj: Any, digits: int = 6) -> Any:
    """Round every float in a nested structure; NaN/inf become None (valid JSON)."""
    if isinstance(obj, float):
        return round(obj, digits) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, digits) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalar
        return rounded(obj.item(), digits)
    return obj


def save(results_dir: Path, cell: Cell, record: dict) -> Path:
    """Write one cell's record atomically; returns the path."""
    record = {**record, "schema": SCHEMA, "cell": cell.coordinates(), "tags": sorted(cell.tags)}
    if record.get("status") not in STATUSES:
        raise ValueError(f"record status must be one of {STATUSES}, got {record.get('status')!r}")
    path = result_path(results_dir, cell)
    write_json_atomic(path, rounded(record))
    return path


def load(path: Path) -> dict:
    """Read and validate one results file. Raises ResultError with the path and the reason."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ResultError(f"{path}: corrupt results file ({error}); delete it and re-run its cell") from None
    except OSError as error:
        raise ResultError(f"{path}: cannot read ({error})") from None
    if not isinstance(record, dict):
        raise ResultError(f"{path}: expected a JSON object, got {type(record).__name__}; delete it and re-run")
    schema = record.get("schema")
    if schema != SCHEMA:
        raise ResultError(
            f"{path}: results schema {schema!r}, this motifbench reads schema {SCHEMA}; "
            "its cell will be recomputed on the next run (or delete the file)"
        )
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise ResultError(f"{path}: missing keys {missing}; delete it and re-run its cell")
    if record["status"] not in STATUSES:
        raise ResultError(f"{path}: status {record['status']!r} is not one of {STATUSES}")
    if record["status"] == "ok" and "metrics" not in record:
        raise ResultError(f"{path}: status ok but no metrics; delete it and re-run its cell")
    return record


def iter_results(results_dir: Path) -> Iterator[tuple[Path, dict | ResultError]]:
    """Every ``*.json`` under `results_dir`, sorted by path, as (path, record or the error)."""
    results_dir = Path(results_dir)
    if not results_dir.exists():
        return
    for path in sorted(results_dir.rglob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            yield path, load(path)
        except ResultError as error:
            yield path, error


def load_all(results_dir: Path) -> tuple[list[dict], list[str]]:
    """(valid records, messages about unusable files), both in path order."""
    records, problems = [], []
    for path, item in iter_results(results_dir):
        if isinstance(item, ResultError):
            problems.append(str(item))
        else:
            item["_path"] = str(path.relative_to(results_dir))
            records.append(item)
    return records, problems


def cached(results_dir: Path, cell: Cell, identity: dict, retry_failed: bool = False) -> tuple[dict | None, str]:
    """The stored record of `cell` if it is still valid, with the reason when it is not.

    Returns (record, "") when the file exists, reads, and its identity equals
    `identity` (and, with `retry_failed`, it did not fail); else (None, why).
    """
    path = result_path(results_dir, cell)
    if not path.exists():
        return None, "no result yet"
    try:
        record = load(path)
    except ResultError as error:
        log.warning("%s", error)
        return None, str(error)
    if record["identity"] != identity:
        changed = sorted(k for k in set(identity) | set(record["identity"]) if identity.get(k) != record["identity"].get(k))
        return None, f"inputs changed: {', '.join(changed)}"
    if retry_failed and record["status"] == "failed":
        return None, "retrying a failed cell"
    return record, ""


def retag(results_dir: Path, cell: Cell, record: dict) -> None:
    """Rewrite a cached record whose leaderboard tags changed (no recomputation)."""
    if sorted(cell.tags) != record.get("tags"):
        body = {k: v for k, v in record.items() if not k.startswith("_")}
        save(results_dir, cell, body)
