"""fastISM against our batched naive ISM (``motifbench bench fastism``).

For each untrained registered architecture (default profile scale) and the same
N x L random one-hot inputs, this measures:

- agreement: the max absolute difference between fastISM's table of mutant
  logits and our uncentred ISM table (`methods.ism.keras_ism`), also relative
  to the table's largest absolute logit;
- time: wall and CPU seconds (all threads of this process) of the whole
  (N, L, 4) table, best of ``--repeat`` runs after one untimed first call
  (which builds fastISM's models and traces TF functions; shown separately).

Implementations: ours (3L mutants per sequence built inside one compiled TF
function, ~1,024 mutants per call: ``ism(..., implementation="batched")``);
fastISM 0.5.1 as shipped (per position and base, only the receptive field of
the mutation goes through the conv layers, called eagerly); and the same
fastISM with its per-position model call wrapped in ``tf.function``, which
separates the receptive-field trick from eager overhead (what ``methods.ism``
uses from 300 sequences per call).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from tabulate import tabulate

from baselines.tf_setup import tf  # sets TF_USE_LEGACY_KERAS before fastISM imports TensorFlow


def import_fastism():
    """The fastism module, or exit with a one-line install hint."""
    try:
        import fastism  # noqa: PLC0415
    except ImportError as err:
        sys.exit(f"fastism is not importable ({err}); run `make install` (fastism and pydot are pinned dependencies)")
    return fastism


def implementations(network, fastism) -> dict:
    """name -> function X (N, L, 4) -> uncentred ISM table (N, L, 4); fastISM's models are built on first call."""
    from methods.ism import fastism_table, keras_ism, fastism_loop  # noqa: PLC0415

    shipped = {}

    def fastism_as_shipped(X):
        if not shipped:
            shipped["ism"] = fastism.FastISM(network, test_correctness=False)
        return fastism_loop(shipped["ism"], X)

    return {
        "ours (batched naive ISM)": lambda X: keras_ism(network, X, 1024),
        "fastISM 0.5.1 (eager, as shipped)": fastism_as_shipped,
        "fastISM + tf.function (methods.ism from 300 seqs)": lambda X: fastism_table(network, X),
    }


def timed(fn, X) -> tuple[float, float, np.ndarray]:
    """(wall s, CPU s, result) of fn(X)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(X)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(n: int = 500, length: int = 200, models: tuple[str, ...] = ("basset", "beluga", "shallow"),
        repeat: int = 2) -> list[list]:
    """Check agreement and time every implementation on every model; print and return the table rows."""
    import methods.ism  # noqa: PLC0415
    from baselines import untrained_model  # noqa: PLC0415
    from baselines.toy import random_onehot  # noqa: PLC0415

    fastism = import_fastism()
    methods.ism.tqdm = lambda it, **_: it  # progress bars would interleave with the printed lines
    X = random_onehot(n, length, seed=1)
    rows = []
    for name in models:
        model = untrained_model(name, length, profile="default")
        impls = implementations(model.network, fastism)
        first = {label: timed(fn, X) for label, fn in impls.items()}  # builds and traces; excluded from the best
        reference = first["ours (batched naive ISM)"][2]
        scale = np.abs(reference).max()
        best = {label: [np.inf, np.inf] for label in impls}
        for _ in range(repeat):  # interleaved, so load from other jobs hits every implementation alike
            for label, fn in impls.items():
                wall, cpu, _ = timed(fn, X)
                best[label] = [min(best[label][0], wall), min(best[label][1], cpu)]
        base_wall, base_cpu = best["ours (batched naive ISM)"]
        for label in impls:
            diff = np.abs(first[label][2] - reference).max()
            wall, cpu = best[label]
            rows.append([f"{name} {model.params}", label, round(wall, 2), round(cpu, 2), round(wall / base_wall, 2),
                         round(cpu / base_cpu, 2), round(first[label][0], 2), f"{diff:.1e} ({diff / scale:.0e})"])
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
    print(f"\n{n} x {length} bp, best of {repeat} runs after one untimed first call\n")
    headers = ["model", "implementation", "wall s", "CPU s", "wall ratio", "CPU ratio", "first call s",
               "max |diff| vs ours (rel.)"]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motifbench bench fastism", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="sequences (default %(default)s)")
    parser.add_argument("--length", type=int, default=200, help="sequence length (default %(default)s)")
    parser.add_argument("--models", default="basset,beluga,shallow", help="comma-separated architectures (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many timed runs (default %(default)s)")
    args = parser.parse_args(argv)
    run(args.n, args.length, tuple(args.models.split(",")), args.repeat)


if __name__ == "__main__":
    main()
