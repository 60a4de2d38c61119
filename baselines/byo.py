"""Bring your own model: an architecture from a file, or a trained Keras model explained as it is.

Two ways, both declared in a benchmark run file (`benchmark.grid.runfile`):

- an **architecture file**: a Keras model file (``.keras``, ``.h5``/``.hdf5``,
  or a ``.json`` from ``model.to_json()``) whose *architecture* is used, or a
  Python file that registers exactly one builder with
  ``@ARCHITECTURES.register("name")`` (signature ``builder(sequence_length,
  **params) -> keras.Model``). `register_architecture_file` registers it; it is
  then re-initialised with the seed and trained on each task like the
  built-in architectures (`baselines.get_model`). Its cache key hashes the
  file's bytes (`source_digest`), so editing the file retrains.
- a **pretrained model** (``.keras``/``.h5``): `register_pretrained` registers
  an entry whose `get_model` loads the file as it is (no training), checks
  its input against the task and measures its fidelity (auROC/auPRC) on the
  task's test split. Its key is the file's sha256.

Both must take (L, 4) one-hot input (A, C, G, T) and output one pre-sigmoid
logit per sequence (last layer with one unit and linear activation): the
methods explain that output.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from baselines.architectures import ARCHITECTURES, conv_layer_names, first_kernel_width
from baselines.model import KERAS, TrainedModel
from tasks.cache import file_sha256

KERAS_FILES = (".keras", ".h5", ".hdf5")
ARCHITECTURE_FILES = KERAS_FILES + (".json", ".py")


class ModelFileError(ValueError):
    """A model file cannot be used (wrong type, input or output shape)."""


def source_digest(arch: str) -> str | None:
    """sha256 of the file a registered BYO architecture/pretrained model came from, else None."""
    return getattr(ARCHITECTURES[arch], "source_sha256", None) if arch in ARCHITECTURES else None


def is_pretrained(arch: str) -> bool:
    """True when `arch` names a registered pretrained model (explained as it is)."""
    return arch in ARCHITECTURES and bool(getattr(ARCHITECTURES[arch], "pretrained", False))


def _put(name: str, entry) -> None:
    """Register `entry`; a BYO entry of the same name is replaced (a run file read again)."""
    if name in ARCHITECTURES and getattr(ARCHITECTURES[name], "source_sha256", None) is None:
        raise ValueError(f"model id {name!r} is a built-in architecture; give your model another id")
    ARCHITECTURES.replace(name, entry)


def register_architecture_file(name: str, path: str | Path) -> str:
    """Register the architecture of a Keras model file or a Python builder file; returns its name.

    For a Keras file the architecture is registered as `name`; a Python file
    registers its own builder, whose name is returned (`name` is then only
    the model id of the run file).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in ARCHITECTURE_FILES:
        raise ModelFileError(f"{path}: an architecture file must be {', '.join(ARCHITECTURE_FILES)}, not {suffix or 'no suffix'}")
    digest = file_sha256(path)
    if suffix == ".py":
        return _register_python(path, digest)

    def builder(sequence_length: int):
        network = _network_from_config(_read_config(path))
        check_input(network, sequence_length, path)
        return network

    builder.__doc__ = f"architecture of {path}"
    builder.source_sha256 = digest
    builder.source_path = str(path)
    _put(name, builder)
    return name


def _register_python(path: Path, digest: str) -> str:
    before = dict(ARCHITECTURES.items())
    # the same file read again (another run file, or a re-read) re-registers its builder
    for n, entry in ARCHITECTURES.items():
        if getattr(entry, "source_path", None) == str(path):
            ARCHITECTURES.remove(n)
            before.pop(n, None)
    module_name = f"motifbench_user_arch_{digest[:12]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ModelFileError(f"{path}: importing it failed: {type(error).__name__}: {error}") from None
    sys.modules[module_name] = module
    added = [n for n in ARCHITECTURES.names() if n not in before or ARCHITECTURES[n] is not before[n]]
    if len(added) != 1:
        raise ModelFileError(
            f"{path}: a Python architecture file must register exactly one builder with "
            f"@ARCHITECTURES.register('name') (from baselines.architectures import ARCHITECTURES); it registered "
            f"{len(added)}{': ' + ', '.join(added) if added else ''}"
        )
    builder = ARCHITECTURES[added[0]]
    builder.source_sha256 = digest
    builder.source_path = str(path)
    return added[0]


