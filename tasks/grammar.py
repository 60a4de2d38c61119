"""Grammar tasks: real motif instances implanted into shuffled real peaks under a labelling rule.

The rules, configurations and roles are in `tasks.grammar_rules`; the spec's
``[grammar]`` table in `tasks.grammar_spec`. A grammar task is built like this:

1. the spec's positive and negative FASTA files (the embedded Oct4 and MafK
   peaks by default) are read and joined: the *sources*;
2. each letter's motif (A, B, R) is scanned in the sources with FIMO at
   ``fimo_threshold``; its hits are the letter's instance pool (real bases,
   never PWM samples);
3. each sequence draws a configuration for its class, its background is a
   dinucleotide shuffle (`tasks.simulate.shuffle_dinuc`) of a source drawn
   uniformly (the same way for both classes, so composition carries no
   label), and each instance of the configuration is an independently drawn
   pool hit, pasted with its original bases (reverse-complemented when it is
   placed on the other strand than it was found on);
4. instances placed on their own go at uniformly random non-overlapping places
   at least ``margin`` bp apart (each is placed as a block ``margin`` bp wider than
   itself, `tasks.simulate.random_block_starts`, so none ends in the last ``margin``
   bp); the spacing rule's A-B pair is one such block at a random place;
5. every finished sequence is scanned again for all of the task's motifs, and
   it is kept only when FIMO finds exactly the planted instances (same motif,
   start, end, strand) and nothing else. A sequence with a chance hit in its
   shuffled background, or one made where an instance meets the background, is
   drawn again (up to `MAX_ROUNDS` rounds). So a FIMO scan of the task reads its
   labels back through the rule: the sequences mean what the labels say.

Ground truth beyond the usual mask: ``instances`` (`INSTANCE_DTYPE`: each
planted instance's role, expected sign and Shapley value under the rule) and
``role_mask`` (N, L) int8, the role code at each planted position (0 elsewhere).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from tasks.grammar_rules import (
    INSTANCE_DTYPE, NONE, PAIR_ARRANGEMENTS, ROLE_NAMES, draw_configuration, pair_block, roles_from_shapley, shapley_values,
)
from tasks.motifs import MotifError, load_database
from tasks.scan import scan
from tasks.simulate import hit_array, mask_from_hits, random_block_starts, shuffle_dinuc

log = logging.getLogger(__name__)
MAX_ROUNDS = 25
_COMPLEMENT = [3, 2, 1, 0]  # A,C,G,T -> T,G,C,A


class GrammarError(ValueError):
    """A grammar task cannot be built as specified (no instances, a motif that keeps appearing by chance)."""


def simulate_grammar(grammar, sources: np.ndarray, pools: dict[str, np.ndarray], keys: dict[str, str],
                     matrices: dict[str, np.ndarray], n_positives: int, n_negatives: int, threshold: float,
                     rng: np.random.Generator) -> dict:
    """Shuffled source backgrounds with pool instances implanted under the rule (see the module docstring).

    Parameters
    ----------
    grammar: the task's `GrammarSpec`.
    sources: (S, L, 4) uint8 one-hot source sequences.
    pools: letter -> HIT_DTYPE hits of its motif in `sources` (``seq`` = row of sources).
    keys: letter -> motif key (the name written in the hit tables).
    matrices: motif key -> (w, 4) frequency matrix, for the clean-sequence scan.
    n_positives, n_negatives: rows of each class.
    threshold: FIMO p-value threshold of the pools and of the clean-sequence scan.
    rng: the generator of every draw.

    Returns
    -------
    dict with X (N, L, 4) uint8 (positives first), y (N,) int8, background (N, L, 4) uint8
    (each row's shuffle before pasting), instances (INSTANCE_DTYPE, sorted by seq, start),
    hits (HIT_DTYPE, the same rows), mask (N, L) bool, role_mask (N, L) int8,
    background_source (N,) int64 (row of `sources` shuffled), configuration (N,) str, and
    rounds / candidates (how many draws the clean-sequence check needed).
    """
    for letter in grammar.letters():
        if len(pools[letter]) == 0:
            raise GrammarError(f"motif {keys[letter]} ({letter}) has no FIMO hit at p < {threshold} in the sources; "
                               "choose another motif or raise fimo_threshold")
    labels = np.concatenate([np.ones(n_positives, np.int8), np.zeros(n_negatives, np.int8)])
    n, length = len(labels), sources.shape[1]
    X = np.zeros((n, length, 4), np.uint8)
    background = np.zeros_like(X)
    bg_source = np.zeros(n, np.int64)
    configuration = np.empty(n, dtype="U24")
    planted: list[list[tuple]] = [[] for _ in range(n)]
    missing = np.arange(n)
    rounds = candidates = 0
    while len(missing):
        if rounds == MAX_ROUNDS:
            raise GrammarError(f"{len(missing)} of {n} sequences still carry a chance hit of {', '.join(keys.values())} "
                               f"after {MAX_ROUNDS} draws; choose longer, more specific motifs or lower fimo_threshold")
        rounds += 1
        candidates += len(missing)
        drawn = [_draw_row(grammar, int(labels[row]), pools, sources, length, rng) for row in missing]
        source_rows = rng.integers(0, len(sources), size=len(missing))
        shuffled = shuffle_dinuc(sources[source_rows], rng)
        made = shuffled.copy()
        for i, (_, instances) in enumerate(drawn):
            for inst in instances:
                made[i, inst["start"]:inst["end"]] = _instance_bases(sources, inst)
        clean = _clean(made, drawn, keys, matrices, threshold)
        for i in np.flatnonzero(clean):
            row = missing[i]
            X[row], background[row], bg_source[row] = made[i], shuffled[i], source_rows[i]
            configuration[row], planted[row] = drawn[i]
        missing = missing[~clean]
    instances = _ground_truth(grammar, planted, labels, keys)
    hits = hit_array([tuple(r[k] for k in ("seq", "motif", "start", "end", "strand", "score")) for r in instances])
    role_mask = np.zeros((n, length), np.int8)
    for inst in instances:
        role_mask[inst["seq"], inst["start"]:inst["end"]] = inst["role"]
    return {"X": X, "y": labels, "background": background, "instances": instances, "hits": hits,
            "mask": mask_from_hits(hits, n, length), "role_mask": role_mask, "background_source": bg_source,
            "configuration": configuration, "rounds": rounds, "candidates": candidates}


def _draw_row(grammar, label: int, pools: dict, sources: np.ndarray, length: int, rng) -> tuple[str, list[dict]]:
    """(configuration, instances as dicts of letter/start/end/strand/src/src_start/src_strand/score) of one row."""
    config = draw_configuration(grammar.rule, label, rng)
    picks = {}  # letter -> pool rows drawn for it, in the order its instances are laid out
    letters = "AB" if config in PAIR_ARRANGEMENTS else config
    for letter in letters:
        picks.setdefault(letter, []).append(int(rng.integers(len(pools[letter]))))
    chosen = {letter: [pools[letter][j] for j in rows] for letter, rows in picks.items()}
    widths = {letter: int(hit["end"] - hit["start"]) for letter, hits in chosen.items() for hit in hits[:1]}
    if config in PAIR_ARRANGEMENTS:
        width, parts = pair_block(config, widths, grammar.spacing, grammar.orientation, grammar.max_gap, rng)
        blocks = [(width, parts)]
    else:
        blocks = [(widths[letter], [(letter, 0, "+" if rng.random() < 0.5 else "-")]) for letter in config]
    starts = random_block_starts(np.array([w + grammar.margin for w, _ in blocks], np.int64), length, rng)
    used = {letter: 0 for letter in chosen}
    instances = []
    for (_, parts), start in zip(blocks, starts):
        for letter, offset, strand in parts:
            hit = chosen[letter][used[letter]]
            used[letter] += 1
            begin = int(start) + offset
            instances.append({"letter": letter, "start": begin, "end": begin + int(hit["end"] - hit["start"]),
                              "strand": strand, "src": int(hit["seq"]), "src_start": int(hit["start"]),
                              "src_strand": str(hit["strand"]), "score": float(hit["score"])})
    return config, sorted(instances, key=lambda inst: inst["start"])


def _instance_bases(sources: np.ndarray, inst: dict) -> np.ndarray:
    """(w, 4) the instance's source bases, reverse-complemented when placed on the other strand."""
    bases = sources[inst["src"], inst["src_start"]:inst["src_start"] + inst["end"] - inst["start"]]
    return bases if inst["strand"] == inst["src_strand"] else bases[::-1][:, _COMPLEMENT]


def _clean(made: np.ndarray, drawn: list, keys: dict, matrices: dict, threshold: float) -> np.ndarray:
    """(M,) bool: FIMO finds exactly the planted instances in each made sequence."""
    found: list[set] = [set() for _ in range(len(made))]
    for hit in scan(matrices, made, threshold):
        found[hit["seq"]].add((str(hit["motif"]), int(hit["start"]), int(hit["end"]), str(hit["strand"])))
    expected = [{(keys[i["letter"]], i["start"], i["end"], i["strand"]) for i in instances} for _, instances in drawn]
    return np.array([f == e for f, e in zip(found, expected)], dtype=bool)


def _ground_truth(grammar, planted: list[list[dict]], labels: np.ndarray, keys: dict) -> np.ndarray:
    """INSTANCE_DTYPE rows of every planted instance with its Shapley value, expected sign and role."""
    rows = []
    for seq, instances in enumerate(planted):
        tuples = [(i["letter"], i["start"], i["end"], i["strand"]) for i in instances]
        phi = shapley_values(grammar.rule, tuples, grammar.spacing, grammar.orientation)
        role, sign = roles_from_shapley(int(labels[seq]), phi)
        for inst, p, r, s in zip(instances, phi, role, sign):
            rows.append((seq, keys[inst["letter"]], inst["letter"], inst["start"], inst["end"], inst["strand"],
                         inst["score"], r, s, p, inst["src"], inst["src_start"], inst["src_strand"]))
    return np.array(rows, dtype=INSTANCE_DTYPE) if rows else np.zeros(0, dtype=INSTANCE_DTYPE)


def role_prevalence(role_mask: np.ndarray, rows: np.ndarray | None = None) -> dict[str, float]:
    """Share of positions (over `rows`, default all) carrying each role, by role name."""
    part = role_mask if rows is None else role_mask[rows]
    return {ROLE_NAMES[code]: round(float((part == code).mean()), 6) for code in ROLE_NAMES if code != NONE}


def grammar_eval_rows(dataset, n_per_class: int | None = None) -> np.ndarray:
    """Sorted test rows of both classes that carry at least one instance (decoys live in negatives).

    The first `n_per_class` of each class in row order (all when None). (E,) int64.
    """
    if dataset.instances is None:
        raise ValueError(f"task {dataset.name!r} is not a grammar task (no instance table); build a source = 'grammar' spec")
    carries = np.zeros(len(dataset.y), dtype=bool)
    carries[dataset.instances["seq"]] = True
    rows = []
    for label in (1, 0):
        mine = np.flatnonzero(carries & dataset.is_test & (dataset.y == label))
        rows.append(mine if n_per_class is None else mine[:n_per_class])
    return np.sort(np.concatenate(rows)).astype(np.int64)


def grammar_eval_index(y: np.ndarray, is_test: np.ndarray, instances: np.ndarray, n_eval: int,
                       rng: np.random.Generator) -> np.ndarray:
    """The eval set of a grammar task: test rows of both classes that carry an instance, alternating.

    The decoys a grammar score needs sit in the negatives, so the eval set holds both
    classes: a seeded random sample of each (n_eval // 2 positives, the rest negatives),
    listed positive, negative, positive, ... so that its first n rows are balanced
    whatever n a run scores. (E,) int64, in that order (not sorted).
    """
    carries = np.zeros(len(y), dtype=bool)
    carries[instances["seq"]] = True
    wanted = {1: n_eval - n_eval // 2, 0: n_eval // 2}
    chosen = {}
    for label in (1, 0):
        pool = np.flatnonzero(carries & is_test & (y == label))
        chosen[label] = np.sort(rng.choice(pool, size=min(wanted[label], len(pool)), replace=False))
    order = []
    for i in range(max(len(chosen[1]), len(chosen[0]))):
        order += [int(chosen[label][i]) for label in (1, 0) if i < len(chosen[label])]
    return np.asarray(order, dtype=np.int64)


def load_letter_motifs(spec) -> tuple[dict[str, str], dict[str, np.ndarray], dict]:
    """(letter -> motif key, motif key -> (w, 4) matrix, database info) of a grammar spec's letters.

    Each letter must name exactly one motif of the spec's database (a JASPAR ID
    is always one; a TF name may match several versions: then name the ID).
    """
    keys, matrices, info = {}, {}, {}
    for letter, name in spec.grammar.motif_of().items():
        found, info = load_database(dataclasses.replace(spec, motifs=(name,)))
        if len(found) != 1:
            raise MotifError(f"task {spec.name!r}: [grammar] {letter} = {name!r} matches {len(found)} motifs "
                             f"({', '.join(found)}); give one JASPAR matrix ID in {spec.spec_path or 'the spec'}")
        (key, matrix), = found.items()
        keys[letter], matrices[key] = key, matrix
    info = {**info, "n_motifs": len(matrices)}
    return keys, matrices, info


def make_grammar(spec, files: dict, progress: bool, rng_for) -> tuple:
    """Build a grammar task for `tasks.build`.

    Returns
    -------
    (sim, motif key -> (w, 4), motif table, database info, extra manifest entries, None),
    like `tasks.realistic.make_realistic`; ``sim`` also carries ``instances``, ``role_mask``
    and ``provenance`` (``source_index`` = ``background_source``: the row of the joined
    positive + negative FASTA files whose shuffle is the background, and ``configuration``).
    """
    from tasks.realistic import cached_scan
    from tasks.sources import read_fasta_pair

    pos_X, neg_X, counts = read_fasta_pair(files["positives"], files["negatives"], spec.non_acgt)
    sources = np.concatenate([pos_X, neg_X])
    keys, matrices, db_info = load_letter_motifs(spec)
    hits = cached_scan(matrices, db_info, sources, spec.fimo_threshold)
    pools = {letter: hits[hits["motif"] == key] for letter, key in keys.items()}
    sim = simulate_grammar(spec.grammar, sources, pools, keys, matrices, spec.n_positives, spec.n_negatives,
                           spec.fimo_threshold, rng_for(spec, 4))
    sim["provenance"] = {"source_index": sim["background_source"], "background_source": sim["background_source"],
                         "configuration": sim["configuration"]}
    inst = sim["instances"]
    motif_table = []
    for letter, key in keys.items():
        pool = pools[letter]
        mine = inst[inst["letter"] == letter]
        on_pos = sim["y"][mine["seq"]] == 1
        motif_table.append({  # pos_hits / neg_hits: the instance pool, FIMO hits in the positive / negative file
            "motif": key, "letter": letter, "kept": True, "implanted": True,
            "pos_hits": int((pool["seq"] < len(pos_X)).sum()), "neg_hits": int((pool["seq"] >= len(pos_X)).sum()),
            "pasted_pos": int(on_pos.sum()), "pasted_neg": int((~on_pos).sum()),
            "roles": {ROLE_NAMES[code]: int((mine["role"] == code).sum()) for code in np.unique(mine["role"])},
        })
    configs, config_counts = np.unique(sim["configuration"], return_counts=True)
    y = sim["y"]
    extra = {
        "counts": {**counts, "n_positives": int(y.sum()), "n_negatives": int(len(y) - y.sum())},
        "grammar": {
            "rule": spec.grammar.rule,
            "letters": keys,
            "configurations": {str(c): int(k) for c, k in zip(configs, config_counts)},
            "role_prevalence": {"all": role_prevalence(sim["role_mask"]),
                                "positives": role_prevalence(sim["role_mask"], np.flatnonzero(y == 1)),
                                "negatives": role_prevalence(sim["role_mask"], np.flatnonzero(y == 0))},
            "instances": {ROLE_NAMES[code]: int((inst["role"] == code).sum()) for code in np.unique(inst["role"])},
            "clean_check": {"rounds": sim["rounds"], "candidates": sim["candidates"],
                            "redrawn": int(sim["candidates"] - len(y))},
        },
    }
    return sim, matrices, motif_table, db_info, extra, None
