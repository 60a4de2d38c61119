"""`build`: spec -> Dataset, through a content-addressed, atomic, file-locked cache.

The cache directory is ``cache_root()/tasks/<name>-<hash>/`` where the hash
covers the spec's fields, `TASKS_CODE_VERSION`, the seed (a spec field), the
sha256 of every source file (genome, peaks, FASTA, bigWig, motif file) and the
versions of the packages whose output lands in the dataset. A directory is
written under a temporary name and renamed when complete; a build holds a
file lock so two processes never build the same task twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from tasks.cache import atomic_directory, cache_root, content_hash, file_lock, file_sha256, jsonable, write_json_atomic
from tasks.dataset import MANIFEST_FILE, CorruptDatasetError, Dataset, savez_deterministic
from tasks.spec import PATH_FIELDS, SpecError, TaskSpec, load_spec

log = logging.getLogger(__name__)

# Bump when a change to tasks/ changes what a build produces.
TASKS_CODE_VERSION = "3"
PACKAGES = ("numpy", "pyjaspar", "memelite", "dinuc-shuf", "pyfaidx", "pyBigWig")
_HASH_INDEX = ".sha256-index.json"
# Per-row provenance beside the dataset: source_index, background_source (and chrom, start for genome tasks).
PROVENANCE_FILE = "provenance.npz"
_BIG_FILE = 64 << 20
# Genome tasks only: how windows are split (overlapping windows on one side). Part of their
# hash, so genome datasets built before the grouped split are rebuilt, and no other task changes.
GENOME_SPLIT_VERSION = "overlap-groups-1"

# What to tell a user who has not provided a file yet.
FILE_ROLES = {
    "positives": "a FASTA of positive sequences (equal lengths)",
    "negatives": "a FASTA of negative sequences (equal lengths)",
    "genome": "the genome FASTA (e.g. hg38.fa; a .fai index is made if missing)",
    "peaks": "the positive peaks, narrowPeak or BED (e.g. one cell type's DNase-seq peaks)",
    "background_peaks": "the background peaks, narrowPeak or BED (peaks merged over many cell types)",
    "bigwig": "a bigWig of the positive signal, to rank peaks (or remove the bigwig line)",
    "motif_file": "a MEME-format motif file",
}


def package_versions() -> dict[str, str]:
    """Versions of the packages whose output lands in a dataset."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def source_files(spec: TaskSpec) -> dict[str, Path]:
    """The spec's input files, checked to exist (SpecError names what to provide)."""
    needed = {
        "simplified": (),
        "fasta_pair": ("positives", "negatives"),
        "genome_peaks": ("genome", "peaks", "background_peaks", "bigwig"),
        "grammar": ("positives", "negatives"),
    }[spec.source]
    if spec.motif_database == "meme":
        needed = needed + ("motif_file",)
    out = {}
    for name in needed:
        path = spec.resolve_path(name)
        if path is None:
            continue
        if not path.exists():
            raise SpecError(
                f"task {spec.name!r} ({spec.spec_path or 'spec'}): {name} file {path} does not exist. "
                f"Provide {FILE_ROLES[name]} and set `{name}` in the spec to its path"
            )
        out[name] = path
    return out


