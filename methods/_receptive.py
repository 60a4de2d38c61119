"""Which input bases each position of an intermediate Keras layer sees, and mapping scores back.

`receptive_fields` walks a network's layers from the input up to a named layer,
composing the window of every convolution and pooling layer (kernel or pool
size, stride, dilation, "valid" or "same" padding), and returns for each
position p of that layer the half-open input interval [lo[p], hi[p]) it
covers (clipped to the sequence; padding covers nothing). `to_input_length`
then gives every base the mean score of all layer positions whose field
covers it, the paper's mapping for GradCAM-style maps.
"""

from __future__ import annotations

import numpy as np

# layers that keep positions one-to-one (they act on channels, or element-wise)
_POSITIONWISE = {
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "ThresholdedReLU",
    "BatchNormalization",
    "LayerNormalization",
    "Dropout",
    "SpatialDropout1D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "Dense",  # on a (B, P, K) tensor a Dense acts per position
}
_WINDOWED = {"Conv1D", "SeparableConv1D", "DepthwiseConv1D", "MaxPooling1D", "AveragePooling1D", "LocallyConnected1D"}


def _window(layer) -> tuple[int, int, int, str]:
    """(size, stride, dilation, padding) of a convolution or pooling layer."""
    config = layer.get_config()
    size = config.get("kernel_size", config.get("pool_size"))
    stride = config.get("strides", size)
    dilation = config.get("dilation_rate", 1)
    first = lambda v: int(v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    padding = str(config.get("padding", "valid")).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) uses padding {padding!r}; only 'valid' and 'same' are supported")
    return first(size), first(stride if stride is not None else size), first(dilation), padding


def receptive_fields(network, layer_name: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Input interval seen by every position of ``layer_name``.

    Parameters
    ----------
    network: a Keras Sequential (or functional chain) taking (B, length, 4).
    layer_name: the layer whose positions to map.
    length: input sequence length L.

    Returns
    -------
    (lo, hi): two (P,) int arrays; position p covers input bases lo[p] <= i < hi[p].
    """
    lo = np.arange(length)
    hi = lo + 1
    names = [layer.name for layer in network.layers]
    if layer_name not in names:
        raise ValueError(f"network has no layer {layer_name!r}; its layers are {names}")
    for layer in network.layers:
        kind = type(layer).__name__
        if kind in _WINDOWED:
            size, stride, dilation, padding = _window(layer)
            span = (size - 1) * dilation + 1
            n_in = len(lo)
            if padding == "valid":
                n_out = (n_in - span) // stride + 1
                pad_left = 0
            else:
                n_out = -(-n_in // stride)
                pad_left = max((n_out - 1) * stride + span - n_in, 0) // 2
            if n_out < 1:
                raise ValueError(f"layer {layer.name!r} ({kind}) leaves no positions from {n_in}")
            first = np.arange(n_out) * stride - pad_left
            last = first + span - 1
            lo = lo[np.clip(first, 0, n_in - 1)]
            hi = hi[np.clip(last, 0, n_in - 1)]
        elif kind in _POSITIONWISE or kind == "InputLayer":
            pass
        else:
            raise ValueError(
                f"cannot map positions through layer {layer.name!r} ({kind}) on the way to {layer_name!r}; "
                "choose a layer before it"
            )
        if layer.name == layer_name:
            return lo, hi
    raise AssertionError("unreachable")


def coverage(lo: np.ndarray, hi: np.ndarray, length: int) -> np.ndarray:
    """(P, L) float32 matrix: 1 where layer position p covers input base i."""
    i = np.arange(length)
    return ((i[None, :] >= lo[:, None]) & (i[None, :] < hi[:, None])).astype(np.float32)


def to_input_length(scores: np.ndarray, lo: np.ndarray, hi: np.ndarray, length: int) -> np.ndarray:
    """Mean over all covering layer positions, for every input base. (N, P) -> (N, L); uncovered bases get 0."""
    if scores.shape[1] != len(lo):
        raise ValueError(f"layer has {scores.shape[1]} positions but its receptive fields give {len(lo)}")
    cover = coverage(lo, hi, length)
    counts = cover.sum(0)
    return (scores @ cover) / np.maximum(counts, 1)[None, :]
