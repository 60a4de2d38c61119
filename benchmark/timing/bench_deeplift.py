"""Time deeplift_rescale, deeplift_revealcancel and deepshap against a plain-TF floor.

    motifbench bench deeplift [--n 500] [--reference shuffle20] [--models toy,basset,beluga,shallow]

The floor is the same number of forward + backward passes (N x R inputs) as
one compiled `tf.GradientTape` gradient (the faster of batch 256 and 1024):
what any reference-based gradient method must pay. Models are untrained (timing does
not depend on the weights): ``toy`` is `baselines.toy.toy_cnn(200, 19, 32,
"max")`, the others are the registered architectures at the default profile's
scale. For deepshap a second floor is printed: shap's explainer runs every
input and its reference as one batch of 2 x pairs, forward and backward, so
twice the floor is what shap itself cannot go below. For deeplift_rescale the
forward pass of the 2 x pairs activations it needs is timed alone, compiled and
in deeplift's own graph: what a DeepLIFT cell costs beyond that is its backward.

Prints one table: "first" includes conversion / tracing; "wall"/"CPU" are a
second, cached call (CPU time is steadier than wall time on a shared machine);
"conv. error" is the harness's relative convergence error.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from baselines.tf_setup import set_seed, tf
from benchmark.timing import bench


def _models(names: list[str], length: int):
    from baselines import untrained_model  # noqa: PLC0415

    for name in names:
        if name == "toy":
            from baselines.toy import toy_cnn  # noqa: PLC0415

            yield "toy_k19_f32_max", toy_cnn(length=length, kernel_width=19, filters=32, pooling="max")
            continue
        model = untrained_model(name, length, profile="default")
        yield f"{name}(default scale {model.params.get('scale')})", model


def floor_seconds(model, X: np.ndarray, references: np.ndarray, batch_size: int = 1024) -> tuple[float, float]:
    """(wall, CPU) seconds for N x R batched forward + backward passes of the logit (compiled GradientTape)."""
    inputs = references.reshape(-1, *X.shape[1:])

    @tf.function(reduce_retracing=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = model.network(x, training=False)
        return tape.gradient(y, x)

    grad(tf.constant(inputs[:batch_size]))  # trace outside the timing
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(inputs), batch_size):
        grad(tf.constant(inputs[i : i + batch_size])).numpy()
    return time.perf_counter() - wall, time.process_time() - cpu


def deeplift_forward_seconds(model, inputs: np.ndarray) -> tuple[float, float]:
    """(wall, CPU) seconds of deeplift's own graph predicting `inputs` (its forward pass alone; converted once)."""
    from methods._deeplift_adapter import convert  # noqa: PLC0415

    converted = convert(model.network, "rescale")
    converted.predict(inputs[:8])
    wall, cpu = time.perf_counter(), time.process_time()
    converted.predict(inputs)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motifbench bench deeplift", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="sequences (default %(default)r)")
    parser.add_argument("--length", type=int, default=200, help="sequence length (default %(default)r)")
    parser.add_argument("--reference", default="shuffle20", help="registered reference (default %(default)r)")
    parser.add_argument("--models", default="toy,basset", help="comma list of toy,basset,beluga,shallow (default %(default)r)")
    parser.add_argument("--methods", default="deeplift_rescale,deepshap,deeplift_revealcancel")
    args = parser.parse_args(argv)

    import methods  # noqa: PLC0415
    from tabulate import tabulate  # noqa: PLC0415
    from baselines.toy import random_onehot  # noqa: PLC0415

    X = random_onehot(args.n, args.length, seed=1)
    t0 = time.perf_counter()
    references = methods.make_references(args.reference, X, seed=0)
    ref_seconds = time.perf_counter() - t0
    rows = []
    for label, model in _models(args.models.split(","), args.length):
        floor_wall, floor_cpu = min(floor_seconds(model, X, references, batch_size=b) for b in (256, 1024))
        rows.append([label, "floor (tf GradientTape)", "", f"{floor_wall:.2f}", f"{floor_cpu:.2f}", "1.0", ""])
        # every input paired with each of its references: what deeplift and shap run activations for
        joint = np.concatenate([np.broadcast_to(X[:, None], references.shape), references], axis=1)
        if "deepshap" in args.methods:
            # shap pushes inputs and references through as one batch of 2 x pairs, forward and backward
            joint_wall, joint_cpu = min(floor_seconds(model, X, joint, batch_size=b) for b in (256, 1024))
            rows.append([label, "floor, 2 x pairs (shap's batch)", "", f"{joint_wall:.2f}", f"{joint_cpu:.2f}", f"{joint_cpu / floor_cpu:.1f}", ""])
        if "deeplift_rescale" in args.methods:
            # deeplift's forward alone (input and reference activations of every pair), in its own graph
            # and as a compiled forward: the rest of a DeepLIFT cell is its backward (the rescale rules)
            flat = joint.reshape(-1, *X.shape[1:])
            compiled = bench.floor_seconds(model.network, len(flat), args.length, backward=False)
            for what, seconds in (("forward, 2 x pairs (compiled)", compiled),
                                  ("forward, 2 x pairs (deeplift's graph)", deeplift_forward_seconds(model, flat))):
                rows.append([label, what, "", f"{seconds[0]:.2f}", f"{seconds[1]:.2f}", f"{seconds[1] / floor_cpu:.1f}", ""])
        for method in args.methods.split(","):
            first = methods.attribute(method, model, X, args.reference)  # converts / traces; measures convergence
            wall, cpu = time.perf_counter(), time.process_time()
            methods.METHODS[method].fn(model, X, references)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append(
                [label, method, f"{first.seconds:.2f}", f"{wall:.2f}", f"{cpu:.2f}", f"{cpu / floor_cpu:.1f}", f"{first.convergence_error:.2e}"]
            )
    print(f"N={args.n} L={args.length} reference={args.reference} (R={references.shape[1]}, made in {ref_seconds:.2f} s)")
    print(tabulate(rows, headers=["model", "method", "first wall s", "wall s", "CPU s", "CPU x floor", "conv. error"]))


if __name__ == "__main__":
    main()
