"""Bring your own PyTorch model: a builder file trained per task and seed, or a trained model explained as it is.

The torch side of `baselines.byo`. Two ways, each with the model's input
layout and, when it has several outputs, the one explained:

- a **builder file** (``.py``) that registers exactly one builder with
  ``@ARCHITECTURES.register("name")`` (``from baselines.architectures import
  ARCHITECTURES``), signature ``builder(sequence_length, **params) ->
  torch.nn.Module``: `register_torch_architecture_file`. It is built with
  each seed and trained on each task under the project's recipe
  (`baselines.torch_train`); its keyword parameters are overridable. Its
  cache key hashes the file's bytes, the layout and the output.
- a **pretrained model**: a TorchScript file (``torch.jit.save``), or a state
  dict (``torch.save(model.state_dict(), ...)``) with the builder file that
  makes its module and that builder's parameters:
  `register_torch_pretrained`. Explained as it is; its key hashes the files,
  the parameters, the layout and the output.

``layout``: "NLC" when the module takes (N, L, 4) one-hot (A, C, G, T), the
project's own layout, or "NCL" for (N, 4, L), the usual PyTorch one.
``output``: which value is explained when the module returns several: an
int (a tuple's item, or a column of an (N, K) tensor), a str (a dict's key),
or a list of those applied in turn (``[1, 0]``: column 0 of the second
item). One value per sequence must remain.

Every model is checked on a seeded random one-hot batch when it is built
(`check_torch_network`), with errors naming the file and the field to fix:
a forward pass that raises (often the wrong layout or length), several
outputs with no ``output``, an output that is not one value per sequence,
and probabilities instead of logits (every value in [0, 1] *and* the last
operation a sigmoid or softmax: methods explain the pre-sigmoid logit).
The network a `TrainedModel` holds is a `TorchLogit`: (N, L, 4) -> (N, 1).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from baselines.architectures import ARCHITECTURES, build_network, check_params
from baselines.byo import ModelFileError, _put, _register_python
from baselines.model import TORCH, TrainedModel
from baselines.torch_architectures import StackNet, conv_layer_names, first_kernel_width
from baselines.torch_setup import set_seed, to_tensor, torch
from tasks.cache import file_sha256

nn = torch.nn
LAYOUTS = ("NLC", "NCL")
PROBABILITY_OPS = ("SigmoidBackward", "SoftmaxBackward")
#: autograd nodes that only pick or reshape values: looked through to find a model's last real operation
_PASS_THROUGH = ("View", "Reshape", "Select", "Slice", "Squeeze", "Unsqueeze", "Index", "UnsafeView", "Clone",
                 "Transpose", "Permute", "AsStrided", "Expand", "Unbind", "Split", "Chunk", "ToCopy")


class TorchLogit(nn.Module):
    """A researcher's module as the project explains it: (N, L, 4) float32 -> (N, 1) logit.

    `layout` "NCL" transposes the input to (N, 4, L) before `module`; `output`
    (see the module docstring) picks the explained value from what it returns.
    """

    def __init__(self, module: nn.Module, layout: str = "NLC", output=None):
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS} ('NLC' = (N, L, 4), 'NCL' = (N, 4, L)), got {layout!r}")
        self.module, self.layout = module, layout
        self.output = _output_path(output)

    def forward(self, x):
        out = self.module(x.transpose(1, 2) if self.layout == "NCL" else x)
        for step in self.output:
            out = out[:, step] if isinstance(out, torch.Tensor) else out[step]
        if not isinstance(out, torch.Tensor):
            raise ValueError(f"the model returns a {type(out).__name__} of several outputs; declare which one is explained (output)")
        return out.reshape(out.shape[0], -1)


def _output_path(output) -> tuple:
    if output is None:
        return ()
    steps = tuple(output) if isinstance(output, (list, tuple)) else (output,)
    if not all(isinstance(s, (int, str)) and not isinstance(s, bool) for s in steps):
        raise ValueError(f"output must be an int, a str or a list of them, got {output!r}")
    return steps


def check_torch_network(network: TorchLogit, sequence_length: int, where: str, n: int = 8) -> None:
    """Raise ModelFileError unless `network` maps a random (n, sequence_length, 4) one-hot batch to n logits.

    `where` names the file (and field) in every message.
    """
    rng = np.random.default_rng(0)
    x = to_tensor(np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, sequence_length))])
    shape = "(N, L, 4)" if network.layout == "NLC" else "(N, 4, L)"
    was_training = network.training
    network.eval()
    try:
        with torch.enable_grad():  # a graph, so the last operation can be read off it
            given = x.clone().requires_grad_(True)
            raw = network.module(given.transpose(1, 2) if network.layout == "NCL" else given)
            out = _pick(raw, network.output, where)
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 (any failure of the user's forward)
        raise ModelFileError(
            f"{where}: the forward pass on a random one-hot batch of shape {tuple(x.shape)} given as {shape} "
            f"(layout = {network.layout!r}) raised {type(error).__name__}: {error}. Check layout ('NLC' = (N, L, 4), "
            f"'NCL' = (N, 4, L)) and that the model takes {sequence_length} bp sequences"
        ) from None
    finally:
        network.train(was_training)
    if out.ndim == 0 or out.shape[0] != n:
        raise ModelFileError(f"{where}: a batch of {n} sequences gave output shape {tuple(out.shape)}; the first axis must be "
                             f"the batch (check layout = {network.layout!r}: 'NLC' = (N, L, 4), 'NCL' = (N, 4, L))")
    per_sequence = int(np.prod(out.shape[1:]))
    if per_sequence != 1:
        hint = ("declare the explained column with output = <index>" if out.ndim == 2 else
                "methods explain one value per sequence; wrap the model to return it (e.g. a sum over positions)")
        raise ModelFileError(f"{where}: the model gives {per_sequence} values per sequence (output shape "
                             f"{tuple(out.shape)}); {hint}")
    values = out.detach().reshape(-1)
    if not torch.all(torch.isfinite(values)):
        raise ModelFileError(f"{where}: the model's output on a random one-hot batch is not finite ({values.tolist()})")
    last = last_operation(out)
    if last.startswith(PROBABILITY_OPS) and bool(torch.all((values >= 0) & (values <= 1))):
        raise ModelFileError(
            f"{where}: the model outputs probabilities (every value in [0, 1], last operation {last}); methods explain "
            f"the pre-sigmoid logit. Return the logit: drop the final sigmoid/softmax from forward (train with "
            f"BCEWithLogitsLoss), or for a softmax over classes explain one class's pre-softmax score with output = <class>"
        )


def _pick(raw, steps: tuple, where: str):
    out = raw
    for i, step in enumerate(steps):
        try:
            out = out[:, step] if isinstance(out, torch.Tensor) else out[step]
        except (IndexError, KeyError, TypeError) as error:
            raise ModelFileError(f"{where}: output = {list(steps)!r}: step {i} ({step!r}) does not apply to "
                                 f"{_describe(out)} ({type(error).__name__}: {error})") from None
    if not isinstance(out, torch.Tensor):
        raise ModelFileError(f"{where}: the model returns {_describe(out)}: several outputs and no `output` field; "
                             f"name the explained one, e.g. output = 0 (an item of a tuple, a column, or a dict key)")
    return out


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items ({', '.join(_describe(v) for v in value)})"
    return f"a {type(value).__name__}"


def last_operation(out) -> str:
    """Name of the autograd node that made `out`, looking through views, selections and reshapes ("" if none)."""
    node = out.grad_fn
    while node is not None and node.name().startswith(_PASS_THROUGH):
        following = [f for f, _ in node.next_functions if f is not None]
        node = following[0] if following else None
    return node.name() if node is not None else ""


# --------------------------------------------------------------------------- building and loading


def build_torch_network(arch: str, sequence_length: int, params: dict):
    """The network of torch architecture `arch`: a `StackNet`, or a researcher's module as a checked `TorchLogit`."""
    entry = ARCHITECTURES[arch]
    where = getattr(entry, "source_path", None)
    if where is None:  # a built-in twin: its own checks raise their own errors
        return build_network(arch, sequence_length, **params)
    check_params(arch, params)
    try:
        module = entry(int(sequence_length), **params)
    except Exception as error:  # noqa: BLE001 (the user's builder)
        raise ModelFileError(f"{where}: the builder {arch!r} raised {type(error).__name__}: {error} "
                             f"(called with sequence_length={sequence_length}, params {params})") from None
    if not isinstance(module, nn.Module):
        raise ModelFileError(f"{where}: the builder {arch!r} returned a {type(module).__name__}, not a torch.nn.Module")
    network = TorchLogit(module.float(), entry.layout, entry.output)
    check_torch_network(network, sequence_length, where)
    return network.eval()


