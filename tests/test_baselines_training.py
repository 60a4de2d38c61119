"""Training, caching and loading Keras baselines (tiny models on the smoke task)."""

from __future__ import annotations

import json
import logging
import dataclasses

import numpy as np
import pytest

import baselines.store as store
from baselines import TrainingDivergedError, get_model, randomized_copy
from baselines.store import find_model, load_history, model_key
from baselines.synthetic import planted_motif_dataset
from baselines.tf_setup import keras

FAST = {"epochs": 2}  # enough to test caching and determinism; the fidelity test trains fully


@pytest.fixture(scope="module")
def smoke():
    import tasks

    return tasks.build("smoke", progress=False)


@pytest.fixture(scope="module")
def trained(smoke, tmp_path_factory):
    """The smoke-profile shallow model, trained once for this module."""
    return get_model(smoke, "shallow", profile="smoke", progress=False, root=tmp_path_factory.mktemp("models"))


def test_tiny_model_trains_above_chance_on_smoke_task(trained, smoke):
    assert trained.kind == "keras" and trained.arch == "shallow"
    assert trained.fidelity["test_auroc"] > 0.75, trained.fidelity
    assert trained.fidelity["test_auprc"] > 0.7, trained.fidelity
    assert trained.fidelity["test_n"] == int(smoke.is_test.sum())
    assert trained.first_kernel_width == 5
    assert trained.conv_layer_names == ["conv1", "conv2"]
    assert trained.sequence_length == smoke.length
    assert trained.path.name == f"smoke-shallow-s0-{trained.key}"
    assert trained.params["training"]["epochs"] == 12 and trained.params["scale"] == 0.125
    history = load_history(trained)
    assert len(history["loss"]) == history["epochs_run"] == len(history["val_auroc"])
    manifest = json.loads((trained.path / "model.json").read_text())
    assert set(manifest["files"]) == {"model.weights.h5", "network.json", "history.json"}
    assert manifest["fidelity"] == trained.fidelity


def test_cached_model_loads_with_the_same_predictions(trained, smoke):
    before = (trained.path / "model.json").stat().st_mtime_ns
    again = get_model(smoke, "shallow", profile="smoke", progress=False, root=trained.path.parent)
    assert (trained.path / "model.json").stat().st_mtime_ns == before  # not retrained
    assert again.key == trained.key and again.fidelity == trained.fidelity
    np.testing.assert_array_equal(again.predict_logit(smoke.X[:64]), trained.predict_logit(smoke.X[:64]))


def test_same_seed_gives_the_same_model(smoke, tmp_path):
    first = get_model(smoke, "basset", profile="smoke", progress=False, root=tmp_path / "a", **FAST)
    second = get_model(smoke, "basset", profile="smoke", progress=False, root=tmp_path / "b", **FAST)
    other = get_model(smoke, "basset", seed=1, profile="smoke", progress=False, root=tmp_path / "a", **FAST)
    X = smoke.X[:100]
    np.testing.assert_array_equal(first.predict_logit(X), second.predict_logit(X))
    for a, b in zip(first.network.get_weights(), second.network.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first.predict_logit(X), other.predict_logit(X))


def test_logit_is_the_inverse_sigmoid_of_the_probability(trained, smoke):
    assert trained.network.layers[-1].get_config()["activation"] == "linear"
    probability = keras.Sequential(trained.network.layers + [keras.layers.Activation("sigmoid")])
    p = probability(smoke.X[:200], training=False).numpy().reshape(-1).astype(np.float64)
    logits = trained.predict_logit(smoke.X[:200])
    inside = (p > 1e-6) & (p < 1 - 1e-6)
    assert inside.sum() > 100
    np.testing.assert_allclose(np.log(p[inside] / (1 - p[inside])), logits[inside], atol=2e-3, rtol=1e-3)
    assert logits.min() < 0 < logits.max()


def test_tensorflow_runs_the_thread_count_the_model_keys_record():
    from baselines.tf_setup import INTRA_OP_THREADS, tf, worker_threads

    # the keys say one intra-op thread; a default pool (one per core) would train other weights
    assert tf.config.threading.get_intra_op_parallelism_threads() == INTRA_OP_THREADS == 1
    # two xdist workers on two cores get one inter-op thread each; outside xdist TensorFlow decides
    assert worker_threads(cores=2, workers="2") == 1
    assert worker_threads(cores=8, workers="2") == 4
    assert worker_threads(cores=2, workers="") is None


