"""PyTorch twins of the Keras architectures: the same layers and shapes, as `torch.nn.Module`s.

Importing this module registers ``torch_basset``, ``torch_beluga`` and
``torch_shallow`` (kind "torch") in `baselines.architectures.ARCHITECTURES`.
Each takes the Keras builder's parameters (``scale``, ``kernel_width``,
``pooling``, ``padding``, ``first_activation``, ``batch_norm``, ...) and
builds the network the Keras builder would, from its layer plan
(`baselines.architectures.stack_spec`):

- input (N, L, 4) one-hot, channels last as everywhere in the project; the
  module moves channels first for its convolutions and back before
  flattening, so the flattened vector has the Keras order (position-major,
  index ``l * C + c``) and a Keras dense kernel copies in as its transpose;
- every nonlinearity is its own module (``nn.ReLU``, `Exp`, ``nn.MaxPool1d``),
  never a functional call, so DeepLIFT implementations that hook modules
  (tangermeme, captum) see each one;
- Keras defaults reproduced: "same" padding pads (k - 1) // 2 on the left,
  the rest on the right (an explicit ``ConstantPad1d`` for even kernels);
  BatchNormalization momentum 0.99 and epsilon 1e-3; glorot_uniform / he_uniform
  kernels and zero biases;
- output (N, 1): the logit.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict

from baselines.architectures import ARCHITECTURES, TORCH_TWINS, StackSpec, stack_spec
from baselines.model import TORCH
from baselines.torch_setup import torch

nn = torch.nn

#: Keras BatchNormalization defaults, in torch's terms (torch momentum = 1 - Keras momentum).
BN_MOMENTUM, BN_EPSILON = 0.01, 1e-3


class Exp(nn.Module):
    """exp(x), elementwise: the "exponential" first-layer activation (Koo & Ploenzke 2021)."""

    def forward(self, x):
        return torch.exp(x)


class ChannelsFirst(nn.Module):
    """(N, L, C) -> (N, C, L)."""

    def forward(self, x):
        return x.transpose(1, 2)


class ChannelsLastFlatten(nn.Module):
    """(N, C, L) -> (N, L * C) in Keras' Flatten order (position-major)."""

    def forward(self, x):
        return x.transpose(1, 2).flatten(1)


class StackNet(nn.Module):
    """A conv stack: ``features`` (convs, activations, batch norms, pools) then ``head`` (dense layers, logit).

    forward: (N, L, 4) float32 -> (N, 1) logits. ``spec`` is the plan it was built from.
    """

    def __init__(self, spec: StackSpec):
        super().__init__()
        self.spec = spec
        self.features = nn.Sequential(OrderedDict(_feature_layers(spec)))
        self.head = nn.Sequential(OrderedDict(_head_layers(spec, _flat_width(spec))))
        _initialise(self, spec.initializer)

    def forward(self, x):
        return self.head(self.features(x))


def _feature_layers(spec: StackSpec) -> list[tuple[str, nn.Module]]:
    pool = nn.MaxPool1d if spec.pooling == "max" else nn.AvgPool1d
    layers, channels = [("channels_first", ChannelsFirst())], 4
    for i, (filters, kernel, pool_size) in enumerate(spec.blocks, start=1):
        padding = (kernel - 1) // 2 if spec.padding == "same" else 0
        if spec.padding == "same" and kernel % 2 == 0:  # Keras' "same": the odd one of the padding goes right
            layers.append((f"pad{i}", nn.ConstantPad1d((padding, kernel // 2), 0.0)))
            padding = 0
        layers.append((f"conv{i}", nn.Conv1d(channels, filters, kernel, padding=padding)))
        layers.append((f"act{i}", Exp() if i == 1 and spec.first_activation == "exponential" else nn.ReLU()))
        if spec.batch_norm:  # after the activation, as in the Keras stack
            layers.append((f"bn{i}", nn.BatchNorm1d(filters, eps=BN_EPSILON, momentum=BN_MOMENTUM)))
        if pool_size > 1:
            layers.append((f"pool{i}", pool(pool_size)))
        channels = filters
    layers.append(("flatten", ChannelsLastFlatten()))
    return layers


def _head_layers(spec: StackSpec, width: int) -> list[tuple[str, nn.Module]]:
    layers = []
    for j, units in enumerate(spec.dense, start=1):
        layers += [(f"dense{j}", nn.Linear(width, units)), (f"dense{j}_relu", nn.ReLU())]
        if spec.dropout > 0:
            layers.append((f"dropout{j}", nn.Dropout(spec.dropout)))
        width = units
    layers.append(("logit", nn.Linear(width, 1)))
    return layers


def _flat_width(spec: StackSpec) -> int:
    """Length of the flattened feature vector (positions left x last conv's filters)."""
    length = spec.sequence_length
    for _, kernel, pool_size in spec.blocks:
        if spec.padding == "valid":
            length -= kernel - 1
        if pool_size > 1:
            length //= pool_size
    return length * spec.blocks[-1][0]


def _initialise(module: nn.Module, initializer: str) -> None:
    """Keras' kernel initialisers (glorot_uniform, he_uniform) on conv and dense kernels; zero biases.

    The logit layer is glorot_uniform whatever `initializer` is, as in the Keras stack.
    """
    init = {"glorot_uniform": nn.init.xavier_uniform_,
            "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")}
    if initializer not in init:
        raise ValueError(f"initializer must be one of {sorted(init)} for a torch twin, got {initializer!r}")
    for name, layer in module.named_modules():
        if isinstance(layer, (nn.Conv1d, nn.Linear)):
            (nn.init.xavier_uniform_ if name.endswith("logit") else init[initializer])(layer.weight)
            nn.init.zeros_(layer.bias)


def conv_layer_names(network: nn.Module) -> list[str]:
    """Qualified names of the Conv1d modules of a torch network, in registration (input-side-first) order."""
    return [name for name, layer in network.named_modules() if isinstance(layer, nn.Conv1d)]


def first_kernel_width(network: nn.Module) -> int | None:
    """Kernel width of the first Conv1d module, or None if the network has none."""
    for layer in network.modules():
        if isinstance(layer, nn.Conv1d):
            return int(layer.kernel_size[0])
    return None


def first_stage(network: nn.Module) -> list[str]:
    """Names of a `StackNet`'s feature layers before its first pool (or the flatten): its first stage.

    The same layers as the Keras warm start's (`baselines.warmstart`); [] for any other module.
    """
    if not isinstance(network, StackNet):
        return []
    names = []
    for name, layer in network.features.named_children():
        if isinstance(layer, (nn.MaxPool1d, nn.AvgPool1d, ChannelsLastFlatten)):
            break
        names.append(name)
    return names


class _TorchTwin:
    """Registry entry of a Keras builder's torch twin: the same signature, a `StackNet` from its plan."""

    model_kind = TORCH

    def __init__(self, keras_name: str):
        self.keras_name = keras_name
        self.__signature__ = inspect.signature(ARCHITECTURES[keras_name])
        self.__doc__ = f"PyTorch twin of {keras_name!r}: the same layers and shapes (baselines.torch_architectures)"

    def __call__(self, sequence_length: int, **params) -> StackNet:
        return StackNet(stack_spec(self.keras_name, sequence_length, **params))

    def __repr__(self) -> str:
        return f"torch twin of {self.keras_name}"


def register_twins() -> None:
    """Register the torch twins that are not registered (again, after a test put the registry back)."""
    for name, keras_name in TORCH_TWINS.items():
        if name not in ARCHITECTURES:
            ARCHITECTURES.add(name, _TorchTwin(keras_name))


register_twins()
