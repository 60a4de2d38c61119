"""Registered model architectures: Keras CNNs and the gkm-SVM.

Every Keras builder has the signature ``builder(sequence_length, **params) ->
keras.Sequential`` and returns an *uncompiled* plain Sequential model built
from standard layers only (Conv1D, MaxPooling1D/AveragePooling1D, Dropout,
Flatten, Dense, Activation), so the deeplift converter and shap can read it.
Conventions shared by all of them:

- input (L, 4) one-hot, A, C, G, T;
- conv layers are named ``conv1``, ``conv2``, ... (input side first) and use
  ``padding`` (default "same": conv output position j is centred on input
  position j of that layer; "valid": position j covers [j, j + w));
- the last layer is ``Dense(1, activation="linear", name="logit")``: the
  pre-sigmoid logit that methods explain. Training uses
  ``from_logits=True``; probabilities are ``sigmoid(logit)``;
- ``scale`` multiplies every filter count and dense width: ``scale=1`` is the
  published size (Basset: 300/200/200 filters, Beluga: 320..640), the CPU
  profiles use a fraction of it.

``gkmsvm`` is registered too, as an architecture of kind "gkmsvm" (see
`baselines.gkmsvm`); its entry is the default gkm-SVM settings, not a Keras
builder. Use `arch_kind(name)` to tell the kinds apart.

``torch_basset``, ``torch_beluga`` and ``torch_shallow`` are the PyTorch twins
of the three Keras builders (kind "torch"): the same parameters, and the same
layers and shapes, read from the Keras builder by `stack_spec`. They register
when `baselines.torch_architectures` is imported (which imports torch); naming
one here imports it on first use (`TORCH_TWINS`).
"""

from __future__ import annotations

import importlib
import inspect
import threading
from dataclasses import dataclass

from baselines.model import GKMSVM, KERAS, MODEL_KINDS
from baselines.tf_setup import keras
from tasks.registry import Registry

ARCHITECTURES = Registry("architecture")
POOLINGS = ("max", "average")
PADDINGS = ("same", "valid")
#: First-layer activations: "relu", or "exponential" (Koo & Ploenzke, Nat. Mach. Intell. 2021:
#: exp(x) on the first conv layer's output makes its filters more PWM-like and
#: raised attribution AUPR on synthetic motif data). Deeper layers are always ReLU.
FIRST_ACTIVATIONS = ("relu", "exponential")
#: Parameters that take one of a few values, checked by `check_params`.
CHOICES = {"pooling": POOLINGS, "padding": PADDINGS, "first_activation": FIRST_ACTIVATIONS}
#: The PyTorch twins of the Keras builders, registered by importing this module (it imports torch).
TORCH_TWINS = {"torch_basset": "basset", "torch_beluga": "beluga", "torch_shallow": "shallow"}
TORCH_TWIN_MODULE = "baselines.torch_architectures"


def _entry(name: str):
    """The registry entry of `name`, importing the torch twins on first need (KeyError lists valid ones)."""
    if name in TORCH_TWINS and name not in ARCHITECTURES:
        importlib.import_module(TORCH_TWIN_MODULE).register_twins()
    return ARCHITECTURES[name]


def profile_arch(name: str) -> str:
    """The architecture whose profile settings `name` takes: a torch twin sizes itself as its Keras original."""
    return TORCH_TWINS.get(name, name)


def arch_kind(name: str) -> str:
    """"keras", "gkmsvm" or "torch" for a registered architecture name (KeyError lists valid ones)."""
    kind = getattr(_entry(name), "model_kind", KERAS)
    return kind if kind in MODEL_KINDS else KERAS


def keras_architectures() -> list[str]:
    """Names of the registered Keras architectures."""
    return [name for name in ARCHITECTURES.names() if arch_kind(name) == KERAS]


def arch_defaults(name: str) -> dict:
    """The default parameters of architecture `name` (its builder's keyword defaults)."""
    entry = _entry(name)
    if arch_kind(name) == GKMSVM:
        return dict(entry.defaults)
    signature = inspect.signature(entry)
    return {
        pname: p.default
        for pname, p in signature.parameters.items()
        if pname != "sequence_length" and p.default is not p.empty
    }


def build_network(name: str, sequence_length: int, **params):
    """Build Keras (or PyTorch) architecture `name` for sequences of `sequence_length`.

    Raises ValueError naming the valid parameters if one is unknown, and if the
    sequence is too short for the architecture's conv/pool stack.
    """
    if arch_kind(name) == GKMSVM:
        raise ValueError(f"architecture {name!r} is a gkm-SVM, not a Keras network; use baselines.gkmsvm")
    check_params(name, params)
    return _entry(name)(int(sequence_length), **params)


