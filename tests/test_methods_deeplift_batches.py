"""How DeepLIFT and DeepSHAP batch their calls, and which one-time costs they book to the model.

- `pairs_per_call`: whole sequences per chunk, about `batch_size` pairs;
- DeepSHAP traces shap's multiplier function once per padded batch size and
  books that trace (seconds of CPU) to model setup, not to the method time of
  the cell that happens to need the size first; the results do not change;
- a deeplift conversion is model setup, and a converted model's second cell
  books none.
"""

from __future__ import annotations

import numpy as np

import methods
from baselines.toy import random_onehot, toy_cnn
from methods import _deeplift_adapter as adapter
from methods import deepshap as deepshap_module
from methods import registry

L = 40


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
    setup_before = registry.setup_seconds()
    again = methods.attribute("deepshap", model, X, "shuffle10", {"batch_size": 40})
    assert registry.setup_seconds() == setup_before  # nothing left to set up
    assert again.hypothetical.tobytes() == first.hypothetical.tobytes()
    other = methods.attribute("deepshap", model, X, "shuffle10", {"batch_size": 20})  # a new padded size: traced once
    assert deepshap_module._TRACED[explainer] == {40, 20}
    assert other.setup_seconds[1] > 0
    np.testing.assert_allclose(other.hypothetical, first.hypothetical, atol=1e-6, rtol=0)


def test_deeplift_conversion_is_model_setup_once_per_model():
    model = toy_cnn(length=L, pooling="max", seed=25)
    X = random_onehot(5, L, seed=25)
    first = methods.attribute("deeplift_rescale", model, X, "shuffle10")
    assert first.setup_seconds[1] > 0
    setup_before = registry.setup_seconds()
    again = methods.attribute("deeplift_rescale", model, X, "shuffle10")
    assert registry.setup_seconds() == setup_before
    assert again.hypothetical.tobytes() == first.hypothetical.tobytes()
