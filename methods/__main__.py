"""Command line for the method registry.

    motifbench methods list                 (= motifbench methods list)
    motifbench methods explain TASK ARCH METHOD [--reference R] [--param k=v ...] [--n 5] [--out DIR]

``list`` prints every registered method (model kinds, references, parameter
grid, projection, what it computes) and the combinations it excludes, with
the reason. ``explain`` builds (or loads) the task and the model, runs one
cell on the first N eval sequences and writes ``attributions.npz`` and
``tracks.png`` (logo of the observed-base scores with the true motif hits
shaded). Timing every method against its floor is ``motifbench bench methods``.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
from pathlib import Path

import numpy as np
from tabulate import tabulate

from methods import METHODS, NO_REFERENCE, REFERENCES, attribute
from methods.registry import MODEL_KINDS

MAX_PLOTTED = 4


def list_table() -> str:
    """The `list` output: one row per method, then the excluded combinations with their reasons."""
    rows = []
    for name, spec in METHODS.items():
        grid = "; ".join(f"{k}={','.join(map(str, v))}" for k, v in spec.params.items()) or "-"
        flags = ", ".join(
            (["promises f(x)-f(ref)"] if spec.promises_delta else []) + ([f"needs {','.join(spec.needs)}"] if spec.needs else [])
        )
        rows.append([name, ",".join(spec.model_kinds), ",".join(spec.references), grid, spec.projection, flags or "-", spec.description])
    table = tabulate(rows, headers=["method", "models", "references", "parameters", "projection", "notes", "computes"], tablefmt="github")
    excluded = []
    for name, spec in METHODS.items():
        for kind in MODEL_KINDS:
            if kind not in spec.model_kinds:
                excluded.append([name, f"{kind} models", spec.excluded.get(kind, "not supported (no reason declared)")])
        for ref in [NO_REFERENCE, *REFERENCES.names()]:
            if ref not in spec.references and ref in spec.excluded:
                excluded.append([name, f"reference {ref}", spec.excluded[ref]])
    return (
        table
        + "\n\nExcluded combinations (methods whose references are only 'none' are reference-free and take no other)\n\n"
        + tabulate(excluded, headers=["method", "combination", "reason"], tablefmt="github")
    )


def parse_params(pairs: list[str], method: str) -> dict:
    """``["steps=20", "corrected=true"]`` -> {"steps": 20, "corrected": True}, checked against the method's declared names."""
    spec = METHODS[method]
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"--param {pair!r}: expected key=value")
        key, raw = pair.split("=", 1)
        if spec.params and key not in spec.params:
            print(f"note: {method} declares parameters {sorted(spec.params)}; passing {key!r} anyway", file=sys.stderr)
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):
            params[key] = lowered == "true"
        else:
            try:
                params[key] = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                params[key] = raw
    return params


def explain(task: str, arch: str, method: str, reference: str, params: dict, n: int, out: Path | None,
            profile: str, seed: int) -> Path:
    """Run one cell on the first n eval sequences of a task; write attributions.npz and tracks.png into out."""
    import baselines  # noqa: PLC0415
    import tasks  # noqa: PLC0415

    spec = METHODS[method]
    if reference is None:
        reference = spec.references[0]
    dataset = tasks.build(task)
    model = baselines.get_model(dataset, arch, profile=profile, seed=seed)
    rows, X, mask = dataset.eval_set(n)
    result = attribute(method, model, X, reference=reference, params=params, seed=seed, context={"motifs": dataset.motifs})
    cell = "-".join([task, arch, f"s{seed}", method, reference, *(f"{k}={v}" for k, v in sorted(params.items()))])
    out = Path(out or Path("explanations") / cell)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "attributions.npz",
        rows=rows,
        X=X,
        mask=mask,
        hypothetical=result.hypothetical,
        scores=result.scores,
        info=json.dumps({"cell": cell, "method": method, "reference": reference, "params": params,
                         "projection": spec.projection, "seconds": result.seconds,
                         "convergence_error": result.convergence_error, "model_fidelity": model.fidelity}, default=str),
    )
    plot_tracks(out / "tracks.png", dataset, rows, X, result.scores, title=cell)
    summary = per_sequence_auc(result.scores, mask)
    print(f"{cell}: {len(rows)} sequences in {result.seconds:.2f} s; auROC {summary[0]:.3f}, auPRC {summary[1]:.3f} "
          f"(prevalence {mask.mean():.3f})" + (f"; convergence error {result.convergence_error:.3g}" if result.convergence_error is not None else ""))
    print(f"wrote {out / 'attributions.npz'} and {out / 'tracks.png'}")
    return out


def per_sequence_auc(scores: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Mean per-sequence auROC and auPRC of |score| against the motif mask (sequences with both classes)."""
    from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: PLC0415

    pairs = [(roc_auc_score(m, np.abs(s)), average_precision_score(m, np.abs(s))) for s, m in zip(scores, mask) if 0 < m.sum() < len(m)]
    return tuple(np.mean(pairs, axis=0)) if pairs else (float("nan"), float("nan"))


def plot_tracks(path: Path, dataset, rows: np.ndarray, X: np.ndarray, scores: np.ndarray, title: str = "") -> None:
    """A logo of the observed-base scores for up to MAX_PLOTTED sequences, true motif hits shaded."""
    import logomaker  # noqa: PLC0415
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    k = min(len(rows), MAX_PLOTTED)
    fig, axes = plt.subplots(k, 1, figsize=(max(8, X.shape[1] / 12), 1.8 * k), squeeze=False)
    for ax, row, x, s in zip(axes[:, 0], rows[:k], X[:k], scores[:k]):
        frame = pd.DataFrame(x * s[:, None], columns=list("ACGT"))
        logomaker.Logo(frame, ax=ax, color_scheme="classic")
        for hit in dataset.hits_of(int(row)):
            ax.axvspan(hit["start"] - 0.5, hit["end"] - 0.5, color="gold", alpha=0.3, lw=0)
            ax.text((hit["start"] + hit["end"]) / 2, ax.get_ylim()[1], f"{hit['motif']}{hit['strand']}",
                    ha="center", va="top", fontsize=6)
        ax.set_ylabel(f"seq {row}", fontsize=7)
        ax.tick_params(labelsize=6)
    if title:
        axes[0, 0].set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motifbench methods", description="attribution methods and references")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every method, its grid and excluded combinations")
    ex = sub.add_parser("explain", help="run one cell on a few eval sequences; write .npz and a PNG")
    ex.add_argument("task")
    ex.add_argument("arch")
    ex.add_argument("method")
    ex.add_argument("--reference", default=None, help="reference name (default: the method's first)")
    ex.add_argument("--param", action="append", default=[], metavar="K=V", help="method parameter; repeatable")
    ex.add_argument("--n", type=int, default=5, help="eval sequences (default %(default)s)")
    ex.add_argument("--out", type=Path, default=None, help="output directory (default explanations/<cell>)")
    ex.add_argument("--profile", default="default", help="model profile (default %(default)s)")
    ex.add_argument("--seed", type=int, default=0, help="model and reference seed (default %(default)s)")
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "list":
        print(list_table())
    elif args.command == "explain":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        explain(args.task, args.arch, args.method, args.reference, parse_params(args.param, args.method),
                args.n, args.out, args.profile, args.seed)


if __name__ == "__main__":
    main()
