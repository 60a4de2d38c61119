"""The results store: one JSON file per benchmark cell.

A cell is one (task, model variant, seed, method, reference, method parameters)
combination. Its file lives at ``<results>/<task>/<model>-s<seed>/<method>-<reference>[-<params>].json``
so runs on different machines (xdist workers, CI shards) merge by copying
files. Every file carries:

- ``schema``: `SCHEMA` (files of another schema are reported and recomputed);
- ``digest``: ``sha256:<hex>`` of the canonical JSON of everything else in the
  file (`content_digest`), so a hand-edited file is detected without
  recomputing anything (`load` refuses it; ``leaderboard --check`` fails on it);
- ``cell``: the coordinates (task, model, arch, overrides, seed, method,
  reference, params) and ``id`` (the pytest id);
- ``identity``: the recipe keys that decide validity (see `benchmark.grid.keys`);
- ``status``: "ok" or "failed" (then ``error`` holds the message);
- ``metrics``: ``{"all_hits": ..., "used_hits": ...}``, each the output of
  `benchmark.scores.metrics.motif_recovery`;
- ``sanity``, ``model``, ``dataset``, ``runtime``, ``convergence_error``,
  ``versions``, ``tags`` (which leaderboard sections the cell belongs to),
  ``rows`` (the eval-set rows scored, for paired tests).

Files are written atomically with sorted keys and rounded floats, so the same
run gives the same bytes. `FIELDS` is the schema (version `SCHEMA`): `validate`
names the first field that is missing or of the wrong type, and a file that
fails it is excluded from the leaderboard and recomputed on the next run.
Schema 2 added the digest and the strict field checks; schema-1 files are
stale and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from benchmark.store.checks import value_problems
from tasks.cache import canonical_json, write_json_atomic

log = logging.getLogger(__name__)

SCHEMA = 2
STATUSES = ("ok", "failed")
DIGEST_FIELD = "digest"
#: How an attribution is scored: |score| (the paper's) and its positive part (see benchmark.scores.metrics).
SCORINGS = ("abs", "pos")
#: A record of a task without planted truth says so here; it carries faithfulness instead of motif metrics.
GROUND_TRUTH_FIELD, NO_GROUND_TRUTH = "ground_truth", "none"

# The result-file schema, version `SCHEMA`: (dotted field, type, statuses it is required for).
# Types: "str", "int", "dict", "list", "num?" (a number, or null for NaN). Extra fields are allowed.
_BOTH, _OK, _FAILED = ("ok", "failed"), ("ok",), ("failed",)
_PER_SCORING = ("auprc_mean", "auprc_sem", "auroc_mean", "auroc_sem", "pooled_auprc", "pooled_auroc")
_PER_TRUTH = ("share_inside", "signed_contrast", "prevalence", "prevalence_mean")
FIELDS: tuple[tuple[str, str, tuple], ...] = (
    ("schema", "int", _BOTH),
    (DIGEST_FIELD, "str", _BOTH),
    ("status", "str", _BOTH),
    ("cell", "dict", _BOTH),
    *((f"cell.{key}", "str", _BOTH) for key in ("task", "model", "arch", "method", "reference", "id", "config")),
    ("cell.seed", "int", _BOTH),
    ("cell.params", "dict", _BOTH),
    ("identity", "dict", _BOTH),
    ("tags", "list", _BOTH),
    ("error", "str", _FAILED),
    ("metrics", "dict", _OK),
    *((f"metrics.{truth}", "dict", _OK) for truth in ("all_hits", "used_hits")),
    *((f"metrics.{truth}.{scoring}", "dict", _OK) for truth in ("all_hits", "used_hits") for scoring in SCORINGS),
    *((f"metrics.{truth}.{scoring}.{key}", "num?", _OK)
      for truth in ("all_hits", "used_hits") for scoring in SCORINGS for key in _PER_SCORING),
    *((f"metrics.{truth}.{scoring}.n_scored", "int", _OK) for truth in ("all_hits", "used_hits") for scoring in SCORINGS),
    *((f"metrics.{truth}.{scoring}.per_sequence_auprc", "list", _OK)
      for truth in ("all_hits", "used_hits") for scoring in SCORINGS),
    *((f"metrics.{truth}.{key}", "num?", _OK) for truth in ("all_hits", "used_hits") for key in _PER_TRUTH),
    ("rows", "list", _OK),
    ("convergence_error", "num?", _OK),
    ("sanity", "dict", _OK),
    ("sanity.status", "str", _OK),
    ("model", "dict", _OK),
    ("model.key", "str", _OK),
    ("model.kind", "str", _OK),
    ("model.fidelity", "dict", _OK),
    ("dataset", "dict", _OK),
    ("dataset.name", "str", _OK),
    ("dataset.hash", "str", _OK),
    ("runtime", "dict", _OK),
    ("runtime.method_seconds", "num?", _OK),
    ("runtime.per_1000_sequences", "num?", _OK),
    ("versions", "dict", _OK),
)


class ResultError(ValueError):
    """A results file that cannot be used (corrupt, older schema, wrong shape, edited)."""


class StaleResultError(ResultError):
    """A results file of another schema version: recomputed on the next run, not an error in CI."""


class DigestError(ResultError):
    """A results file whose content does not match its digest (edited by hand)."""


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


def content_digest(record: dict) -> str:
    """``sha256:<hex>`` of the canonical JSON of `record` without its digest and ``_``-prefixed keys.

    `record` must already be `rounded` (as written), so that the digest of a
    file read back equals the digest computed before writing it.
    """
    body = {k: v for k, v in record.items() if k != DIGEST_FIELD and not k.startswith("_")}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _field(record: dict, dotted: str) -> tuple[bool, Any]:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


_TYPES = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "dict": (lambda v: isinstance(v, dict), "an object"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "num?": (lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)), "a number or null"),
}


def type_problems(record: Any) -> list[str]:
    """The fields of `FIELDS` that are missing or of the wrong type (empty when none)."""
    if not isinstance(record, dict):
        return [f"(top level): expected a JSON object, got {type(record).__name__}"]
    status = record.get("status")
    if status not in STATUSES:
        return [f"status: {status!r} is not one of {STATUSES}"]
    problems, bad = [], []
    # a cell of a task without planted truth (``ground_truth: "none"``, tasks.real) has no motif metrics
    no_truth = record.get(GROUND_TRUTH_FIELD) == NO_GROUND_TRUTH
    for dotted, kind, statuses in FIELDS:
        if status not in statuses or any(dotted.startswith(parent + ".") for parent in bad):
            continue  # the parent's problem is the one to report
        if no_truth and dotted.startswith("metrics"):
            continue
        present, value = _field(record, dotted)
        if not present:
            problems.append(f"{dotted}: missing")
            bad.append(dotted)
        elif not _TYPES[kind][0](value):
            problems.append(f"{dotted}: expected {_TYPES[kind][1]}, got {type(value).__name__}")
            bad.append(dotted)
    return problems


def validate(record: Any) -> list[str]:
    """Schema problems of one record (empty when valid), each naming the field: ``metrics.all_hits: missing``.

    Types first (`FIELDS`); a well-typed record is then checked for ranges, lengths and
    derived fields (`benchmark.store.checks.value_problems`).
    """
    return type_problems(record) or value_problems(record)


def save(results_dir: Path, cell: Cell, record: dict) -> Path:
    """Write one cell's record atomically, with its schema version and digest; returns the path.

    Raises ValueError when the record does not satisfy the schema (a bug in the
    caller: nothing is written).
    """
    body = {k: v for k, v in record.items() if k != DIGEST_FIELD and not k.startswith("_")}
    body = rounded({**body, "schema": SCHEMA, "cell": cell.coordinates(), "tags": sorted(cell.tags)})
    body[DIGEST_FIELD] = content_digest(body)
    problems = validate(body)
    if problems:
        raise ValueError(f"result of {cell.id} does not satisfy results schema {SCHEMA}: {'; '.join(problems)}")
    path = result_path(results_dir, cell)
    write_json_atomic(path, body)
    return path


def _fix(record: dict, path: Path) -> str:
    """What to do about an unusable file: re-run its cell (named when the file says which)."""
    cell_id = (record.get("cell") or {}).get("id") if isinstance(record.get("cell"), dict) else None
    run = f"`pytest benchmark/ -k '{cell_id}'`" if isinstance(cell_id, str) else "its cell"
    return f"it is excluded from the leaderboard and recomputed on the next run (or delete {path.name} and run {run})"


def load(path: Path, check_digest: bool = True) -> dict:
    """Read and validate one results file against schema `SCHEMA` and its digest.

    Raises ResultError with the path, the field or reason, and the fix.
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ResultError(f"{path}: {_not_regular(path)}")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ResultError(f"{path}: corrupt results file ({error}); delete it and re-run its cell") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResultError(f"{path}: cannot read ({error})") from None
    if not isinstance(record, dict):
        raise ResultError(f"{path}: expected a JSON object, got {type(record).__name__}; delete it and re-run its cell")
    schema = record.get("schema")
    if schema != SCHEMA:
        raise StaleResultError(
            f"{path}: results schema {schema!r}, this motifbench reads schema {SCHEMA} (stale); "
            + _fix(record, path)
        )
    problems = type_problems(record)
    if not problems and check_digest and record[DIGEST_FIELD] != content_digest(record):
        raise DigestError(
            f"{path}: content does not match its digest (edited after it was written?); "
            f"recompute it with `pytest benchmark/ -k '{record['cell']['id']}' --force`, or restore the committed file"
        )
    problems = problems or value_problems(record)
    if problems:
        raise ResultError(f"{path}: does not satisfy results schema {SCHEMA}: {'; '.join(problems)}; {_fix(record, path)}")
    expected = f"{record['cell']['model']}-s{record['cell']['seed']}/{record['cell']['config']}.json"
    if "/".join(path.parts[-2:]) != expected:
        raise ResultError(f"{path}: holds the result of {record['cell']['id']}, which belongs in .../{expected}; "
                          + _fix(record, path))
    return record