def test_cache_key_changes_with_every_input_and_only_then(smoke, monkeypatch):
    base = model_key(smoke, "basset", seed=0, profile="smoke")
    assert model_key(smoke, "basset", seed=0, profile="smoke") == base
    # an override equal to what the profile already says is the same model
    assert model_key(smoke, "basset", seed=0, profile="smoke", scale=0.04, epochs=12) == base
    other_data = dataclasses.replace(smoke, manifest=dict(smoke.manifest, hash="0123456789ab"))
    changed = {
        "dataset": model_key(other_data, "basset", seed=0, profile="smoke"),
        "arch": model_key(smoke, "beluga", seed=0, profile="smoke"),
        "seed": model_key(smoke, "basset", seed=1, profile="smoke"),
        "param": model_key(smoke, "basset", seed=0, profile="smoke", kernel_width=8),
        "pooling": model_key(smoke, "basset", seed=0, profile="smoke", pooling="average"),
        "training": model_key(smoke, "basset", seed=0, profile="smoke", epochs=5),
        "profile": model_key(smoke, "basset", seed=0, profile="default"),
    }
    gkm_key = model_key(smoke, "gkmsvm", seed=0, profile="smoke")
    monkeypatch.setattr(store, "KERNELS", "eigen" if store.KERNELS == "onednn" else "onednn")
    changed["cpu kernels"] = model_key(smoke, "basset", seed=0, profile="smoke")
    # gkm-SVM does not run on TensorFlow: the kernels leave its key alone
    assert model_key(smoke, "gkmsvm", seed=0, profile="smoke") == gkm_key
    monkeypatch.undo()
    monkeypatch.setattr(store, "INTRA_OP_THREADS", store.INTRA_OP_THREADS + 1)
    changed["intra-op threads"] = model_key(smoke, "basset", seed=0, profile="smoke")
    assert model_key(smoke, "gkmsvm", seed=0, profile="smoke") == gkm_key
    monkeypatch.undo()
    monkeypatch.setattr(store, "BASELINES_CODE_VERSION", "test-version")
    changed["code version"] = model_key(smoke, "basset", seed=0, profile="smoke")
    assert base not in changed.values()
    assert len(set(changed.values())) == len(changed)


def test_truncated_weights_are_detected_and_rebuilt(smoke, tmp_path, caplog):
    model = get_model(smoke, "shallow", profile="smoke", progress=False, root=tmp_path, **FAST)
    expected = model.predict_logit(smoke.X[:50])
    weights = model.path / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    assert find_model(smoke, "shallow", profile="smoke", root=tmp_path, **FAST) is None
    with caplog.at_level(logging.WARNING, logger="baselines"):
        rebuilt = get_model(smoke, "shallow", profile="smoke", progress=False, root=tmp_path, **FAST)
    assert "model.weights.h5 does not match its recorded sha256" in caplog.text
    np.testing.assert_array_equal(rebuilt.predict_logit(smoke.X[:50]), expected)  # retrained, same seed
    assert find_model(smoke, "shallow", profile="smoke", root=tmp_path, **FAST) is not None


def test_directory_without_manifest_is_rebuilt(smoke, tmp_path, caplog):
    model = get_model(smoke, "shallow", profile="smoke", progress=False, root=tmp_path, **FAST)
    (model.path / "model.json").unlink()
    with caplog.at_level(logging.WARNING, logger="baselines"):
        rebuilt = get_model(smoke, "shallow", profile="smoke", progress=False, root=tmp_path, **FAST)
    assert "is incomplete" in caplog.text
    assert (rebuilt.path / "model.json").exists()


def test_diverging_training_raises_and_caches_nothing(smoke, tmp_path):
    with pytest.raises(TrainingDivergedError, match="diverged at epoch .*nothing was cached.*learning_rate"):
        get_model(smoke, "basset", profile="smoke", progress=False, root=tmp_path, learning_rate=1e38, **FAST)
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []


def test_randomized_copy_redraws_every_weight(trained, smoke):
    copy = randomized_copy(trained, seed=3)
    assert copy.network.to_json() == trained.network.to_json()
    assert copy.conv_layer_names == trained.conv_layer_names and copy.path is None and copy.fidelity == {}
    for fresh, learned in zip(copy.network.get_weights(), trained.network.get_weights()):
        if fresh.size > 1 and np.any(learned):
            assert not np.allclose(fresh, learned)
    np.testing.assert_array_equal(randomized_copy(trained, seed=3).predict_logit(smoke.X[:20]), copy.predict_logit(smoke.X[:20]))
    assert copy.key != trained.key


def test_bad_datasets_get_clear_errors(tmp_path):
    good = planted_motif_dataset(n=80, length=40, seed=1)
    with pytest.raises(ValueError, match="sequence length 40 is too short for architecture 'basset'"):
        get_model(good, "basset", profile="smoke", root=tmp_path, padding="valid", kernel_width=30)
    five = dataclasses.replace(good, X=np.concatenate([good.X, np.zeros((80, 40, 1), np.float32)], axis=2))
    with pytest.raises(ValueError, match=r"X must be \(N, L, 4\).*got shape \(80, 40, 5\)"):
        get_model(five, "shallow", profile="smoke", root=tmp_path)
    with_n = good.X.copy()
    with_n[7, 12] = 0.0  # an N: no base
    with pytest.raises(ValueError, match="sequence 7, position 12 is not a one-hot A/C/G/T base"):
        get_model(dataclasses.replace(good, X=with_n), "shallow", profile="smoke", root=tmp_path)
    one_class = dataclasses.replace(good, y=np.where(good.is_test, 0, good.y).astype(np.int8))
    with pytest.raises(ValueError, match="the test split needs positives and negatives"):
        get_model(one_class, "shallow", profile="smoke", root=tmp_path)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        get_model(good, "shallow", seed=-1, profile="smoke", root=tmp_path)
    with pytest.raises(KeyError, match="unknown architecture 'cnn'"):
        get_model(good, "cnn", root=tmp_path)
    with pytest.raises(ValueError, match="unknown parameter 'filters'"):
        get_model(good, "shallow", root=tmp_path, filters=8)
    assert list(tmp_path.iterdir()) == []
