"""Run the `deeplift` package (written for TensorFlow 1) on tf-keras models under TensorFlow 2.

deeplift 0.6.13 builds TF1 graphs (placeholders, sessions, `tf.assign`). Three
things make it work on TensorFlow 2.21 + tf-keras 2.21 without touching the
rest of the process, which stays in eager mode:

1. every deeplift module's global name ``tf`` is rebound to ``tf.compat.v1``
   (done once, on first use);
2. each converted model gets a private ``tf.Graph`` and
   ``tf.compat.v1.Session``; ``deeplift.util._SESS`` points at the session of
   the model in use and everything is built and run inside its graph
   (``deeplift.util.get_session`` is replaced by a function returning
   ``_SESS``: the package's own version first tries to import a ``keras``
   module, which here is Keras 3);
3. the model is converted from its Keras JSON config, with the weights put
   into each layer's config (what ``convert_model_from_saved_files`` does after
   reading an h5 file, so no file is written); for a Sequential model the
   ``InputLayer`` entry is removed and its ``batch_input_shape`` moved onto the
   first real layer; a functional model's class name ``Functional`` reads
   ``Model``.

The package's ``get_prediction_function`` is broken under TF2 (it calls a
Keras-1 backend), so predictions and multipliers are compiled with
``deeplift.util.compile_func``.

Public functions
----------------
convert(network, mode) -> ConvertedModel   (cached per network object and mode)
hypothetical_from_multipliers(mult, refs) -> hypothetical contributions
deeplift_hypothetical(network, X, references, mode) -> (N, L, 4)
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import types
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from baselines.model import weights_digest
from baselines.tf_setup import tf
from methods import _deeplift_equal_multipliers
from methods.registry import model_setup

log = logging.getLogger(__name__)

#: conversion modes accepted by `convert` (mapped to deeplift NonlinearMxtsMode values by `_modes`).
MODES = ("rescale", "genomics_default", "gradient")

_PATCH_LOCK = threading.RLock()
_PATCHED = False
_CACHE: "weakref.WeakKeyDictionary[Any, dict[str, ConvertedModel]]" = weakref.WeakKeyDictionary()


def _patch_deeplift() -> None:
    """Import deeplift and rebind ``tf`` to ``tf.compat.v1`` in each of its modules (once)."""
    global _PATCHED
    with _PATCH_LOCK:
        if _PATCHED:
            return
        import deeplift  # noqa: PLC0415 (heavy, only when a deeplift method runs)
        import deeplift.conversion.kerasapi_conversion  # noqa: F401,PLC0415
        import deeplift.layers  # noqa: F401,PLC0415
        import deeplift.models  # noqa: F401,PLC0415
        import deeplift.util  # noqa: PLC0415

        for name, module in list(sys.modules.items()):
            if name.startswith("deeplift") and isinstance(module, types.ModuleType):
                if getattr(module, "tf", None) is tf:
                    module.tf = tf.compat.v1
        deeplift.util.get_session = _current_session
        _deeplift_equal_multipliers.install()
        _register_exponential()
        _PATCHED = True


def _register_exponential() -> None:
    """Teach deeplift's Keras converter the "exponential" activation (it knows relu, sigmoid,
    tanh, softmax, linear only).

    Models with an exponential first layer (Koo & Ploenzke 2021,
    ``first_activation="exponential"`` in `baselines.architectures`) convert to
    an `Exponential` nonlinearity: exp forward, exp' = exp for the gradient;
    Rescale, RevealCancel and Gradient are deeplift's generic Activation rules,
    which only need those two. The converter's name -> layer lookup is a
    module function building a dict, so it is wrapped, not edited.

    Rescale's fallback where |x - ref| is near zero is the gradient at the
    reference; deeplift computes it by passing the layer's *output* reference
    to `_get_gradient_at_activation` (which elsewhere gets inputs). For exp
    that gave exp(exp(z_ref)), which overflows to inf once z_ref > ln 88.7, and
    deeplift's masked sum then makes 0 x inf = NaN (seen on trained
    exponential-activation models). exp'(z_ref) is the
    output reference itself, so that is what the fallback returns.
    """
    from deeplift.conversion import kerasapi_conversion as kc  # noqa: PLC0415
    from deeplift.layers.activations import Activation  # noqa: PLC0415

    class Exponential(Activation):
        def _build_activation_vars(self, input_act_vars):
            return tf.math.exp(input_act_vars)

        def _get_gradient_at_activation(self, activation_vars):
            return tf.math.exp(activation_vars)

        def _get_gradient_at_default_activation_var(self):
            return self.get_reference_vars()  # exp'(z_ref) = exp(z_ref), this layer's output reference

    def exponential_conversion(name, verbose, nonlinear_mxts_mode, **kwargs):
        return [Exponential(name=name, verbose=verbose, nonlinear_mxts_mode=nonlinear_mxts_mode)]

    known = kc.activation_to_conversion_function

    def activation_to_conversion_function(activation_name):
        if activation_name.lower() == "exponential":
            return exponential_conversion
        return known(activation_name)

    kc.activation_to_conversion_function = activation_to_conversion_function


def _current_session() -> Any:
    """deeplift's session lookup, replaced: the session of the converted model in use."""
    import deeplift.util  # noqa: PLC0415

    if deeplift.util._SESS is None:
        raise RuntimeError("deeplift has no active session; call it through methods._deeplift_adapter")
    return deeplift.util._SESS