def register_pretrained(name: str, path: str | Path) -> str:
    """Register a trained Keras model file as `name` (explained as it is); returns `name`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.suffix.lower() not in KERAS_FILES:
        raise ModelFileError(f"{path}: a pretrained model must be a Keras file ({', '.join(KERAS_FILES)}) holding its weights")

    def load(sequence_length: int):
        network = _load_keras(path)
        check_input(network, sequence_length, path)
        return network

    load.__doc__ = f"trained model {path}"
    load.source_sha256 = file_sha256(path)
    load.source_path = str(path)
    load.pretrained = True
    _put(name, load)
    return name


def _load_keras(path: Path):
    from baselines.tf_setup import keras  # noqa: PLC0415

    try:
        return keras.models.load_model(str(path), compile=False)
    except Exception as error:
        raise ModelFileError(f"{path}: Keras cannot load it ({type(error).__name__}: {error})") from None


def _read_config(path: Path):
    if path.suffix.lower() == ".json":
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ModelFileError(f"{path}: not a Keras model JSON ({error})") from None
    return json.loads(_load_keras(path).to_json())


def _network_from_config(config) -> object:
    """A fresh network (new weights from the current seed) from a Keras JSON config."""
    from baselines.tf_setup import keras  # noqa: PLC0415

    try:
        return keras.models.model_from_json(json.dumps(config))
    except Exception as error:
        raise ModelFileError(f"the model config does not build ({type(error).__name__}: {error})") from None


def check_input(network, sequence_length: int, path: Path | str) -> None:
    """Raise ModelFileError unless `network` maps (N, sequence_length, 4) to (N, 1) logits (not probabilities)."""
    shape = tuple(network.input_shape) if not isinstance(network.input_shape, list) else None
    if shape is None or len(shape) != 3:
        raise ModelFileError(f"{path}: the model must take one input of shape (L, 4) one-hot, has input {network.input_shape}")
    if shape[2] != 4:
        raise ModelFileError(
            f"{path}: the model's input has {shape[2]} channels per position; tasks here are one-hot DNA "
            f"with 4 channels (A, C, G, T), so the input shape must be (L, 4)"
        )
    if shape[1] is not None and int(shape[1]) != int(sequence_length):
        raise ModelFileError(
            f"{path}: the model takes sequences of {shape[1]} bp but the task's are {sequence_length} bp; "
            f"use a task with {shape[1]} bp sequences (region_size / sequence_length) or rebuild the model for {sequence_length} bp"
        )
    out = tuple(network.output_shape) if not isinstance(network.output_shape, list) else None
    if out is None or out[1:] != (1,):
        raise ModelFileError(f"{path}: the model must output one logit per sequence (shape (N, 1)), has output {network.output_shape}")
    from baselines.logit import refusal  # noqa: PLC0415

    message = refusal(network, path)  # a sigmoid or softmax however expressed (baselines.logit)
    if message:
        raise ModelFileError(message)


def pretrained_model(dataset, arch: str, seed: int = 0) -> TrainedModel:
    """The registered pretrained model `arch` with its fidelity on `dataset`'s test split (no training)."""
    from baselines.train import fidelity, predict  # noqa: PLC0415

    entry = ARCHITECTURES[arch]
    network = entry(dataset.length)
    X_test, y_test = dataset.split(test=True)
    scores = predict(network, X_test)
    try:
        width = first_kernel_width(network)
    except ValueError:  # no Conv1D layer: GradCAM-type methods will fail their cells with a message
        width = None
    return TrainedModel(
        kind=KERAS,
        arch=arch,
        params={"pretrained": True, "source": entry.source_path},
        seed=int(seed),
        network=network,
        sequence_length=dataset.length,
        first_kernel_width=width,
        conv_layer_names=conv_layer_names(network),
        fidelity=fidelity(np.asarray(scores), y_test),
        path=Path(entry.source_path),
        key=entry.source_sha256,
    )
