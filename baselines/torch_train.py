"""Training a PyTorch network under the project's recipe (the torch side of `baselines.train`).

The recipe is `baselines.train`'s, step for step: the same validation split
(`stratified_split`), the same epochs (`epoch_data`: class balance, repeated
passes up to ``min_epoch_samples``, reverse-complement flips, shifts and
substitutions, all drawn from a generator seeded by `seed`, so a torch and a
Keras run with one seed see the same examples in the same order), binary
cross-entropy on the logit, Adam, linear warm-up, learning-rate halving,
plateau-aware early stopping on ``monitor``, the best epoch's weights restored,
a non-finite loss raising `TrainingDivergedError`; and, from
`baselines.store.OPTIONAL_TRAINING`, restarts, the first-stage warm start,
decoupled weight decay (``AdamW``, Keras' ``Adam(weight_decay=...)`` rule),
substitutions and a moving average of the weights.

What differs from Keras is arithmetic only: torch's Adam adds epsilon (1e-7,
Keras' default) after the bias correction, Keras before it, and the kernels
round differently; the same seed does not give the same weights in both.
Deterministic on one machine: `baselines.torch_setup` (one thread, deterministic algorithms).
"""

from __future__ import annotations

import copy
import logging
import time
from collections import OrderedDict

import numpy as np
from sklearn.metrics import roc_auc_score
from tqdm.auto import tqdm

from baselines.torch_setup import set_seed, to_tensor, torch
from baselines.train import MONITORS, TrainingDivergedError, binary_entropy, epoch_data, logistic_loss, stratified_split

log = logging.getLogger(__name__)
nn = torch.nn


def predict(network, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Logits of a torch network in eval mode: (N, L, 4) -> (N,) float32."""
    was_training = network.training
    network.eval()
    try:
        with torch.inference_mode():
            out = [network(to_tensor(X[i : i + batch_size])).reshape(-1).numpy() for i in range(0, len(X), batch_size)]
    finally:
        network.train(was_training)
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


class _Schedule:
    """The learning rate of each update: linear warm-up over `steps` updates, then `rate` (which decay may lower)."""

    def __init__(self, rate: float, steps: int):
        self.rate, self.steps, self.step = float(rate), int(steps), 0

    def before_step(self, optimizer) -> None:
        factor = min(1.0, (self.step + 1) / self.steps) if self.steps > 0 else 1.0
        for group in optimizer.param_groups:
            group["lr"] = self.rate * factor
        self.step += 1


class _Average:
    """Polyak average of a network's parameters (Keras' ``use_ema``): avg = m avg + (1 - m) w after each update."""

    def __init__(self, network, momentum: float):
        self.momentum = float(momentum)
        self.values = OrderedDict((n, p.detach().clone()) for n, p in network.named_parameters())

    def update(self, network) -> None:
        with torch.no_grad():
            for n, p in network.named_parameters():
                self.values[n].mul_(self.momentum).add_(p.detach(), alpha=1.0 - self.momentum)

    def state(self, network) -> "OrderedDict[str, torch.Tensor]":
        """The network's state dict with the averaged parameters in place of its own (buffers as they are)."""
        state = _copy_state(network)
        state.update((n, v.clone()) for n, v in self.values.items())
        return state


def _copy_state(network) -> "OrderedDict[str, torch.Tensor]":
    return OrderedDict((k, v.detach().clone()) for k, v in network.state_dict().items())


def train_pass(network, optimizer, X: np.ndarray, y: np.ndarray, batch_size: int, schedule: _Schedule,
               average: _Average | None) -> float:
    """One pass over X (N, L, 4), y (N,) in order, one update per batch; returns the mean loss per example."""
    network.train()
    loss_fn = nn.BCEWithLogitsLoss()
    total, count = 0.0, 0
    for start in range(0, len(X), int(batch_size)):
        xb, yb = to_tensor(X[start : start + batch_size]), to_tensor(y[start : start + batch_size])
        schedule.before_step(optimizer)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(network(xb).reshape(-1), yb)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update(network)
        total += float(loss.detach()) * len(xb)
        count += len(xb)
    network.eval()
    return total / count if count else float("nan")