def _modes() -> dict[str, str]:
    from deeplift.layers import NonlinearMxtsMode  # noqa: PLC0415

    return {
        "rescale": NonlinearMxtsMode.Rescale,
        "genomics_default": NonlinearMxtsMode.DeepLIFT_GenomicsDefault,
        "gradient": NonlinearMxtsMode.Gradient,
    }


@dataclass(eq=False)
class ConvertedModel:
    """A deeplift model in its own graph and session, with compiled functions.

    Attributes
    ----------
    mode: "rescale", "genomics_default" or "gradient".
    graph, session: the private tf.Graph and tf.compat.v1.Session.
    deeplift_model: the deeplift SequentialModel or GraphModel (use its own
        functions inside ``with converted.active():``).
    target_layer: the deeplift layer explained (the logit, before any final activation).
    input_shape: (L, 4) the model accepts.
    weights_digest: hash of the Keras weights it was converted from.
    """

    mode: str
    graph: Any
    session: Any
    deeplift_model: Any
    input_shape: tuple[int, ...]
    weights_digest: str
    _predict: Callable[[list[np.ndarray]], Any]
    _multipliers: Callable[[list[np.ndarray]], Any]
    _activate: Any
    target_layer: Any

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this model's graph the default and its session deeplift's session."""
        import deeplift.util  # noqa: PLC0415

        with _PATCH_LOCK, self.graph.as_default():
            previous = deeplift.util._SESS
            deeplift.util._SESS = self.session
            try:
                yield
            finally:
                deeplift.util._SESS = previous

    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """The explained output (the logit). X: (N, L, 4) -> (N,) float32."""
        X = self._check(X, "X")
        out = []
        with self.active():
            for start in range(0, len(X), batch_size):
                out.append(np.asarray(self._predict([X[start : start + batch_size]])).reshape(-1))
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)

    def multipliers(self, X: np.ndarray, refs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """deeplift multipliers of the logit w.r.t. the input for paired inputs and references.

        X, refs: (P, L, 4) float32, pair p = (X[p], refs[p]). Returns (P, L, 4)
        float32; the contributions are ``multipliers * (X - refs)``.
        """
        X = self._check(X, "X")
        refs = self._check(refs, "refs")
        if X.shape != refs.shape:
            raise ValueError(f"X {X.shape} and refs {refs.shape} must pair up one to one")
        out = []
        with self.active():
            self.session.run(self._activate)
            for start in range(0, len(X), batch_size):
                stop = start + batch_size
                out.append(np.asarray(self._multipliers([X[start:stop], refs[start:stop]])))
        return np.concatenate(out).astype(np.float32) if out else np.zeros_like(X)

    def _check(self, X: np.ndarray, what: str) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 1 + len(self.input_shape) or X.shape[1:] != self.input_shape:
            raise ValueError(f"deeplift model expects {what} of shape (N, {', '.join(map(str, self.input_shape))}), got {X.shape}")
        return X


def convert(network: Any, mode: str = "rescale", single_transpose: bool = True) -> ConvertedModel:
    """Convert a tf-keras model to deeplift, cached per model object, mode, flag and weights.

    Parameters
    ----------
    network: a `keras.Sequential` or functional `keras.Model` with one (N, L, 4)
        input and one output unit; the explained output is the last layer
        before any final activation (the logit for a model ending in a linear
        Dense(1)).
    mode: "rescale" (Rescale on every nonlinearity), "genomics_default"
        (deeplift's DeepLIFT_GenomicsDefault: Rescale after conv layers,
        RevealCancel after dense layers) or "gradient" (plain gradients, so
        multipliers x input is grad x input). MaxPool always uses deeplift's
        only MaxPool rule, the gradient.
    single_transpose: compute deeplift's Linear rule for a conv or dense layer
        as one transposed convolution (matmul) instead of five where the
        layer's positive and negative multipliers are provably equal: the same
        numbers, about half the time (see `_deeplift_equal_multipliers`).
        False runs the package's rule unchanged (the tests compare the two).

    Returns
    -------
    ConvertedModel
    """
    if mode not in MODES:
        raise ValueError(f"unknown deeplift mode {mode!r}; expected one of {MODES}")
    _patch_deeplift()
    digest = weights_digest(network)
    with _PATCH_LOCK:
        per_model = _CACHE.setdefault(network, {})
        cached = per_model.get((mode, single_transpose))
        if cached is not None and cached.weights_digest == digest:
            return cached
        with model_setup():  # booked to the model, not to the cell that happens to convert it
            converted = _convert(network, mode, digest, single_transpose)
            # the first session call optimises the graph and creates its kernels (a few tenths of
            # a CPU second): one-time model setup too, so run it here on one row of zeros
            row = np.zeros((1, *converted.input_shape), dtype=np.float32)
            converted.multipliers(row, row)
        per_model[(mode, single_transpose)] = converted
        return converted


def _convert(network: Any, mode: str, digest: str, single_transpose: bool) -> ConvertedModel:
    import deeplift.util  # noqa: PLC0415
    from deeplift.conversion import kerasapi_conversion as kc  # noqa: PLC0415
    from deeplift.layers.activations import Activation  # noqa: PLC0415

    config = json.loads(network.to_json())
    class_name, model_config = config["class_name"], config["config"]
    # read weights eagerly, before entering the private graph
    if class_name == "Sequential":
        layer_configs = _sequential_layer_configs(network, model_config)
    elif class_name in ("Functional", "Model"):
        _insert_functional_weights(network, model_config)
    else:
        raise ValueError(f"cannot convert a Keras {class_name!r} to deeplift; expected Sequential or a functional Model")
    graph = tf.Graph()
    with graph.as_default():
        session = tf.compat.v1.Session(graph=graph)
    previous = deeplift.util._SESS
    try:
        with graph.as_default():
            deeplift.util._SESS = session
            nonlinear = _modes()[mode]
            if class_name == "Sequential":
                dl_model = kc.convert_sequential_model(layer_configs, nonlinear_mxts_mode=nonlinear, verbose=False)
                dl_layers = dl_model.get_layers()
                input_layer = dl_layers[0]
            else:
                dl_model = kc.convert_functional_model(model_config, nonlinear_mxts_mode=nonlinear, verbose=False)
                if len(dl_model.get_input_layer_names()) != 1:
                    raise ValueError(f"deeplift adapter explains models with one input, got {dl_model.get_input_layer_names()}")
                input_layer = dl_model.get_name_to_layer()[dl_model.get_input_layer_names()[0]]
                dl_layers = list(dl_model.get_name_to_layer().values())
            output_layer = dl_layers[-1]
            target = output_layer
            while isinstance(target, Activation):  # explain the pre-activation (the logit)
                target = target.get_inputs()
            if int(np.prod(target.get_shape()[1:])) != 1:
                raise ValueError(f"deeplift adapter explains one output unit; the target layer has shape {target.get_shape()}")
            predict = deeplift.util.compile_func([input_layer.get_activation_vars()], target.get_activation_vars())
            input_layer.reset_mxts_updated()
            dl_model._set_scoring_mode_for_target_layer(target)
            if single_transpose:
                flagged = _deeplift_equal_multipliers.mark_layers(dl_layers, target)
                log.debug("single transposed convolution for %s", flagged)
            input_layer.update_mxts()
            multipliers = deeplift.util.compile_func(
                [input_layer.get_activation_vars(), input_layer.get_reference_vars()], input_layer.get_mxts()
            )
            target.update_task_index(0)
            target.set_active()
            # deeplift's own scoring functions deactivate the target when they finish;
            # re-activating before each call keeps ours right even if someone used them
            one_hot = np.zeros(int(target.task_vector.shape[0]), dtype=np.float32)
            one_hot[0] = 1.0
            activate = tf.compat.v1.assign(target.task_vector, one_hot)
    finally:
        deeplift.util._SESS = previous
    input_shape = tuple(int(d) for d in network.input_shape[1:])
    log.debug("converted %s to deeplift (%s)", getattr(network, "name", network), mode)
    return ConvertedModel(mode, graph, session, dl_model, input_shape, digest, predict, multipliers, activate, target)


def _sequential_layer_configs(network: Any, model_config: Any) -> list[dict]:
    """Layer configs with weights inserted and the InputLayer folded into the first real layer."""
    layer_configs = model_config["layers"] if isinstance(model_config, dict) else model_config
    batch_input_shape = None
    kept = []
    for layer_config in layer_configs:
        if layer_config["class_name"] == "InputLayer":
            batch_input_shape = layer_config["config"]["batch_input_shape"]
        else:
            kept.append(layer_config)
    if not kept:
        raise ValueError("Sequential model has no layers to convert")
    if batch_input_shape is not None:
        kept[0]["config"]["batch_input_shape"] = batch_input_shape
    if "batch_input_shape" not in kept[0]["config"]:
        kept[0]["config"]["batch_input_shape"] = [None, *network.input_shape[1:]]
    for layer_config in kept:
        layer = network.get_layer(layer_config["config"]["name"])
        layer_config["config"]["weights"] = layer.get_weights()
        _scalar_batchnorm_axis(layer_config)
    return kept


def _scalar_batchnorm_axis(layer_config: dict) -> None:
    """Keras 3 stores BatchNormalization's axis as a list ([-1]); deeplift's converter wants an int."""
    config = layer_config["config"]
    if layer_config["class_name"] == "BatchNormalization" and isinstance(config.get("axis"), (list, tuple)):
        if len(config["axis"]) != 1:
            raise ValueError(f"layer {config['name']!r}: deeplift converts BatchNormalization over one axis, got {config['axis']}")
        config["axis"] = int(config["axis"][0])


def _insert_functional_weights(network: Any, model_config: dict) -> None:
    for layer_config in model_config["layers"]:
        if layer_config["class_name"] in ("Sequential", "Functional", "Model"):
            raise ValueError(f"nested model {layer_config['config']['name']!r}: the deeplift adapter converts flat models only")
        if layer_config["class_name"] != "InputLayer":
            layer_config["config"]["weights"] = network.get_layer(layer_config["config"]["name"]).get_weights()
            _scalar_batchnorm_axis(layer_config)


def hypothetical_from_multipliers(mult: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Hypothetical contributions from multipliers, averaged over references.

    hyp[..., b] = mult[..., b] - sum_c mult[..., c] * ref[..., c]: what a
    position would contribute had its base been b. At the observed base this
    is sum_c mult[..., c] * (x[..., c] - ref[..., c]), the usual contribution.

    Parameters
    ----------
    mult, refs: (N, R, L, 4) multipliers and the references they were computed against.

    Returns
    -------
    (N, L, 4) float32, the mean over R.
    """
    hyp = mult - (mult * refs).sum(-1, keepdims=True)
    return hyp.mean(1).astype(np.float32)