def _sha256_cached(path: Path) -> str:
    """sha256 of a file, remembered by (path, size, mtime) for big files (genomes)."""
    stat = path.stat()
    if stat.st_size < _BIG_FILE:
        return file_sha256(path)
    index_path = cache_root() / "tasks" / _HASH_INDEX
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        index = json.loads(index_path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        index = {}
    if key not in index:
        index[key] = file_sha256(path)
        write_json_atomic(index_path, index)
    return index[key]


def recorded_fields(spec: TaskSpec) -> dict:
    """`spec.to_dict()` without `kind` at its default, so simulated tasks keep the hashes and manifests
    they had before the field existed."""
    fields = spec.to_dict()
    if fields.get("kind") == "simulated":
        del fields["kind"]
    return fields


def spec_hash(spec: TaskSpec) -> tuple[str, dict]:
    """(hash, hashed content) of everything that determines the dataset."""
    fields = recorded_fields(spec)
    if fields.get("hit_positions") == "original":  # the default: datasets built before the field existed keep their hashes
        del fields["hit_positions"]
    if not fields.get("held_out_test_peaks"):  # off: datasets built before the field existed keep their hashes
        fields.pop("held_out_test_peaks", None)
    if spec.source == "simplified" or fields.get("motif_priority") == "enrichment":
        # no motif filter there / the rule before the field existed: those datasets keep their hashes
        del fields["motif_priority"]
    files = source_files(spec)
    for name in PATH_FIELDS:
        fields[name] = _sha256_cached(files[name]) if name in files else ""
    content = {"spec": fields, "code_version": TASKS_CODE_VERSION, "packages": package_versions()}
    if spec.source == "genome_peaks":
        content["split"] = GENOME_SPLIT_VERSION
    if spec.kind == "real":
        from tasks.real import REAL_VERSION

        content["real"] = REAL_VERSION
    if spec.source == "grammar":  # grammar tasks only: their simulation's own version
        from tasks.grammar_spec import GRAMMAR_VERSION

        content["grammar_code"] = GRAMMAR_VERSION
    return content_hash(content), content


def dataset_key(spec: TaskSpec) -> str:
    """The hash `build` will give `spec`'s dataset (``Dataset.hash``), computed without building."""
    return spec_hash(spec)[0]


def cache_dir(spec: TaskSpec) -> Path:
    """Where `spec`'s dataset lives (whether or not it is built yet)."""
    return cache_root() / "tasks" / f"{spec.name}-{dataset_key(spec)}"


def build(name_or_spec: str | os.PathLike | TaskSpec, *, progress: bool = True) -> Dataset:
    """Build (or load from the cache) the dataset of a task.

    Parameters
    ----------
    name_or_spec: a registered task name (``"smoke"``), a path to a spec TOML
        file, or a `TaskSpec`.
    progress: show tqdm bars on the long steps.

    Returns
    -------
    The `Dataset`, with ``path`` set to its cache directory.
    """
    spec = load_spec(name_or_spec)
    key, hashed = spec_hash(spec)
    final = cache_root() / "tasks" / f"{spec.name}-{key}"
    if (final / MANIFEST_FILE).exists():
        with contextlib.suppress(CorruptDatasetError):  # damaged: rebuilt below, under the lock
            return Dataset.load(final)
    with file_lock(final):
        if (final / MANIFEST_FILE).exists():
            try:
                return Dataset.load(final)
            except CorruptDatasetError as error:
                log.warning("%s; rebuilding it", error)
        started = time.perf_counter()
        log.info("building task %s -> %s", spec.name, final)
        dataset, provenance = _make(spec, key, hashed, progress)
        with atomic_directory(final) as tmp:
            savez_deterministic(tmp / PROVENANCE_FILE, **provenance)
            dataset.save(tmp)  # writes the manifest last: its presence marks a complete build
        log.info("built task %s in %.1f s", spec.name, time.perf_counter() - started)
    return dataclasses.replace(dataset, path=final)


def load(name_or_spec: str | os.PathLike | TaskSpec, *, progress: bool = True) -> Dataset:
    """Alias of `build` for readers: returns the cached dataset, building it if needed."""
    return build(name_or_spec, progress=progress)


def _rng(spec: TaskSpec, stage: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, stage]))


