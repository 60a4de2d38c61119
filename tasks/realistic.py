"""The realistic tasks: sources -> motif scan -> enrichment filter -> collapse -> simulation.

Step by step (see DESIGN.md "Tasks"):

1. positives and negatives from a FASTA pair or a genome + peak files (narrowPeak or BED);
2. every database motif is scanned (FIMO, p < `fimo_threshold`) in the
   positives and in the enrichment background: the negatives, or one
   dinucleotide shuffle of each positive (`enrichment_background`);
3. candidates: motifs with >= `min_pos_hits` hits in positives and a
   centre-weighted density ratio >= `min_enrichment`, ranked by a 95% lower bound
   on that ratio (`motif_priority`; "enrichment" ranks by the ratio itself);
4. redundant candidates are collapsed (TOMTOM p < `collapse_pvalue` against a
   higher-ranked kept motif); at most `max_motifs` are kept when set;
5. the kept motifs' hits are pasted back into dinucleotide-shuffled
   backgrounds (`tasks.simulate.simulate_realistic`).

Scan results are cached under ``cache_root()/tasks/.scans/`` keyed by the
sequences' bytes, the motif database and the threshold, so trying other
filter settings does not rescan.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
from tqdm import tqdm

from tasks.cache import atomic_directory, cache_root, content_hash, file_lock
from tasks.motifs import MotifError, load_database, load_jaspar, read_meme
from tasks.scan import collapse, enrichment_lower_bounds, enrichment_table, scan
from tasks.simulate import shuffle_dinuc, simulate_realistic
from tasks.sources import read_fasta_pair, read_genome_peaks

log = logging.getLogger(__name__)
SCAN_VERSION = "1"


def cached_scan(motifs: dict[str, np.ndarray], db_info: dict, X: np.ndarray, threshold: float) -> np.ndarray:
    """`tasks.scan.scan`, remembered on disk by (sequences, motifs, threshold)."""
    from importlib import metadata

    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.uint8).tobytes()).hexdigest()
    motif_digest = hashlib.sha256()
    for name, matrix in motifs.items():
        motif_digest.update(name.encode())
        motif_digest.update(np.ascontiguousarray(matrix, dtype=np.float32).tobytes())
    key = content_hash([SCAN_VERSION, metadata.version("memelite"), digest, X.shape, motif_digest.hexdigest(), threshold])
    final = cache_root() / "tasks" / ".scans" / key
    path = final / "hits.npy"
    if path.exists():
        return np.load(path)
    with file_lock(final):  # oct4 and mafk scan the same files: one process scans, the other waits
        if path.exists():
            return np.load(path)
        hits = scan(motifs, X, threshold)
        with atomic_directory(final) as tmp:
            np.save(tmp / "hits.npy", hits)
    return hits


def make_realistic(spec, files: dict, progress: bool, rng_for) -> tuple:
    """Build a realistic task.

    Returns
    -------
    (sim, kept motifs key -> (w, 4), motif table, database info, extra
    manifest entries, signal (N,) or None) for `tasks.build`.
    """
    if spec.source == "fasta_pair":
        pos_X, neg_X, counts = read_fasta_pair(files["positives"], files["negatives"], spec.non_acgt)
        all_pos_X, all_neg_X = pos_X, neg_X
        signal, regions = None, {}
        neg_index = np.arange(len(neg_X))
        if spec.max_positives:
            pos_X = pos_X[: spec.max_positives]
        if spec.max_negatives and len(neg_X) > spec.max_negatives:
            neg_index = np.sort(rng_for(spec, 0).choice(len(neg_X), spec.max_negatives, replace=False))
            neg_X = neg_X[neg_index]
    else:
        pos_X, neg_X, signal, counts, regions = read_genome_peaks(
            files["genome"], files["peaks"], files["background_peaks"], files.get("bigwig"),
            spec.region_size, spec.max_positives, spec.max_negatives, rng_for(spec, 0), progress,
        )
        neg_index = np.arange(len(neg_X))
        if "bigwig" not in files:
            signal = None
    length = pos_X.shape[1]
    bar = tqdm(total=6, desc=f"task {spec.name}", disable=not progress, leave=False)
    stage = _stage_reporter(bar)
    stage("loading motifs")
    database, db_info = load_database(spec)
    names = list(database)

    stage(f"scanning {len(names)} motifs in {len(pos_X)} positives")
    pos_hits = cached_scan(database, db_info, pos_X, spec.fimo_threshold)
    if spec.enrichment_background == "negatives":
        bg_X = neg_X
    else:
        bg_X = shuffle_dinuc(pos_X, rng_for(spec, 2))
    stage(f"scanning {len(names)} motifs in {len(bg_X)} background sequences")
    bg_hits = cached_scan(database, db_info, bg_X, spec.fimo_threshold)
    table = enrichment_table(names, pos_hits, len(pos_X), bg_hits, len(bg_X), length)
    if spec.enrichment_background == "negatives":
        neg_hits = bg_hits
        stage("negatives are the background: scanned")
    else:
        stage(f"scanning {len(names)} motifs in {len(neg_X)} negatives")
        neg_hits = cached_scan(database, db_info, neg_X, spec.fimo_threshold)
    neg_counts = dict(zip(*np.unique(neg_hits["motif"], return_counts=True)))
    for name in names:
        table[name]["neg_hits"] = int(neg_counts.get(name, 0))

    candidates = [n for n in names if table[n]["pos_hits"] >= spec.min_pos_hits and table[n]["enrichment"] >= spec.min_enrichment]
    priority = "enrichment"  # the table column candidates are ranked by
    if spec.motif_priority == "enrichment_lower_bound":
        lower = enrichment_lower_bounds(names, pos_hits, len(pos_X), bg_hits, len(bg_X), length)
        for name in names:
            table[name]["enrichment_lower"] = lower[name]
        priority = "enrichment_lower"
    candidates.sort(key=lambda n: (-table[n][priority], n))
    if not candidates:
        top = sorted(names, key=lambda n: -table[n]["enrichment"])[:5]
        listing = "; ".join(f"{n}: {table[n]['pos_hits']} hits, ratio {table[n]['enrichment']}" for n in top)
        raise MotifError(
            f"task {spec.name!r}: no motif has >= {spec.min_pos_hits} hits in positives and enrichment "
            f">= {spec.min_enrichment} (the most enriched: {listing}); lower min_pos_hits or min_enrichment "
            f"in {spec.spec_path or 'the spec'}"
        )
    mapping = {n: n for n in candidates}
    stage(f"collapsing {len(candidates)} candidate motifs")
    if spec.collapse and len(candidates) > 1:
        mapping = collapse(candidates, database, _tomtom_targets(spec, database), spec.collapse_pvalue)
    kept = [n for n in candidates if mapping[n] == n]
    if spec.max_motifs:
        kept = kept[: spec.max_motifs]
    kept_set = set(kept)

    pos_kept = pos_hits[np.isin(pos_hits["motif"], kept)]
    neg_kept = neg_hits[np.isin(neg_hits["motif"], kept)]
    stage(f"simulating with {len(kept)} motifs")
    sim = simulate_realistic(pos_X, neg_X, pos_kept, neg_kept, rng_for(spec, 4), hit_positions=spec.hit_positions)
    bar.close()

    for name in names:
        row = table[name]
        row["candidate"] = name in mapping
        row["collapsed_into"] = mapping.get(name) if mapping.get(name, name) != name else None
        row["kept"] = name in kept_set
    on_pos = sim["y"][sim["hits"]["seq"]] == 1
    for name in kept:
        mine = sim["hits"]["motif"] == name
        table[name]["pasted_pos"] = int((mine & on_pos).sum())
        table[name]["pasted_neg"] = int((mine & ~on_pos).sum())
    motif_table = sorted(table.values(), key=lambda r: (not r["kept"], not r["candidate"], -r[priority], r["motif"]))

    kept_pos = sim["pos_rows"]
    sim["provenance"] = {
        # row of X -> index of its sequence in the positive / negative input (after ordering and subsampling)
        "source_index": np.concatenate([kept_pos, neg_index]).astype(np.int64),
        # row of X -> index of the positive whose dinucleotide shuffle is its background
        "background_source": np.concatenate([kept_pos, kept_pos[sim["neg_source"]]]).astype(np.int64),
    }
    if regions:
        sim["provenance"]["chrom"] = np.concatenate([regions["pos_chrom"][kept_pos], regions["neg_chrom"]]).astype(str)
        sim["provenance"]["start"] = np.concatenate([regions["pos_start"][kept_pos], regions["neg_start"]]).astype(np.int64)
    row_signal = None
    if signal is not None:
        row_signal = np.concatenate([signal[sim["pos_rows"]], np.full(len(neg_X), -np.inf)])
    extra = {
        "counts": {
            **counts,
            "positives_scanned": int(len(pos_X)),
            "positives_without_kept_hit": int(len(pos_X) - len(sim["pos_rows"])),
            "n_positives": int((sim["y"] == 1).sum()),
            "n_negatives": int((sim["y"] == 0).sum()),
            "candidates": len(candidates),
            "kept": len(kept),
        },
        "filter": {
            "min_pos_hits": spec.min_pos_hits, "min_enrichment": spec.min_enrichment,
            "enrichment_background": spec.enrichment_background, "collapse": spec.collapse,
            "collapse_pvalue": spec.collapse_pvalue, "max_motifs": spec.max_motifs,
            "fimo_threshold": spec.fimo_threshold,
            # absent under the older rule ("enrichment"), whose datasets keep their hashes and bytes
            **({"motif_priority": spec.motif_priority} if spec.motif_priority != "enrichment" else {}),
        },
    }
    kept_motifs = {n: database[n] for n in kept}
    if spec.held_out_test_peaks:
        sim, extra["counts"]["held_out_test"] = append_held_out(
            spec, sim, all_pos_X, all_neg_X, neg_index, kept_motifs, rng_for)
    return sim, kept_motifs, motif_table, db_info, extra, row_signal


def append_held_out(spec, sim: dict, all_pos_X: np.ndarray, all_neg_X: np.ndarray, neg_index: np.ndarray,
                    kept: dict, rng_for) -> tuple[dict, dict]:
    """`sim` with `spec.held_out_test_peaks` more sequences per class appended, and their counts.

    all_pos_X, all_neg_X: (P, L, 4), (M, L, 4) every sequence of the two FASTA files; neg_index:
    the negatives the task itself took. The held-out positives are the next ones in file order
    after the task's `max_positives`; the held-out negatives a seeded draw from those the task did
    not take. They are scanned for the kept motifs only (the filter never sees them) and simulated
    like the task's own rows (`simulate_realistic`, their own seeded stream); positives without a
    kept hit are dropped as usual. The appended rows come last, ``sim["held_out"]`` (N,) bool marks
    them, and `tasks.build` puts them all in the test split.
    """
    n = int(spec.held_out_test_peaks)
    spare_pos = np.arange(spec.max_positives, len(all_pos_X))
    spare_neg = np.setdiff1d(np.arange(len(all_neg_X)), neg_index)
    if len(spare_pos) < n or len(spare_neg) < n:
        raise MotifError(
            f"task {spec.name!r}: held_out_test_peaks = {n} but only {len(spare_pos)} positives and {len(spare_neg)} "
            f"negatives are left outside the task's own; lower it in {spec.spec_path or 'the spec'}"
        )
    pos_rows = spare_pos[:n]
    neg_rows = np.sort(rng_for(spec, 5).choice(spare_neg, n, replace=False))
    pos_X, neg_X = all_pos_X[pos_rows], all_neg_X[neg_rows]
    held = simulate_realistic(pos_X, neg_X, scan(kept, pos_X, spec.fimo_threshold), scan(kept, neg_X, spec.fimo_threshold),
                              rng_for(spec, 6), hit_positions=spec.hit_positions)
    offset = len(sim["y"])
    hits = held["hits"].copy()
    hits["seq"] += offset
    merged = {key: np.concatenate([sim[key], held[key]]) for key in ("X", "y", "mask", "background")}
    merged["hits"] = np.concatenate([sim["hits"], hits])
    merged["held_out"] = np.concatenate([np.zeros(offset, dtype=bool), np.ones(len(held["y"]), dtype=bool)])
    merged["provenance"] = {
        "source_index": np.concatenate([sim["provenance"]["source_index"], pos_rows[held["pos_rows"]], neg_rows]),
        "background_source": np.concatenate([sim["provenance"]["background_source"], pos_rows[held["pos_rows"]],
                                             pos_rows[held["pos_rows"]][held["neg_source"]]]),
    }
    counts = {"positives_scanned": n, "positives_without_kept_hit": int(n - len(held["pos_rows"])),
              "n_positives": int(held["y"].sum()), "n_negatives": int(len(held["y"]) - held["y"].sum())}
    return merged, counts


def _stage_reporter(bar):
    """A function that logs a stage and advances the progress bar."""
    started = [False]

    def stage(text: str) -> None:
        if started[0]:
            bar.update(1)
        started[0] = True
        bar.set_postfix_str(text)
        log.info(text)

    return stage


def _tomtom_targets(spec, database: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The whole database (not just a selection) as TOMTOM targets, for stable p-values."""
    if not spec.motifs:
        return database
    if spec.motif_database == "meme":
        return read_meme(spec.resolve_path("motif_file"))
    return load_jaspar(spec.jaspar_release, spec.jaspar_collection, spec.taxon)
