"""A researcher's trained Keras model on real, unshuffled sequences, from a run file kept outside the repository:
no planted truth, so every cell is scored by faithfulness, and the board is a faithfulness-only board."""

from __future__ import annotations

import numpy as np
import pytest

import baselines
import methods
import tasks
from baselines.tf_setup import keras, set_seed
from benchmark.board.leaderboard import write_outputs
from benchmark.grid import profiles
from benchmark.grid.runcheck import prepare
from benchmark.grid.runfile import read_run
from benchmark.grid.runner import run_or_load
from benchmark.grid.session import BenchmarkSession
from benchmark.store import results
from tests.runfile_helpers import isolated_registries, write_run  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("isolated_registries")

SPEC = """name = "my_peaks"
kind = "real"
source = "fasta_pair"
positives = "janggu:sample.fa"
negatives = "janggu:sample2.fa"
max_positives = 400
max_negatives = 400
n_eval = 20
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def test_a_pretrained_model_on_real_sequences_gets_a_faithfulness_only_board(tmp_path):
    (tmp_path / "my_peaks.toml").write_text(SPEC)
    dataset = tasks.build(str(tmp_path / "my_peaks.toml"), progress=False)
    assert not dataset.mask.any() and len(dataset.hits) == 0
    set_seed(0)
    network = keras.Sequential([keras.layers.Input(shape=(dataset.length, 4)),
                                keras.layers.Conv1D(8, 11, padding="same", activation="relu"),
                                keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1)])
    network.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    X, y = dataset.split(test=False)
    network.fit(X, y, epochs=2, batch_size=64, verbose=0)
    network.save(tmp_path / "trained.keras")

    path = write_run(tmp_path, 'tasks = ["my_peaks.toml"]\nmodel_profile = "smoke"\nn_eval = 12\nsanity_n = 4\n'
                               'methods = ["grad_x_input", "ism", "random", "centre_prior"]\nreferences = ["none"]\nfidelity_threshold = 0.5\n'
                               '[[models]]\nid = "mine"\npretrained = "trained.keras"\n')
    profile = prepare(read_run(path))
    cells = profiles.grid_cells(profile, methods.METHODS, baselines.arch_kind)
    session = BenchmarkSession(profile, tmp_path / "results", progress=False)
    for cell in cells:
        record, how = run_or_load(session, cell)
        assert how == "computed" and record["status"] == "ok", record.get("error")
        assert record["ground_truth"] == "none" and "metrics" not in record
        assert np.isfinite(record["faithfulness"]["deletion_area"]) and len(record["rows"]) == 12
        assert record["model"]["fidelity"]["test_auroc"] > 0.5  # it learned something: the gate keeps it
    assert run_or_load(session, cells[0])[1] == "cached"
    assert all(r["status"] == "ok" for r in results.load_all(tmp_path / "results")[0])

    written = write_outputs(tmp_path / "results", profile="my_run", with_figures=False)
    page = (tmp_path / "results" / "board" / "faithfulness.md").read_text()
    assert "## my_peaks (keras models)" in page and "ism-none" in page and "random-none (control)" in page
    assert any(str(p).endswith("leaderboard.md") for p in written)
