"""Training a Keras network on a Dataset, and measuring its fidelity.

Recipe (same for every architecture and task; values in `baselines.profiles`):

- loss: binary cross-entropy on the logit (``from_logits=True``), Adam;
- validation: a seeded, stratified `val_fraction` of the training split, never
  trained on; the weights of the best epoch by `monitor` ("val_auroc" in the
  default profile, "val_loss" in the paper's setting) are restored at the end;
- an epoch is at least `min_epoch_samples` examples (more passes over a small
  training split, each with fresh negatives, flips and shifts), so a small
  task gets as many updates per epoch as a large one. Why: every CNN first sits
  on a chance plateau (training loss = ln 2) for a few hundred updates; with
  500 positives an epoch of a few updates would stop training before any
  model leaves it;
- plateau-aware early stopping: while the training loss is above
  `plateau_fraction` x the labels' entropy the model has learned nothing, so
  neither patience nor learning-rate decay count; after that, stop after
  `patience` epochs without a better `monitor`, never before `min_epochs`,
  never after `epochs`;
- learning rate: linear warm-up over the first `warmup_steps` updates (large
  first Adam steps can silence every ReLU, after which the output is a
  constant; a 3e-3 rate did that on the simplified task), then halved after
  `lr_patience` epochs without improvement (0 = never);
- class balance as the paper's loader: each epoch uses every positive and at
  most `neg_pos_ratio` (3) negatives per positive, drawn afresh each epoch
  (seeded); with fewer negatives than that, all are used, unweighted;
- augmentation: each example is replaced by its reverse complement
  (``x[::-1, ::-1]`` for one-hot ACGT) with probability 1/2, and rolled by up to
  `shift_augment` bp (0 = off) (seeded);
- seeded: the same data, settings and seed give the same weights (TensorFlow
  op determinism is on, see `baselines.tf_setup`);
- a non-finite loss stops training with `TrainingDivergedError`;
- first stage and restarts (`baselines.store.OPTIONAL_TRAINING`; the default
  profile sets them, smoke and paper do not): every run first trains the
  network's first stage on its own for up to ``first_stage_epochs``
  (`baselines.warmstart`, which says why), then the whole
  network; a run whose best validation auROC stays below ``restart_below``
  (default profile: 0.75, the fidelity gate) is retrained from a fresh
  initialisation, up to ``restarts`` times;
- ``weight_decay`` (optional, unset = 0 = plain Adam): Adam's decoupled weight
  decay, each update shrinks every weight by ``learning_rate x weight_decay``
  of itself (an option against memorising small tasks);
- ``mutate_fraction`` (optional, unset = 0 = off): after the flip and the shift,
  each position of a training example is replaced by a random base with this
  probability, drawn afresh each epoch (EvoAug's substitution, see
  `random_mutation`; an option against memorising small tasks);
- ``ema_momentum`` (optional, unset = 0 = off): Polyak averaging of the
  weights, Keras' own (Adam ``use_ema``): validation, early stopping and the
  restored best epoch all use the running average, while training continues
  from the raw weights (an option against seed-to-seed variance).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from tqdm.auto import tqdm

from baselines.tf_setup import keras, tf

log = logging.getLogger(__name__)


#: What early stopping and best-weight restoring watch on the validation split.
MONITORS = ("val_loss", "val_auroc")


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss or non-finite weights."""


def reverse_complement(X: np.ndarray) -> np.ndarray:
    """Reverse complement of (N, L, 4) one-hot ACGT: (N, L, 4)."""
    return X[:, ::-1, ::-1]


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split rows of (N,) labels into (train rows, held-out rows), `fraction` of each class held out."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {fraction!r}")
    rng = np.random.default_rng(seed)
    held = []
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        n_held = max(1, int(round(fraction * len(rows))))
        held.append(rng.choice(rows, n_held, replace=False))
    held = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(len(y)), held)
    return train, held


def epoch_rows(y: np.ndarray, rows: np.ndarray, neg_pos_ratio: float | None, rng: np.random.Generator) -> np.ndarray:
    """One epoch's shuffled rows: every positive, at most neg_pos_ratio negatives per positive."""
    pos = rows[y[rows] == 1]
    neg = rows[y[rows] == 0]
    if neg_pos_ratio is not None and len(neg) > neg_pos_ratio * len(pos):
        neg = rng.choice(neg, int(round(neg_pos_ratio * len(pos))), replace=False)
    chosen = np.concatenate([pos, neg])
    return chosen[rng.permutation(len(chosen))]


