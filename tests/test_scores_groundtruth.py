"""Used hits against a null: hit-free spans of the same length, a gate on the model's separation, statuses."""

import numpy as np
import pytest

from benchmark.scores import groundtruth, scoring
from tasks.dataset import HIT_DTYPE, Dataset

L = 60
PATTERN = np.array([0, 0, 2, 0, 0, 1, 0, 3])  # AAGAACAT
EYE = np.eye(4, dtype=np.float32)


def planted_dataset(n=160, seed=0):
    """Positives carry PATTERN (hit "PAT") and a random 8-mer labelled as a hit ("DECOY"); negatives carry neither."""
    rng = np.random.default_rng(seed)
    X = EYE[rng.integers(0, 4, size=(n, L))]
    y = np.array([1, 0] * (n // 2), dtype=np.int8)
    is_test = np.arange(n) >= n // 2
    mask, hits = np.zeros((n, L), bool), []
    for row in np.flatnonzero(y == 1):
        start = int(rng.integers(0, 20))
        X[row, start : start + 8] = EYE[PATTERN]
        decoy = int(rng.integers(32, L - 8))
        hits += [(row, "PAT", start, start + 8, "+", 5.0), (row, "DECOY", decoy, decoy + 8, "+", 5.0)]
        mask[row, start : start + 8] = mask[row, decoy : decoy + 8] = True
    eval_index = np.flatnonzero(is_test & (y == 1))
    return Dataset(name="toy", X=X, y=y, is_test=is_test, mask=mask, hits=np.array(hits, dtype=HIT_DTYPE),
                   eval_index=eval_index, motifs={}, manifest={"hash": "toy"})


def pattern_score(X):
    """Best match count of PATTERN over all windows (8 where it is planted, about 2-4 elsewhere)."""
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(X)[..., :], 8, axis=1)  # (N, L-7, 4, 8)
    return windows[:, :, PATTERN, np.arange(8)].sum(-1).max(1)


class PatternModel:
    """Reads PATTERN and nothing else."""

    kind = "keras"

    def predict_logit(self, X):
        return 2.0 * pattern_score(X)


class EverywhereModel:
    """Reads PATTERN, and also every position through fixed random weights (so any shuffle moves its logit)."""

    kind = "keras"
    weights = np.random.default_rng(7).normal(0, 0.5, size=(L, 4))

    def predict_logit(self, X):
        return 2.0 * pattern_score(X) + (np.asarray(X) * self.weights).sum((1, 2))


class ChanceModel:
    """Reads positions 0-17 with random weights: positives and negatives alike (a model at chance level)."""

    kind = "keras"
    weights = np.random.default_rng(3).normal(0, 3, size=(18, 4))

    def predict_logit(self, X):
        return (np.asarray(X)[:, :18] * self.weights).sum((1, 2))


def test_hits_the_model_reads_are_used_and_decoys_are_not():
    data = planted_dataset()
    truth = groundtruth.compute(PatternModel(), data, 40)
    assert truth.info["status"] == "ok" and truth.info["n_null"] >= groundtruth.MIN_NULL
    used = truth.info["used_by_motif"]
    assert used["PAT"][0] == used["PAT"][1] == 40
    assert used["DECOY"][0] <= 4  # a shuffled background span moves this model as much as a decoy does
    assert not (truth.used & ~truth.mask).any()


def test_the_null_keeps_a_model_that_reads_every_position_from_using_every_hit():
    """The old rule (an effect above 5% of the positive-negative gap) marks half the decoys used here."""
    data = planted_dataset()
    model = EverywhereModel()
    truth = groundtruth.compute(model, data, 40)
    assert truth.info["status"] == "ok"
    pat, decoy = truth.info["used_by_motif"]["PAT"], truth.info["used_by_motif"]["DECOY"]
    assert pat[0] >= 0.95 * pat[1]
    assert decoy[0] / decoy[1] <= 0.25, decoy
    # what the old rule would have said on the same effects
    rows, X, _ = data.eval_set(40)
    hits = data.hits[np.isin(data.hits["seq"], rows)]
    row_of = {int(r): i for i, r in enumerate(rows)}
    effects = groundtruth.instance_effects(model, X, hits, row_of)
    X_test, y_test = data.split(True)
    gap = model.predict_logit(X).mean() - model.predict_logit(X_test[y_test == 0]).mean()
    old = np.abs(effects[hits["motif"] == "DECOY"]) >= 0.05 * gap
    assert old.mean() > 0.45 and old.mean() > 2.5 * decoy[0] / decoy[1], (old.mean(), decoy)


def test_a_chance_level_model_gets_no_used_hits_truth_and_says_why():
    data = planted_dataset()
    truth = groundtruth.compute(ChanceModel(), data, 40)
    assert truth.info["status"] == "not learned" and "Mann-Whitney" in truth.info["reason"]
    assert truth.info["gap_p"] >= groundtruth.GAP_ALPHA
    assert not truth.used.any() and not truth.weight.any()
    assert truth.info["n_used"] is None and all(v is None for v in truth.info["n_used_by_quantile"].values())
    scored = scoring.score(np.random.default_rng(0).normal(size=truth.mask.shape), truth)
    assert np.isnan(scored["used_hits"]["abs"]["auprc_mean"]) and scored["used_hits"]["abs"]["n_scored"] == 0
    assert np.isfinite(scored["all_hits"]["abs"]["auprc_mean"])  # all hits are scored as always


def test_extra_quantiles_give_nested_truths_and_their_own_keys():
    data = planted_dataset()
    truth = groundtruth.compute(EverywhereModel(), data, 40)
    counts = truth.info["n_used_by_quantile"]
    assert set(counts) == {str(q) for q in (groundtruth.QUANTILE, *groundtruth.EXTRA_QUANTILES)}
    assert counts["0.9"] >= counts["0.95"] >= counts["0.99"] and counts["0.95"] == truth.info["n_used"]
    assert set(truth.by_fraction) == set(groundtruth.EXTRA_QUANTILES)
    scored = scoring.score(np.abs(np.random.default_rng(1).normal(size=truth.mask.shape)), truth)
    assert set(scored) == {"all_hits", "used_hits", "used_hits@0.9", "used_hits@0.99"}


def test_null_spans_match_length_and_sequence_and_avoid_every_hit():
    hits = np.array([(0, "A", 5, 13, "+", 1.0), (0, "B", 30, 40, "+", 1.0), (1, "A", 0, 55, "+", 1.0)], dtype=HIT_DTYPE)
    spans = groundtruth.block_spans(hits, [np.array([0]), np.array([1]), np.array([2])])
    nulls = groundtruth.null_spans(spans, hits, 60, n_null=3, seed=4)
    assert np.array_equal(nulls, groundtruth.null_spans(spans, hits, 60, n_null=3, seed=4))
    assert set(nulls["seq"].tolist()) == {0}  # sequence 1 has no 55-long hit-free stretch
    for span in nulls:
        assert span["end"] - span["start"] in (8, 10)
        for hit in hits[hits["seq"] == span["seq"]]:
            assert span["end"] <= hit["start"] or span["start"] >= hit["end"]
    assert len(nulls) == 6


def test_separation_is_one_sided():
    assert groundtruth.separation(np.array([5.0, 6, 7, 8, 9]), np.array([0.0, 1, 2, 3, 4]))["p_value"] < 0.01
    below = groundtruth.separation(np.array([0.0, 1, 2]), np.array([5.0, 6, 7]))
    assert below["p_value"] > 0.5 and below["gap"] < 0
    assert np.isnan(groundtruth.separation(np.array([1.0]), np.zeros(0))["p_value"])


@pytest.mark.parametrize("model", [PatternModel(), ChanceModel()])
def test_ground_truth_scores_the_eval_sequences_in_three_calls(model):
    """Eval logits, test negatives, then every shuffled variant (hits and null spans) in one call."""
    calls = []

    class Counting:
        kind = "gkmsvm"

        def predict_logit(self, X):
            calls.append(len(X))
            return model.predict_logit(X)

    data = planted_dataset()
    truth = groundtruth.compute(Counting(), data, 40)
    assert len(calls) == 3 and calls[0] == len(truth.rows) == 40
    assert calls[2] == (truth.info["n_blocks"] + truth.info["n_null"]) * truth.info["n_shuffles"]


def test_overlapping_instances_are_shuffled_together_as_one_block():
    """PAT written as two overlapping instances (0-6 and 2-8 of the pattern): one block, both used, one shuffle."""
    data = planted_dataset()
    rows = data.eval_set(40)[0]
    split = []
    for hit in data.hits:
        if hit["motif"] == "PAT" and hit["seq"] == rows[0]:
            s = int(hit["start"])
            split += [(hit["seq"], "PAT_A", s, s + 6, "+", 5.0), (hit["seq"], "PAT_B", s + 2, s + 8, "+", 5.0)]
        else:
            split.append(tuple(hit))
    hits = np.array(split, dtype=HIT_DTYPE)
    data = Dataset(name="toy", X=data.X, y=data.y, is_test=data.is_test, mask=data.mask, hits=hits,
                   eval_index=data.eval_index, motifs={}, manifest={"hash": "toy"})
    truth = groundtruth.compute(PatternModel(), data, 40)
    assert truth.info["used_by_motif"]["PAT_A"] == [1, 1] and truth.info["used_by_motif"]["PAT_B"] == [1, 1]
    assert truth.info["n_hits_in_shared_blocks"] == 2 and truth.info["n_blocks"] == truth.info["n_hits"] - 1
