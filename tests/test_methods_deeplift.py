"""DeepLIFT (deeplift package) and DeepSHAP (shap.DeepExplainer): checks against independent computations.

- deeplift's gradient mode x input == TensorFlow GradientTape grad x input;
- deeplift's forward pass == Keras; several models convert side by side;
- without max-pooling, DeepLIFT Rescale == DeepSHAP and both sum to f(x) - f(ref);
- with max-pooling they do not: the convergence error is measured and printed
  (deeplift's MaxPool rule is the gradient), the finding the leaderboard reports.
"""

from __future__ import annotations

import numpy as np
import pytest

import methods
from baselines.tf_setup import keras, set_seed, tf
from methods import _deeplift_adapter as adapter
from methods import deepshap as deepshap_module
from methods.references import dinucleotide_shuffles
from methods.registry import convergence_error
from baselines.toy import random_onehot, toy_cnn

L = 40
METHOD_NAMES = ("deeplift_rescale", "deeplift_revealcancel", "deepshap")


def _tape_grad(network, X: np.ndarray) -> np.ndarray:
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = network(x, training=False)
    return tape.gradient(y, x).numpy()


def _shuffles(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    return dinucleotide_shuffles(X, k, seed=seed)  # (N, k, L, 4)


@pytest.fixture(scope="module")
def maxpool_model():
    return toy_cnn(length=L, kernel_width=5, filters=6, pooling="max", seed=3)


@pytest.fixture(scope="module", params=[None, "average"], ids=["nopool", "avgpool"])
def smooth_model(request):
    return toy_cnn(length=L, kernel_width=5, filters=6, pooling=request.param, seed=4)


@pytest.mark.parametrize("pooling", ["max", None])
def test_deeplift_gradient_mode_equals_tf_grad_x_input(pooling):
    model = toy_cnn(length=L, pooling=pooling, seed=1)
    X = random_onehot(16, L, seed=1)
    mult = adapter.convert(model.network, "gradient").multipliers(X, np.zeros_like(X))
    expected = _tape_grad(model.network, X) * X
    assert np.abs(expected).max() > 1e-3  # not trivially zero
    np.testing.assert_allclose(mult * X, expected, atol=1e-5, rtol=0)


def test_predictions_match_keras_for_two_models_side_by_side():
    first = toy_cnn(length=L, pooling="max", seed=5)
    second = toy_cnn(length=L + 10, kernel_width=7, filters=3, pooling="average", n_conv=2, seed=6)
    X1, X2 = random_onehot(20, L, seed=2), random_onehot(20, L + 10, seed=3)
    c1 = adapter.convert(first.network, "rescale")
    c2 = adapter.convert(second.network, "rescale")
    assert c1.graph is not c2.graph
    np.testing.assert_allclose(c2.predict(X2), second.predict_logit(X2), atol=1e-5, rtol=0)
    np.testing.assert_allclose(c1.predict(X1), first.predict_logit(X1), atol=1e-5, rtol=0)  # first still works
    assert adapter.convert(first.network, "rescale") is c1  # cached per model object


def test_conversion_cache_follows_weight_changes():
    model = toy_cnn(length=L, pooling=None, seed=7)
    X = random_onehot(8, L, seed=4)
    before = adapter.convert(model.network, "rescale")
    model.network.set_weights([w * 1.5 for w in model.network.get_weights()])
    after = adapter.convert(model.network, "rescale")
    assert after is not before
    np.testing.assert_allclose(after.predict(X), model.predict_logit(X), atol=1e-5, rtol=0)


def test_functional_model_explains_pre_sigmoid_logit():
    set_seed(2)
    inputs = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, activation="relu", padding="same")(inputs)
    h = keras.layers.MaxPooling1D(2)(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(1, activation="sigmoid")(h)
    network = keras.Model(inputs, outputs)
    X = random_onehot(10, L, seed=5)
    prob = network(X, training=False).numpy().reshape(-1).astype(np.float64)
    logit = np.log(prob / (1 - prob))
    np.testing.assert_allclose(adapter.convert(network, "rescale").predict(X), logit, atol=1e-4, rtol=0)


@pytest.mark.parametrize("mode", ["rescale", "genomics_default"])
def test_projection_equals_deeplift_own_contribs_api(mode, maxpool_model):
    X = random_onehot(6, L, seed=14)
    refs = _shuffles(X, 1)[:, 0]
    converted = adapter.convert(maxpool_model.network, mode)
    with converted.active():  # the package's own scoring function, run in the adapter's graph
        contribs_fn = converted.deeplift_model.get_target_contribs_func(find_scores_layer_idx=0, target_layer_idx=-1)
        own = np.asarray(contribs_fn(task_idx=0, input_data_list=[X], input_references_list=[refs], batch_size=4, progress_update=None))
    ours = adapter.deeplift_hypothetical(maxpool_model.network, X, refs[:, None], mode=mode)
    assert np.abs(own).max() > 1e-3
    np.testing.assert_allclose((ours * X).sum(-1), own.sum(-1), atol=1e-5, rtol=0)


def test_hypothetical_from_multipliers_convention():
    rng = np.random.default_rng(0)
    mult = rng.normal(size=(3, 2, 5, 4)).astype(np.float32)
    refs = rng.random(size=(3, 2, 5, 4)).astype(np.float32)
    X = random_onehot(3, 5, seed=6)
    hyp = adapter.hypothetical_from_multipliers(mult, refs)
    assert hyp.shape == (3, 5, 4)
    observed = (mult * (X[:, None] - refs)).sum(-1).mean(1)  # contributions at the observed base
    np.testing.assert_allclose((hyp * X).sum(-1), observed, atol=1e-6)
    # a base the sequence does not have: its multiplier minus the reference's weighted multipliers
    np.testing.assert_allclose(hyp[0, 0, 2], (mult[0, :, 0, 2] - (mult[0, :, 0] * refs[0, :, 0]).sum(-1)).mean(), atol=1e-6)


def test_rescale_equals_deepshap_and_both_sum_to_delta_without_maxpool(smooth_model):
    X = random_onehot(12, L, seed=7)
    refs = _shuffles(X, 10)
    rescale = methods.METHODS["deeplift_rescale"].fn(smooth_model, X, refs)
    shap_hyp = methods.METHODS["deepshap"].fn(smooth_model, X, refs)
    np.testing.assert_allclose(rescale, shap_hyp, atol=1e-4, rtol=0)
    for hyp in (rescale, shap_hyp):
        assert convergence_error(smooth_model, X, refs, hyp) < 1e-4


def test_deepshap_batched_equals_shap_public_loop(maxpool_model):
    X = random_onehot(4, L, seed=8)
    refs = _shuffles(X, 5)
    batched = deepshap_module.deepshap(maxpool_model, X, refs, batch_size=7)  # odd size: padding + several chunks
    public = deepshap_module.shap_values_per_sequence(maxpool_model.network, X, refs)
    np.testing.assert_allclose((batched * X).sum(-1), public.sum(-1), atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["deeplift_rescale", "deepshap"])
def test_batch_size_does_not_change_results(method, maxpool_model):
    X = random_onehot(6, L, seed=9)
    refs = _shuffles(X, 4)
    fn = methods.METHODS[method].fn
    full = fn(maxpool_model, X, refs, batch_size=1024)
    np.testing.assert_array_equal(fn(maxpool_model, X, refs, batch_size=1024), full)  # same call, same bytes
    np.testing.assert_allclose(fn(maxpool_model, X, refs, batch_size=3), full, atol=1e-6, rtol=0)


def test_maxpool_convergence_error_is_measured_not_hidden(maxpool_model, record_property):
    """The MaxPool finding: deeplift's gradient rule for MaxPool breaks summation-to-delta; shap's does not."""
    X = random_onehot(30, L, seed=10)
    refs = _shuffles(X, 10)
    rescale = methods.METHODS["deeplift_rescale"].fn(maxpool_model, X, refs)
    shap_hyp = methods.METHODS["deepshap"].fn(maxpool_model, X, refs)
    err_deeplift = convergence_error(maxpool_model, X, refs, rescale)
    err_shap = convergence_error(maxpool_model, X, refs, shap_hyp)
    r = float(np.corrcoef((rescale * X).sum(-1).ravel(), (shap_hyp * X).sum(-1).ravel())[0, 1])
    record_property("convergence_error_deeplift_rescale", err_deeplift)
    record_property("convergence_error_deepshap", err_shap)
    record_property("r_deeplift_deepshap", r)
    print(f"\nmax-pool toy model, shuffle10: convergence error deeplift_rescale={err_deeplift:.3g}, deepshap={err_shap:.3g}, r(deeplift, deepshap)={r:.4f}")
    assert np.isfinite(err_deeplift) and err_deeplift > 1e-3
    assert err_shap < 1e-4
    assert np.isfinite(r) and r < 1 - 1e-6


def test_revealcancel_finite_and_sums_to_delta(smooth_model):
    X = random_onehot(12, L, seed=11)
    refs = _shuffles(X, 10)
    hyp = methods.METHODS["deeplift_revealcancel"].fn(smooth_model, X, refs)
    assert hyp.shape == X.shape and np.isfinite(hyp).all()
    assert convergence_error(smooth_model, X, refs, hyp) < 1e-4
    rescale = methods.METHODS["deeplift_rescale"].fn(smooth_model, X, refs)
    assert not np.allclose(hyp, rescale, atol=1e-6)  # RevealCancel on the dense layer is a different rule


def test_eager_gradients_unchanged_after_deepshap(maxpool_model):
    X = random_onehot(5, L, seed=12)
    before = _tape_grad(maxpool_model.network, X)
    deepshap_module.deepshap(maxpool_model, X, _shuffles(X, 3))
    np.testing.assert_array_equal(_tape_grad(maxpool_model.network, X), before)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_attribute_every_reference(method, maxpool_model):
    X = random_onehot(3, L, seed=13)
    spec = methods.METHODS[method]
    assert spec.promises_delta and spec.references == ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50")
    for reference in spec.references:
        result = methods.attribute(method, maxpool_model, X, reference, seed=0)
        assert result.hypothetical.shape == X.shape and np.isfinite(result.hypothetical).all()
        assert result.scores.shape == X.shape[:2]
        assert result.convergence_error is not None and np.isfinite(result.convergence_error)


def test_deepshap_rejects_a_model_without_a_linear_logit():
    set_seed(0)
    network = keras.Sequential([keras.layers.Input((L, 4)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="linear Dense"):
        deepshap_module.explainer_for(network)


@pytest.mark.parametrize("mode", ["rescale", "genomics_default"])
@pytest.mark.parametrize("arch", ["basset", "beluga", "shallow"])
def test_single_transposed_convolution_equals_package_rule(arch, mode):
    """The adapter's one transposed convolution per layer gives deeplift's own five-term Linear rule."""
    from baselines import untrained_model  # noqa: PLC0415

    network = untrained_model(arch, 100, profile="smoke", seed=2).network
    X = random_onehot(8, 100, seed=2)
    refs = _shuffles(X, 3).reshape(-1, 100, 4)
    xs = np.repeat(X, 3, axis=0)
    package = adapter.convert(network, mode, single_transpose=False).multipliers(xs, refs)
    single = adapter.convert(network, mode, single_transpose=True).multipliers(xs, refs)
    scale = np.abs(package).max()
    assert scale > 1e-4
    np.testing.assert_allclose(single, package, atol=1e-5 * scale, rtol=0)


def test_single_transpose_only_where_multipliers_are_equal():
    """Under GenomicsDefault the dense layers below a RevealCancel nonlinearity keep deeplift's full rule."""
    from baselines import untrained_model  # noqa: PLC0415
    from methods._deeplift_equal_multipliers import FLAG  # noqa: PLC0415

    network = untrained_model("basset", 100, profile="smoke").network
    flags = {}
    for mode in ("rescale", "genomics_default"):
        layers = adapter.convert(network, mode).deeplift_model.get_layers()
        flags[mode] = [(type(layer).__name__, getattr(layer, FLAG)) for layer in layers if hasattr(layer, FLAG)]
    assert [kind for kind, _ in flags["rescale"]] == ["Conv1D"] * 3 + ["Dense"] * 3
    assert all(flag for _, flag in flags["rescale"])
    # convs below Rescale nonlinearities: single; hidden dense below RevealCancel: full rule; the logit (target): single
    assert [flag for _, flag in flags["genomics_default"]] == [True] * 3 + [False, False, True]
