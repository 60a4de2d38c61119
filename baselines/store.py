"""get_model: train a model once, then load it from the content-addressed cache.

A model lives in ``<cache>/models/<task>-<arch>-s<seed>-<key>/`` where `key`
hashes everything that determines it: the dataset's hash, the architecture,
its resolved parameters, the training settings, the seed and
`BASELINES_CODE_VERSION`. The profile's *name* is not part of it. Its files
(weights, history, a manifest with every file's sha256) are described in
`baselines.persist`; a directory whose files do not match their recorded
sha256 is reported, rebuilt, and never used.

Directories are written atomically under a file lock (`tasks.cache`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np

from baselines import gkmsvm as gkm
from baselines.architectures import arch_defaults, arch_kind, build_network, check_params, profile_arch
from baselines.architectures import conv_layer_names, first_kernel_width
from baselines.model import GKMSVM, KERAS, TORCH, TrainedModel
from baselines.model import BASELINES_CODE_VERSION
from baselines.persist import CorruptModelError, load_history, load_model, write_model
from baselines.profiles import get_profile
from baselines.tf_setup import INTRA_OP_THREADS, KERNELS, keras, set_seed
from baselines.train import TrainingDivergedError, fidelity, fit_keras, predict
from baselines.warmstart import warm_start_first_stage
from tasks.cache import atomic_directory, cache_root, content_hash, file_lock

log = logging.getLogger(__name__)

#: Bump when a change to this package changes what a trained model is.

#: Keras training settings a profile may leave out; unset, they change nothing (nor the model's key).
#: restarts: retrain from a fresh initialisation up to this many times while the best validation auROC
#: stays below restart_below (a run that never left chance, see `_train_keras`); first_stage_epochs > 0:
#: every run (restarts too) first trains the network's first stage on its own (`baselines.warmstart`);
#: weight_decay > 0: Adam's decoupled weight decay; mutate_fraction > 0: random base substitutions in
#: training examples; ema_momentum > 0: keep a moving average of the weights (all three `baselines.train`).
OPTIONAL_TRAINING = {
    "restarts": 0, "restart_below": 0.0, "first_stage_epochs": 0,
    "weight_decay": 0.0, "mutate_fraction": 0.0, "ema_momentum": 0.0,
}


# --------------------------------------------------------------------------- settings and keys


def resolve_settings(arch: str, profile: str = "default", **overrides) -> tuple[dict, dict]:
    """(architecture params, training settings) of `arch` under `profile` with `overrides`.

    Overrides may name an architecture parameter or a training setting; any
    other name raises ValueError listing the valid ones.
    """
    kind = arch_kind(arch)
    trained = kind in (KERAS, TORCH)  # networks train under the profile's recipe
    prof = get_profile(profile)
    params = arch_defaults(arch)
    check_params(arch, prof.params_for(profile_arch(arch)))
    params.update(prof.params_for(profile_arch(arch)))
    training = dict(prof.training) if trained else {}
    for name, value in overrides.items():
        if name in params:
            params[name] = value
        elif name in training or (trained and name in OPTIONAL_TRAINING):
            training[name] = value
        else:
            raise ValueError(
                f"unknown parameter {name!r} for architecture {arch!r}; valid parameters: "
                f"{', '.join(sorted(params))}" + (f"; training settings: {', '.join(sorted(set(training) | set(OPTIONAL_TRAINING)))}" if training else "")
            )
    check_params(arch, params)  # the values too: an unknown pooling fails here, before any cell
    return params, training


def dataset_fingerprint(dataset) -> str:
    """The dataset's own hash, or (for a hand-made Dataset without one) a hash of its arrays.

    `dataset` may also be the hash itself (a str), so keys can be computed without loading data.
    """
    if isinstance(dataset, str):
        return dataset
    if dataset.hash:
        return dataset.hash
    digest = hashlib.sha256()
    for array in (dataset.X, dataset.y, dataset.is_test):
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(str(array.shape).encode())
    return "arrays-" + digest.hexdigest()[:16]


def model_key(dataset, arch: str, seed: int = 0, profile: str = "default", **overrides) -> str:
    """The content hash naming the cache directory of this model.

    `dataset` is a Dataset or just its hash (`tasks.dataset_key`), so the key is known before training.
    """
    from baselines import byo  # noqa: PLC0415

    if byo.is_pretrained(arch):  # a trained model explained as it is: its file's sha256
        return byo.source_digest(arch)
    params, training = resolve_settings(arch, profile, **overrides)
    return _key(dataset, arch, params, training, seed)


def _key(dataset, arch: str, params: dict, training: dict, seed: int) -> str:
    from baselines import byo  # noqa: PLC0415

    content = {
        "dataset": dataset_fingerprint(dataset),
        "arch": arch,
        "kind": arch_kind(arch),
        "params": params,
        "training": training,
        "seed": int(seed),
        "code_version": BASELINES_CODE_VERSION,
    }
    if arch_kind(arch) == KERAS:  # the kernels and the intra-op thread count change float sums (`baselines.tf_setup`)
        content["kernels"] = KERNELS
        content["intra_op_threads"] = INTRA_OP_THREADS
    elif arch_kind(arch) == TORCH:  # torch's kernels and thread count change float sums too (`baselines.torch_setup`)
        from baselines import torch_setup  # noqa: PLC0415

        content["torch_kernels"] = torch_setup.KERNELS
        content["intra_op_threads"] = torch_setup.INTRA_OP_THREADS
    elif arch_kind(arch) == GKMSVM:  # its stored test auROC was scored through the l-mer table (`baselines.gkm_table`)
        content["scoring"] = "lmer_table"
    digest = byo.source_digest(arch)
    if digest:  # an architecture from the user's file: its bytes decide the model too
        content["source_sha256"] = digest
    return content_hash(content)


def models_root() -> Path:
    """``<cache>/models``."""
    return cache_root() / "models"


def model_dir(dataset, arch: str, seed: int, key: str, root: Path | None = None) -> Path:
    return Path(root or models_root()) / f"{dataset.name}-{arch}-s{int(seed)}-{key}"


# --------------------------------------------------------------------------- dataset checks


def validate_dataset(dataset, arch: str) -> None:
    """Raise ValueError if `dataset` cannot train architecture `arch`.

    Checks: X is (N, L, 4) one-hot over A, C, G, T (every position exactly one
    base, values 0/1), y is (N,) 0/1, both classes present in the training and
    the test split.
    """
    X, y, is_test = dataset.X, dataset.y, dataset.is_test
    where = f"dataset {dataset.name!r}" + (f" ({dataset.path})" if dataset.path else "")
    if X.ndim != 3 or X.shape[2] != 4:
        raise ValueError(
            f"{where}: X must be (N, L, 4) one-hot over A, C, G, T; got shape {X.shape}. "
            f"Models here take the 4-letter DNA alphabet only (no N or other channels)."
        )
    if y.shape != (X.shape[0],) or is_test.shape != (X.shape[0],):
        raise ValueError(f"{where}: y {y.shape} and is_test {is_test.shape} must both be ({X.shape[0]},)")
    bad_values = ~np.isin(X, (0.0, 1.0)).all(axis=2)
    bad_sums = X.sum(axis=2) != 1
    bad = bad_values | bad_sums
    if bad.any():
        seq, pos = np.argwhere(bad)[0]
        raise ValueError(
            f"{where}: sequence {seq}, position {pos} is not a one-hot A/C/G/T base "
            f"(values {X[seq, pos].tolist()}); {int(bad.any(axis=1).sum())} sequences are affected. "
            f"Remove sequences with N or other letters, or encode them as one-hot ACGT."
        )
    labels = set(np.unique(y).tolist())
    if not labels <= {0, 1}:
        raise ValueError(f"{where}: y must hold 0/1 labels, found {sorted(labels)}")
    for split, rows in (("training", ~is_test), ("test", is_test)):
        present = set(np.unique(y[rows]).tolist())
        if present != {0, 1}:
            raise ValueError(f"{where}: the {split} split needs positives and negatives, has labels {sorted(present)}")


# --------------------------------------------------------------------------- public entry points


def get_model(
    dataset,
    arch: str,
    *,
    seed: int = 0,
    profile: str = "default",
    progress: bool = True,
    root: Path | None = None,
    **overrides,
) -> TrainedModel:
    """Train `arch` on `dataset` (or load it from the cache) and return it.

    Parameters
    ----------
    dataset: a `tasks.Dataset` (X (N, L, 4) one-hot, y (N,), is_test (N,)).
    arch: a name in `baselines.ARCHITECTURES` ("basset", "beluga", "shallow", "gkmsvm").
    seed: training seed; the same seed and data give the same model.
    profile: "smoke", "default" or "paper" (see `baselines.PROFILES`).
    progress: show tqdm progress while training.
    root: models directory; default ``<cache>/models``.
    overrides: architecture parameters (``kernel_width=5``, ``pooling="average"``,
        ``scale=...``) or training settings (``epochs=...``) replacing the profile's.

    Returns a TrainedModel with fidelity {"test_auroc", "test_auprc", ...},
    path (the cache directory) and key (its content hash).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    from baselines import byo  # noqa: PLC0415

    if byo.is_pretrained(arch):  # registered by a run file: explained as it is, never trained
        validate_dataset(dataset, arch)
        if arch_kind(arch) == TORCH:
            from baselines.torch_byo import pretrained_torch_model  # noqa: PLC0415

            return pretrained_torch_model(dataset, arch, seed)
        return byo.pretrained_model(dataset, arch, seed)
    params, training = resolve_settings(arch, profile, **overrides)
    validate_dataset(dataset, arch)
    kind = arch_kind(arch)
    if kind == KERAS:
        build_network(arch, dataset.length, **params)  # fails early if L does not fit the architecture
    elif kind == TORCH:
        from baselines.torch_byo import build_torch_network  # noqa: PLC0415

        build_torch_network(arch, dataset.length, params)
    key = _key(dataset, arch, params, training, seed)
    final = model_dir(dataset, arch, seed, key, root)
    with file_lock(final):
        if final.exists():
            try:
                return load_model(final)
            except CorruptModelError as error:
                log.warning("%s; rebuilding it", error)
        label = f"{dataset.name}-{arch}-s{seed}"
        with atomic_directory(final) as tmp:
            model, history = _train(dataset, arch, params, training, int(seed), progress, label)
            model.key = key
            write_model(model, history, tmp, dataset_name=dataset.name, dataset_hash=dataset_fingerprint(dataset))
        model.path = final
        log.info("%s: test auROC %.3f auPRC %.3f -> %s", label, model.fidelity["test_auroc"], model.fidelity["test_auprc"], final)
        return model