def load_torch_network(arch: str, sequence_length: int, params: dict, weights: Path):
    """`build_torch_network` with the state dict saved in `weights` loaded (eval mode)."""
    network = build_torch_network(arch, sequence_length, params)
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return network.eval()


def register_torch_architecture_file(name: str, path: str | Path, *, layout: str = "NLC", output=None) -> str:
    """Register the torch builder of a Python file, trained per task and seed; returns the builder's name.

    `name` is the run file's model id (used in messages only).
    """
    path = _existing(path, (".py",), f"model {name!r}: a torch architecture file")
    _check_declaration(path, layout, output)
    arch = _register_python(path, file_sha256(path))
    builder = ARCHITECTURES[arch]
    builder.model_kind, builder.layout, builder.output = TORCH, layout, _output_path(output)
    builder.source_sha256 = _digest([file_sha256(path)], layout, output)
    return arch


def register_torch_pretrained(name: str, path: str | Path, *, layout: str = "NLC", output=None,
                              builder: str | Path | None = None, params: dict | None = None) -> str:
    """Register a trained torch model as `name` (explained as it is); returns `name`.

    path: a TorchScript file, or (with `builder`) a state dict; builder: the
    Python file registering the function that builds the module the state
    dict belongs to, called as ``builder(sequence_length, **params)``.
    """
    path = _existing(path, None, f"model {name!r}: pretrained")
    _check_declaration(path, layout, output)
    params = dict(params or {})
    digests = [file_sha256(path)]
    if builder is not None:
        builder_path = _existing(builder, (".py",), f"model {name!r}: builder")
        digests.append(file_sha256(builder_path))
        make = _import_builder(builder_path)
    elif params:
        raise ModelFileError(f"{path}: params are the builder's parameters; a TorchScript file takes none (remove params or add builder)")

    def load(sequence_length: int) -> TorchLogit:
        module = _state_dict_module(path, make, sequence_length, params) if builder is not None else _torchscript(path)
        network = TorchLogit(module.float(), layout, output)
        check_torch_network(network, sequence_length, str(path))
        return network.eval()

    load.__doc__ = f"trained torch model {path}"
    load.source_sha256 = _digest(digests, layout, output, params)
    load.source_path = str(path)
    load.pretrained, load.model_kind, load.layout, load.output = True, TORCH, layout, _output_path(output)
    _put(name, load)
    return name


