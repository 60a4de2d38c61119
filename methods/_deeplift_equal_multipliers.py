"""One transposed convolution where deeplift's Linear rule builds five, when that is exact.

deeplift keeps two multipliers per unit, one for the positive and one for the
negative part of its difference from reference (RevealCancel needs the split).
Its Linear rule for ``Conv1D`` and ``Dense`` sends them back through the
positive and negative parts of the kernel separately, masked by the sign of
the input's difference from reference: four masked transposed convolutions
(matmuls for Dense) plus a fifth for inputs equal to their reference. When the
two multipliers at the layer's output are equal, call them m, the three masks
partition the input and W+ + W- = W, so the five terms add up to one transposed
convolution of m with W. That is the same rule, computed once instead of five
times; on the CNNs here the transposed convolutions are about half of
deeplift's run time.

When are the two multipliers equal? deeplift's target layer starts them equal,
and every layer type on the way down keeps them equal (Linear layers even
return one tensor for both), except RevealCancel nonlinearities, which split
them. `mark_layers` proves equality layer by layer from the converted graph
and flags only the layers where it holds; every other layer keeps deeplift's
own rule. Under the GenomicsDefault mode the dense layer below a RevealCancel
nonlinearity keeps the full rule, and the conv layers below it take the single
convolution.

`install` patches ``Conv1D`` and ``Dense`` once per process; a layer takes the
single-convolution path only if `mark_layers` flagged it, so deeplift models
converted without marking behave exactly as the package does.
"""

from __future__ import annotations

from typing import Any

FLAG = "_motifbench_equal_multipliers"

_ORIGINAL: dict[type, Any] = {}


def install() -> None:
    """Patch deeplift's Conv1D and Dense multiplier rules (idempotent)."""
    from deeplift.layers.convolutional import Conv1D  # noqa: PLC0415
    from deeplift.layers.core import Dense  # noqa: PLC0415

    for cls, single in ((Conv1D, _conv1d_single_transpose), (Dense, _dense_single_matmul)):
        if cls in _ORIGINAL:
            continue
        _ORIGINAL[cls] = cls._get_mxts_increments_for_inputs
        cls._get_mxts_increments_for_inputs = _dispatch(cls, single)


def _dispatch(cls: type, single: Any) -> Any:
    def increments(self: Any) -> tuple[Any, Any]:
        if getattr(self, FLAG, False):
            return single(self)
        return _ORIGINAL[cls](self)

    increments.__doc__ = f"deeplift's {cls.__name__} rule, computed once when the layer's multipliers are equal (see {__name__})."
    return increments


def _conv1d_single_transpose(layer: Any) -> tuple[Any, Any]:
    from deeplift.layers.helper_functions import conv1d_transpose_via_conv2d  # noqa: PLC0415

    increments = conv1d_transpose_via_conv2d(
        value=layer.get_pos_mxts(),  # equals get_neg_mxts(): proven by mark_layers
        kernel=layer.kernel,
        tensor_with_output_shape=layer.inputs.get_activation_vars(),
        padding=layer.padding,
        stride=layer.stride,
    )
    return increments, increments


def _dense_single_matmul(layer: Any) -> tuple[Any, Any]:
    import deeplift.layers.core as core  # noqa: PLC0415

    increments = core.tf.matmul(layer.get_pos_mxts(), layer.kernel.T)
    return increments, increments


def mark_layers(layers: list[Any], target: Any) -> list[str]:
    """Flag every Conv1D / Dense layer whose two multipliers are provably equal.

    Call after the forward graph is built (GenomicsDefault has resolved each
    nonlinearity to Rescale or RevealCancel) and before ``update_mxts`` builds
    the backward graph.

    Parameters
    ----------
    layers: every deeplift layer of the converted model.
    target: the layer being explained (its multipliers start equal).

    Returns
    -------
    Names of the flagged layers.
    """
    from deeplift.layers.convolutional import Conv1D  # noqa: PLC0415
    from deeplift.layers.core import Dense  # noqa: PLC0415

    memo: dict[int, bool] = {}
    flagged = []
    for layer in layers:
        if type(layer) in (Conv1D, Dense):
            equal = multipliers_equal(layer, target, memo)
            setattr(layer, FLAG, equal)
            if equal:
                flagged.append(layer.get_name())
    return flagged


def multipliers_equal(layer: Any, target: Any, memo: dict[int, bool] | None = None) -> bool:
    """True when deeplift's positive and negative multipliers at `layer`'s output are always equal.

    They start equal at the target (and at zero above it), and a consumer passes
    equal multipliers down if its rule treats both alike and its own two
    multipliers are equal. Unknown layer types count as splitting them.
    """
    memo = {} if memo is None else memo
    key = id(layer)
    if key not in memo:
        memo[key] = layer is target or all(_passes_equal(consumer, target, memo) for consumer in layer.get_output_layers())
    return memo[key]


def _passes_equal(consumer: Any, target: Any, memo: dict[int, bool]) -> bool:
    """Does `consumer` send equal positive and negative multiplier increments to its input?"""
    from deeplift.layers import activations, convolutional, core, normalization, pooling  # noqa: PLC0415
    from deeplift.layers.core import NonlinearMxtsMode  # noqa: PLC0415

    if type(consumer) in (convolutional.Conv1D, core.Dense):
        return True  # the Linear rule returns one tensor for both
    same_rule_for_both = (
        pooling.MaxPool1D,
        pooling.AvgPool1D,
        pooling.GlobalMaxPool1D,
        pooling.GlobalAvgPool1D,
        core.Flatten,
        core.NoOp,
        normalization.BatchNormalization,
    )
    if type(consumer) in same_rule_for_both:
        return multipliers_equal(consumer, target, memo)
    if isinstance(consumer, activations.Activation):
        keeps_equal = (NonlinearMxtsMode.Rescale, NonlinearMxtsMode.Gradient, NonlinearMxtsMode.PassThrough)
        return consumer.nonlinear_mxts_mode in keeps_equal and multipliers_equal(consumer, target, memo)
    return False


__all__ = ["FLAG", "install", "mark_layers", "multipliers_equal"]
