"""How DeepLIFT and DeepSHAP batch their session calls: faster paths that must give the same bytes.

- a deeplift graph built for a static batch size gives exactly the numbers of
  the graph built for any batch size (its only gain is that TensorFlow folds
  more of the graph once every shape is known);
- `deeplift_hypothetical` sends full chunks through the static graph and the
  last, shorter chunk through the any-size graph, and matches running every
  chunk through the any-size graph byte for byte;
- a static graph refuses a batch of the wrong size with a message naming it;
- DeepSHAP traces shap's multiplier function once per padded batch size, and
  books that trace to model setup, not to the cell's method time.
"""

from __future__ import annotations

import numpy as np
import pytest

import methods
from baselines.tf_setup import keras, set_seed
from baselines.toy import random_onehot, toy_cnn
from methods import _deeplift_adapter as adapter
from methods import deepshap as deepshap_module
from methods import registry
from methods.references import dinucleotide_shuffles

L = 40


def _functional_model():
    set_seed(8)
    inputs = keras.Input((L, 4))
    h = keras.layers.Conv1D(5, 5, activation="relu", padding="same")(inputs)
    h = keras.layers.AveragePooling1D(2)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(6, activation="relu")(h)
    outputs = keras.layers.Dense(1)(h)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("mode", ["rescale", "genomics_default"])
@pytest.mark.parametrize("kind", ["max", "average", None, "functional"])
def test_static_batch_graph_gives_the_same_bytes(kind, mode):
    network = _functional_model() if kind == "functional" else toy_cnn(length=L, pooling=kind, n_conv=2, seed=21).network
    X = random_onehot(6, L, seed=21)
    refs = dinucleotide_shuffles(X, 4, seed=1).reshape(-1, L, 4)
    xs = np.repeat(X, 4, axis=0)  # 24 pairs
    any_size = adapter.convert(network, mode)
    static = adapter.convert(network, mode, batch=8)
    assert static is not any_size and static.batch == 8 and any_size.batch is None
    expected = any_size.multipliers(xs, refs, batch_size=8)
    assert np.abs(expected).max() > 1e-4
    got = static.multipliers(xs, refs)
    assert got.tobytes() == expected.tobytes()
    np.testing.assert_array_equal(static.predict(xs), any_size.predict(xs, batch_size=8))


def test_static_batch_graph_rejects_other_sizes():
    network = toy_cnn(length=L, seed=22).network
    static = adapter.convert(network, "rescale", batch=8)
    X = random_onehot(5, L, seed=22)
    with pytest.raises(ValueError, match="exactly 8 rows; got 5"):
        static.multipliers(X, np.zeros_like(X))
    with pytest.raises(ValueError, match="positive"):
        adapter.convert(network, "rescale", batch=0)


@pytest.mark.parametrize("mode", ["rescale", "genomics_default"])
def test_deeplift_hypothetical_uses_static_chunks_and_keeps_every_byte(mode):
    model = toy_cnn(length=L, pooling="max", n_conv=2, seed=23)
    X = random_onehot(11, L, seed=23)
    refs = dinucleotide_shuffles(X, 3, seed=2)  # 3 references: chunks of 3 sequences = 9 pairs, then 2 sequences
    got = adapter.deeplift_hypothetical(model.network, X, refs, mode=mode, batch_size=10)
    any_size = adapter.convert(model.network, mode)
    expected = adapter.paired_hypothetical(
        lambda xs, rs: any_size.multipliers(xs, rs, batch_size=len(xs)), X, refs, batch_size=10
    )
    assert got.tobytes() == expected.tobytes()
    assert (mode, True, 9) in adapter._CACHE[model.network]  # the full chunks used a graph built for 9 pairs


def test_pairs_per_call_is_whole_sequences():
    assert adapter.pairs_per_call(256, 20) == 240
    assert adapter.pairs_per_call(256, 1) == 256
    assert adapter.pairs_per_call(10, 50) == 50  # at least one whole sequence
    assert adapter.pairs_per_call(256, 0) == 256


def test_deepshap_trace_is_model_setup_and_once_per_size():
    model = toy_cnn(length=L, pooling="max", seed=24)
    X = random_onehot(7, L, seed=24)
    first = methods.attribute("deepshap", model, X, "shuffle10", {"batch_size": 40})
    explainer = deepshap_module.explainer_for(model.network)
    assert deepshap_module._TRACED[explainer] == {40}
    assert first.setup_seconds[1] > 0  # building the explainer and tracing 40-pair calls
    setup_before = tuple(registry._SETUP_SECONDS)
    again = methods.attribute("deepshap", model, X, "shuffle10", {"batch_size": 40})
    assert tuple(registry._SETUP_SECONDS) == setup_before  # nothing left to set up
    assert again.hypothetical.tobytes() == first.hypothetical.tobytes()
    other = methods.attribute("deepshap", model, X, "shuffle10", {"batch_size": 20})  # a new padded size: traced once
    assert deepshap_module._TRACED[explainer] == {40, 20}
    assert other.setup_seconds[1] > 0
    np.testing.assert_allclose(other.hypothetical, first.hypothetical, atol=1e-6, rtol=0)
