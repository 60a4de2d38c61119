"""The smoke and simplified tasks: shapes, ground truth, eval set, cache, learnability."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tasks
from tasks.sequences import decode
from tasks.simulate import mask_from_hits


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def test_smoke_is_small_and_has_ground_truth():
    dataset = tasks.build("smoke", progress=False)
    spec = tasks.load_spec("smoke")
    n = spec.n_positives + spec.n_negatives
    assert dataset.X.shape == (n, spec.sequence_length, 4) and dataset.X.dtype == np.float32
    assert dataset.y.dtype == np.int8 and int(dataset.y.sum()) == spec.n_positives
    assert (dataset.mask == mask_from_hits(dataset.hits, n, dataset.length)).all()
    assert set(dataset.hits["motif"]) == set(dataset.motifs) == {"CTCF_MA0139.2", "REST_MA0138.3"}
    assert (dataset.y[dataset.hits["seq"]] == 1).all()  # negatives are pure background
    rows, X_eval, mask_eval = dataset.eval_set()
    assert len(rows) == spec.n_eval and X_eval.shape == (spec.n_eval, 100, 4)
    assert dataset.is_test[rows].all() and (dataset.y[rows] == 1).all() and mask_eval.any(1).all()
    assert 0.1 < dataset.prevalence < 0.4
    assert dataset.manifest["occupancy"]["negatives"]["prevalence"] == 0.0


def test_implanted_instances_match_their_motif():
    dataset = tasks.build("smoke", progress=False)
    for hit in dataset.hits[:200]:
        matrix = dataset.motifs[hit["motif"]]
        window = dataset.X[hit["seq"], hit["start"] : hit["end"]]
        if hit["strand"] == "-":
            window = window[::-1, ::-1]
        # every sampled base has non-zero probability under the motif
        assert (matrix[np.arange(len(matrix)), window.argmax(-1)] > 0).all()


def test_cache_hit_is_fast_and_identical():
    first = tasks.build("smoke", progress=False)
    started = time.perf_counter()
    second = tasks.load("smoke")
    print(f"smoke cache hit: {time.perf_counter() - started:.3f} s")
    assert second.path == first.path and second.X.tobytes() == first.X.tobytes()
    assert second.hash == first.hash and first.path.name == f"smoke-{first.hash}"


def test_simplified_spec_builds_with_documented_negatives():
    spec = tasks.load_spec("simplified")
    assert spec.source == "simplified" and spec.sequence_length == 200 and len(spec.motifs) >= 4
    assert spec.negative_motifs == ()  # negatives carry no motif instances (documented in the spec)


def test_smoke_is_learnable_by_a_tiny_cnn():
    from sklearn.metrics import roc_auc_score

    from baselines.tf_setup import keras, set_seed

    dataset = tasks.build("smoke", progress=False)
    set_seed(0)
    model = keras.Sequential([
        keras.layers.Input((dataset.length, 4)),
        keras.layers.Conv1D(8, 11, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    X_train, y_train = dataset.split(test=False)
    X_test, y_test = dataset.split(test=True)
    model.fit(X_train, y_train, epochs=8, batch_size=32, verbose=0)
    auroc = roc_auc_score(y_test, model.predict(X_test, verbose=0).ravel())
    print(f"smoke test auROC after 8 epochs: {auroc:.3f}")
    assert auroc > 0.8


def test_decode_of_smoke_is_acgt():
    dataset = tasks.build("smoke", progress=False)
    assert set("".join(decode(dataset.X[:5]))) <= set("ACGT")
