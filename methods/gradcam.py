"""Conv-layer methods: GradCAM (standard and the paper code's variant) and gradient x activation.

All three work on one conv layer's feature map A (N, P, K) (P positions, K
channels; taken after the layer's activation, and after a directly following
BatchNormalization/activation layer when the conv itself is linear) and on
G = d logit / d A:

- ``gradcam`` (Selvaraju et al. 2017): channel weights w_k = mean_p G[p, k];
  map_p = ReLU(sum_k w_k A[p, k]).
- ``gradcam_paper``: the variant in the paper's code, which averages the
  gradients over *channels* at each position instead of over positions:
  w_p = mean_k G[p, k]; map_p = ReLU(w_p * sum_k A[p, k]).
- ``grad_x_activation``: map_p = sum_k G[p, k] A[p, k] (signed, no ReLU).

Each map is mapped back to input length by giving every base the mean of the
map over all layer positions whose receptive field covers it (fields computed
through every conv/pooling layer in between, "valid" or "same" padding), then
repeated over the four bases. ``layer``: "first" or "last" conv layer of the
model, or a layer name.
"""

from __future__ import annotations

import numpy as np

from methods._receptive import receptive_fields, to_input_length
from methods._tf_grad import layer_gradients
from methods.registry import register_method

LAYERS = {"layer": ("first", "last")}
NOT_GKM = {"gkmsvm": "needs a conv layer and its gradients; a gkm-SVM has neither"}
_FOLLOWERS = {"BatchNormalization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU"}


def feature_layer(model, layer: str = "first") -> str:
    """Name of the layer whose output is the feature map for a conv layer choice.

    layer: "first", "last" (of ``model.conv_layer_names``) or a layer name.
    When the chosen conv layer has a linear activation, the feature map is
    taken after the BatchNormalization/activation layers that directly follow it.
    """
    names = list(model.conv_layer_names)
    if not names:
        raise ValueError(f"model {model.name} lists no conv layers (conv_layer_names is empty)")
    chosen = {"first": names[0], "last": names[-1]}.get(layer, layer)
    layers = model.network.layers
    index = {l.name: i for i, l in enumerate(layers)}
    if chosen not in index:
        raise ValueError(f"layer {layer!r}: model {model.name} has no layer {chosen!r}; conv layers: {names}")
    i = index[chosen]
    if layers[i].get_config().get("activation", "linear") == "linear":
        while i + 1 < len(layers) and type(layers[i + 1]).__name__ in _FOLLOWERS:
            i += 1
    return layers[i].name


def layer_maps(model, X: np.ndarray, layer: str, batch_size: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(A, G, (lo, hi)): activations and logit gradients (N, P, K) at the chosen layer, and its receptive fields."""
    name = feature_layer(model, layer)
    A, G = layer_gradients(model.network, X, name, batch_size=batch_size)
    return A, G, receptive_fields(model.network, name, X.shape[1])


def _broadcast(per_position: np.ndarray, fields, length: int) -> np.ndarray:
    scores = to_input_length(per_position.astype(np.float64), *fields, length)
    return np.repeat(scores[:, :, None], 4, axis=2).astype(np.float32)


@register_method(
    "gradcam",
    params=LAYERS,
    excluded=NOT_GKM,
    description="standard GradCAM: channel weights = gradient averaged over positions; ReLU(sum_k w_k A_k), mapped to bases",
)
def gradcam(model, X, references, *, layer: str = "first", batch_size: int = 512, seed: int = 0) -> np.ndarray:
    """Standard GradCAM at a conv layer, averaged back to input length. (N, L, 4) -> (N, L, 4)."""
    A, G, fields = layer_maps(model, X, layer, batch_size)
    weights = G.mean(axis=1, keepdims=True)  # (N, 1, K)
    return _broadcast(np.maximum((weights * A).sum(-1), 0), fields, X.shape[1])


@register_method(
    "gradcam_paper",
    params=LAYERS,
    excluded=NOT_GKM,
    description="paper-code GradCAM: gradient averaged over channels at each position, times summed activation, ReLU",
)
def gradcam_paper(model, X, references, *, layer: str = "first", batch_size: int = 512, seed: int = 0) -> np.ndarray:
    """The paper code's GradCAM: per-position weights mean_k G[p, k] on sum_k A[p, k]. (N, L, 4) -> (N, L, 4)."""
    A, G, fields = layer_maps(model, X, layer, batch_size)
    weights = G.mean(axis=-1)  # (N, P)
    return _broadcast(np.maximum(weights * A.sum(-1), 0), fields, X.shape[1])


@register_method(
    "grad_x_activation",
    params=LAYERS,
    excluded=NOT_GKM,
    description="gradient x activation at a conv layer, summed over channels (signed), mapped to bases",
)
def grad_x_activation(model, X, references, *, layer: str = "first", batch_size: int = 512, seed: int = 0) -> np.ndarray:
    """sum_k G[p, k] A[p, k] at a conv layer, averaged back to input length. (N, L, 4) -> (N, L, 4)."""
    A, G, fields = layer_maps(model, X, layer, batch_size)
    return _broadcast((G * A).sum(-1), fields, X.shape[1])
