"""Is a Keras model's output a logit, or a probability? (`probability_output`)

Methods explain the pre-sigmoid logit. A model whose graph ends in a sigmoid
or a softmax explains a probability instead, saturated near 0 and 1, which
changes every method's scores. The squashing can be written many ways:
``Dense(1, activation="sigmoid")``, an ``Activation`` or ``Softmax`` layer,
``tf.math.sigmoid(x)`` in a functional model (a ``TFOpLambda`` layer), a
``Lambda``, or any of these followed by a ``Reshape``/``Flatten``. So the
check walks back from the output through layers that only move values
(reshape, flatten, permute, dropout, linear activation), takes the last layer
that computes something, and asks its activation or function what it does to
the values -30..30: if every result lies in [0, 1], the output is a probability.
"""

from __future__ import annotations

import numpy as np

#: Layer classes that only move values around, so the layer before them decides what the output is.
SHAPE_ONLY = ("Reshape", "Flatten", "Permute", "Dropout", "SpatialDropout1D", "InputLayer", "RepeatVector")
#: TFOpLambda symbols (``tf.<symbol>``) that only move values.
SHAPE_OPS = ("reshape", "squeeze", "expand_dims", "identity", "compat.v1.squeeze", "transpose")
PROBE = np.linspace(-30.0, 30.0, 61, dtype=np.float32).reshape(61, 1)


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    return history.layer if history is not None else None


def _previous(layer):
    """The one layer feeding `layer` (None for an input or a layer with several inputs)."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if not nodes:
        return None
    inbound = nodes[0].inbound_layers
    if isinstance(inbound, (list, tuple)):
        return inbound[0] if len(inbound) == 1 else None
    return inbound


def _squashes(function, **kwargs) -> bool:
    """True when `function` maps every value of -30..30 into [0, 1] (a sigmoid, a softmax, a clip to [0, 1])."""
    from baselines.tf_setup import tf  # noqa: PLC0415

    try:
        out = np.asarray(function(tf.constant(PROBE), **kwargs), dtype=np.float64)
    except Exception:  # noqa: BLE001 (a function that does not take a (61, 1) tensor: cannot tell from here)
        return False
    return out.size > 0 and bool(np.all(np.isfinite(out))) and bool(out.min() >= 0.0 and out.max() <= 1.0)


def _is_linear(function) -> bool:
    return getattr(function, "__name__", "") == "linear"


def _verdict(layer) -> str | None:
    """Why `layer` makes the output a probability; "" when it computes something else; None when it only moves values."""
    kind = type(layer).__name__
    if kind in SHAPE_ONLY:
        return None
    if kind == "Softmax":
        return f"layer {layer.name!r} is a Softmax"
    if kind == "TFOpLambda":
        symbol = str(getattr(layer, "symbol", ""))
        if any(word in symbol for word in ("sigmoid", "softmax")) or _squashes(layer.function):
            return f"layer {layer.name!r} applies tf.{symbol}, whose outputs lie in [0, 1]"
        return None if symbol.split(".")[-1] in SHAPE_OPS or symbol in SHAPE_OPS else ""
    if kind == "Lambda":
        if _squashes(layer.function, **(getattr(layer, "arguments", None) or {})):
            return f"layer {layer.name!r} is a Lambda whose outputs lie in [0, 1] for inputs from -30 to 30"
        return ""
    activation = getattr(layer, "activation", None)
    if activation is not None and not _is_linear(activation):
        name = getattr(activation, "__name__", repr(activation))
        if name in ("sigmoid", "softmax", "hard_sigmoid") or _squashes(activation):
            return f"layer {layer.name!r} ({kind}) has activation {name!r}, whose outputs lie in [0, 1]"
        return ""
    if kind == "Activation":  # a linear Activation only passes values on
        return None
    return ""


def probability_output(network) -> str:
    """Why `network`'s (first) output is a probability rather than a logit; "" when it is not.

    Walks back from the output through value-moving layers and nested models
    to the last layer that computes something (see the module doc).
    """
    outputs = getattr(network, "outputs", None) or []
    layer = _producer(outputs[0]) if outputs else (network.layers[-1] if getattr(network, "layers", None) else None)
    for _ in range(100):  # a bound on the walk, whatever the graph
        if layer is None:
            return ""
        inner = getattr(layer, "outputs", None)
        if inner and hasattr(layer, "layers"):  # a nested model: its own output layer decides
            layer = _producer(inner[0])
            continue
        verdict = _verdict(layer)
        if verdict is not None:
            return verdict
        layer = _previous(layer)
    return ""


def refusal(network, path) -> str:
    """The error message for a model whose output is a probability ("" when it is a logit)."""
    why = probability_output(network)
    if not why:
        return ""
    return (f"{path}: the model's output is a probability, not a logit: {why}. Methods explain the pre-sigmoid "
            "logit, so pass the logit: end the model in a linear layer (e.g. Dense(1, activation='linear')), "
            "or save the model without its final sigmoid/softmax (keras.Model(model.input, "
            "model.layers[-2].output) when the squashing is the last layer); train with a loss from logits "
            "(BinaryCrossentropy(from_logits=True))")
