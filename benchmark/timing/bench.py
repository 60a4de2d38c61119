"""Every registered method against its floor: ``motifbench bench methods`` (``make bench``).

For each registered method that explains Keras models and each model
(default: the registered ``basset``, ``beluga`` and ``shallow`` at the default
profile's scale, untrained: the cost does not depend on the weights), one cell
is timed on N random one-hot sequences (default 200, what a default-profile
grid cell scores) next to its floor: the same number of batched forward, or
forward+backward, passes of the logit through a minimal compiled TensorFlow
function written here, on inputs prepared before the clock starts, measured in
the same run. The ratio is CPU seconds / floor CPU seconds (CPU: every thread
of this process; steadier than wall time on a shared machine); each figure is
the best of ``--repeat`` runs (more for cells under half a CPU second) after one untimed warm-up call (conversion,
tracing).

A new method file needs no bench code. Its cell and floor come from what it
declares (`bench_cell`, `floor_passes`):

- reference: ``shuffle20`` if accepted, else ``none``, else its first reference;
- parameters: for each declared parameter the function's default when it is
  among the declared values, else the first declared value;
- passes: N x R (references per input) x ``steps`` x ``samples`` (when the
  method has such parameters or keyword defaults) forward+backward passes;
  ISM is N x 3L forward passes; the controls that use no model (`NO_MODEL`)
  have no floor.

Writes ``docs/speed.json`` (one row per method x model: method, reference,
params, model, passes, wall s, CPU s, floor wall/CPU s, ratio) and rewrites the
marked speed table in docs/speed.md from it (``--render-only`` re-renders the
table from an existing docs/speed.json without timing anything).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import time
from pathlib import Path

import numpy as np
from tabulate import tabulate

from tasks.cache import REPO_ROOT

SPEED_JSON = REPO_ROOT / "docs" / "speed.json"
SPEED_PAGE = REPO_ROOT / "docs" / "speed.md"
TABLE_START = "<!-- speed table: rendered from docs/speed.json by `motifbench bench methods`; do not edit -->"
TABLE_END = "<!-- end of speed table -->"
DEFAULT_MODELS = ("basset", "beluga", "shallow")
PREFERRED_REFERENCES = ("shuffle20", "none")
NO_MODEL = {"random": "seeded noise, no model", "pwm_scan": "PWM scan, no model"}
FORWARD_ONLY = {"ism": 3}  # method -> forward passes per input base position (3 substitutions)
MIN_CPU_SECONDS = 0.5  # cells faster than this are run more often (up to MAX_RUNS), best taken
MAX_RUNS = 20
MULTIPLIERS = ("steps", "samples")  # parameters or keyword defaults that multiply the passes per input


def bench_cell(spec) -> tuple[str, dict]:
    """(reference, params) of the cell that represents method `spec` in the bench."""
    reference = next((r for r in PREFERRED_REFERENCES if r in spec.references), spec.references[0])
    defaults = _keyword_defaults(spec.fn)
    params = {}
    for name, values in spec.params.items():
        params[name] = defaults[name] if defaults.get(name, object()) in values else values[0]
    return reference, params


def _keyword_defaults(fn) -> dict:
    return {name: p.default for name, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}


def floor_passes(spec, params: dict, n: int, length: int, n_refs: int) -> tuple[int, bool]:
    """(passes, backward?) the cell cannot avoid; (0, False) for methods that use no model."""
    if spec.name in NO_MODEL:
        return 0, False
    if spec.name in FORWARD_ONLY:
        return n * FORWARD_ONLY[spec.name] * length, False
    settings = {**_keyword_defaults(spec.fn), **params}
    per_input = max(n_refs, 1)
    for name in MULTIPLIERS:
        if isinstance(settings.get(name), int) and not isinstance(settings.get(name), bool):
            per_input *= settings[name]
    return n * per_input, True


_FLOOR_FUNCTIONS: dict = {}  # (id(network), length, backward) -> (network, compiled function)


def _floor_function(network, length: int, backward: bool):
    """The plain compiled forward (or forward+backward) function of `network`, built once per network."""
    from baselines.tf_setup import tf  # noqa: PLC0415

    key = (id(network), length, backward)
    if key not in _FLOOR_FUNCTIONS or _FLOOR_FUNCTIONS[key][0] is not network:
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

        _FLOOR_FUNCTIONS[key] = (network, forward_backward if backward else forward)
    return _FLOOR_FUNCTIONS[key][1]


def floor_seconds(network, n_passes: int, length: int, backward: bool, batch_size: int = 1024) -> tuple[float, float]:
    """(wall, CPU) seconds of n_passes forward (+backward) passes of the logit, in batches, plain compiled TF."""
    from baselines.tf_setup import tf  # noqa: PLC0415

    fn = _floor_function(network, length, backward)
    rng = np.random.default_rng(0)
    batch = tf.constant(np.eye(4, dtype=np.float32)[rng.integers(0, 4, (batch_size, length))])
    fn(batch[:2])  # trace outside the clock (once per function)
    full, rest = divmod(n_passes, batch_size)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(full):
        fn(batch).numpy()
    if rest:
        fn(batch[:rest]).numpy()
    return time.perf_counter() - wall, time.process_time() - cpu


def random_motifs(seed: int = 0) -> dict:
    """Two random (8, 4) frequency matrices: the task context a PWM-scan control needs."""
    rng = np.random.default_rng(seed)
    return {f"random_motif_{i}": rng.dirichlet(np.ones(4), size=8) for i in range(2)}


def time_method(spec, model, X: np.ndarray, reference: str, params: dict, repeat: int) -> dict:
    """Best-of-`repeat` wall and CPU seconds of one cell (after one untimed warm-up call) and its floor."""
    import methods  # noqa: PLC0415

    context = {"motifs": random_motifs()}
    methods.attribute(spec.name, model, X[:8], reference, params, context=context)  # convert / trace
    n_refs = 0 if reference == "none" else methods.make_references(reference, X[:1]).shape[1]
    count, backward = floor_passes(spec, params, len(X), model.sequence_length, n_refs)
    best = {"wall_s": np.inf, "cpu_s": np.inf, "floor_wall_s": np.inf, "floor_cpu_s": np.inf}
    runs = 0
    while runs < repeat:  # interleaved with the floor, so load from other jobs hits both alike
        runs += 1
        out = methods.attribute(spec.name, model, X, reference, params, context=context)
        best["wall_s"] = min(best["wall_s"], out.seconds)
        best["cpu_s"] = min(best["cpu_s"], out.cpu_seconds)
        if count:
            wall, cpu = floor_seconds(model.network, count, model.sequence_length, backward)
            best["floor_wall_s"] = min(best["floor_wall_s"], wall)
            best["floor_cpu_s"] = min(best["floor_cpu_s"], cpu)
        if runs == 1 and out.cpu_seconds < MIN_CPU_SECONDS:  # short cells: more runs, for a steadier minimum
            repeat = max(repeat, min(MAX_RUNS, int(MIN_CPU_SECONDS / max(out.cpu_seconds, 1e-3))))
    row = {
        "method": spec.name, "reference": reference, "params": params, "model": model.arch,
        "n_sequences": len(X), "passes": count, "pass": ("fwd+bwd" if backward else "fwd") if count else None,
        "wall_s": round(best["wall_s"], 3), "cpu_s": round(best["cpu_s"], 3),
        "floor_wall_s": round(best["floor_wall_s"], 3) if count else None,
        "floor_cpu_s": round(best["floor_cpu_s"], 3) if count else None,
        "ratio": round(best["cpu_s"] / best["floor_cpu_s"], 2) if count and best["floor_cpu_s"] > 0 else None,
    }
    if spec.name in NO_MODEL:
        row["note"] = NO_MODEL[spec.name]
    return row


def run(n: int = 200, length: int = 200, models: tuple[str, ...] = DEFAULT_MODELS, repeat: int = 2,
        only: str | None = None) -> dict:
    """Time every registered Keras method on every model; return the speed.json content (rows printed as they come)."""
    import methods  # noqa: PLC0415
    from baselines import untrained_model  # noqa: PLC0415
    from baselines.toy import random_onehot  # noqa: PLC0415

    X = random_onehot(n, length, seed=1)
    rows, skipped = [], []
    for name, spec in methods.METHODS.items():
        if "keras" not in spec.model_kinds:
            skipped.append({"method": name, "reason": f"explains {', '.join(spec.model_kinds)} models only; "
                                                      "the bench's floor is a Keras network"})
    for model_name in models:
        model = untrained_model(model_name, length, profile="default")
        for name, spec in methods.METHODS.items():
            if "keras" not in spec.model_kinds or (only and only not in name):
                continue
            reference, params = bench_cell(spec)
            row = time_method(spec, model, X, reference, params, repeat)
            rows.append(row)
            print(tabulate([table_row(row)], tablefmt="plain"), flush=True)
    return {
        "generated_by": "motifbench bench methods",
        "n_sequences": n, "length": length, "repeat": repeat, "cpu_count": os.cpu_count(),
        "models": {m: "untrained, default-profile scale" for m in models},
        "ratio": "CPU s / floor CPU s; floor = the same passes through a plain compiled TF function, same run",
        "rows": rows, "skipped": skipped,
    }


def table_row(row: dict) -> list:
    cell = row["method"] + (f"[{row['reference']}" + "".join(f",{k}={v}" for k, v in row["params"].items()) + "]")
    passes = f"{row['passes']:,} {row['pass']}" if row["passes"] else "-"
    return [row["model"], cell, passes, row["wall_s"], row["cpu_s"], row["floor_cpu_s"], row["ratio"]]


def render_table(data: dict) -> str:
    """The speed page's table: one row per method, the CPU ratio on each model, basset's seconds."""
    models = list(data["models"])
    by_method: dict[str, dict] = {}
    for row in data["rows"]:
        by_method.setdefault(row["method"], {})[row["model"]] = row
    lines = []
    for method, per_model in by_method.items():
        first = per_model.get(models[0]) or next(iter(per_model.values()))
        params = ", ".join(f"{k}={v}" for k, v in first["params"].items())
        ratios = [("-" if per_model.get(m, {}).get("ratio") is None else f"{per_model[m]['ratio']:.2f}")
                  for m in models]
        passes = f"{first['passes']:,} {first['pass']}" if first["passes"] else first.get("note", "-")
        lines.append([method, first["reference"] + (f" ({params})" if params else ""), passes, *ratios,
                      f"{first['cpu_s']:.2f}", "-" if first["floor_cpu_s"] is None else f"{first['floor_cpu_s']:.2f}"])
    headers = ["method", "reference (params)", "passes", *(f"{m} CPU/floor" for m in models),
               f"{models[0]} CPU s", f"{models[0]} floor CPU s"]
    note = (f"{data['n_sequences']} random sequences x {data['length']} bp, {data['cpu_count']} cores, best of "
            f"{data['repeat']} runs; models untrained at the default profile's scale.")
    skipped = "".join(f"\n\nNot timed: {s['method']} ({s['reason']})." for s in data.get("skipped", []))
    return tabulate(lines, headers=headers, tablefmt="github", disable_numparse=True) + "\n\n" + note + skipped


def write_readme(data: dict, readme: Path = SPEED_PAGE) -> bool:
    """Rewrite the marked speed table of `readme` from `data`; False when the markers are missing."""
    text = readme.read_text()
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return False
    new = text[: start + len(TABLE_START)] + "\n\n" + render_table(data) + "\n\n" + text[end:]
    if new != text:
        readme.write_text(new)
    return True


def write_json(data: dict, path: Path = SPEED_JSON) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motifbench bench methods", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="sequences per cell (default %(default)s)")
    parser.add_argument("--length", type=int, default=200, help="sequence length (default %(default)s)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated architectures (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many timed runs (default %(default)s)")
    parser.add_argument("-k", dest="only", default=None, help="only methods whose name contains this (does not write files)")
    parser.add_argument("--output", type=Path, default=SPEED_JSON, help="speed JSON (default docs/speed.json)")
    parser.add_argument("--render-only", action="store_true", help="re-render the speed table of docs/speed.md from --output; time nothing")
    args = parser.parse_args(argv)
    if args.render_only:
        data = json.loads(args.output.read_text())
    else:
        data = run(args.n, args.length, tuple(args.models.split(",")), args.repeat, args.only)
        print()
        print(tabulate([table_row(r) for r in data["rows"]],
                       headers=["model", "cell", "passes", "wall s", "CPU s", "floor CPU s", "CPU ratio"], tablefmt="github"))
        if args.only:
            return
        write_json(data, args.output)
        print(f"wrote {args.output}")
    if args.output.resolve() == SPEED_JSON.resolve():
        if write_readme(data):
            print(f"rendered the speed table of {SPEED_PAGE}")
        else:
            print(f"{SPEED_PAGE} has no speed-table markers; nothing rendered")


if __name__ == "__main__":
    main()
