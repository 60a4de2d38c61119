"""Grammar scores (benchmark.scores.grammar) on hand-made maps, and double-mutant epistasis
(benchmark.scores.interactions) on hand-built models with known interaction terms."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.scores.grammar import decoy_auc, instance_scores, pairwise_auc, rule_score, signed_recovery
from benchmark.scores.interactions import first_pair_spans, pair_epistasis
from tasks.grammar_rules import CANCELLED, DECOY, INSTANCE_DTYPE, REPRESSOR, SATISFYING

L = 60
SIGN = {SATISFYING: 1, CANCELLED: 1, DECOY: 0, REPRESSOR: -1}


def table(rows: list[tuple]) -> np.ndarray:
    """INSTANCE_DTYPE rows from (seq, letter, start, role)."""
    return np.array([(seq, f"motif_{letter}", letter, start, start + 6, "+", 10.0, role, SIGN[role], 0.0, 0, 0, "+")
                     for seq, letter, start, role in rows], dtype=INSTANCE_DTYPE)


# An AND task in miniature: rows 0-1 positives (A at 5, B at 30, satisfying); rows 2-3 negatives
# with a lone A (row 2) and a lone B (row 3), decoys.
AND_TABLE = table([(0, "A", 5, SATISFYING), (0, "B", 30, SATISFYING), (1, "A", 5, SATISFYING), (1, "B", 30, SATISFYING),
                   (2, "A", 10, DECOY), (3, "B", 40, DECOY)])
# A repressor task: row 0 positive (A), row 1 negative with A + R (cancelled, acting), row 2 a lone R (decoy).
REP_TABLE = table([(0, "A", 5, SATISFYING), (1, "A", 5, CANCELLED), (1, "R", 30, REPRESSOR), (2, "R", 20, DECOY)])


def paint(values: dict[tuple[int, int], float], n: int, instances: np.ndarray) -> np.ndarray:
    """(n, L) map: value over the span of the instance at (seq, start); 0 elsewhere."""
    maps = np.zeros((n, L))
    for inst in instances:
        maps[inst["seq"], inst["start"]:inst["end"]] = values.get((int(inst["seq"]), int(inst["start"])), 0.0)
    return maps


def test_instance_scores_are_span_means_on_the_mapped_rows():
    maps = np.zeros((2, L))
    maps[1, 5:8] = 3.0  # half of the row-1 A's span
    scores, kept = instance_scores(maps, AND_TABLE, rows=np.array([3, 1]))
    assert kept["seq"].tolist() == [1, 1, 3] and np.allclose(scores, [1.5, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"\(E, L\)"):
        instance_scores(np.zeros((2, L, 4)), AND_TABLE)
    with pytest.raises(ValueError, match="non-finite"):
        instance_scores(np.full((4, L), np.nan), AND_TABLE)
    with pytest.raises(ValueError, match="past the maps' length"):
        instance_scores(np.zeros((4, 20)), AND_TABLE)


def test_a_map_that_follows_the_rule_scores_one_and_a_motif_finder_one_half():
    rule_map = paint({(0, 5): 2.0, (0, 30): 2.0, (1, 5): 1.0, (1, 30): 1.5}, 4, AND_TABLE)  # decoys 0
    assert decoy_auc(rule_map, AND_TABLE) == 1.0 and rule_score(rule_map, AND_TABLE) == 1.0
    assert signed_recovery(rule_map, AND_TABLE) == 1.0
    finder = paint({key: 1.0 for key in [(0, 5), (0, 30), (1, 5), (1, 30), (2, 10), (3, 40)]}, 4, AND_TABLE)
    assert decoy_auc(finder, AND_TABLE) == 0.5 and rule_score(finder, AND_TABLE) == 0.5


def test_marking_one_member_of_each_pair_is_caught_by_the_rule_score():
    half = paint({(0, 5): 2.0, (1, 5): 2.0}, 4, AND_TABLE)  # only the As of the positives
    assert decoy_auc(half, AND_TABLE) == 0.75  # As beat both decoys, Bs tie them
    assert rule_score(half, AND_TABLE) == 0.5  # each pair's weakest member (its B) ties the decoys


def test_docstring_examples():
    assert pairwise_auc([3, 1], [1, 0]) == 0.875 and np.isnan(pairwise_auc([], [1.0]))
    pair_map = paint({(0, 5): 2.0, (0, 30): 1.0, (2, 10): 1.0, (3, 40): 0.0}, 4, AND_TABLE)
    assert decoy_auc(pair_map[[0, 2, 3]], AND_TABLE, rows=np.array([0, 2, 3])) == 0.875  # row 1 not mapped
    two = table([(0, "A", 5, SATISFYING), (0, "B", 30, SATISFYING), (1, "A", 5, SATISFYING), (1, "B", 30, SATISFYING),
                 (2, "A", 10, DECOY), (3, "B", 40, DECOY)])
    maps = paint({(0, 5): 2.0, (0, 30): 1.5, (1, 5): 2.0, (1, 30): 0.0, (2, 10): 1.0, (3, 40): 0.5}, 4, two)
    assert rule_score(maps, two) == 0.5
    rep = table([(0, "A", 5, SATISFYING), (1, "A", 5, SATISFYING), (2, "R", 20, DECOY), (3, "R", 20, DECOY),
                 (4, "R", 30, REPRESSOR), (5, "R", 30, REPRESSOR)])
    maps = paint({(0, 5): 1.0, (1, 5): 1.0, (2, 20): 0.0, (3, 20): 0.1, (4, 30): -1.0, (5, 30): 0.2}, 6, rep)
    assert rule_score(maps, rep) == 0.75
    acts = table([(i, "A", 5, SATISFYING) for i in range(3)] + [(3 + i, "R", 5, REPRESSOR) for i in range(2)])
    maps = paint({(0, 5): 2.0, (1, 5): 0.5, (2, 5): -0.1, (3, 5): -1.0, (4, 5): 0.0}, 5, acts)
    assert signed_recovery(maps, acts) == pytest.approx((2 / 3 + 0.75) / 2)


def test_sign_scores_on_the_repressor_task():
    signed = paint({(0, 5): 1.0, (1, 5): 0.8, (1, 30): -0.8, (2, 20): 0.0}, 3, REP_TABLE)
    assert signed_recovery(signed, REP_TABLE) == 1.0 and rule_score(signed, REP_TABLE) == 1.0
    unsigned = np.abs(signed)  # a magnitude-only map cannot show repression
    assert signed_recovery(unsigned, REP_TABLE) == 0.5
    assert rule_score(unsigned, REP_TABLE) == 0.5  # the acting R sits above the lone R
    shifted = signed + 5.0  # the rule score compares instances, so an offset does not change it
    assert rule_score(shifted, REP_TABLE) == 1.0 and signed_recovery(shifted, REP_TABLE) == 0.5


def test_scores_without_decoys_or_signs_are_nan():
    positives_only = AND_TABLE[AND_TABLE["role"] == SATISFYING]
    maps = np.ones((2, L))
    assert np.isnan(decoy_auc(maps, positives_only)) and np.isnan(rule_score(maps, positives_only))
    assert signed_recovery(maps, positives_only) == 1.0
    assert np.isnan(signed_recovery(np.ones((4, L)), AND_TABLE[AND_TABLE["role"] == DECOY]))


KMER_A, KMER_B = np.array([0, 1, 2, 3, 0, 1]), np.array([3, 3, 2, 2, 1, 1])  # ACGTAC, TTGGCC


def contains(X: np.ndarray, kmer: np.ndarray) -> np.ndarray:
    index = X.argmax(-1)
    windows = np.lib.stride_tricks.sliding_window_view(index, len(kmer), axis=1)
    return (windows == kmer).all(-1).any(-1).astype(np.float64)


def make_model(w_a: float, w_b: float, w_ab: float):
    return lambda X: w_a * contains(X, KMER_A) + w_b * contains(X, KMER_B) + w_ab * contains(X, KMER_A) * contains(X, KMER_B)


def planted(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 2, size=(n, L)) * 2  # A/G only: neither k-mer can occur by chance
    X = background.copy()
    starts_a, starts_b = rng.integers(0, 20, n), rng.integers(30, 50, n)
    for i in range(n):
        X[i, starts_a[i]:starts_a[i] + 6], X[i, starts_b[i]:starts_b[i] + 6] = KMER_A, KMER_B
    eye = np.eye(4, dtype=np.float32)
    span_a, span_b = np.stack([starts_a, starts_a + 6], 1), np.stack([starts_b, starts_b + 6], 1)
    return eye[X], eye[background], span_a, span_b


def test_epistasis_recovers_the_interaction_term():
    X, infill, span_a, span_b = planted(7, 0)
    result = pair_epistasis(make_model(1.0, 2.0, 3.0), X, span_a, span_b, infill, batch_size=5)
    assert np.allclose(result["full"], 6.0) and np.allclose(result["without_both"], 0.0)
    assert np.allclose(result["effect_a"], 4.0) and np.allclose(result["epistasis"], 3.0)
    assert np.allclose(pair_epistasis(make_model(1.0, 2.0, 0.0), X, span_a, span_b, infill)["epistasis"], 0.0)
    # a repressor: B cancels A (f = [A] - [A][B]) -> negative epistasis
    assert np.allclose(pair_epistasis(make_model(1.0, 0.0, -1.0), X, span_a, span_b, infill)["epistasis"], -1.0)


def test_epistasis_rejects_bad_spans_and_outputs():
    X, infill, span_a, span_b = planted(3, 1)
    with pytest.raises(ValueError, match="overlap"):
        pair_epistasis(make_model(1, 1, 1), X, span_a, span_a, infill)
    with pytest.raises(ValueError, match="span_b of sequence 0"):
        pair_epistasis(make_model(1, 1, 1), X, span_a, np.array([[55, 70]] * 3), infill)
    with pytest.raises(ValueError, match="one output per sequence"):
        pair_epistasis(lambda x: np.zeros((len(x), 2)), X, span_a, span_b, infill)


def test_first_pair_spans_reads_the_instance_table():
    span_a, span_r = first_pair_spans(REP_TABLE, np.array([1]), letters=("A", "R"))
    assert span_a.tolist() == [[5, 11]] and span_r.tolist() == [[30, 36]]
    with pytest.raises(ValueError, match="row 0 has no R"):
        first_pair_spans(REP_TABLE, np.array([0]), letters=("A", "R"))