def pairs_per_call(batch_size: int, n_refs: int) -> int:
    """(input, reference) pairs in each full chunk `paired_hypothetical` sends: whole sequences, about `batch_size`."""
    n_refs = max(1, int(n_refs))
    return max(1, int(batch_size) // n_refs) * n_refs


def paired_hypothetical(
    multipliers_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    X: np.ndarray,
    references: np.ndarray,
    batch_size: int = 256,
    progress: bool = False,
    desc: str = "",
) -> np.ndarray:
    """Run a (P, L, 4) x (P, L, 4) -> (P, L, 4) multipliers function over all (input, reference) pairs.

    Whole sequences go into each call (about `batch_size` pairs), so only one
    chunk of multipliers is in memory at a time.

    Parameters
    ----------
    X: (N, L, 4); references: (N, R, L, 4).

    Returns
    -------
    (N, L, 4) float32 hypothetical contributions averaged over the R references.
    """
    from tqdm.auto import tqdm  # noqa: PLC0415

    X = np.asarray(X, dtype=np.float32)
    references = np.asarray(references, dtype=np.float32)
    if references.ndim != 4 or references.shape[0] != X.shape[0] or references.shape[2:] != X.shape[1:]:
        raise ValueError(f"references must have shape (N, R, L, 4) = ({X.shape[0]}, R, {X.shape[1]}, {X.shape[2]}), got {references.shape}")
    n, r = references.shape[:2]
    per_chunk = pairs_per_call(batch_size, r) // max(1, r)
    out = np.empty(X.shape, dtype=np.float32)
    for start in tqdm(range(0, n, per_chunk), desc=desc, disable=not progress, leave=False):
        stop = min(n, start + per_chunk)
        refs = references[start:stop]
        xs = np.broadcast_to(X[start:stop, None], refs.shape).reshape(-1, *X.shape[1:])
        mult = multipliers_fn(np.ascontiguousarray(xs), refs.reshape(-1, *X.shape[1:])).reshape(refs.shape)
        out[start:stop] = hypothetical_from_multipliers(mult, refs)
    return out


def deeplift_hypothetical(
    network: Any,
    X: np.ndarray,
    references: np.ndarray,
    mode: str = "rescale",
    batch_size: int = 256,
    progress: bool = False,
) -> np.ndarray:
    """deeplift hypothetical contributions of the logit, averaged over references.

    Parameters
    ----------
    network: tf-keras model (see `convert`).
    X: (N, L, 4) float32 one-hot. references: (N, R, L, 4) float32.
    mode: see `convert`.
    batch_size: (input, reference) pairs per session call.

    Returns
    -------
    (N, L, 4) float32.
    """
    converted = convert(network, mode)
    return paired_hypothetical(
        lambda xs, refs: converted.multipliers(xs, refs, batch_size=len(xs)),
        X,
        references,
        batch_size=batch_size,
        progress=progress,
        desc=f"deeplift {mode}",
    )


__all__ = [
    "MODES",
    "ConvertedModel",
    "convert",
    "deeplift_hypothetical",
    "hypothetical_from_multipliers",
    "paired_hypothetical",
    "pairs_per_call",
    "weights_digest",
]
