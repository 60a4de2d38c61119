"""Training a Keras network on a Dataset, and measuring its fidelity.

Recipe (same for every architecture):

- loss: binary cross-entropy on the logit (``from_logits=True``), Adam;
- validation: a seeded, stratified `val_fraction` of the training split, never
  trained on; early stopping on validation loss with `patience`, and the
  weights of the best epoch are kept; no stop before `min_epochs` (small
  CNNs on motif tasks often sit on a plateau for several epochs before they
  pick up their first motif);
- class balance as the paper's loader: each epoch uses every positive and at
  most `neg_pos_ratio` (3) negatives per positive, drawn afresh each epoch
  (seeded); with fewer negatives than that, all are used, unweighted;
- reverse-complement augmentation: each epoch every training sequence is
  replaced by its reverse complement (``x[::-1, ::-1]`` for one-hot ACGT) with
  probability 1/2 (seeded);
- seeded: the same data, settings and seed give the same weights (TensorFlow
  op determinism is on, see `baselines.tf_setup`);
- a non-finite loss stops training with `TrainingDivergedError`.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from tqdm.auto import tqdm

from baselines.tf_setup import keras

log = logging.getLogger(__name__)


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
    network.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(settings["learning_rate"])),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = {"loss": [], "val_loss": [], "val_auroc": []}
    best_loss, best_epoch, best_weights, waited = np.inf, -1, None, 0
    start = time.perf_counter()
    bar = tqdm(range(int(settings["epochs"])), desc=f"train {label}", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        rows = epoch_rows(y, train_rows, settings["neg_pos_ratio"], rng)
        X_epoch = X[rows]
        if settings["rc_augment"]:
            flip = rng.random(len(rows)) < 0.5
            X_epoch[flip] = reverse_complement(X_epoch[flip])
        fit = network.fit(
            X_epoch, y[rows].astype(np.float32), batch_size=int(settings["batch_size"]), epochs=1, shuffle=False, verbose=0
        )
        loss = float(fit.history["loss"][-1])
        val_logits = predict(network, X_val)
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
        if val_loss < best_loss:
            best_loss, best_epoch, best_weights, waited = val_loss, epoch, network.get_weights(), 0
        else:
            waited += 1
            if waited >= int(settings["patience"]) and epoch + 1 >= int(settings.get("min_epochs", 0)):
                break
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
