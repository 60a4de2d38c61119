"""gkm-SVM models through gkmsvm-lite: same train / predict / cache interface as Keras."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from baselines import get_model, gkm_table, randomized_copy
from baselines.gkmsvm import balanced_subsample, predict_gkmsvm
from baselines.store import find_model


@pytest.fixture(scope="module")
def smoke():
    import tasks

    return tasks.build("smoke", progress=False)


@pytest.fixture(scope="module")
def svm(smoke, tmp_path_factory):
    return get_model(smoke, "gkmsvm", profile="smoke", progress=False, root=tmp_path_factory.mktemp("gkm"))


def test_gkmsvm_trains_above_chance_and_records_fidelity(svm):
    assert svm.kind == "gkmsvm" and svm.arch == "gkmsvm"
    assert svm.first_kernel_width is None and svm.conv_layer_names == []
    assert svm.fidelity["test_auroc"] > 0.75, svm.fidelity
    assert svm.fidelity["test_n"] == 200  # smoke profile: fidelity on a 200-sequence test subsample
    assert svm.params["max_train"] == 300 and svm.params["solver"] == "nystrom"
    manifest = json.loads((svm.path / "model.json").read_text())
    assert set(manifest["files"]) == {"gkmsvm.npz", "history.json"}
    history = json.loads((svm.path / "history.json").read_text())
    assert history["n_train"] == 300 and history["n_support_vectors"] > 0


def test_predict_logit_matches_the_gkmsvm_object(svm, smoke):
    X = smoke.X[:30]
    scores = svm.predict_logit(X)
    assert scores.shape == (30,) and scores.dtype == np.float32
    direct = np.asarray(svm.network(np.ascontiguousarray(X.transpose(0, 2, 1)))).reshape(-1)
    # predict_logit scores through the l-mer table (baselines.gkm_table) in float64, gkmsvm-lite in float32
    assert gkm_table.covers(svm.network)
    np.testing.assert_allclose(scores, direct, rtol=0, atol=1e-5 * np.abs(direct).max())
    np.testing.assert_array_equal(predict_gkmsvm(svm, X, batch_size=7), scores)  # batching does not matter
    # the decision value is reverse-complement symmetric (the kernel includes both strands)
    np.testing.assert_allclose(svm.predict_logit(X[:, ::-1, ::-1]), scores, rtol=1e-4, atol=1e-5)


def test_cached_gkmsvm_reloads_and_a_truncated_file_is_rebuilt(svm, smoke, caplog):
    again = get_model(smoke, "gkmsvm", profile="smoke", progress=False, root=svm.path.parent)
    np.testing.assert_array_equal(again.predict_logit(smoke.X[:20]), svm.predict_logit(smoke.X[:20]))
    weights = svm.path / "gkmsvm.npz"
    weights.write_bytes(weights.read_bytes()[:100])
    assert find_model(smoke, "gkmsvm", profile="smoke", root=svm.path.parent) is None
    with caplog.at_level(logging.WARNING, logger="baselines"):
        rebuilt = get_model(smoke, "gkmsvm", profile="smoke", progress=False, root=svm.path.parent)
    assert "gkmsvm.npz does not match" in caplog.text
    np.testing.assert_array_equal(rebuilt.predict_logit(smoke.X[:20]), svm.predict_logit(smoke.X[:20]))


def test_randomized_copy_refuses_gkmsvm(svm):
    with pytest.raises(ValueError, match="randomized_copy needs a Keras model.*gkmsvm"):
        randomized_copy(svm)


def test_bad_gkmsvm_settings(smoke, tmp_path):
    with pytest.raises(ValueError, match="solver must be one of"):
        get_model(smoke, "gkmsvm", profile="smoke", root=tmp_path, solver="fast")
    with pytest.raises(ValueError, match="l=150 is longer than the sequences"):
        get_model(smoke, "gkmsvm", profile="smoke", root=tmp_path, l=150)
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []


def test_balanced_subsample():
    y = np.array([1] * 30 + [0] * 170)
    rows = balanced_subsample(y, 40, seed=0)
    assert len(rows) == 40 and y[rows].sum() == 20
    rows = balanced_subsample(y, 100, seed=0)
    assert len(rows) == 100 and y[rows].sum() == 30  # too few positives: negatives fill the rest
    np.testing.assert_array_equal(balanced_subsample(y, 100, seed=0), rows)
    assert len(balanced_subsample(y, None, seed=0)) == 200


def test_hamming_offsets_reach_every_lmer_within_the_radius_once():
    table = np.array([4.0, 2.0, 1.0, 0.0])
    offsets, weights = gkm_table.hamming_offsets(3, 2, table)
    assert len(offsets) == 1 + 3 * 3 + 3 * 9 and len(set(offsets.tolist())) == len(offsets)
    word = 0b10_01_11  # an arbitrary packed 3-mer
    reached = word ^ offsets
    bases = lambda w: [(int(w) >> (2 * i)) & 3 for i in range(3)]  # noqa: E731
    mismatches = np.array([sum(a != b for a, b in zip(bases(r), bases(word))) for r in reached])
    assert mismatches.max() == 2 and np.array_equal(weights, table[mismatches])


def test_the_lmer_table_gives_gkmsvm_lites_decision_values_at_the_default_lmer_length(smoke, tmp_path):
    # the default profile's l = 11, k = 7, d = 3 (three mismatches reach the kernel), on the smoke task
    model = get_model(smoke, "gkmsvm", profile="smoke", progress=False, root=tmp_path, l=11, k=7, d=3)
    x = np.ascontiguousarray(smoke.X[:40].transpose(0, 2, 1))
    direct = np.asarray(model.network(x), np.float64).reshape(-1)
    by_table = gkm_table.decision_values(model.network, x)
    np.testing.assert_allclose(by_table, direct, rtol=0, atol=1e-5 * np.abs(direct).max())
    assert np.ptp(direct) > 0.1  # a real spread of scores, not a constant both sides agree on