def random_shift(X: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each (L, 4) row of X rolled along L by its own offset in [-max_shift, max_shift]: (N, L, 4).

    A circular roll keeps every base (a motif split by the ends reappears at
    the other end only in the rare rows where it straddles them).
    """
    if max_shift <= 0:
        return X
    offsets = rng.integers(-max_shift, max_shift + 1, size=len(X))
    out = np.empty_like(X)
    for offset in np.unique(offsets):  # one roll per distinct offset: a few dozen, not one per row
        rows = np.flatnonzero(offsets == offset)
        out[rows] = np.roll(X[rows], int(offset), axis=1)
    return out


def random_mutation(X: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """X (N, L, 4) one-hot with each position, independently with probability `fraction`,
    replaced by a uniformly drawn base (which may be the same one): (N, L, 4).

    The substitution augmentation of EvoAug (Lee et al., Genome Biology 2023),
    whose default rate is 0.05. Returns X itself when `fraction` is 0.
    """
    if fraction <= 0:
        return X
    hit = rng.random(X.shape[:2]) < fraction
    out = X.copy()
    out[hit] = np.eye(4, dtype=X.dtype)[rng.integers(0, 4, size=int(hit.sum()))]
    return out


def epoch_data(X: np.ndarray, y: np.ndarray, train_rows: np.ndarray, settings: dict,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's training examples, in training order: (X (M, L, 4) float32, y (M,) float32).

    Rows by `epoch_rows` (repeated up to ``min_epoch_samples``), then the
    reverse-complement flips, shifts and substitutions of the recipe, all drawn
    from `rng`; every framework's training loop takes its epochs from here.
    """
    rows = epoch_rows(y, train_rows, settings["neg_pos_ratio"], rng)
    while len(rows) < int(settings.get("min_epoch_samples", 0)):  # small data: more passes per epoch
        rows = np.concatenate([rows, epoch_rows(y, train_rows, settings["neg_pos_ratio"], rng)])
    X_epoch = X[rows]
    if settings["rc_augment"]:
        flip = rng.random(len(rows)) < 0.5
        X_epoch[flip] = reverse_complement(X_epoch[flip])
    X_epoch = random_shift(X_epoch, int(settings.get("shift_augment", 0)), rng)
    X_epoch = random_mutation(X_epoch, float(settings.get("mutate_fraction", 0.0)), rng)
    return X_epoch.astype(np.float32, copy=False), y[rows].astype(np.float32)


def binary_entropy(p: float) -> float:
    """Cross-entropy (nats) of predicting the constant `p` for labels whose positive share is `p`."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))


def logistic_loss(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of (N,) logits against (N,) 0/1 labels."""
    z = logits.astype(np.float64)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def fidelity(logits: np.ndarray, y: np.ndarray) -> dict:
    """Test auROC/auPRC (scikit-learn) of (N,) scores against (N,) 0/1 labels."""
    return {
        "test_auroc": round(float(roc_auc_score(y, logits)), 6),
        "test_auprc": round(float(average_precision_score(y, logits)), 6),
        "test_n": int(len(y)),
        "test_positives": int(np.sum(y)),
    }


def predict(network, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Logits of a Keras network: (N, L, 4) -> (N,) float32."""
    out = [network(X[i : i + batch_size], training=False).numpy().reshape(-1) for i in range(0, len(X), batch_size)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def validate(network, X_val: np.ndarray, averaged: bool = False):
    """(validation logits (N,), a function returning the weights they came from).

    With `averaged`, the logits are those of the optimizer's moving average of
    the weights (Keras' ``use_ema``); the network keeps its raw weights, from
    which training continues.
    """
    if not averaged:
        return predict(network, X_val), network.get_weights
    raw = network.get_weights()
    network.optimizer.finalize_variable_values(network.trainable_variables)  # raw -> average
    logits, average = predict(network, X_val), network.get_weights()
    network.set_weights(raw)
    return logits, lambda: average


class _Warmup:
    """Linear learning-rate warm-up over the first `steps` updates, then `rate` (which decay may lower)."""

    def __init__(self, rate: float, steps: int):
        self.rate, self.steps, self.step, self._set = float(rate), int(steps), 0, None

    def before_step(self, optimizer) -> None:
        factor = min(1.0, (self.step + 1) / self.steps) if self.steps > 0 else 1.0
        if self.rate * factor != self._set:  # touch the optimizer only when the rate changes
            self._set = self.rate * factor
            optimizer.learning_rate.assign(self._set)
        self.step += 1


def train_pass(network, X: np.ndarray, y: np.ndarray, batch_size: int, warmup: _Warmup) -> float:
    """One pass over X (N, L, 4) and y (N,) in order, one update per batch; returns the pass's mean loss.

    It runs the compiled step that ``network.fit(X, y, epochs=1, shuffle=False)``
    runs (Keras' own ``train_function``, traced once per compiled network), on
    the same batches in the same order, so the weights and the loss are the
    same to the bit (tested); what it skips is the per-call set-up of ``fit``
    (data handler, callbacks, logs), about a sixth of a default model's
    training CPU time. The network must be compiled.
    """
    if network.train_function is None:
        network.make_train_function()
    network.reset_metrics()  # the loss is a running mean over one pass, as in fit's epoch
    batches = iter(tf.data.Dataset.from_tensor_slices((X, y)).batch(int(batch_size)))
    logs = None
    for _ in range(-(-len(X) // int(batch_size))):
        warmup.before_step(network.optimizer)
        logs = network.train_function(batches)
    return float(logs["loss"]) if logs is not None else float("nan")


def fit_keras(
    network,
    X: np.ndarray,
    y: np.ndarray,
    settings: dict,
    seed: int = 0,
    progress: bool = True,
    label: str = "model",
) -> dict:
    """Train `network` in place on the training split (X (N, L, 4), y (N,)).

    The caller seeds TensorFlow (`set_seed`) before building the network.
    Returns the history: per-epoch ``loss``, ``val_loss``, ``val_auroc``, and
    ``best_epoch``, ``epochs_run``, ``stopped_early``, ``seconds``.
    Raises TrainingDivergedError on a non-finite loss.
    """
    rng = np.random.default_rng(seed)
    train_rows, val_rows = stratified_split(y, settings["val_fraction"], seed)
    X_val, y_val = X[val_rows], y[val_rows].astype(np.float32)
    weight_decay = float(settings.get("weight_decay", 0.0))
    ema_momentum = float(settings.get("ema_momentum", 0.0))
    if not 0.0 <= ema_momentum < 1.0:
        raise ValueError(f"ema_momentum must be in [0, 1) (0 = no weight averaging), got {ema_momentum!r}")
    network.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=float(settings["learning_rate"]),
            weight_decay=weight_decay or None,
            use_ema=ema_momentum > 0,
            ema_momentum=ema_momentum or 0.99,
        ),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = {"loss": [], "val_loss": [], "val_auroc": [], "learning_rate": []}
    monitor = settings.get("monitor", "val_loss")
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {MONITORS}, got {monitor!r}")
    learning_rate = float(settings["learning_rate"])
    warmup = _Warmup(learning_rate, int(settings.get("warmup_steps", 0)))
    best_score, best_epoch, best_weights, waited, lr_waited = -np.inf, -1, None, 0, 0
    left_plateau = not settings.get("plateau_fraction")
    start = time.perf_counter()
    bar = tqdm(range(int(settings["epochs"])), desc=f"train {label}", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        X_epoch, y_epoch = epoch_data(X, y, train_rows, settings, rng)
        chance_loss = binary_entropy(float(np.mean(y_epoch, dtype=np.float64)))  # 0/1 labels: exact
        loss = train_pass(network, X_epoch, y_epoch, int(settings["batch_size"]), warmup)
        val_logits, evaluated_weights = validate(network, X_val, averaged=ema_momentum > 0)
        if not np.isfinite(loss) or not np.all(np.isfinite(val_logits)):
            raise TrainingDivergedError(
                f"training {label} diverged at epoch {epoch + 1}: loss {loss}; nothing was cached. "
                f"Lower learning_rate (now {settings['learning_rate']}) or check the data for extreme values."
            )
        val_loss = logistic_loss(val_logits, y_val)
        val_auroc = float(roc_auc_score(y_val, val_logits)) if len(set(y_val.tolist())) == 2 else float("nan")
        history["loss"].append(round(loss, 6))
        history["val_loss"].append(round(val_loss, 6))
        history["val_auroc"].append(round(val_auroc, 6))
        bar.set_postfix(loss=f"{loss:.3f}", val_loss=f"{val_loss:.3f}", val_auroc=f"{val_auroc:.3f}")
        log.info("%s epoch %d: loss %.4f val_loss %.4f val_auroc %.4f", label, epoch + 1, loss, val_loss, val_auroc)
        history["learning_rate"].append(learning_rate)
        score = -val_loss if monitor == "val_loss" else val_auroc
        # a model still on the chance plateau (training loss near the labels' entropy) has
        # learned nothing yet: early stopping and LR decay wait until it leaves
        left_plateau = left_plateau or loss < float(settings.get("plateau_fraction", 0.0)) * chance_loss
        if not left_plateau:
            waited = lr_waited = 0
        if score > best_score:
            best_score, best_epoch, best_weights, waited, lr_waited = score, epoch, evaluated_weights(), 0, 0
        else:
            waited += 1
            lr_waited += 1
            if waited >= int(settings["patience"]) and epoch + 1 >= int(settings.get("min_epochs", 0)):
                break
            if settings.get("lr_patience") and lr_waited >= int(settings["lr_patience"]):
                learning_rate *= float(settings.get("lr_factor", 0.5))
                warmup.rate = learning_rate
                lr_waited = 0
    bar.close()
    if best_weights is not None:
        network.set_weights(best_weights)
    history.update(
        best_epoch=best_epoch + 1,
        epochs_run=len(history["loss"]),
        stopped_early=len(history["loss"]) < int(settings["epochs"]),
        n_train=int(len(train_rows)),
        n_val=int(len(val_rows)),
        seconds=round(time.perf_counter() - start, 3),
    )
    return history