def find_model(dataset, arch: str, *, seed: int = 0, profile: str = "default", root: Path | None = None, **overrides):
    """The cached model if a valid one exists, else None (never trains)."""
    params, training = resolve_settings(arch, profile, **overrides)
    final = model_dir(dataset, arch, seed, _key(dataset, arch, params, training, seed), root)
    if not final.exists():
        return None
    try:
        return load_model(final)
    except CorruptModelError as error:
        log.warning("%s", error)
        return None


def untrained_model(arch: str, sequence_length: int, profile: str = "default", seed: int = 0) -> TrainedModel:
    """A freshly initialised (seeded, never trained) Keras model of `arch` at `profile`'s size.

    For timing benchmarks, whose cost does not depend on the weights; not cached.
    """
    from baselines.architectures import build_network, conv_layer_names, first_kernel_width  # noqa: PLC0415
    from baselines.profiles import get_profile  # noqa: PLC0415

    params = get_profile(profile).params_for(profile_arch(arch))
    if arch_kind(arch) == TORCH:
        from baselines.torch_byo import untrained_torch_model  # noqa: PLC0415

        return untrained_torch_model(arch, sequence_length, params, seed)
    set_seed(seed)
    network = build_network(arch, sequence_length, **params)
    return TrainedModel(
        kind=KERAS,
        arch=arch,
        params=params,
        seed=seed,
        network=network,
        sequence_length=sequence_length,
        first_kernel_width=first_kernel_width(network),
        conv_layer_names=conv_layer_names(network),
    )


