"""Copy a Keras network's weights into its PyTorch twin, so both frameworks compute the same function.

Layers are matched by name: a torch ``Conv1d``, ``Linear`` or ``BatchNorm1d``
whose last name component (``features.conv1`` -> ``conv1``) names a Keras
layer gets that layer's weights:

- Conv1D kernel (k, in, out) -> Conv1d weight (out, in, k);
- Dense kernel (in, out) -> Linear weight (out, in). The twin flattens in
  Keras' order (`baselines.torch_architectures.ChannelsLastFlatten`), so the
  first dense kernel needs no reordering;
- BatchNormalization gamma, beta, moving mean, moving variance -> weight,
  bias, running_mean, running_var (epsilon must already agree: the twin's is
  Keras' 1e-3);
- biases as they are.

Used by the cross-framework tests and the DeepLIFT conformance table
(`methods.conformance`).
"""

from __future__ import annotations

import numpy as np

from baselines.torch_setup import torch

nn = torch.nn


def copy_keras_weights(keras_network, torch_network) -> list[str]:
    """Copy every matching layer's weights from `keras_network` into `torch_network` (in place).

    Returns the names of the torch modules that received weights. Raises
    ValueError when a weighted Keras layer has no torch module of its name, or
    when shapes differ.
    """
    keras_layers = {layer.name: layer for layer in keras_network.layers if layer.get_weights()}
    copied, used = [], set()
    for name, module in torch_network.named_modules():
        short = name.rsplit(".", 1)[-1]
        if short not in keras_layers or not isinstance(module, (nn.Conv1d, nn.Linear, nn.BatchNorm1d)):
            continue
        _copy_layer(keras_layers[short].get_weights(), module, name)
        copied.append(name)
        used.add(short)
    missing = sorted(set(keras_layers) - used)
    if missing:
        raise ValueError(f"Keras layers {missing} have weights but the torch network has no Conv1d/Linear/BatchNorm1d "
                         f"module of that name (torch modules: {[n for n, _ in torch_network.named_modules() if n]})")
    return copied


def _copy_layer(weights: list[np.ndarray], module, name: str) -> None:
    if isinstance(module, nn.Conv1d):
        values = {"weight": weights[0].transpose(2, 1, 0), "bias": weights[1]}
    elif isinstance(module, nn.Linear):
        values = {"weight": weights[0].T, "bias": weights[1]}
    else:  # BatchNorm1d: gamma, beta, moving mean, moving variance
        values = {"weight": weights[0], "bias": weights[1], "running_mean": weights[2], "running_var": weights[3]}
    state = module.state_dict()
    for key, value in values.items():
        if tuple(state[key].shape) != value.shape:
            raise ValueError(f"{name}.{key}: torch shape {tuple(state[key].shape)}, Keras gives {value.shape}")
        state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    module.load_state_dict(state)


def twin_pair(arch: str, sequence_length: int, seed: int = 0, **params):
    """A seeded, untrained Keras model of built-in `arch` and its torch twin holding the same weights.

    Returns (keras TrainedModel, torch TrainedModel); neither is cached. For
    cross-framework checks: both compute the same logit to float precision.
    """
    from baselines.architectures import build_network, conv_layer_names, first_kernel_width  # noqa: PLC0415
    from baselines.model import KERAS, TORCH, TrainedModel  # noqa: PLC0415
    from baselines.tf_setup import set_seed  # noqa: PLC0415
    from baselines.torch_architectures import conv_layer_names as torch_convs  # noqa: PLC0415

    set_seed(seed)
    keras_network = build_network(arch, sequence_length, **params)
    torch_network = build_network(f"torch_{arch}", sequence_length, **params)
    copy_keras_weights(keras_network, torch_network)
    width = first_kernel_width(keras_network)
    common = dict(params=dict(params), seed=seed, sequence_length=sequence_length, first_kernel_width=width)
    return (TrainedModel(kind=KERAS, arch=arch, network=keras_network, conv_layer_names=conv_layer_names(keras_network), **common),
            TrainedModel(kind=TORCH, arch=f"torch_{arch}", network=torch_network.eval(),
                         conv_layer_names=torch_convs(torch_network), **common))
