"""In-silico mutagenesis: the logit of every single-base substitution, mean-centred per position.

For each sequence x and position i, hyp[i, b] = f(x with base b at i) minus the
mean of that over the four bases (the observed base's value is f(x) itself).
Taken at the observed base this is the paper code's ISM score: f(x) minus the
mean over the four bases at i, so a position whose mutations lower the logit
scores positive.

Keras models, two implementations with identical results (tested against
brute force):

- ``"fastism"``: the fastISM package's receptive-field trick. The unmutated
  sequence goes through the network once; for each substituted position only
  the window of each layer that the substitution can reach is recomputed.
  fastISM as shipped calls its per-position model eagerly, which on 2 CPU
  cores made it 1.5-3x slower than batched ISM; here that one call is compiled
  with ``tf.function``. A network fastISM cannot rewrite (strided convs,
  pooling with size != stride, ...) falls back to batched ISM, with a log message.
- ``"batched"``: all 3L mutants of a few sequences at a time are built inside
  one compiled TF function and go through the whole network in large batches.
- ``"auto"`` (default): fastISM for calls of at least `FASTISM_MIN_SEQUENCES`
  sequences, where it was faster (500 x 200 bp: 0.5-1.0x the wall time of
  batched ISM, 0.3-0.7x the CPU), batched ISM below (the default grid's 200
  sequences per cell).

PyTorch models: batched ISM only (`methods._torch_grad.ism_table`, the same
mutants in the same batches); ``implementation`` is ignored.

gkm-SVM models: the package's own ISM (`gkmsvm.ism`, which rescores only the
windows a substitution touches) when the network is a gkmsvm-lite model,
otherwise the same mutants through ``model.predict_logit``.
"""

from __future__ import annotations

import logging

import numpy as np
from tqdm.auto import tqdm

from methods.registry import model_setup, register_method

log = logging.getLogger(__name__)

IMPLEMENTATIONS = ("auto", "fastism", "batched")

#: "auto" uses fastISM from this many sequences per call. fastISM loops over the
#: 4L (position, base) substitutions in Python, a cost that does not shrink with
#: N, so it only wins on large calls; this crossover is where it became faster than
#: batched ISM on default-scale models (`motifbench bench fastism --n N` measures it).
FASTISM_MIN_SEQUENCES = 300


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


def keras_ism(network, X: np.ndarray, batch_size: int) -> np.ndarray:
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


def _fastism_for(network):
    """A cached fastism.FastISM for `network` with its per-position call compiled, or None if fastISM cannot run it."""
    from baselines.model import weights_digest  # noqa: PLC0415

    digest = weights_digest(network)  # fastISM copies the weights: rebuild when they change
    cached = getattr(network, "_motifbench_fastism", None)
    if cached is not None and cached[0] == digest:
        return cached[1]
    from baselines.tf_setup import tf  # noqa: PLC0415 (tf-keras selected before fastISM imports TensorFlow)

    rng_state = np.random.get_state()  # fastISM's self-test draws from NumPy's global generator
    try:
        with model_setup():  # fastISM's models are built once per network: booked to the model
            import fastism  # noqa: PLC0415

            fast = fastism.FastISM(network, test_correctness=True)
    except Exception as err:  # noqa: BLE001 (any layer fastISM cannot rewrite)
        log.warning("fastISM cannot run %s (%s: %s); using batched ISM", network.name, type(err).__name__, err)
        fast = None
    else:
        fast_model = fast.fast_ism_model
        fast.run_model = tf.function(lambda inputs: fast_model(inputs, training=False), reduce_retracing=True)
    finally:
        np.random.set_state(rng_state)
    network._motifbench_fastism = (digest, fast)
    return fast


def fastism_table(network, X: np.ndarray, max_chunk: int = 512) -> np.ndarray | None:
    """Uncentred f(mutant) table (N, L, 4) by compiled fastISM, or None when fastISM cannot run the network."""
    fast = _fastism_for(network)
    return None if fast is None else fastism_loop(fast, X, max_chunk)


def fastism_loop(fast, X: np.ndarray, max_chunk: int = 512) -> np.ndarray:
    """Uncentred f(mutant) table (N, L, 4) from a fastism.FastISM object.

    fastISM substitutes one given base at every position per call; sequences
    already holding that base keep f(x), which is the table's value there.
    Sequences go in equal chunks of at most `max_chunk` (the loop's cost is per chunk).
    """
    from baselines.tf_setup import tf  # noqa: PLC0415

    n = len(X)
    n_chunks = max(1, -(-n // max_chunk))
    chunk = -(-n // n_chunks)
    table = np.empty(X.shape, dtype=np.float64)
    steps = [(start, base) for start in range(0, n, chunk) for base in range(4)]
    for start, base in tqdm(steps, desc="ISM (fastISM)", disable=n * X.shape[1] < 20_000, leave=False):
        x = tf.constant(X[start : start + chunk], dtype=tf.float32)
        substitute = [np.eye(4, dtype=np.float32)[base].tolist()]  # fastISM wants a list (one position wide)
        table[start : start + chunk, :, base] = np.asarray(fast(x, replace_with=substitute))[..., 0]
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
    model_kinds=("keras", "gkmsvm", "torch"),
    description="in-silico mutagenesis: logit of every substitution minus the mean over the four bases at that position",
)
def ism(model, X, references, *, batch_size: int = 1024, implementation: str = "auto", seed: int = 0) -> np.ndarray:
    """Mean-centred ISM table as hypothetical contributions. (N, L, 4) -> (N, L, 4).

    implementation (Keras models; see the module docstring): "fastism" (falls
        back to "batched" for a network fastISM cannot rewrite), "batched", or
        "auto" (default): fastISM from `FASTISM_MIN_SEQUENCES` sequences up.
    batch_size: batched ISM: about this many mutants per forward call (whole
        sequences' 3L mutants, rounded; on 2 CPU cores ~1,000-mutant batches
        cost 25% less CPU per pass than 4,096); gkm-SVM: mutants per predict_logit call.
    """
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"ism: unknown implementation {implementation!r}; expected one of {IMPLEMENTATIONS}")
    if model.kind == "keras":
        use_fastism = implementation == "fastism" or (implementation == "auto" and len(X) >= FASTISM_MIN_SEQUENCES)
        table = fastism_table(model.network, X) if use_fastism else None
        if table is None:
            table = keras_ism(model.network, X, batch_size)
    elif model.kind == "torch":
        from methods._torch_grad import ism_table  # noqa: PLC0415 (torch only when needed)

        table = ism_table(model.network, X, batch_size)
    else:
        table = _gkmsvm_ism(model, X)
        if table is None:
            table = _ism_by_prediction(model.predict_logit, X, batch_size)
    return centre(table)