def randomized_copy(model: TrainedModel, seed: int = 0) -> TrainedModel:
    """The same Keras architecture with freshly initialised weights (Adebayo et al. sanity check).

    Every layer is re-initialised with its own initialiser under `seed`; the
    copy is not cached (path None) and has no fidelity.
    """
    if model.kind == TORCH:
        from baselines.torch_byo import randomized_torch_copy  # noqa: PLC0415

        return randomized_torch_copy(model, seed)
    if model.kind != KERAS:
        raise ValueError(
            f"randomized_copy needs a Keras model; {model.name} is a {model.kind} model, whose support "
            f"vectors have no initialiser to redraw. Skip the weight-randomisation check for gkm-SVMs."
        )
    set_seed(seed)
    network = keras.models.clone_model(model.network)
    return TrainedModel(
        kind=KERAS,
        arch=model.arch,
        params=dict(model.params),
        seed=model.seed,
        network=network,
        sequence_length=model.sequence_length,
        first_kernel_width=model.first_kernel_width,
        conv_layer_names=list(model.conv_layer_names),
        fidelity={},
        path=None,
        key=f"{model.key}-randomized-s{int(seed)}",
    )


# --------------------------------------------------------------------------- training, saving, loading


def _train(dataset, arch, params, training, seed, progress, label) -> tuple[TrainedModel, dict]:
    kind = arch_kind(arch)
    X_train, y_train = dataset.split(test=False)
    start = time.perf_counter()
    if kind == TORCH:
        from baselines import torch_train  # noqa: PLC0415
        from baselines.torch_architectures import conv_layer_names as torch_convs, first_kernel_width as torch_width  # noqa: PLC0415
        from baselines.torch_byo import build_torch_network  # noqa: PLC0415

        network, history = torch_train.train_torch(lambda: build_torch_network(arch, dataset.length, params), training,
                                                   seed, X_train, y_train, progress, label)
        X_test, y_test = dataset.split(test=True)
        scores = torch_train.predict(network, X_test)
        if not np.all(np.isfinite(scores)):
            raise TrainingDivergedError(f"{label}: the trained network predicts non-finite logits; nothing was cached")
        extra = {"first_kernel_width": torch_width(network), "conv_layer_names": torch_convs(network)}
    elif kind == KERAS:
        network, history = _train_keras(dataset.length, arch, params, training, seed, X_train, y_train, progress, label)
        X_test, y_test = dataset.split(test=True)
        scores = predict(network, X_test)
        if not np.all(np.isfinite(scores)):
            raise TrainingDivergedError(f"{label}: the trained network predicts non-finite logits; nothing was cached")
        extra = {"first_kernel_width": first_kernel_width(network), "conv_layer_names": conv_layer_names(network)}
    else:
        network, history = gkm.fit_gkmsvm(X_train, y_train, params, seed, progress=progress)
        rows = gkm.fidelity_rows(dataset.is_test, dataset.y, params["max_test"], seed)
        probe = TrainedModel(kind=GKMSVM, arch=arch, params={}, seed=seed, network=network, sequence_length=dataset.length)
        score_start = time.perf_counter()
        scores, y_test = gkm.predict_gkmsvm(probe, dataset.X[rows]), dataset.y[rows]
        history["score_test_seconds"] = round(time.perf_counter() - score_start, 3)
        extra = {"first_kernel_width": None, "conv_layer_names": []}
    history["total_seconds"] = round(time.perf_counter() - start, 3)
    stored = dict(params)
    if training:
        stored["training"] = dict(training)
    return TrainedModel(
        kind=kind,
        arch=arch,
        params=stored,
        seed=seed,
        network=network,
        sequence_length=dataset.length,
        fidelity=fidelity(scores, y_test),
        **extra,
    ), history