def _make(spec: TaskSpec, key: str, hashed: dict, progress: bool) -> Dataset:
    if spec.kind == "real":  # the sequences as they are: no scan, no shuffle, no ground truth
        from tasks.real import make_real

        recorded = {"spec": recorded_fields(spec), "code_version": TASKS_CODE_VERSION, "packages": package_versions()}
        return make_real(spec, key, hashed, source_files(spec), progress, _rng, recorded)
    from tasks import simulate
    from tasks.motifs import load_database

    files = source_files(spec)
    if spec.source == "simplified":
        motifs, db_info = load_database(spec)
        negative_motifs = {}
        if spec.negative_motifs:
            negative_motifs, _ = load_database(dataclasses.replace(spec, motifs=spec.negative_motifs))
        sim = simulate.simulate_simplified(
            motifs, negative_motifs, spec.n_positives, spec.n_negatives, spec.sequence_length,
            spec.gc_content, spec.min_instances, spec.max_instances, _rng(spec, 1),
        )
        kept = {**motifs, **negative_motifs}
        motif_table = _simplified_table(sim, kept)
        extra = {"counts": {"n_positives": spec.n_positives, "n_negatives": spec.n_negatives}}
        signal = None
        sim["provenance"] = {"source_index": np.arange(len(sim["y"]), dtype=np.int64)}
    elif spec.source == "grammar":
        from tasks.grammar import make_grammar

        sim, kept, motif_table, db_info, extra, signal = make_grammar(spec, files, progress, _rng)
    else:
        from tasks.realistic import make_realistic

        sim, kept, motif_table, db_info, extra, signal = make_realistic(spec, files, progress, _rng)
    if "chrom" in sim["provenance"]:  # genome windows: overlapping windows never straddle the split
        from tasks.sources import overlap_groups

        groups = overlap_groups(sim["provenance"]["chrom"], sim["provenance"]["start"], spec.region_size)
        is_test = simulate.grouped_split(sim["y"], groups, spec.test_fraction, _rng(spec, 3))
    else:  # held-out rows (`held_out_test_peaks`) are all test; the task's own rows split as without them
        held_out = sim.get("held_out", np.zeros(len(sim["y"]), dtype=bool))
        is_test = held_out.copy()
        is_test[~held_out] = simulate.split(sim["y"][~held_out], spec.test_fraction, _rng(spec, 3))
    if spec.source == "grammar":  # both classes: the decoys a grammar score needs sit in the negatives
        from tasks.grammar import grammar_eval_index

        eval_rows = grammar_eval_index(sim["y"], is_test, sim["instances"], spec.n_eval, _rng(spec, 7))
    else:
        eval_rows = simulate.eval_index(sim["y"], is_test, sim["hits"], spec.n_eval, _rng(spec, 7), signal)
    present = set(sim["hits"]["motif"].tolist())
    used = [name for name in kept if name in present]  # kept order: most enriched first
    manifest = {
        "name": spec.name,
        "hash": key,
        "spec": recorded_fields(spec),
        "spec_path": spec.spec_path,
        "hashed": hashed,
        "code_version": TASKS_CODE_VERSION,
        "packages": package_versions(),
        "sources": {name: {"path": str(path), "sha256": hashed["spec"][name]} for name, path in files.items()},
        "motif_database": db_info,
        "motif_table": motif_table,
        "kept_motifs": used,
        "occupancy": occupancy(sim["y"], is_test, sim["mask"], sim["hits"], eval_rows),
        **extra,
    }
    dataset = Dataset(
        name=spec.name,
        X=sim["X"].astype(np.float32),
        y=sim["y"].astype(np.int8),
        is_test=is_test,
        mask=sim["mask"],
        hits=sim["hits"],
        eval_index=eval_rows,
        motifs={name: kept[name] for name in used},
        manifest=json.loads(json.dumps(manifest, default=jsonable)),
        instances=sim.get("instances"),  # grammar tasks only (None elsewhere: nothing more is saved)
        role_mask=sim.get("role_mask"),
    )
    return dataset, sim["provenance"]


def load_provenance(dataset: Dataset) -> dict[str, np.ndarray]:
    """Per-row provenance of a built dataset: ``source_index`` (N,) (row in the
    positive or negative input), ``background_source`` (N,) (input positive whose
    shuffle is the background; realistic tasks), ``chrom``/``start`` (genome tasks)."""
    with np.load(Path(dataset.path) / PROVENANCE_FILE) as data:
        return {key: data[key] for key in data.files}


def _simplified_table(sim: dict, motifs: dict) -> list[dict]:
    hits, y = sim["hits"], sim["y"]
    on_pos = y[hits["seq"]] == 1
    table = []
    for name in motifs:
        mine = hits["motif"] == name
        table.append(
            {"motif": name, "pos_hits": int((mine & on_pos).sum()), "neg_hits": int((mine & ~on_pos).sum()),
             "kept": True, "implanted": True}
        )
    return table


def occupancy(y: np.ndarray, is_test: np.ndarray, mask: np.ndarray, hits: np.ndarray, eval_rows: np.ndarray) -> dict:
    """Mask prevalence and hit counts, overall and per class / split / eval set."""
    per_seq = np.bincount(hits["seq"], minlength=len(y))

    def stats(rows: np.ndarray) -> dict:
        if len(rows) == 0:
            return {"n": 0}
        return {
            "n": int(len(rows)),
            "prevalence": round(float(mask[rows].mean()), 6),
            "mean_hits": round(float(per_seq[rows].mean()), 4),
            "with_hit": round(float((per_seq[rows] > 0).mean()), 4),
        }

    return {
        "positives": stats(np.flatnonzero(y == 1)),
        "negatives": stats(np.flatnonzero(y == 0)),
        "train": stats(np.flatnonzero(~is_test)),
        "test": stats(np.flatnonzero(is_test)),
        "eval": stats(eval_rows),
        "eval_prevalence": round(float(mask[eval_rows].mean()), 6) if len(eval_rows) else None,
    }