def fit_torch(network, X: np.ndarray, y: np.ndarray, settings: dict, seed: int = 0, progress: bool = True,
              label: str = "model") -> dict:
    """Train `network` ((N, L, 4) -> (N, 1) logits) in place on X (N, L, 4), y (N,); `fit_keras`'s recipe.

    The caller seeds torch (`set_seed`) before building the network. Returns the
    history (``loss``, ``val_loss``, ``val_auroc``, ``learning_rate`` per epoch;
    ``best_epoch``, ``epochs_run``, ``stopped_early``, ``n_train``, ``n_val``, ``seconds``).
    """
    rng = np.random.default_rng(seed)
    train_rows, val_rows = stratified_split(y, settings["val_fraction"], seed)
    X_val, y_val = X[val_rows], y[val_rows].astype(np.float32)
    weight_decay = float(settings.get("weight_decay", 0.0))
    ema_momentum = float(settings.get("ema_momentum", 0.0))
    if not 0.0 <= ema_momentum < 1.0:
        raise ValueError(f"ema_momentum must be in [0, 1) (0 = no weight averaging), got {ema_momentum!r}")
    monitor = settings.get("monitor", "val_loss")
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {MONITORS}, got {monitor!r}")
    learning_rate = float(settings["learning_rate"])
    kind = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
    optimizer = kind(network.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=1e-7, weight_decay=weight_decay)
    average = _Average(network, ema_momentum) if ema_momentum > 0 else None
    schedule = _Schedule(learning_rate, int(settings.get("warmup_steps", 0)))
    history = {"loss": [], "val_loss": [], "val_auroc": [], "learning_rate": []}
    best_score, best_epoch, best_state, waited, lr_waited = -np.inf, -1, None, 0, 0
    left_plateau = not settings.get("plateau_fraction")
    start = time.perf_counter()
    bar = tqdm(range(int(settings["epochs"])), desc=f"train {label}", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        X_epoch, y_epoch = epoch_data(X, y, train_rows, settings, rng)
        chance_loss = binary_entropy(float(np.mean(y_epoch, dtype=np.float64)))
        loss = train_pass(network, optimizer, X_epoch, y_epoch, int(settings["batch_size"]), schedule, average)
        state = average.state(network) if average is not None else None
        if state is not None:  # validate (and keep, if best) the average; training goes on from the raw weights
            raw = _copy_state(network)
            network.load_state_dict(state)
            val_logits = predict(network, X_val)
            network.load_state_dict(raw)
        else:
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
        history["learning_rate"].append(learning_rate)
        bar.set_postfix(loss=f"{loss:.3f}", val_loss=f"{val_loss:.3f}", val_auroc=f"{val_auroc:.3f}")
        log.info("%s epoch %d: loss %.4f val_loss %.4f val_auroc %.4f", label, epoch + 1, loss, val_loss, val_auroc)
        score = -val_loss if monitor == "val_loss" else val_auroc
        left_plateau = left_plateau or loss < float(settings.get("plateau_fraction", 0.0)) * chance_loss
        if not left_plateau:
            waited = lr_waited = 0
        if score > best_score:
            best_score, best_epoch, waited, lr_waited = score, epoch, 0, 0
            best_state = state if state is not None else _copy_state(network)
        else:
            waited += 1
            lr_waited += 1
            if waited >= int(settings["patience"]) and epoch + 1 >= int(settings.get("min_epochs", 0)):
                break
            if settings.get("lr_patience") and lr_waited >= int(settings["lr_patience"]):
                learning_rate *= float(settings.get("lr_factor", 0.5))
                schedule.rate = learning_rate
                lr_waited = 0
    bar.close()
    if best_state is not None:
        network.load_state_dict(best_state)
    network.eval()
    history.update(
        best_epoch=best_epoch + 1,
        epochs_run=len(history["loss"]),
        stopped_early=len(history["loss"]) < int(settings["epochs"]),
        n_train=int(len(train_rows)),
        n_val=int(len(val_rows)),
        seconds=round(time.perf_counter() - start, 3),
    )
    return history


def warm_start_first_stage(network, X, y, settings: dict, epochs: int, seed: int = 0, progress: bool = True,
                           label: str = "model") -> dict | None:
    """`baselines.warmstart` for a torch `StackNet`: train its first stage under a global max-pool and a
    linear output, then copy it in. Returns the probe's history, or None (nothing changed) for other modules."""
    from baselines.torch_architectures import _initialise, first_stage  # noqa: PLC0415

    names = first_stage(network)
    if not any(isinstance(getattr(network.features, n), nn.Conv1d) for n in names):
        log.warning("%s: no first stage to warm-start (not a built-in torch conv stack)", label)
        return None
    layers = [(n, copy.deepcopy(getattr(network.features, n))) for n in names]
    width = [m for _, m in layers if isinstance(m, nn.Conv1d)][-1].out_channels
    probe = nn.Sequential(OrderedDict(layers + [
        ("probe_pool", nn.AdaptiveMaxPool1d(1)), ("probe_flatten", nn.Flatten()), ("probe_logit", nn.Linear(width, 1)),
    ]))
    for module in probe.modules():  # fresh weights, as Keras' probe is built from the layers' configs
        if isinstance(module, nn.BatchNorm1d):
            module.reset_parameters()
    _initialise(probe, network.spec.initializer)
    probe_settings = dict(settings, epochs=int(epochs), min_epochs=min(int(settings.get("min_epochs", 0)), int(epochs)))
    history = fit_torch(probe, X, y, probe_settings, seed=seed, progress=progress, label=f"{label} (first stage)")
    for n in names:
        getattr(network.features, n).load_state_dict(getattr(probe, n).state_dict())
    return {"layers": names, "val_auroc": history["val_auroc"], "best_epoch": history["best_epoch"],
            "epochs_run": history["epochs_run"], "seconds": history["seconds"]}


def train_torch(build, training: dict, seed: int, X_train, y_train, progress: bool = True, label: str = "model"):
    """Build (``build()`` -> module) and fit a torch network; restarts and warm start as `store._train_keras`.

    Attempt a seeds torch with ``seed + 1000 * a`` before building; the
    validation split and the epochs' sampling keep `seed`. Returns (network in
    eval mode, history of the kept attempt).
    """
    restarts = int(training.get("restarts", 0))
    floor = float(training.get("restart_below", 0.0))
    first_stage_epochs = int(training.get("first_stage_epochs", 0))
    best, attempts, attempt_epochs = None, [], []
    for attempt in range(restarts + 1):
        set_seed(seed + 1000 * attempt)
        network = build()
        attempt_label = label if attempt == 0 else f"{label} (restart {attempt})"
        warm = None
        if first_stage_epochs > 0:
            warm = warm_start_first_stage(network, X_train, y_train, training, first_stage_epochs, seed=seed,
                                          progress=progress, label=attempt_label)
        history = fit_torch(network, X_train, y_train, training, seed=seed, progress=progress, label=attempt_label)
        if warm is not None:
            history["warm_start"] = warm
        score = float(np.nanmax(history["val_auroc"])) if history["val_auroc"] else float("nan")
        attempts.append(round(score, 6))
        attempt_epochs.append(int(history["epochs_run"]) + (int(warm["epochs_run"]) if warm else 0))
        if best is None or score > best[2]:
            best = (network, history, score, attempt)
        if not score < floor:
            break
        log.warning("%s: best validation auROC %.3f < %.3f after attempt %d", label, score, floor, attempt + 1)
    network, history, _, kept = best
    if restarts:
        history.update(attempts_val_auroc=attempts, attempts_epochs=attempt_epochs, kept_attempt=kept)
    return network.eval(), history
