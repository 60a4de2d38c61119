"""DeepLIFT and DeepSHAP on torch models, checked against the Keras implementations on the same weights.

- tangermeme's deep_lift_shap (the torch `deepshap`) equals shap's
  DeepExplainer (the Keras `deepshap`) on the same weights and references at
  the observed bases, max-pooling networks included, and both sum to
  f(x) - f(ref); their hypothetical contributions differ by one fallback of
  the MaxPool rule, shown by patching it;
- captum's DeepLift (`captum_deeplift`) equals the deeplift package's Rescale
  (`deeplift_rescale`) on max-pooling networks, and differs from DeepSHAP
  there (why: `test_captum_equals_deeplift_rescale_and_differs_from_deepshap_on_maxpool`);
- without max-pooling every implementation is Rescale only: all agree and sum to delta.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed; `make install` installs the pinned CPU build")

from baselines.model import TORCH, TrainedModel  # noqa: E402
from baselines.toy import random_onehot  # noqa: E402
from baselines.torch_convert import twin_pair  # noqa: E402
from methods import AttributionError, attribute  # noqa: E402

L = 100
SMALL = {"basset": {"scale": 0.05}, "beluga": {"scale": 0.03}, "shallow": {"scale": 0.125}}


@pytest.fixture(scope="module")
def X():
    return random_onehot(6, L, seed=11)


def _max_diff(a, b) -> tuple[float, float]:
    return float(np.abs(a - b).max()), float(np.abs(a).max())


@pytest.mark.parametrize("reference", ["shuffle10", "avg_composition", "zeros"])
@pytest.mark.parametrize("arch", sorted(SMALL))
def test_tangermeme_deepshap_equals_shap_deepshap(arch, reference, X, record_property):
    """The contributions at the observed bases (what the benchmark scores) agree, and both sum to delta.

    The hypothetical contributions (other bases) agree too except where a
    MaxPool's input is the same for the input and the reference (a window the
    shuffle left intact): there shap's MaxPool rule gives multiplier 0 and
    tangermeme's the plain gradient (`test_hypothetical_difference_is_the_maxpool_fallback`).
    """
    keras_model, torch_model = twin_pair(arch, L, seed=2, **SMALL[arch])
    shap_result = attribute("deepshap", keras_model, X, reference)
    tangermeme_result = attribute("deepshap", torch_model, X, reference)
    diff, scale = _max_diff(shap_result.scores, tangermeme_result.scores)
    record_property("observed_relative_max_difference", diff / scale)
    record_property("convergence_errors", (shap_result.convergence_error, tangermeme_result.convergence_error))
    assert scale > 1e-6 and diff <= 1e-5 * scale, f"{arch}/{reference}: differ by {diff} (values up to {scale})"
    assert shap_result.convergence_error < 1e-4 and tangermeme_result.convergence_error < 1e-4


def test_hypothetical_difference_is_the_maxpool_fallback(X, record_property):
    """Give tangermeme's MaxPool rule shap's fallback (multiplier 0 where the pool input does not change) and the
    hypothetical contributions agree everywhere; with tangermeme's own rule they do not (small kernels and
    dinucleotide shuffles leave many pool inputs unchanged)."""
    from tangermeme.deep_lift_shap import _maxpool, _nonlinear, deep_lift_shap

    from baselines.torch_architectures import Exp
    from baselines.torch_setup import unpooling_allowed
    from methods._deeplift_adapter import paired_hypothetical
    from methods._torch_deeplift import _ChannelsFirstInput

    def shap_fallback(module, grad_input, grad_output):
        (grad,) = _maxpool(module, grad_input, grad_output)
        unchanged = torch.sub(*module.input.chunk(2)) == 0
        return (torch.where(torch.cat([unchanged, unchanged]), torch.zeros_like(grad), grad),)

    def multipliers(xs, refs):
        x, r = (torch.from_numpy(a).transpose(1, 2).contiguous() for a in (xs, refs))
        with unpooling_allowed():
            mult = deep_lift_shap(_ChannelsFirstInput(torch_model.network), x, references=lambda batch, n=1: r[:, None],
                                  n_shuffles=1, batch_size=len(x), raw_outputs=True, device="cpu", warning_threshold=1.0,
                                  additional_nonlinear_ops={Exp: _nonlinear, torch.nn.MaxPool1d: shap_fallback})
        return mult[:, 0].transpose(1, 2).numpy()

    keras_model, torch_model = twin_pair("basset", L, seed=2, kernel_width=5, **SMALL["basset"])
    shap_result = attribute("deepshap", keras_model, X, "shuffle10")
    own = attribute("deepshap", torch_model, X, "shuffle10").hypothetical
    from methods.registry import make_references

    refs = make_references("shuffle10", X, seed=0)
    patched = paired_hypothetical(multipliers, X, refs)
    scale = np.abs(shap_result.hypothetical).max()
    record_property("relative_difference_own_rule", float(np.abs(own - shap_result.hypothetical).max() / scale))
    assert np.abs(patched - shap_result.hypothetical).max() <= 1e-5 * scale
    assert np.abs(own - shap_result.hypothetical).max() > 1e-3 * scale


@pytest.mark.parametrize("arch", sorted(SMALL))
def test_captum_equals_deeplift_rescale_and_differs_from_deepshap_on_maxpool(arch, X, record_property):
    """captum's DeepLift takes the gradient at a MaxPool that follows a ReLU, as the deeplift package does.

    captum hooks the tensors between modules: the ReLU's forward hook registers
    on its output tensor first, and that same tensor is the MaxPool's input,
    whose pre-hook registers second. In the backward pass the ReLU's hook
    therefore records the plain gradient arriving at that tensor, before the
    MaxPool's hook replaces it with the cross-max multiplier; the ReLU's
    Rescale then multiplies that plain gradient, and the MaxPool's rule is
    lost. The deeplift package's only MaxPool rule is the gradient. So the two
    agree, and on a max-pooling network neither sums to f(x) - f(ref), while
    DeepSHAP's cross-max rule (shap, tangermeme) does.
    """
    keras_model, torch_model = twin_pair(arch, L, seed=3, **SMALL[arch])
    rescale = attribute("deeplift_rescale", keras_model, X, "shuffle10")
    captum = attribute("captum_deeplift", torch_model, X, "shuffle10")
    deepshap = attribute("deepshap", torch_model, X, "shuffle10")
    diff, scale = _max_diff(rescale.hypothetical, captum.hypothetical)
    record_property("captum_vs_deeplift_relative", diff / scale)
    record_property("convergence_errors", {"deeplift_rescale": rescale.convergence_error,
                                           "captum_deeplift": captum.convergence_error,
                                           "deepshap": deepshap.convergence_error})
    assert diff <= 1e-5 * scale, f"{arch}: captum and deeplift Rescale differ by {diff} (values up to {scale})"
    assert abs(captum.convergence_error - rescale.convergence_error) <= 1e-3 * rescale.convergence_error
    assert captum.convergence_error > 1e-2 > 1e-4 > deepshap.convergence_error
    assert np.abs(captum.hypothetical - deepshap.hypothetical).max() > 1e-2 * scale


@pytest.mark.parametrize("arch", ["basset", "shallow"])
def test_without_maxpool_every_implementation_agrees_and_sums_to_delta(arch, X):
    keras_model, torch_model = twin_pair(arch, L, seed=4, pooling="average", **SMALL[arch])
    results = {
        "deeplift_rescale": attribute("deeplift_rescale", keras_model, X, "shuffle10"),
        "deepshap_keras": attribute("deepshap", keras_model, X, "shuffle10"),
        "deepshap_torch": attribute("deepshap", torch_model, X, "shuffle10"),
        "captum_deeplift": attribute("captum_deeplift", torch_model, X, "shuffle10"),
    }
    base = results["deepshap_keras"].hypothetical
    for name, result in results.items():
        diff, scale = _max_diff(base, result.hypothetical)
        assert diff <= 1e-5 * scale, f"{name} differs from shap by {diff}"
        assert result.convergence_error < 1e-4, f"{name}: convergence error {result.convergence_error}"


def test_deeplift_on_torch_is_repeatable_and_restores_deterministic_mode(X):
    _, torch_model = twin_pair("basset", L, seed=5, **SMALL["basset"])
    for method in ("deepshap", "captum_deeplift"):
        first = attribute(method, torch_model, X, "shuffle10").hypothetical
        again = attribute(method, torch_model, X, "shuffle10", {"batch_size": 7}).hypothetical  # other chunks too
        np.testing.assert_array_equal(first, again)
        assert torch.are_deterministic_algorithms_enabled()


def test_torchscript_model_is_refused_by_deeplift_but_explained_by_gradients(X, tmp_path):
    _, torch_model = twin_pair("shallow", L, seed=6, **SMALL["shallow"])
    scripted = torch.jit.script(torch_model.network)
    model = TrainedModel(kind=TORCH, arch="scripted", params={}, seed=0, network=scripted, sequence_length=L)
    expected = attribute("grad_x_input", torch_model, X).hypothetical
    np.testing.assert_allclose(attribute("grad_x_input", model, X).hypothetical, expected, atol=1e-6, rtol=0)
    for method in ("deepshap", "captum_deeplift"):
        with pytest.raises(AttributionError, match="TorchScript model's cannot be hooked.*state dict with its builder"):
            attribute(method, model, X, "zeros")
