"""Which DeepLIFT/DeepSHAP implementation keeps its promise on which network: a conformance table.

Every DeepLIFT-style rule promises summation to delta: the contributions of
an input sum to f(x) - f(ref). Four implementations run here on the same
weights (a Keras network and its torch twin, `baselines.torch_convert`):

- ``deeplift``: the deeplift package's Rescale (`deeplift_rescale`, Keras);
- ``shap``: shap's DeepExplainer (`deepshap`, Keras);
- ``tangermeme``: tangermeme's deep_lift_shap (`deepshap`, torch);
- ``captum``: captum's DeepLift (`captum_deeplift`, torch).

Each small network in `PATTERNS` holds one construction that some rule
handles badly: max-pools stacked or overlapping, a ReLU straight before a
max-pool, an exponential or batch-normalised first layer, one layer called
twice. `conformance_table` returns one row per pattern and implementation:
the summation-to-delta error (the harness's relative convergence error), how
far the contributions are from shap's, or the error the implementation
raised. `markdown` renders the rows as a pattern x implementation table.

What it shows (tests/test_torch_conformance.py): shap and tangermeme sum to
delta on every pattern, except that shap raises on a global max-pool (it
handles TensorFlow's Max reduction as an elementwise op); deeplift misses
wherever a max-pool is (its MaxPool rule is the gradient); captum misses
where a ReLU feeds a MaxPool directly and at a global max-pool, and refuses
a module called twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

IMPLEMENTATIONS = {  # name -> (framework, registered method)
    "deeplift": ("keras", "deeplift_rescale"),
    "shap": ("keras", "deepshap"),
    "tangermeme": ("torch", "deepshap"),
    "captum": ("torch", "captum_deeplift"),
}

# A plan is a list of layers: ("conv", name, filters, width, activation), ("act", name, activation),
# ("maxpool", name, size, stride), ("avgpool", name, size), ("globalmax", name), ("bn", name), ("flatten",),
# ("dense", name, units, activation). A name used twice is one layer called twice.
_HEAD = [("flatten",), ("dense", "dense1", 8, "relu"), ("dense", "logit", 1, "linear")]
PATTERNS: dict[str, tuple[str, list]] = {
    "no_maxpool": ("control: conv-ReLU, average pool", [("conv", "conv1", 6, 5, "relu"), ("avgpool", "pool1", 2), *_HEAD]),
    "relu_then_maxpool": ("conv-ReLU then MaxPool (every CNN here)",
                          [("conv", "conv1", 6, 5, "relu"), ("maxpool", "pool1", 2, 2), *_HEAD]),
    "stacked_maxpool": ("two MaxPools in a row", [("conv", "conv1", 6, 5, "relu"), ("maxpool", "pool1", 2, 2),
                                                  ("maxpool", "pool2", 2, 2), *_HEAD]),
    "overlapping_maxpool": ("MaxPool of width 4, stride 2", [("conv", "conv1", 6, 5, "relu"), ("maxpool", "pool1", 4, 2), *_HEAD]),
    "global_maxpool": ("conv-ReLU then a global max-pool (Keras GlobalMaxPooling1D, torch AdaptiveMaxPool1d(1))",
                       [("conv", "conv1", 6, 5, "relu"), ("globalmax", "gpool"), *_HEAD]),
    "batchnorm_first": ("conv-ReLU-BatchNorm then MaxPool", [("conv", "conv1", 6, 5, "relu"), ("bn", "bn1"),
                                                              ("maxpool", "pool1", 2, 2), *_HEAD]),
    "exponential_first": ("exponential first layer, no pool", [("conv", "conv1", 6, 5, "exponential"), *_HEAD]),
    "reused_layer": ("one ReLU layer called after two convs", [("conv", "conv1", 6, 5, "linear"), ("act", "shared_relu", "relu"),
                                                              ("conv", "conv2", 6, 3, "linear"), ("act", "shared_relu", "relu"),
                                                              ("avgpool", "pool1", 2), *_HEAD]),
}


def keras_network(plan: list, length: int):
    """A functional tf-keras model of `plan`, input (length, 4), output (N, 1)."""
    from baselines.tf_setup import keras  # noqa: PLC0415

    layers: dict[str, Any] = {}
    make = {
        "conv": lambda s: keras.layers.Conv1D(s[2], s[3], padding="same", activation=s[4], name=s[1]),
        "act": lambda s: keras.layers.Activation(s[2], name=s[1]),
        "maxpool": lambda s: keras.layers.MaxPooling1D(s[2], strides=s[3], name=s[1]),
        "avgpool": lambda s: keras.layers.AveragePooling1D(s[2], name=s[1]),
        "globalmax": lambda s: keras.layers.GlobalMaxPooling1D(name=s[1]),
        "bn": lambda s: keras.layers.BatchNormalization(name=s[1]),
        "flatten": lambda s: keras.layers.Flatten(name="flatten"),
        "dense": lambda s: keras.layers.Dense(s[2], activation=s[3], name=s[1]),
    }
    inputs = keras.layers.Input(shape=(length, 4))
    x = inputs
    for step in plan:
        name = step[1] if len(step) > 1 else step[0]
        if name not in layers:
            layers[name] = make[step[0]](step)
        x = layers[name](x)
    return keras.Model(inputs, x)


def torch_network(plan: list):
    """The torch twin of `plan` (same names, same shapes; `copy_keras_weights` fills it): (N, L, 4) -> (N, 1)."""
    from baselines.torch_architectures import ChannelsLastFlatten, Exp  # noqa: PLC0415
    from baselines.torch_setup import torch  # noqa: PLC0415

    nn = torch.nn
    activation = {"relu": nn.ReLU, "exponential": Exp}
    modules, order, channels, flat = nn.ModuleDict(), [], 4, None
    for step in plan:
        kind, name = step[0], (step[1] if len(step) > 1 else step[0])
        order.append(name)
        if name in modules:
            continue
        if kind == "conv":
            modules[name] = nn.Conv1d(channels, step[2], step[3], padding=(step[3] - 1) // 2)
            channels = step[2]
            if step[4] != "linear":
                modules[name + "_act"] = activation[step[4]]()
                order.append(name + "_act")
        elif kind == "act":
            modules[name] = activation[step[2]]()
        elif kind == "maxpool":
            modules[name] = nn.MaxPool1d(step[2], step[3])
        elif kind == "avgpool":
            modules[name] = nn.AvgPool1d(step[2])
        elif kind == "globalmax":
            modules[name] = nn.AdaptiveMaxPool1d(1)
        elif kind == "bn":
            modules[name] = nn.BatchNorm1d(channels, eps=1e-3)
        elif kind == "flatten":
            modules[name], flat = ChannelsLastFlatten(), True
        elif kind == "dense":
            modules[name] = nn.LazyLinear(step[2])
            if step[3] != "linear":
                modules[name + "_act"] = activation[step[3]]()
                order.append(name + "_act")
    assert flat, "a plan ends in flatten and dense layers"

    class PlanNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers, self.order = modules, list(order)

        def forward(self, x):
            x = x.transpose(1, 2)
            for name in self.order:
                x = self.layers[name](x)
            return x

    return PlanNet()


def twin_networks(plan: list, length: int, seed: int = 0):
    """(keras model, torch model) of `plan` with the same seeded weights; batch norms get random statistics."""
    from baselines.tf_setup import set_seed  # noqa: PLC0415
    from baselines.torch_convert import copy_keras_weights  # noqa: PLC0415
    from baselines.torch_setup import to_tensor  # noqa: PLC0415

    set_seed(seed)
    keras_net = keras_network(plan, length)
    rng = np.random.default_rng(seed)
    for layer in keras_net.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            shapes = [w.shape for w in layer.get_weights()]
            layer.set_weights([(1 + 0.3 * rng.standard_normal(shapes[0])).astype(np.float32),
                               (0.2 * rng.standard_normal(shapes[1])).astype(np.float32),
                               (0.2 * rng.standard_normal(shapes[2])).astype(np.float32),
                               rng.uniform(0.5, 1.5, shapes[3]).astype(np.float32)])
    torch_net = torch_network(plan)
    torch_net(to_tensor(np.zeros((1, length, 4), np.float32)))  # sizes the lazy dense layers
    copy_keras_weights(keras_net, torch_net)
    return keras_net, torch_net.eval()


def conformance_table(length: int = 60, n: int = 8, reference: str = "shuffle10", seed: int = 0,
                      patterns: list[str] | None = None) -> list[dict]:
    """One row per (pattern, implementation): summation-to-delta error, distance from shap, or the error raised.

    Parameters
    ----------
    length: sequence length L; n: random one-hot sequences explained;
    reference: a reference every implementation accepts (default 10 dinucleotide shuffles per sequence);
    seed: weights, sequences and references; patterns: names in `PATTERNS` (default all).

    Returns
    -------
    list of dicts with keys pattern, description, implementation, method,
    convergence_error (relative, as `methods.registry.convergence_error`; None
    on error), observed_difference_from_shap and hypothetical_difference_from_shap
    (max |a - shap| / max |shap| of the observed-base scores and of the
    hypothetical contributions; None when either failed), logits_agree (Keras
    and torch logits within 1e-5), error ("" or the exception's first line).
    """
    from baselines.model import KERAS, TORCH, TrainedModel  # noqa: PLC0415
    from baselines.toy import random_onehot  # noqa: PLC0415
    from methods.registry import attribute  # noqa: PLC0415

    X = random_onehot(n, length, seed=seed)
    rows = []
    for pattern in patterns or list(PATTERNS):
        description, plan = PATTERNS[pattern]
        keras_net, torch_net = twin_networks(plan, length, seed)
        models = {kind: TrainedModel(kind=kind, arch=f"conformance_{pattern}", params={}, seed=seed, network=net,
                                     sequence_length=length) for kind, net in ((KERAS, keras_net), (TORCH, torch_net))}
        agree = bool(np.abs(models[KERAS].predict_logit(X) - models[TORCH].predict_logit(X)).max() <= 1e-5)
        results = {}
        for name, (kind, method) in IMPLEMENTATIONS.items():
            try:
                results[name] = attribute(method, models[kind], X, reference, seed=seed)
            except Exception as error:  # noqa: BLE001 (a failure is a result of the table)
                results[name] = _error_line(error.__cause__ or error)
        shap = results["shap"]
        for name, result in results.items():
            ok = not isinstance(result, str)
            both = ok and not isinstance(shap, str)
            rows.append({"pattern": pattern, "description": description, "implementation": name,
                         "method": IMPLEMENTATIONS[name][1], "convergence_error": result.convergence_error if ok else None,
                         "observed_difference_from_shap": _relative(result.scores, shap.scores) if both else None,
                         "hypothetical_difference_from_shap": _relative(result.hypothetical, shap.hypothetical) if both else None,
                         "logits_agree": agree, "error": "" if ok else result})
    return rows


def _error_line(error: BaseException) -> str:
    """One line for a table cell: the exception type and its most telling line (TF nests the real one last)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    telling = [line for line in lines if "Error:" in line]
    return f"{type(error).__name__}: {(telling[-1] if telling else lines[0] if lines else '')[:200]}"


def _relative(values: np.ndarray, reference: np.ndarray) -> float:
    """max |values - reference| / max |reference|."""
    return float(np.abs(values - reference).max() / max(float(np.abs(reference).max()), 1e-12))


def markdown(rows: list[dict], tolerance: float = 1e-3) -> str:
    """Pattern x implementation table of summation-to-delta errors; failures shown as "raises", misses in bold."""
    from tabulate import tabulate  # noqa: PLC0415

    names = list(IMPLEMENTATIONS)
    table = []
    for pattern in dict.fromkeys(r["pattern"] for r in rows):
        cells = {r["implementation"]: r for r in rows if r["pattern"] == pattern}
        line = [pattern, cells[names[0]]["description"]]
        for name in names:
            row = cells.get(name)
            if row is None:
                line.append("")
            elif row["error"]:
                line.append("raises")
            else:
                value = f"{row['convergence_error']:.1e}"
                line.append(value if row["convergence_error"] <= tolerance else f"**{value}**")
        table.append(line)
    return tabulate(table, headers=["pattern", "network", *names], tablefmt="github")
