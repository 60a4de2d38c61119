"""DeepLIFT multipliers of a PyTorch model's logit from tangermeme and from captum.

Both packages hook the model's nonlinear *modules* (``nn.ReLU``,
``nn.MaxPool1d``, ...) and run one forward pass over inputs and references
stacked together, so both need modules, not functional calls, for every
nonlinearity, and neither can hook a TorchScript model (`check_hookable`).

- tangermeme's ``deep_lift_shap``: Rescale at elementwise nonlinearities and
  the cross-max rule at MaxPool (the change of the pooled output routed to
  the winning positions of input and reference), the rules of shap's
  DeepExplainer; a module called several times keeps one cache per call.
- captum's ``DeepLift``: the same rules on paper, but its hooks sit on the
  tensors between modules: when a ReLU's output goes straight into a MaxPool,
  the ReLU records the gradient that reaches that tensor *before* the
  MaxPool's hook replaces it, so the MaxPool's multiplier is lost and that
  step is effectively the gradient, as in the `deeplift` package. A module
  used twice raises.

The project's `Exp` activation (an exponential first layer) is taught to both
as an elementwise nonlinearity (Rescale), as `methods._deeplift_adapter` teaches
the deeplift package. tangermeme is also taught ``nn.AdaptiveMaxPool1d`` whose
windows tile the input (a global max-pool, the usual end of a researcher's
CNN) as the MaxPool it is; captum treats it as linear. An operation a package
has no rule for is taken as linear, so its contributions miss f(x) - f(ref):
tangermeme's warning about it is logged once per network, and the harness
measures the miss in every cell (its convergence error).
"""

from __future__ import annotations

import logging
import threading
import warnings

import numpy as np

from baselines.torch_architectures import Exp
from baselines.torch_setup import to_tensor, torch, unpooling_allowed
from methods._torch_grad import evaluating

log = logging.getLogger(__name__)
_LOCK = threading.RLock()  # both packages put hooks and attributes on the model's modules
_WARNED: set[int] = set()  # networks whose missing DeepLIFT rule was already logged


class _ChannelsFirstInput(torch.nn.Module):
    """(N, 4, L) -> the wrapped (N, L, 4) network: tangermeme takes one-hot as (N, 4, L)."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return self.network(x.transpose(1, 2))


def check_hookable(network, method: str) -> None:
    """Raise ValueError when `network` holds a TorchScript module, whose operations no DeepLIFT hook reaches."""
    if any(isinstance(m, torch.jit.ScriptModule) for m in network.modules()):
        raise ValueError(
            f"{method} hooks the model's nonlinear modules, and a TorchScript model's cannot be hooked; explain it with "
            f"gradient methods or ISM, or give it as a state dict with its builder file (pretrained + builder)"
        )


def tangermeme_multipliers(network, xs: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """tangermeme DeepLIFT/SHAP multipliers of the logit for (input, reference) pairs.

    xs, refs: (P, L, 4) float32; xs one-hot. Returns (P, L, 4) float32; the
    contributions are ``multipliers * (xs - refs)``. All P pairs go in one call.
    """
    from tangermeme.deep_lift_shap import _nonlinear, deep_lift_shap  # noqa: PLC0415

    check_hookable(network, "deepshap (tangermeme)")
    x = to_tensor(xs).transpose(1, 2).contiguous()  # (P, 4, L)
    r = to_tensor(refs).transpose(1, 2).contiguous()

    def paired_references(batch, n=1):  # called once, with the whole batch: its own references, any values
        if batch.shape != r.shape:
            raise RuntimeError(f"tangermeme asked for references of a batch of shape {tuple(batch.shape)}, expected {tuple(r.shape)}")
        return r[:, None]

    with _LOCK, evaluating(network), unpooling_allowed(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        mult = deep_lift_shap(_ChannelsFirstInput(network), x, references=paired_references, n_shuffles=1,
                              batch_size=len(x), raw_outputs=True, device="cpu", warning_threshold=float("inf"),
                              additional_nonlinear_ops={Exp: _nonlinear, torch.nn.AdaptiveMaxPool1d: _adaptive_maxpool})
    missing = [w for w in caught if "no DeepLIFT rule" in str(w.message)]
    if missing and id(network) not in _WARNED:
        _WARNED.add(id(network))
        log.warning("deepshap (tangermeme) on %s: %s", type(network).__name__, missing[0].message)
    return mult[:, 0].transpose(1, 2).numpy().astype(np.float32)  # (P, 1, 4, L) -> (P, L, 4)


def _adaptive_maxpool(module, grad_input, grad_output):
    """tangermeme's MaxPool rule for an ``nn.AdaptiveMaxPool1d`` whose windows tile its input (length k x output)."""
    from tangermeme.deep_lift_shap import _maxpool  # noqa: PLC0415

    length, size = module.input.shape[-1], module.output_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    if size is None or length % size:
        raise ValueError(f"deepshap (tangermeme): AdaptiveMaxPool1d({size}) on length {length} has uneven windows; "
                         f"no DeepLIFT rule covers it (use MaxPool1d)")
    proxy = torch.nn.MaxPool1d(length // size)
    proxy.input, proxy.output = module.input, module.output
    return _maxpool(proxy, grad_input, grad_output)


def _teach_captum() -> None:
    from captum.attr._core import deep_lift  # noqa: PLC0415

    deep_lift.SUPPORTED_NON_LINEAR.setdefault(Exp, deep_lift.nonlinear)


def captum_multipliers(network, xs: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """captum ``DeepLift`` multipliers (``multiply_by_inputs=False``) of the logit for (input, reference) pairs.

    xs, refs: (P, L, 4) float32. Returns (P, L, 4) float32. Raises ValueError
    naming the cause when captum refuses the model (a module used twice).
    """
    from captum.attr import DeepLift  # noqa: PLC0415

    check_hookable(network, "captum_deeplift")
    _teach_captum()
    with _LOCK, evaluating(network), unpooling_allowed(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Setting forward, backward hooks ..." on every call
        try:
            mult = DeepLift(network, multiply_by_inputs=False).attribute(
                to_tensor(xs).clone().requires_grad_(True), baselines=to_tensor(refs), target=0)
        except RuntimeError as error:
            if "used more than once" in str(error):
                raise ValueError(f"captum's DeepLift cannot explain a model that calls one module twice: {error}") from None
            raise
    return mult.detach().numpy().astype(np.float32)
