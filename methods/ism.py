"""In-silico mutagenesis: the logit of every single-base substitution, mean-centred per position.

For each sequence x and position i, hyp[i, b] = f(x with base b at i) minus the
mean of that over the four bases (the observed base's value is f(x) itself).
Taken at the observed base this is the paper code's ISM score: f(x) minus the
mean over the four bases at i, so a position whose mutations lower the logit
scores positive.

Keras models: all 3L mutants of a few sequences at a time are built inside one
compiled TF function and go through the network in large batches (naive
batched ISM; DESIGN records that fastISM was slower than this on a small CPU
model). gkm-SVM models: the
package's own ISM (`gkmsvm.ism`, which rescores only the windows a
substitution touches) when the network is a gkmsvm-lite model, otherwise the
same mutants through ``model.predict_logit``.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from methods.registry import register_method


def mutants(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every single-base substitution of one sequence.

    Parameters
    ----------
    x: (L, 4) one-hot.

    Returns
    -------
    (M, positions, bases): M (3L, L, 4) float32 mutants, and for each mutant
    the position (3L,) and new base (3L,) it carries.
    """
    length = x.shape[0]
    observed = x.argmax(-1)
    alternatives = (observed[:, None] + np.arange(1, 4)[None, :]) % 4  # (L, 3), never the observed base
    positions = np.repeat(np.arange(length), 3)
    bases = alternatives.reshape(-1)
    rows = np.arange(3 * length)
    M = np.repeat(x[None].astype(np.float32), 3 * length, axis=0)
    M[rows, positions, :] = 0.0
    M[rows, positions, bases] = 1.0
    return M, positions, bases


def centre(values: np.ndarray) -> np.ndarray:
    """Subtract each position's mean over the four bases. (..., L, 4) -> same."""
    return (values - values.mean(axis=-1, keepdims=True)).astype(np.float32)


def _ism_by_prediction(predict, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Uncentred f(mutant) table (N, L, 4) from a batched predict(X) -> (N,) function."""
    n, length, _ = X.shape
    per_batch = max(1, batch_size // (3 * length))  # sequences whose mutants fill one batch
    table = np.broadcast_to(predict(X)[:, None, None], X.shape).astype(np.float64)
    for start in tqdm(range(0, n, per_batch), desc="ISM", disable=n * length < 20_000, leave=False):
        chunk = X[start : start + per_batch]
        built = [mutants(x) for x in chunk]
        logits = predict(np.concatenate([m for m, _, _ in built]))
        for offset, (_, positions, bases) in enumerate(built):
            part = logits[offset * 3 * length : (offset + 1) * 3 * length]
            table[start + offset, positions, bases] = part
    return table


def _keras_ism(network, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Uncentred f(mutant) table (N, L, 4) of a Keras network; mutants are built inside the TF graph."""
    from methods._tf_grad import mutant_logit_fn, predict  # noqa: PLC0415 (TensorFlow only when needed)

    n, length, _ = X.shape
    fn = mutant_logit_fn(network)
    positions = np.repeat(np.arange(length), 3).astype(np.int32)  # (3L,)
    bases = ((X.argmax(-1)[:, :, None] + np.arange(1, 4)) % 4).reshape(n, 3 * length).astype(np.int32)  # never observed
    table = np.broadcast_to(predict(network, X, batch_size=batch_size)[:, None, None], X.shape).astype(np.float64)
    per_batch = max(1, round(batch_size / (3 * length)))
    for start in tqdm(range(0, n, per_batch), desc="ISM", disable=n * length < 20_000, leave=False):
        stop = min(start + per_batch, n)
        logits = fn(X[start:stop], positions, bases[start:stop]).numpy()  # (S, 3L)
        rows = np.arange(start, stop)[:, None]
        table[rows, positions[None, :], bases[start:stop]] = logits
    return table


def _gkmsvm_ism(model, X: np.ndarray) -> np.ndarray | None:
    """f(mutant) table from gkmsvm-lite's own ISM, or None when the network is not a gkmsvm-lite model."""
    try:
        import gkmsvm  # noqa: PLC0415 (only for gkm-SVM models)
    except ImportError:
        return None
    if not isinstance(model.network, gkmsvm.GkmSVM):
        return None
    x = np.ascontiguousarray(X.transpose(0, 2, 1))  # gkmsvm-lite wants (N, 4, L)
    deltas = np.asarray(gkmsvm.ism(model.network, x)).transpose(0, 2, 1)  # f(mutant) - f(x), 0 at the observed base
    return deltas.astype(np.float64) * (1 - X) + model.predict_logit(X)[:, None, None]


@register_method(
    "ism",
    model_kinds=("keras", "gkmsvm"),
    description="in-silico mutagenesis: logit of every substitution minus the mean over the four bases at that position",
)
def ism(model, X, references, *, batch_size: int = 1024, seed: int = 0) -> np.ndarray:
    """Mean-centred ISM table as hypothetical contributions. (N, L, 4) -> (N, L, 4).

    batch_size: about this many mutants per forward call (Keras: whole sequences'
    3L mutants, rounded; measured on 2 CPU cores, ~1,000-sequence batches cost
    25% less CPU per pass than 4,096) or per predict_logit call.
    """
    if model.kind == "keras":
        table = _keras_ism(model.network, X, batch_size)
    else:
        table = _gkmsvm_ism(model, X)
        if table is None:
            table = _ism_by_prediction(model.predict_logit, X, batch_size)
    return centre(table)
