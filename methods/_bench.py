"""Seconds per cell of the model-based methods next to a plain-TF floor (``python -m methods bench``).

For every cell the floor is the same number of passes through the same
network that the method cannot avoid, timed with a minimal compiled TF
function written here (independent of methods/_tf_grad.py), on inputs prepared
before the clock starts:

- gradient, grad_x_input, smoothed_grad_x_input, gradcam family: N forward+backward passes;
- integrated_gradients: N x R x steps forward+backward passes;
- ism: N x 3L forward passes. fastISM (what ISM uses from 300 sequences per
  call) can go below this floor: it recomputes only the part of each layer a
  substitution reaches.

The ratio seconds / floor is what the implementation adds (batching, building
mutants or path points, NumPy post-processing). Wall and CPU seconds (all
threads of this process) are both reported, each the best of ``--repeat``
runs: on a shared machine the CPU ratio is the steadier of the two. Models are untrained: timing
does not depend on the weights. ``basset`` is the registered architecture at
the default profile's scale; ``toy`` is ``toy_cnn(200, 19, 64, "max")``; with
``--task`` the cached trained model from `baselines.get_model` is used instead.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
from tabulate import tabulate

from baselines.tf_setup import set_seed, tf

log = logging.getLogger(__name__)

# (method, reference, params, floor kind)
CELLS = [
    ("gradient", "none", {}, "grad"),
    ("grad_x_input", "none", {}, "grad"),
    ("grad_x_input", "none", {"corrected": True}, "grad"),
    ("smoothed_grad_x_input", "none", {}, "grad"),
    ("gradcam", "none", {"layer": "first"}, "grad"),
    ("gradcam_paper", "none", {"layer": "first"}, "grad"),
    ("grad_x_activation", "none", {"layer": "last"}, "grad"),
    ("integrated_gradients", "zeros", {"steps": 20}, "ig"),
    ("integrated_gradients", "shuffle20", {"steps": 20}, "ig"),
    ("ism", "none", {"implementation": "batched"}, "ism"),
    ("ism", "none", {"implementation": "fastism"}, "ism"),  # what "auto" picks from 300 sequences
]


def bench_models(names: list[str], length: int, task: str | None, profile: str):
    """Yield (label, TrainedModel) for each requested model."""
    from baselines.architectures import build_network, conv_layer_names, first_kernel_width  # noqa: PLC0415
    from baselines.model import KERAS, TrainedModel  # noqa: PLC0415

    for name in names:
        if task is not None:
            import baselines  # noqa: PLC0415
            import tasks  # noqa: PLC0415

            yield f"{task}-{name} (trained, {profile})", baselines.get_model(tasks.build(task), name, profile=profile)
        elif name == "toy":
            from tests.toy_models import toy_cnn  # noqa: PLC0415

            yield "toy_cnn(L=200, k=19, f=64, max)", toy_cnn(length=length, kernel_width=19, filters=64, pooling="max")
        else:
            from baselines import untrained_model  # noqa: PLC0415

            model = untrained_model(name, length, profile=profile)
            yield f"{name} {model.params} (untrained)", model


def floor_seconds(network, n_passes: int, length: int, backward: bool, batch_size: int = 1024) -> tuple[float, float]:
    """(wall, CPU) seconds of n_passes forward (+backward) passes in batches through a plain compiled TF function."""
    spec = tf.TensorSpec((None, length, 4), tf.float32)

    @tf.function(input_signature=[spec])
    def forward(x):
        return network(x, training=False)

    @tf.function(input_signature=[spec])
    def forward_backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(network(x, training=False))
        return tape.gradient(y, x)

    fn = forward_backward if backward else forward
    rng = np.random.default_rng(0)
    batch = tf.constant(np.eye(4, dtype=np.float32)[rng.integers(0, 4, (batch_size, length))])
    fn(batch[:2])  # trace outside the clock
    full, rest = divmod(n_passes, batch_size)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(full):
        fn(batch).numpy()
    if rest:
        fn(batch[:rest]).numpy()
    return time.perf_counter() - start, time.process_time() - cpu


def passes(kind: str, n: int, length: int, reference: str, params: dict) -> tuple[int, bool]:
    """(number of passes, backward?) a cell cannot avoid."""
    if kind == "grad":
        return n, True
    if kind == "ism":
        return n * 3 * length, False
    from methods import make_references  # noqa: PLC0415

    r = make_references(reference, np.eye(4, dtype=np.float32)[np.zeros((1, length), int)]).shape[1]
    return n * r * params["steps"], True


def run(n: int = 500, models: tuple[str, ...] = ("basset", "toy"), length: int = 200, task: str | None = None,
        profile: str = "default", methods_filter: str | None = None, repeat: int = 3) -> list[list]:
    """Time every cell of CELLS on every model; return the table rows (and print them)."""
    import methods  # noqa: PLC0415
    from tests.toy_models import random_onehot  # noqa: PLC0415

    rows = []
    for label, model in bench_models(list(models), length, task, profile):
        X = random_onehot(n, model.sequence_length, seed=0)
        # warm up: trace every compiled function once on two sequences, outside the clock
        for method, reference, params, _ in CELLS:
            if methods_filter is None or methods_filter in method:
                methods.attribute(method, model, X[:2], reference=reference, params=params)
        for method, reference, params, kind in CELLS:
            if methods_filter is not None and methods_filter not in method:
                continue
            count, backward = passes(kind, n, model.sequence_length, reference, params)
            wall, cpu, floor_wall, floor_cpu = [], [], [], []
            while len(wall) < repeat:  # best of `repeat` (one run when a cell takes over 10 s)
                start = time.process_time()
                wall.append(methods.attribute(method, model, X, reference=reference, params=params).seconds)
                cpu.append(time.process_time() - start)
                w, c = floor_seconds(model.network, count, model.sequence_length, backward)
                floor_wall.append(w)
                floor_cpu.append(c)
                if wall[-1] > 10:
                    break
            wall, cpu, floor_wall, floor_cpu = min(wall), min(cpu), min(floor_wall), min(floor_cpu)
            cell = f"{method}[{reference}{''.join(f',{k}={v}' for k, v in params.items())}]"
            rows.append([label, cell, f"{count:,} {'fwd+bwd' if backward else 'fwd'}",
                         round(wall, 2), round(floor_wall, 2), round(wall / floor_wall, 2),
                         round(cpu, 2), round(floor_cpu, 2), round(cpu / floor_cpu, 2)])
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
    print()
    headers = ["model", "cell", "passes", "wall s", "floor wall s", "ratio", "CPU s", "floor CPU s", "CPU ratio"]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m methods bench", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="sequences per cell (default %(default)s)")
    parser.add_argument("--models", default="basset,toy", help="comma-separated: basset, beluga, shallow, toy (default %(default)s)")
    parser.add_argument("--length", type=int, default=200, help="sequence length for untrained models (default %(default)s)")
    parser.add_argument("--task", default=None, help="use trained models of this task via baselines.get_model")
    parser.add_argument("--profile", default="default", help="model profile (default %(default)s)")
    parser.add_argument("-k", dest="methods_filter", default=None, help="only methods whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs per cell (default %(default)s)")
    args = parser.parse_args(argv)
    run(args.n, tuple(args.models.split(",")), args.length, args.task, args.profile, args.methods_filter, args.repeat)