def check_params(name: str, params: dict) -> None:
    """Raise ValueError if `params` holds a key architecture `name` does not take, or a choice it does not offer.

    Checked before anything is built, so a run file with ``pooling = "avg"`` fails at collection,
    not once per cell.
    """
    valid = arch_defaults(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for architecture {name!r}; "
            f"valid parameters: {', '.join(sorted(valid))}"
        )
    for param, choices in CHOICES.items():
        if param in params and params[param] not in choices:
            raise ValueError(f"{name}: {param} must be one of {choices}, got {params[param]!r}")


def conv_layer_names(network) -> list[str]:
    """Names of the Conv1D layers of a Keras network, input side first."""
    return [layer.name for layer in network.layers if isinstance(layer, keras.layers.Conv1D)]


def first_kernel_width(network) -> int:
    """Kernel width of the first Conv1D layer."""
    for layer in network.layers:
        if isinstance(layer, keras.layers.Conv1D):
            return int(layer.kernel_size[0])
    raise ValueError("network has no Conv1D layer")


# --------------------------------------------------------------------------- builders


@dataclass(frozen=True)
class StackSpec:
    """The layer plan `_stack` builds: what a PyTorch twin needs to build the same network."""

    arch: str
    sequence_length: int
    blocks: tuple  # (filters, kernel, pool size after it; 0 = no pool) per conv layer
    dense: tuple  # hidden dense widths
    pooling: str
    padding: str
    dropout: float
    initializer: str
    first_activation: str
    batch_norm: bool


_SPEC_ONLY = threading.local()  # set by `stack_spec`: `_stack` returns its plan instead of building Keras layers


def stack_spec(name: str, sequence_length: int, **params) -> StackSpec:
    """The layer plan of built-in Keras architecture `name` with `params`, without building it.

    The builder runs as usual (its parameter checks too); only its last step,
    building Keras layers, is replaced by returning the plan.
    """
    check_params(name, params)
    _SPEC_ONLY.on = True
    try:
        spec = ARCHITECTURES[name](int(sequence_length), **params)
    finally:
        _SPEC_ONLY.on = False
    if not isinstance(spec, StackSpec):
        raise ValueError(f"architecture {name!r} is not a built-in conv stack (basset, beluga, shallow); it has no layer plan")
    return spec


