"""Reading and writing a model directory, with a sha256 manifest.

Layout of ``<cache>/models/<task>-<arch>-s<seed>-<key>/``:

- ``model.weights.h5`` + ``network.json`` (Keras: weights and config; the
  network is rebuilt from the registered architecture and its parameters, so a
  model trained on a GPU loads on a CPU), ``model.pt`` (torch: the state dict,
  loaded into the network rebuilt the same way), or ``gkmsvm.npz`` (gkm-SVM);
- ``history.json``: per-epoch losses and validation auROC, timings;
- ``model.json``, written last: kind, parameters, fidelity and the sha256 of
  every other file. `load_model` refuses (CorruptModelError) a directory
  whose manifest is missing or whose files do not match it.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from baselines import gkmsvm as gkm
from baselines.architectures import build_network
from baselines.model import BASELINES_CODE_VERSION, KERAS, TORCH, TrainedModel
from tasks.cache import file_sha256, write_json_atomic

MANIFEST = "model.json"
HISTORY = "history.json"
KERAS_WEIGHTS = "model.weights.h5"
KERAS_CONFIG = "network.json"
TORCH_WEIGHTS = "model.pt"
SCHEMA = 1


class CorruptModelError(RuntimeError):
    """A cached model directory is incomplete or its files do not match their sha256."""


def code_version() -> str:
    return BASELINES_CODE_VERSION


def write_model(model: TrainedModel, history: dict, directory: Path, dataset_name: str, dataset_hash: str) -> None:
    """Write weights, history and (last) the manifest with every file's sha256."""
    if model.kind == KERAS:
        model.network.save_weights(str(directory / KERAS_WEIGHTS))
        (directory / KERAS_CONFIG).write_text(model.network.to_json(indent=2) + "\n")
        files = [KERAS_WEIGHTS, KERAS_CONFIG]
    elif model.kind == TORCH:
        from baselines.torch_setup import torch  # noqa: PLC0415

        torch.save(model.network.state_dict(), directory / TORCH_WEIGHTS)
        files = [TORCH_WEIGHTS]
    else:
        files = [gkm.save_gkmsvm(model.network, directory)]
    write_json_atomic(directory / HISTORY, history)
    files.append(HISTORY)
    manifest = {
        "schema": SCHEMA,
        "kind": model.kind,
        "arch": model.arch,
        "task": dataset_name,
        "dataset_hash": dataset_hash,
        "params": model.params,
        "seed": model.seed,
        "key": model.key,
        "code_version": code_version(),
        "sequence_length": model.sequence_length,
        "first_kernel_width": model.first_kernel_width,
        "conv_layer_names": model.conv_layer_names,
        "fidelity": model.fidelity,
        "versions": _versions(("torch",) if model.kind == TORCH else ()),
        "files": {name: file_sha256(directory / name) for name in files},
    }
    write_json_atomic(directory / MANIFEST, manifest)


def load_model(directory: Path) -> TrainedModel:
    """Load a model directory written by `get_model`, checking every file's sha256.

    Raises CorruptModelError if the directory is incomplete, a file is missing
    or truncated, or the weights do not load.
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError) as error:
        raise CorruptModelError(f"cached model {directory} is incomplete ({MANIFEST}: {error})") from None
    for name, digest in files.items():
        path = directory / name
        if not path.exists():
            raise CorruptModelError(f"cached model {directory} is missing {name}")
        if file_sha256(path) != digest:
            raise CorruptModelError(f"cached model {directory}: {name} does not match its recorded sha256 (truncated or altered)")
    params = dict(manifest["params"])
    arch = manifest["arch"]
    try:
        if manifest["kind"] == KERAS:
            arch_params = {k: v for k, v in params.items() if k != "training"}
            network = build_network(arch, manifest["sequence_length"], **arch_params)
            network.load_weights(str(directory / KERAS_WEIGHTS))
        elif manifest["kind"] == TORCH:
            from baselines.torch_byo import load_torch_network  # noqa: PLC0415

            arch_params = {k: v for k, v in params.items() if k != "training"}
            network = load_torch_network(arch, manifest["sequence_length"], arch_params, directory / TORCH_WEIGHTS)
        else:
            network = gkm.load_gkmsvm(directory)
    except (OSError, ValueError, KeyError, RuntimeError) as error:  # RuntimeError: torch's state-dict mismatch
        raise CorruptModelError(f"cached model {directory} does not load: {error}") from None
    return TrainedModel(
        kind=manifest["kind"],
        arch=arch,
        params=params,
        seed=int(manifest["seed"]),
        network=network,
        sequence_length=int(manifest["sequence_length"]),
        first_kernel_width=manifest["first_kernel_width"],
        conv_layer_names=list(manifest["conv_layer_names"]),
        fidelity=dict(manifest["fidelity"]),
        path=directory,
        key=manifest["key"],
    )


def load_history(model: TrainedModel) -> dict:
    """The training history saved beside a cached model."""
    if model.path is None:
        raise ValueError(f"{model.name} was never saved, so it has no history")
    return json.loads((Path(model.path) / HISTORY).read_text())


def _versions(extra: tuple = ()) -> dict:
    out = {}
    for package in ("tensorflow", "tf-keras", "gkmsvm-lite", "numpy", "scikit-learn", *extra):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = None
    return out
