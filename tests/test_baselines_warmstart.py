"""Warm start: which layers are the first stage, that only they are copied, and which runs get one."""

from __future__ import annotations

import numpy as np
import pytest

from baselines import build_network, get_model
from baselines.profiles import get_profile
from baselines.store import load_history
from baselines.synthetic import planted_motif_dataset
from baselines.tf_setup import keras, set_seed
from baselines.warmstart import first_stage_layers, first_stage_probe, warm_start_first_stage

SMALL = {"basset": {"scale": 0.05}, "beluga": {"scale": 0.025}, "shallow": {"scale": 0.125}}


def _planted():
    return planted_motif_dataset(n=400, length=60, positive_fraction=0.4, seed=5, name="planted-warm")


def _two_attempt_history(root, first_stage_epochs: int) -> dict:
    """History of a tiny shallow model whose floor cannot be reached, so both of its attempts run."""
    short = {"scale": 0.125, "n_conv": 2, "epochs": 1, "min_epochs": 1}
    model = get_model(_planted(), "shallow", progress=False, root=root, restarts=1, restart_below=1.01,
                      first_stage_epochs=first_stage_epochs, **short)
    return load_history(model)


@pytest.mark.parametrize(
    "arch, overrides, stage",
    [
        ("basset", {}, ["conv1"]),
        ("basset", {"batch_norm": True}, ["conv1", "bn1"]),
        ("beluga", {}, ["conv1", "conv2"]),
        ("shallow", {}, ["conv1", "conv2", "conv3"]),
    ],
)
def test_first_stage_is_every_layer_before_the_first_pooling(arch, overrides, stage):
    network = build_network(arch, 200, **SMALL[arch], **overrides)
    assert [layer.name for layer in first_stage_layers(network)] == stage
    probe = first_stage_probe(network, 200)
    assert [layer.name for layer in probe.layers] == stage + ["probe_pool", "probe_logit"]
    assert probe.output_shape == (None, 1)


def test_a_functional_network_has_no_first_stage():
    inputs = keras.Input(shape=(50, 4))
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(keras.layers.Conv1D(4, 5)(inputs)))
    assert first_stage_layers(keras.Model(inputs, outputs)) == []


def test_warm_start_copies_the_trained_first_stage_and_nothing_else():
    X, y = _planted().split(test=False)
    set_seed(0)
    network = build_network("beluga", 60, scale=0.025)
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in network.layers}
    settings = dict(get_profile("default").training, batch_size=32, min_epoch_samples=0)
    history = warm_start_first_stage(network, X, y, settings, epochs=2, seed=0, progress=False)
    assert history["layers"] == ["conv1", "conv2"] and history["epochs_run"] <= 2
    for layer in network.layers:
        changed = any(not np.array_equal(a, b) for a, b in zip(before[layer.name], layer.get_weights()))
        assert changed == (layer.name in ("conv1", "conv2")), layer.name


def test_every_attempt_is_warm_started_when_first_stage_epochs_is_set(tmp_path):
    history = _two_attempt_history(tmp_path, first_stage_epochs=1)
    assert len(history["attempts_val_auroc"]) == 2  # the floor cannot be reached: both attempts ran
    assert history["attempts_epochs"] == [2, 2]  # each: 1 first-stage epoch + 1 epoch of the whole network
    assert history["kept_attempt"] in (0, 1)
    assert history["warm_start"]["layers"] == ["conv1", "conv2"]


def test_no_first_stage_epochs_means_plain_runs(tmp_path):
    history = _two_attempt_history(tmp_path, first_stage_epochs=0)
    assert history["attempts_epochs"] == [1, 1] and "warm_start" not in history


def test_the_first_stage_stops_by_early_stopping_when_its_cap_leaves_room():
    # the default profile caps the first stage at the whole network's epoch cap, so that the
    # recipe's own early stopping ends it, not the cap
    X, y = _planted().split(test=False)
    set_seed(0)
    network = build_network("basset", 60, scale=0.05)
    settings = dict(get_profile("default").training, batch_size=32, min_epoch_samples=0, patience=2, lr_patience=0)
    cap = get_profile("default").training["first_stage_epochs"]
    assert cap == get_profile("default").training["epochs"]
    history = warm_start_first_stage(network, X, y, settings, epochs=cap, seed=0, progress=False)
    assert history["epochs_run"] < cap
    assert history["epochs_run"] >= history["best_epoch"] + 2  # stopped two epochs without a better val auROC
    assert history["val_auroc"][history["best_epoch"] - 1] == max(history["val_auroc"])
