"""Batched logits and gradients of a Keras model's logit, shared by the gradient-based methods.

Each helper compiles one `tf.function` per network (cached, with a batch
dimension of None so batch size never forces a retrace) and runs it over the
inputs in batches. The explained output is the model's logit: the single unit
of its last (linear) layer.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np

from baselines.tf_setup import keras, tf

# Compiled functions of the most recently used networks, keyed by id(network).
# The entry holds the network itself, so its id cannot be reused while cached;
# the bound keeps memory flat when the harness explains many (e.g. randomised) copies.
_CACHE: "OrderedDict[int, tuple[object, dict]]" = OrderedDict()
_CACHE_SIZE = 8


def _cached(network, key: tuple, build: Callable[[], Callable]) -> Callable:
    entry = _CACHE.get(id(network))
    if entry is None or entry[0] is not network:
        entry = _CACHE[id(network)] = (network, {})
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(id(network))
    functions = entry[1]
    if key not in functions:
        functions[key] = build()
    return functions[key]


def _logit(outputs):
    return tf.reshape(outputs, (tf.shape(outputs)[0], -1))[:, 0]


def _signature(network, *extra):
    return [_input_spec(network), *extra]


def _input_spec(network):
    length, channels = network.inputs[0].shape[1:]
    return tf.TensorSpec((None, length, channels), tf.float32)


def forward_fn(network) -> Callable:
    """Compiled ``x (B, L, 4) -> logit (B,)``."""

    def build():
        @tf.function(input_signature=_signature(network), reduce_retracing=True)
        def forward(x):
            return _logit(network(x, training=False))

        return forward

    return _cached(network, ("forward",), build)


def gradient_fn(network) -> Callable:
    """Compiled ``x (B, L, 4) -> d logit / d x (B, L, 4)``."""

    def build():
        @tf.function(input_signature=_signature(network), reduce_retracing=True)
        def gradient(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(_logit(network(x, training=False)))
            return tape.gradient(total, x)

        return gradient

    return _cached(network, ("gradient",), build)


def path_gradient_fn(network) -> Callable:
    """Compiled ``(x (P, L, 4), ref (P, L, 4), alphas (S,)) -> mean_s grad(ref + alpha_s (x - ref)) (P, L, 4)``."""

    def build():
        @tf.function(
            input_signature=_signature(network, _input_spec(network), tf.TensorSpec((None,), tf.float32)),
            reduce_retracing=True,
        )
        def path_gradient(x, ref, alphas):
            steps = tf.shape(alphas)[0]
            diff = x - ref
            points = ref[:, None] + alphas[None, :, None, None] * diff[:, None]  # (P, S, L, 4)
            flat = tf.reshape(points, (-1, tf.shape(x)[1], tf.shape(x)[2]))
            with tf.GradientTape() as tape:
                tape.watch(flat)
                total = tf.reduce_sum(_logit(network(flat, training=False)))
            grads = tf.reshape(tape.gradient(total, flat), (-1, steps, tf.shape(x)[1], tf.shape(x)[2]))
            return tf.reduce_mean(grads, axis=1)

        return path_gradient

    return _cached(network, ("path_gradient",), build)


def layer_gradient_fn(network, layer_name: str) -> Callable:
    """Compiled ``x -> (activation A (B, P, K), d logit / d A (B, P, K))`` at the named layer."""

    def build():
        probe = keras.Model(network.inputs, [network.get_layer(layer_name).output, network.outputs[0]])

        @tf.function(input_signature=_signature(network), reduce_retracing=True)
        def layer_gradient(x):
            with tf.GradientTape() as tape:
                activation, outputs = probe(x, training=False)
                tape.watch(activation)
                total = tf.reduce_sum(_logit(outputs))
            return activation, tape.gradient(total, activation)

        return layer_gradient

    return _cached(network, ("layer_gradient", layer_name), build)


def mutant_logit_fn(network) -> Callable:
    """Compiled ``(x (S, L, 4), positions (M,), bases (S, M)) -> logits (S, M)`` of single-base mutants.

    Mutant m of sequence s is x[s] with base bases[s, m] at position positions[m];
    the mutants are built inside the graph, so no (S*M, L, 4) array crosses from NumPy.
    """

    def build():
        @tf.function(
            input_signature=[_input_spec(network), tf.TensorSpec((None,), tf.int32), tf.TensorSpec((None, None), tf.int32)],
            reduce_retracing=True,
        )
        def mutant_logits(x, positions, bases):
            length = tf.shape(x)[1]
            at = tf.one_hot(positions, length, dtype=x.dtype)[None, :, :, None]  # (1, M, L, 1)
            new = tf.one_hot(bases, 4, dtype=x.dtype)[:, :, None, :]  # (S, M, 1, 4)
            mutants = x[:, None] * (1.0 - at) + at * new  # (S, M, L, 4)
            flat = tf.reshape(mutants, (-1, length, tf.shape(x)[2]))
            return tf.reshape(_logit(network(flat, training=False)), tf.shape(bases))

        return mutant_logits

    return _cached(network, ("mutant_logits",), build)


def predict(network, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Logits of a Keras network. (N, L, 4) -> (N,) float32."""
    fn = forward_fn(network)
    out = [fn(tf.constant(X[s : s + batch_size])).numpy() for s in range(0, len(X), batch_size)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def input_gradients(network, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Gradient of the logit with respect to the one-hot input. (N, L, 4) -> (N, L, 4) float32."""
    fn = gradient_fn(network)
    out = np.empty(X.shape, dtype=np.float32)
    for s in range(0, len(X), batch_size):
        out[s : s + batch_size] = fn(tf.constant(X[s : s + batch_size])).numpy()
    return out


def path_gradients(network, X: np.ndarray, refs: np.ndarray, alphas: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Average gradient along straight paths from each reference to its input.

    Parameters
    ----------
    X: (P, L, 4) inputs; refs: (P, L, 4) references (one per input row);
    alphas: (S,) interpolation points in [0, 1]; batch_size: gradient
    evaluations per TF call (P rows x S points are split to fit).

    Returns
    -------
    (P, L, 4) float32: mean over alphas of grad f(ref + alpha (x - ref)).
    """
    fn = path_gradient_fn(network)
    alphas_t = tf.constant(np.asarray(alphas, dtype=np.float32))
    rows = max(1, batch_size // len(alphas))
    out = np.empty(X.shape, dtype=np.float32)
    for s in range(0, len(X), rows):
        out[s : s + rows] = fn(tf.constant(X[s : s + rows]), tf.constant(refs[s : s + rows]), alphas_t).numpy()
    return out


def layer_gradients(network, X: np.ndarray, layer_name: str, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Activations of a layer and the logit's gradient with respect to them.

    Returns
    -------
    (activation, gradient), each (N, P, K) float32 for a layer with P positions and K channels.
    """
    fn = layer_gradient_fn(network, layer_name)
    acts, grads = [], []
    for s in range(0, len(X), batch_size):
        a, g = fn(tf.constant(X[s : s + batch_size]))
        acts.append(a.numpy())
        grads.append(g.numpy())
    return np.concatenate(acts), np.concatenate(grads)


def correct_gradient(grad: np.ndarray) -> np.ndarray:
    """Majdandzic et al. (2023) correction: subtract each position's mean over the four bases. (..., 4) -> (..., 4)."""
    return grad - grad.mean(axis=-1, keepdims=True)