def _not_regular(path: Path) -> str:
    what = "a symbolic link" if path.is_symlink() else "not a regular file"
    return (f"is {what}; result files must be regular files (a link can point at any file, and a "
            "change of type escapes a list of changed files); replace it with the file itself or delete it")


def iter_results(results_dir: Path) -> Iterator[tuple[Path, dict | ResultError]]:
    """Every ``*.json`` under `results_dir`, sorted by path, as (path, record or the error).

    Symbolic links (to files or directories, whatever their name) and other
    non-regular entries are never followed: each comes back as an error.
    """
    results_dir = Path(results_dir)
    if not results_dir.exists():
        return
    found = []
    for folder, dirs, files in os.walk(results_dir, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            if path.is_symlink() or (name in files and not path.is_file()):
                found.append((path, ResultError(f"{path}: {_not_regular(path)}")))
            elif name in files and name.endswith(".json") and not name.startswith("."):
                found.append((path, None))
    for path, error in sorted(found, key=lambda item: item[0]):
        if error is not None:
            yield path, error
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


def warn_unusable(directory, problems: list[str]) -> None:
    """Tell the user on stderr how many result files of `directory` were unusable and left out (nothing if none)."""
    if problems:
        print(f"warning: {len(problems)} unusable result file(s) in {directory} left out, e.g. {problems[0]}",
              file=sys.stderr)


def load_checked(results_dir: Path) -> tuple[list[dict], list[tuple[Path, ResultError]]]:
    """(valid records whose digest verifies, [(path, error) of every other file]), in path order."""
    records, excluded = [], []
    for path, item in iter_results(results_dir):
        if isinstance(item, ResultError):
            excluded.append((path, item))
        else:
            item["_path"] = str(path.relative_to(results_dir))
            records.append(item)
    return records, excluded


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