def _stack(
    arch: str,
    sequence_length: int,
    blocks: list[tuple[int, int, int]],
    dense: list[int],
    pooling: str,
    padding: str,
    dropout: float,
    initializer: str = "glorot_uniform",
    first_activation: str = "relu",
    batch_norm: bool = False,
):
    """A Sequential CNN from conv blocks (filters, kernel, pool size after it; 0 = no pool).

    `initializer` is used for the kernels of the conv and hidden dense layers;
    `first_activation` is conv1's activation (see `FIRST_ACTIVATIONS`).
    """
    for param, value in (("pooling", pooling), ("padding", padding), ("first_activation", first_activation)):
        if value not in CHOICES[param]:
            raise ValueError(f"{arch}: {param} must be one of {CHOICES[param]}, got {value!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{arch}: dropout must be in [0, 1), got {dropout!r}")
    _check_length(arch, sequence_length, blocks, padding)
    if getattr(_SPEC_ONLY, "on", False):
        return StackSpec(arch, int(sequence_length), tuple(blocks), tuple(dense), pooling, padding, float(dropout),
                         initializer, first_activation, bool(batch_norm))
    pool_layer = keras.layers.MaxPooling1D if pooling == "max" else keras.layers.AveragePooling1D
    layers = [keras.layers.Input(shape=(sequence_length, 4), name="onehot")]
    for i, (filters, kernel, pool) in enumerate(blocks, start=1):
        activation = first_activation if i == 1 else "relu"
        layers.append(
            keras.layers.Conv1D(
                filters, kernel, padding=padding, activation=activation, kernel_initializer=initializer, name=f"conv{i}"
            )
        )
        if batch_norm:  # after the activation, so conv layer outputs stay the activation maps
            layers.append(keras.layers.BatchNormalization(name=f"bn{i}"))
        if pool > 1:
            layers.append(pool_layer(pool, name=f"pool{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for j, units in enumerate(dense, start=1):
        layers.append(keras.layers.Dense(units, activation="relu", kernel_initializer=initializer, name=f"dense{j}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout{j}"))
    layers.append(keras.layers.Dense(1, activation="linear", name="logit"))
    return keras.Sequential(layers, name=arch)


def _check_length(arch: str, sequence_length: int, blocks: list[tuple[int, int, int]], padding: str) -> None:
    length = sequence_length
    for i, (_, kernel, pool) in enumerate(blocks, start=1):
        if padding == "valid":
            length -= kernel - 1
        if pool > 1:
            length //= pool
        if length < 1:
            raise ValueError(
                f"sequence length {sequence_length} is too short for architecture {arch!r}: "
                f"nothing is left after conv{i} (kernel {kernel}, pool {pool}, padding {padding!r}); "
                f"use longer sequences, padding='same', or a smaller kernel_width"
            )


def _width(base: int, scale: float) -> int:
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    return max(1, int(round(base * scale)))


@ARCHITECTURES.register("basset")
def basset(
    sequence_length: int,
    *,
    kernel_width: int = 19,
    pooling: str = "max",
    scale: float = 1.0,
    padding: str = "same",
    dropout: float = 0.3,
    first_activation: str = "relu",
    batch_norm: bool = False,
    initializer: str = "glorot_uniform",
):
    """Basset-like CNN (Kelley et al. 2016): 3 conv layers, a long first kernel.

    conv1 300 x `kernel_width` -> pool 3 -> conv2 200 x 11 -> pool 4 -> conv3 200 x 7
    -> pool 4 -> dense 1000 -> dense 1000 -> logit; all widths times `scale`.
    """
    s = scale
    blocks = [(_width(300, s), int(kernel_width), 3), (_width(200, s), 11, 4), (_width(200, s), 7, 4)]
    return _stack("basset", sequence_length, blocks, [_width(1000, s)] * 2, pooling, padding, dropout, initializer,
                  first_activation=first_activation, batch_norm=batch_norm)


@ARCHITECTURES.register("beluga")
def beluga(
    sequence_length: int,
    *,
    kernel_width: int = 8,
    pooling: str = "max",
    scale: float = 1.0,
    padding: str = "same",
    dropout: float = 0.2,
    first_activation: str = "relu",
    batch_norm: bool = False,
    initializer: str = "he_uniform",
):
    """DeepSEA Beluga-like CNN (Zhou et al. 2018): six width-8 conv layers in three pairs.

    conv 320,320 -> pool 4 -> conv 480,480 -> pool 4 -> conv 640,640 -> dense 2003
    -> logit; all widths times `scale`; the first kernel is `kernel_width`.
    Kernels start from He initialisation (meant for deep ReLU stacks): with the
    Keras default (Glorot) the CPU-sized model sat at chance for more than ten
    epochs on the simplified task (test auROC 0.57 after early stopping).
    """
    s = scale
    k = int(kernel_width)
    blocks = [
        (_width(320, s), k, 0),
        (_width(320, s), 8, 4),
        (_width(480, s), 8, 0),
        (_width(480, s), 8, 4),
        (_width(640, s), 8, 0),
        (_width(640, s), 8, 0),
    ]
    return _stack("beluga", sequence_length, blocks, [_width(2003, s)], pooling, padding, dropout, initializer,
                  first_activation=first_activation, batch_norm=batch_norm)


@ARCHITECTURES.register("shallow")
def shallow(
    sequence_length: int,
    *,
    kernel_width: int = 5,
    pooling: str = "max",
    scale: float = 1.0,
    padding: str = "same",
    dropout: float = 0.2,
    n_conv: int = 3,
    first_activation: str = "relu",
    batch_norm: bool = False,
    initializer: str = "glorot_uniform",
):
    """A shallow CNN of `n_conv` short-kernel conv layers (interpret-benchmark's simulated-data model).

    conv 64 x `kernel_width` -> (conv 64 x 5) x (n_conv - 1) -> pool 4 -> dense 64
    -> logit; widths times `scale`.
    """
    if int(n_conv) < 1:
        raise ValueError(f"shallow: n_conv must be >= 1, got {n_conv!r}")
    s = scale
    blocks = [(_width(64, s), int(kernel_width), 0)] + [(_width(64, s), 5, 0)] * (int(n_conv) - 1)
    blocks[-1] = (blocks[-1][0], blocks[-1][1], 4)
    return _stack("shallow", sequence_length, blocks, [_width(64, s)], pooling, padding, dropout, initializer,
                  first_activation=first_activation, batch_norm=batch_norm)


class _GkmSvmEntry:
    """Registry entry for the gkm-SVM: its kind and default settings."""

    model_kind = GKMSVM
    defaults = {
        "kernel": "estimated",  # gkmsvm-lite alias of LS-GKM's default -t 2 (truncated estimated l-mer)
        "l": 11,
        "k": 7,
        "d": 3,
        "C": 1.0,
        "solver": "nystrom",
        "n_components": 300,
        "max_train": 1000,
        "train_fraction": 0.9,  # each seed fits a different subsample, even on small tasks
        "max_test": 500,
    }

    def __repr__(self) -> str:
        return "gkmsvm (gkmsvm-lite)"


ARCHITECTURES.add("gkmsvm", _GkmSvmEntry())
