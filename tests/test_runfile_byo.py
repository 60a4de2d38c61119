"""Bring your own model through a run file: an architecture file (Keras or Python), or a trained Keras model."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import tasks
from baselines import get_model
from baselines.byo import ModelFileError
from baselines.tf_setup import keras, set_seed
from benchmark.grid import keys, profiles
from benchmark.grid.runcheck import prepare
from benchmark.grid.runfile import RunFileError, read_run
from tests.runfile_helpers import isolated_registries, write_run  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("isolated_registries")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def tiny_network(length: int = 100, filters: int = 4, activation: str = "linear"):
    return keras.Sequential([
        keras.layers.Input(shape=(length, 4)),
        keras.layers.Conv1D(filters, 9, padding="same", activation="relu", name="conv1"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1, activation=activation, name="logit"),
    ])


def run_file(tmp_path, model_line: str, extra: str = "") -> profiles.GridProfile:
    path = write_run(tmp_path, f'tasks = ["smoke"]\nmodel_profile = "smoke"\nn_eval = 6\nsanity_n = 3\n{extra}'
                               f'methods = ["grad_x_input"]\n[[models]]\nid = "mine"\n{model_line}\n')
    return prepare(read_run(path))


def test_keras_architecture_file_is_reinitialised_and_trained_per_seed(tmp_path):
    set_seed(123)
    tiny_network().save(tmp_path / "tiny.keras")
    profile = run_file(tmp_path, 'file = "tiny.keras"')
    arch = profile.models[0].arch
    dataset = tasks.build("smoke", progress=False)
    first = get_model(dataset, arch, seed=0, profile="smoke", progress=False)
    assert first.key == keys.model_key("smoke", arch, (), 0, "smoke")  # keys known before training agree
    assert first.fidelity["test_auroc"] > 0.5 and first.path.exists()
    stored = keras.models.load_model(tmp_path / "tiny.keras", compile=False).get_weights()
    assert not np.allclose(first.network.get_weights()[0], stored[0])  # trained from a fresh start, not the file's weights
    again = get_model(dataset, arch, seed=0, profile="smoke", progress=False)  # from the cache
    np.testing.assert_array_equal(again.network.get_weights()[0], first.network.get_weights()[0])
    other_seed = get_model(dataset, arch, seed=1, profile="smoke", progress=False)
    assert other_seed.key != first.key
    # the key hashes the file's bytes: another architecture in the same file is another model
    tiny_network(filters=6).save(tmp_path / "tiny.keras")
    profile = run_file(tmp_path, 'file = "tiny.keras"')
    keys.model_key.cache_clear()
    assert keys.model_key("smoke", arch, (), 0, "smoke") != first.key


def test_architecture_file_must_fit_the_task(tmp_path):
    tiny_network(length=80).save(tmp_path / "short.keras")
    with pytest.raises(RunFileError, match=r"short.keras takes 80 bp sequences but task 'smoke' has 100 bp ones"):
        run_file(tmp_path, 'file = "short.keras"')
    (tmp_path / "short.json").write_text(tiny_network(length=80).to_json())
    with pytest.raises(RunFileError, match=r"short.json takes 80 bp sequences but task 'smoke' has 100 bp ones"):
        run_file(tmp_path, 'file = "short.json"')
    (tmp_path / "fits.json").write_text(tiny_network(length=100, filters=5).to_json())
    from baselines.architectures import build_network

    built = build_network(run_file(tmp_path, 'file = "fits.json"').models[0].arch, 100)
    assert built.get_layer("conv1").filters == 5 and built.input_shape == (None, 100, 4)
    tiny_network(length=80).save(tmp_path / "short.h5")  # no cheap look inside an .h5: caught when the model is built
    profile = run_file(tmp_path, 'file = "short.h5"')
    with pytest.raises(ModelFileError, match=r"the model takes sequences of 80 bp but the task's are 100 bp"):
        get_model(tasks.build("smoke", progress=False), profile.models[0].arch, profile="smoke", progress=False)
    tiny_network(activation="sigmoid").save(tmp_path / "sigmoid.h5")
    profile = run_file(tmp_path, 'file = "sigmoid.h5"')
    with pytest.raises(ModelFileError, match=r"output is a probability, not a logit: layer 'logit' \(Dense\) has activation 'sigmoid'"):
        get_model(tasks.build("smoke", progress=False), profile.models[0].arch, profile="smoke", progress=False)


def test_python_builder_file(tmp_path):
    (tmp_path / "arch.py").write_text(
        "from baselines.architectures import ARCHITECTURES\n"
        "from baselines.tf_setup import keras\n\n\n"
        "@ARCHITECTURES.register('user_tiny')\n"
        "def user_tiny(sequence_length, *, filters=4):\n"
        "    return keras.Sequential([keras.layers.Input(shape=(sequence_length, 4)),\n"
        "        keras.layers.Conv1D(filters, 7, padding='same', activation='relu', name='conv1'),\n"
        "        keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1, name='logit')])\n")
    profile = run_file(tmp_path, 'file = "arch.py"\noverrides = { filters = 3 }')
    assert profile.models[0].arch == "user_tiny" and profile.models[0].id == "mine"
    model = get_model(tasks.build("smoke", progress=False), "user_tiny", seed=0, profile="smoke", progress=False, filters=3)
    assert model.network.get_layer("conv1").filters == 3 and model.first_kernel_width == 7
    assert model.key == keys.model_key("smoke", "user_tiny", (("filters", 3),), 0, "smoke")
    (tmp_path / "two.py").write_text(
        "from baselines.architectures import ARCHITECTURES\n"
        "ARCHITECTURES.add('two_a', lambda sequence_length: None)\n"
        "ARCHITECTURES.add('two_b', lambda sequence_length: None)\n")
    with pytest.raises(RunFileError, match=r"two.py: a Python architecture file must register exactly one builder.*registered 2: two_a, two_b"):
        run_file(tmp_path, 'file = "two.py"')


def test_pretrained_model_is_explained_as_it_is(tmp_path):
    from benchmark.grid.runner import run_or_load
    from benchmark.grid.session import BenchmarkSession

    dataset = tasks.build("smoke", progress=False)
    set_seed(0)
    network = tiny_network()
    network.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    X, y = dataset.split(test=False)
    network.fit(X, y, epochs=3, batch_size=64, verbose=0)
    network.save(tmp_path / "trained.keras")
    digest = hashlib.sha256((tmp_path / "trained.keras").read_bytes()).hexdigest()

    profile = run_file(tmp_path, 'pretrained = "trained.keras"', extra="seeds = [0, 1, 2]\n")
    import baselines
    import methods

    cells = profiles.grid_cells(profile, methods.METHODS, baselines.arch_kind)
    assert [c.id for c in cells] == ["smoke-mine-s0-grad_x_input-none"]  # one trained model: the first seed only
    session = BenchmarkSession(profile, tmp_path / "results", progress=False)
    record, how = run_or_load(session, cells[0])
    assert how == "computed" and record["status"] == "ok", record.get("error")
    assert record["model"]["pretrained"] is True and record["model"]["key"] == digest == record["identity"]["model"]
    # its fidelity on the task, measured on the test split with the file's own weights
    model = session.model(cells[0])
    np.testing.assert_array_equal(model.network.get_weights()[0], network.get_weights()[0])
    assert 0.0 <= record["model"]["fidelity"]["test_auroc"] <= 1.0
    assert record["model"]["fidelity"]["test_n"] == int(dataset.is_test.sum())
    assert run_or_load(session, cells[0])[1] == "cached"
    with pytest.raises(RunFileError, match=r"a pretrained model must be a Keras file"):
        (tmp_path / "weights.json").write_text("{}")
        run_file(tmp_path, 'pretrained = "weights.json"')
