"""DeepSHAP: `shap.DeepExplainer` on the logit, with per-sequence references.

shap 0.51 runs DeepExplainer on TensorFlow 2 in eager mode: the multipliers
come from a `tf.function` gradient traced while shap's DeepLIFT-style gradient
overrides sit in TensorFlow's gradient registry; shap restores the registry
afterwards, so the rest of the process keeps ordinary eager gradients (tested).
shap's own additivity check crashes on tf-keras models, so we pass
``check_additivity=False``; the harness measures the convergence error instead.

The explainer is built with ``data`` a function returning each input's own
references (shap's per-sequence background). `DeepExplainer.shap_values`
then explains one sequence per call and returns only contributions at the
observed input; we need *hypothetical* contributions, which need the
multipliers. shap pairs inputs and references by splitting the batch in two
halves (inputs first, references second), so we feed many (input, reference)
pairs per call to the explainer's own multiplier function and combine the
multipliers as deeplift's are (see `_deeplift_adapter.hypothetical_from_multipliers`).
`shap_values_per_sequence` runs shap's public loop instead; the tests check
that the two agree.

PyTorch models are explained by tangermeme's ``deep_lift_shap``, which applies
DeepExplainer's rules (Rescale, and MaxPool by the cross-max rule) to torch
modules (`methods._torch_deeplift`); on the same weights it gives shap's
contributions at the observed bases (tested, to 1e-6). The hypothetical
contributions of other bases differ where a MaxPool's input is the same for
the input and the reference: shap's rule gives multiplier 0 there,
tangermeme's the gradient.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from baselines.model import weights_digest
from methods._deeplift_adapter import paired_hypothetical, pairs_per_call
from methods.registry import model_setup, register_method

REFERENCES = ("zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50")
GKMSVM_REASON = "shap.DeepExplainer needs a differentiable network; a gkm-SVM is explained by gkmexplain"

_LOCK = threading.RLock()
# network id -> (weakref to network, weights digest, explainer, backgrounds). An explainer
# holds its network strongly, so a weak-keyed cache would never free it: keep the last few.
_EXPLAINERS: "OrderedDict[int, tuple[Any, str, Any, dict]]" = OrderedDict()
_MAX_EXPLAINERS = 4
# explainer -> the padded batch sizes its multiplier function has been traced for
_TRACED: "weakref.WeakKeyDictionary[Any, set[int]]" = weakref.WeakKeyDictionary()


@register_method(
    "deepshap",
    model_kinds=("keras", "torch"),
    references=REFERENCES,
    promises_delta=True,
    excluded={"gkmsvm": GKMSVM_REASON},
    description="shap.DeepExplainer (DeepLIFT-style rules, MaxPool by its cross-max rule) on the logit, per-sequence "
                "references; torch models: tangermeme's deep_lift_shap (same observed contributions)",
)
def deepshap(
    model: Any,
    X: np.ndarray,
    references: np.ndarray,
    *,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """DeepSHAP hypothetical contributions of the logit, averaged over references.

    Parameters
    ----------
    model: TrainedModel of kind "keras" (network ends in a linear Dense(1)) or "torch" (tangermeme).
    X: (N, L, 4) float32 one-hot.
    references: (N, R, L, 4) float32, R references per input.
    batch_size: (input, reference) pairs per call (shap doubles it into one batch).
    seed: unused (DeepSHAP is deterministic given the references).
    progress: show a tqdm bar.

    Returns
    -------
    (N, L, 4) float32 hypothetical contributions.
    """
    if model.kind == "torch":
        from methods._torch_deeplift import tangermeme_multipliers  # noqa: PLC0415 (torch only when needed)

        return paired_hypothetical(lambda xs, refs: tangermeme_multipliers(model.network, xs, refs), X, references,
                                   batch_size=batch_size, progress=progress, desc="deepshap (tangermeme)")
    explainer = explainer_for(model.network)
    n_references = np.shape(references)[1] if np.ndim(references) == 4 else 1
    pad_to = pairs_per_call(batch_size, n_references)  # what paired_hypothetical sends: pad to that, not beyond
    return paired_hypothetical(
        lambda xs, refs: shap_multipliers(explainer, xs, refs, pad_to=pad_to),
        X,
        references,
        batch_size=batch_size,
        progress=progress,
        desc="deepshap",
    )


def explainer_for(network: Any) -> Any:
    """A cached `shap.DeepExplainer` for a tf-keras model ending in a linear logit.

    Its ``data`` is a function returning the references registered for the
    input being explained (see `shap_values_per_sequence`).
    """
    last = network.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "linear")
    if activation != "linear" or int(np.prod(last.output_shape[1:])) != 1:
        raise ValueError(
            f"deepshap explains a model whose last layer is a linear Dense(1) (the logit); "
            f"{network.name}'s last layer {last.name!r} has activation {activation!r} and output {last.output_shape}"
        )
    digest = weights_digest(network)
    with _LOCK:
        cached = _EXPLAINERS.get(id(network))
        if cached is not None and cached[0]() is network and cached[1] == digest:
            _EXPLAINERS.move_to_end(id(network))
            return cached[2]
        backgrounds: dict[bytes, np.ndarray] = {}

        def background(inputs: list[np.ndarray]) -> list[np.ndarray]:
            key = np.asarray(inputs[0], dtype=np.float32).tobytes()
            if key not in backgrounds:
                raise KeyError("deepshap: no references were registered for this input; use shap_values_per_sequence")
            return [backgrounds[key]]

        with warnings.catch_warnings(), model_setup():  # setup is booked to the model, not the cell
            import shap  # noqa: PLC0415 (heavy; only when DeepSHAP runs)

            warnings.filterwarnings("ignore", message="Your TensorFlow version is newer than 2.4.0")
            explainer = shap.DeepExplainer(network, background)
        _EXPLAINERS[id(network)] = (weakref.ref(network), digest, explainer, backgrounds)
        _EXPLAINERS.move_to_end(id(network))
        while len(_EXPLAINERS) > _MAX_EXPLAINERS:
            _EXPLAINERS.popitem(last=False)
        return explainer


def shap_multipliers(explainer: Any, xs: np.ndarray, refs: np.ndarray, pad_to: int = 0) -> np.ndarray:
    """shap's DeepLIFT multipliers of the logit for (input, reference) pairs.

    xs, refs: (P, L, 4) float32. Returns (P, L, 4) float32; shap's
    contributions are ``multipliers * (xs - refs)``. The batch is padded (with
    copies of the last pair) to `pad_to` pairs, or to the next power of two
    when P exceeds it, so shap's `tf.function` sees few shapes and traces few
    times. Each trace costs seconds; the first call of a padded size traces
    it on a batch of zeros inside `model_setup`, so the trace is booked to
    the model, like building the explainer, not to the cell that happens to
    need that size first.
    """
    n_pairs = len(xs)
    padded = pad_to if n_pairs <= pad_to else 1 << max(0, n_pairs - 1).bit_length()
    with _LOCK:
        traced = _TRACED.setdefault(explainer, set())
        if padded not in traced:
            with model_setup():
                zeros = np.zeros((padded, *np.shape(xs)[1:]), dtype=np.float32)
                _run_multipliers(explainer, zeros, zeros)
            traced.add(padded)
    if padded > n_pairs:
        xs = np.concatenate([xs, np.repeat(xs[-1:], padded - n_pairs, axis=0)])
        refs = np.concatenate([refs, np.repeat(refs[-1:], padded - n_pairs, axis=0)])
    return _run_multipliers(explainer, xs, refs)[:n_pairs]


def _run_multipliers(explainer: Any, xs: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """One call of shap's multiplier function on exactly these (P, L, 4) pairs (no padding). Returns (P, L, 4) float32."""
    from tensorflow.python.eager import execute as tf_execute  # noqa: PLC0415

    inner = explainer.explainer  # shap's TFDeep
    n_pairs = len(xs)
    joint = np.concatenate([xs, refs], axis=0).astype(np.float32, copy=False)
    record_gradient = tf_execute.record_gradient
    with _LOCK:
        try:
            phis = inner.run(inner.phi_symbolic(0), inner.model_inputs, [joint])
        finally:
            # shap swaps this hook and puts it back only on success; never leave it swapped
            tf_execute.record_gradient = record_gradient
    return np.asarray(phis[0][n_pairs:], dtype=np.float32)


def shap_values_per_sequence(network: Any, X: np.ndarray, references: np.ndarray) -> np.ndarray:
    """shap's own public loop: `DeepExplainer.shap_values` with per-sequence backgrounds.

    X: (N, L, 4); references: (N, R, L, 4). Returns (N, L, 4) contributions
    at the observed input (mean over references of multipliers * (x - ref)),
    one explainer call per sequence. Slow; used to check the batched path.
    """
    explainer = explainer_for(network)
    backgrounds = _EXPLAINERS[id(network)][3]
    X = np.asarray(X, dtype=np.float32)
    with _LOCK:
        backgrounds.clear()
        for x, refs in zip(X, np.asarray(references, dtype=np.float32)):
            backgrounds[x.tobytes()] = refs
        from tensorflow.python.eager import execute as tf_execute  # noqa: PLC0415

        record_gradient = tf_execute.record_gradient
        try:
            values = explainer.shap_values(X, check_additivity=False)
        finally:
            tf_execute.record_gradient = record_gradient
            backgrounds.clear()
    return np.asarray(values, dtype=np.float32).reshape(X.shape)