def _existing(path, suffixes, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    if suffixes and path.suffix.lower() not in suffixes:
        raise ModelFileError(f"{path}: {what} must be a {', '.join(suffixes)} file, not {path.suffix or 'no suffix'}")
    return path


def _check_declaration(path: Path, layout: str, output) -> None:
    if layout not in LAYOUTS:
        raise ModelFileError(f"{path}: layout = {layout!r}: use 'NLC' (the model takes (N, L, 4)) or 'NCL' (it takes (N, 4, L))")
    try:
        _output_path(output)
    except ValueError as error:
        raise ModelFileError(f"{path}: {error}") from None


def _digest(digests: list, layout: str, output, params: dict | None = None) -> str:
    text = json.dumps({"files": digests, "layout": layout, "output": list(_output_path(output)), "params": params or {}},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _import_builder(path: Path):
    """The one builder a Python file registers, taken out of the registry again (it only builds this state dict)."""
    arch = _register_python(path, file_sha256(path))
    make = ARCHITECTURES[arch]
    ARCHITECTURES.remove(arch)
    return make


def _state_dict_module(path: Path, make, sequence_length: int, params: dict):
    try:
        module = make(sequence_length, **params)
    except Exception as error:  # noqa: BLE001 (the user's builder)
        raise ModelFileError(f"{path}: its builder raised {type(error).__name__}: {error} "
                             f"(called with sequence_length={sequence_length}, params {params})") from None
    if not isinstance(module, nn.Module):
        raise ModelFileError(f"{path}: its builder returned a {type(module).__name__}, not a torch.nn.Module")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    except Exception as error:  # noqa: BLE001 (unpickling, or keys/shapes that do not match)
        detail = " ".join(str(error).split())  # one line: torch lists each mismatch on its own
        raise ModelFileError(f"{path}: not a state dict of the builder's module ({type(error).__name__}: {detail[:600]}); "
                             f"check the builder file and params match the module the weights were saved from") from None
    return module


def _torchscript(path: Path):
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as error:  # noqa: BLE001
        raise ModelFileError(f"{path}: not a TorchScript file ({type(error).__name__}: {str(error).strip()[:300]}); "
                             f"a state dict needs the file of its builder (builder = 'my_model.py')") from None


# --------------------------------------------------------------------------- TrainedModels


def _trained(arch, network, sequence_length, seed, params, **extra) -> TrainedModel:
    return TrainedModel(kind=TORCH, arch=arch, params=params, seed=int(seed), network=network.eval(),
                        sequence_length=int(sequence_length), first_kernel_width=first_kernel_width(network),
                        conv_layer_names=conv_layer_names(network), **extra)


def pretrained_torch_model(dataset, arch: str, seed: int = 0) -> TrainedModel:
    """The registered pretrained torch model `arch` with its fidelity on `dataset`'s test split (no training)."""
    from baselines.torch_train import predict  # noqa: PLC0415
    from baselines.train import fidelity  # noqa: PLC0415

    entry = ARCHITECTURES[arch]
    network = entry(dataset.length)
    X_test, y_test = dataset.split(test=True)
    return _trained(arch, network, dataset.length, seed, {"pretrained": True, "source": entry.source_path},
                    fidelity=fidelity(predict(network, X_test), y_test), path=Path(entry.source_path),
                    key=entry.source_sha256)


def untrained_torch_model(arch: str, sequence_length: int, params: dict, seed: int = 0) -> TrainedModel:
    """A seeded, never trained torch model of `arch` (timing benchmarks, tests); not cached."""
    set_seed(seed)
    return _trained(arch, build_torch_network(arch, sequence_length, params), sequence_length, seed, dict(params))


def randomized_torch_copy(model: TrainedModel, seed: int = 0) -> TrainedModel:
    """`model`'s torch network with fresh weights under `seed` (Adebayo et al. sanity check); not cached.

    A built-in twin is rebuilt by its builder (its Keras-style initialisers);
    any other module is copied and every submodule with ``reset_parameters``
    redraws its weights (torch's default initialisers).
    """
    import copy  # noqa: PLC0415

    set_seed(seed)
    if isinstance(model.network, StackNet):
        network = StackNet(model.network.spec)
    else:
        network = copy.deepcopy(model.network)
        for module in network.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return _trained(model.arch, network, model.sequence_length, model.seed, dict(model.params),
                    key=f"{model.key}-randomized-s{int(seed)}")