def _train_keras(length, arch, params, training, seed, X_train, y_train, progress, label):
    """Build and fit a Keras network; with ``restarts`` set, retry runs that stayed at chance.

    With ``first_stage_epochs`` > 0 every attempt first pre-trains the
    network's first stage on its own (`baselines.warmstart`), then trains the
    whole network. Attempt a (0, 1, ...) initialises with seed
    ``seed + 1000 * a``; the validation split and the epochs' sampling keep
    `seed`, so attempts differ by their initial weights only. An attempt is
    kept when its best validation auROC reaches ``restart_below``; if none
    does, the best attempt is kept. The history records every attempt's best
    validation auROC and the kept attempt's first stage. Without ``restarts``
    this is one run with `seed`.
    """
    restarts = int(training.get("restarts", 0))
    floor = float(training.get("restart_below", 0.0))
    first_stage_epochs = int(training.get("first_stage_epochs", 0))
    best = None
    attempts, attempt_epochs = [], []
    for attempt in range(restarts + 1):
        set_seed(seed + 1000 * attempt)
        network = build_network(arch, length, **params)
        attempt_label = label if attempt == 0 else f"{label} (restart {attempt})"
        warm = None
        if first_stage_epochs > 0:
            warm = warm_start_first_stage(network, X_train, y_train, training, first_stage_epochs, seed=seed,
                                          progress=progress, label=attempt_label)
        history = fit_keras(network, X_train, y_train, training, seed=seed, progress=progress, label=attempt_label)
        if warm is not None:
            history["warm_start"] = warm
        score = float(np.nanmax(history["val_auroc"])) if history["val_auroc"] else float("nan")
        attempts.append(round(score, 6))
        attempt_epochs.append(int(history["epochs_run"]) + (int(warm["epochs_run"]) if warm else 0))
        if best is None or score > best[2]:
            best = (network, history, score, attempt)
        if not score < floor:  # NaN (one-class validation) counts as a pass: nothing to compare
            break
        log.warning("%s: best validation auROC %.3f < %.3f after attempt %d", label, score, floor, attempt + 1)
    network, history, _, kept = best
    if restarts:
        history["attempts_val_auroc"] = attempts
        history["attempts_epochs"] = attempt_epochs  # first-stage epochs included: the training work done
        history["kept_attempt"] = kept
    return network, history


__all__ = [
    "BASELINES_CODE_VERSION",
    "CorruptModelError",
    "dataset_fingerprint",
    "find_model",
    "get_model",
    "load_history",
    "load_model",
    "model_dir",
    "model_key",
    "randomized_copy",
    "resolve_settings",
    "validate_dataset",
]
