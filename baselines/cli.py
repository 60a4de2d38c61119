"""Command line for the models: ``motifbench models list | train | show | check`` (= ``python -m baselines ...``).

    motifbench models list
    motifbench models train oct4 basset [--seed 0] [--profile default] [--set kernel_width=8]
    motifbench models show oct4 basset [--png curve.png]
    motifbench models check [--tasks default,stress] [--seeds 0,1,2] [--archs basset,beluga,shallow,gkmsvm]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench models", description="Train, inspect and check the models that get explained (timing: motifbench bench models).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="architectures, their parameters, and the profiles")
    for name, text in (("train", "train a model (or load it from the cache)"), ("show", "fidelity and learning curve of a trained model")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("task", help="task name (tasks/specs/<task>.toml) or spec path")
        cmd.add_argument("arch", help="architecture name (see `list`)")
        _model_options(cmd)
        if name == "show":
            cmd.add_argument("--png", type=Path, default=None, metavar="PATH", help="learning-curve PNG (default: <model dir>/learning_curve.png)")
    _check_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "list":
            return _list()
        if args.command == "train":
            return _train(args)
        if args.command == "show":
            return _show(args)
        return _check(args)
    except (KeyError, ValueError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2


CHECK_HELP = """\
Train every architecture on every task with several seeds (or load them from the
cache) and print one row per task x architecture: the test auROC's mean and SD
over the seeds, gkm-SVM's mean on the same task (every model scored on the
task's whole test split), two references for the task
(not part of the verdict): a 6-mer logistic regression fit on the training split
(what a simple learner gets from this many sequences) and the planted-motif
ceiling (a logistic regression on planted-hit counts per motif: how much of the
label the motifs carry when their positions are known), the epochs each
seed ran, the CPU seconds per model (~0 when loaded from the cache), and a verdict against the
fidelity bar: mean >= --min-auroc, mean >= gkm-SVM mean - 0.02, and on the
default tasks (oct4, mafk, simplified) SD <= 0.02. gkm-SVM "seeds" are different
seeded training subsamples. Exit status 1 if some Keras row misses the bar.

The last column is not part of the verdict: each Keras row's gap to gkm-SVM with
both scored on the task's whole test split, and a 95% interval from a bootstrap
over the models and the test sequences. Every seed is scored on the same test
set, so the SD column does not show that set's own sampling error; the interval
does, and says whether the test set can tell a row from the bar (-0.02).
With more than three seeds (e.g. --seeds 0-23) a further column gives the share
of the row's three-seed draws that would meet the bar on their own: whether a
three-seed verdict survives a retrain with other seeds.

--tasks takes task names and two groups: "default" (oct4, mafk, simplified) and
"stress" (tasks/specs/stress_*.toml: oct4 and mafk cut to 500 and 1,000 peaks
per class, and a 400 bp simplified task). A cold default check on 2 cores trains
about 100 models; models are cached, so a second run only reads them.
"""


def _check_parser(sub) -> None:
    check = sub.add_parser(
        "check", help="train every architecture on default and stress tasks with 3 seeds; table of test auROC",
        description=CHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--tasks", default="default,stress", help="comma-separated tasks or groups default, stress (default: %(default)r)")
    check.add_argument("--archs", default=None, help="comma-separated architectures (default: every registered one, gkm-SVM included)")
    check.add_argument("--seeds", default="0,1,2", help="training seeds: comma-separated, ranges allowed, e.g. 0,1,2 or 0-23 (default: %(default)r)")
    check.add_argument("--gkm-seeds", default=None, help="gkm-SVM seeds (training subsamples), e.g. 0 to fit one (default: --seeds)")
    check.add_argument("--profile", default="default", help="model profile (default: %(default)r)")
    check.add_argument("--min-auroc", type=float, default=None, help="fidelity threshold (default: 0.75)")
    check.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a Keras parameter or training setting, e.g. first_activation=exponential, or restarts=0 for "
             "no restarts, or first_stage_epochs=0 for runs without the default profile's warm-started first stage (repeatable)",
    )
    check.add_argument("--markdown", type=Path, default=None, metavar="PATH",
                       help="also write the table, with the command that made it, to this Markdown file")
    check.add_argument("--png", type=Path, default=None, metavar="PATH",
                       help="also draw every seed's test auROC per task x architecture, gkm-SVM's mean marked, to this PNG")
    check.add_argument("--cold", action="store_true", help="train into a fresh temporary models directory, so every model is trained")


def _seed_list(text: str, option: str) -> list[int]:
    """Seeds from "0,1,2" or "0-8" (both ends included) or a mix: a list of distinct non-negative ints, in order."""
    seeds = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, sep, high = part.partition("-")
        if not (low.isdigit() and (not sep or high.isdigit())) or (sep and int(high) < int(low)):
            raise ValueError(f"{option} expects non-negative integers or ranges such as 0-8, got {part!r} in {text!r}")
        seeds.extend(range(int(low), int(high) + 1) if sep else [int(low)])
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"{option} expects at least one seed and no seed twice, got {text!r}")
    return seeds


def _check(args) -> int:
    import tempfile  # noqa: PLC0415

    from baselines.check import (  # noqa: PLC0415
        DEFAULT_TASKS, MIN_AUROC, STRESS_TASKS, failures, format_table, gap_intervals, run_check,
    )

    groups = {"default": DEFAULT_TASKS, "stress": STRESS_TASKS}
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    task_list = [t for n in names for t in groups.get(n, (n,))]
    seeds = _seed_list(args.seeds, "--seeds")
    archs = [a.strip() for a in args.archs.split(",")] if args.archs else None
    min_auroc = MIN_AUROC if args.min_auroc is None else args.min_auroc
    with tempfile.TemporaryDirectory(prefix="motifbench-check-") as tmp:
        gkm_seeds = None if args.gkm_seeds is None else _seed_list(args.gkm_seeds, "--gkm-seeds")
        rows = run_check(task_list, archs, seeds, args.profile, Path(tmp) if args.cold else None, _overrides(args.set),
                         gkm_seeds=gkm_seeds)
    gaps = gap_intervals(rows)
    table = format_table(rows, min_auroc, gaps)
    print(table)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        command = f"motifbench models check --tasks {args.tasks} --seeds {args.seeds} --profile {args.profile}"
        command += f" --archs {args.archs}" if args.archs else ""
        command += f" --gkm-seeds {args.gkm_seeds}" if args.gkm_seeds is not None else ""
        command += f" --min-auroc {args.min_auroc}" if args.min_auroc is not None else ""
        command += "".join(f" --set {pair}" for pair in args.set)
        args.markdown.write_text(f"Written by `{command}`; do not edit by hand. 'CPU s / model' is this "
                                 f"invocation's: about 0 for a model loaded from the cache.\n\n{table}\n")
        print(f"table: {args.markdown}")
    if args.png:
        from baselines.plots import check_figure  # noqa: PLC0415

        print(f"figure: {check_figure(rows, args.png, min_auroc, gaps)}")
    missed = failures(rows, min_auroc)
    print(f"\n{len(rows) - len(missed)} of {len(rows)} rows meet the bar" if not missed else
          f"\n{len(missed)} Keras row(s) miss the bar: " + ", ".join(f"{r.task}/{r.arch}" for r in missed))
    return 1 if missed else 0


def _model_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)r)")
    cmd.add_argument("--profile", default="default", help="smoke | default | paper (default: %(default)r)")
    cmd.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter, e.g. kernel_width=8 or epochs=5; restarts=0 turns off the default profile's "
             "restarts (a run below restart_below=0.75 validation auROC is retrained), first_stage_epochs=0 its warm-started first stage (repeatable)"
    )


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _list() -> int:
    from baselines.architectures import ARCHITECTURES, arch_defaults, arch_kind  # noqa: PLC0415
    from baselines.profiles import PROFILES  # noqa: PLC0415

    print("architectures:")
    for name in ARCHITECTURES.names():
        defaults = ", ".join(f"{k}={v!r}" for k, v in arch_defaults(name).items())
        print(f"  {name:<8} [{arch_kind(name)}] {defaults}")
    print("profiles:")
    for name, profile in PROFILES.items():
        print(f"  {name:<8} {profile.description}")
        for arch, params in profile.arch_params.items():
            print(f"    {arch:<8} {json.dumps(params)}")
        if profile.training:
            print(f"    training {json.dumps(profile.training)}")
    try:
        import tasks  # noqa: PLC0415

        print("tasks: " + ", ".join(tasks.TASKS.names()))
    except ImportError:
        pass
    return 0


def _dataset(task: str):
    import tasks  # noqa: PLC0415

    return tasks.build(task)


def _train(args) -> int:
    from baselines.store import get_model  # noqa: PLC0415

    logging.getLogger("baselines").setLevel(logging.INFO)
    model = get_model(_dataset(args.task), args.arch, seed=args.seed, profile=args.profile, progress=True, **_overrides(args.set))
    _print_model(model)
    return 0


def _show(args) -> int:
    from baselines.store import find_model, load_history  # noqa: PLC0415

    model = find_model(_dataset(args.task), args.arch, seed=args.seed, profile=args.profile, **_overrides(args.set))
    if model is None:
        extra = "".join(f" --set {s}" for s in args.set)
        print(
            f"no trained {args.arch} model for {args.task} (seed {args.seed}, profile {args.profile}); "
            f"run: motifbench models train {args.task} {args.arch} --seed {args.seed} --profile {args.profile}{extra}",
            file=sys.stderr,
        )
        return 1
    _print_model(model)
    history = load_history(model)
    if "loss" not in history:
        print(f"  {model.kind} models have no learning curve; fit: {json.dumps(history)}")
        return 0
    png = args.png or Path(model.path) / "learning_curve.png"
    from baselines.plots import learning_curve  # noqa: PLC0415

    learning_curve(history, png, title=f"{args.task} {model.name}: test auROC {model.fidelity['test_auroc']:.3f}")
    print(f"  learning curve: {png}")
    return 0


def _print_model(model) -> None:
    fid = model.fidelity
    print(f"{model.name} [{model.kind}] {model.path}")
    print(f"  test auROC {fid['test_auroc']:.4f}  auPRC {fid['test_auprc']:.4f}  (n={fid['test_n']}, {fid['test_positives']} positives)")
    print(f"  params {json.dumps(model.params, sort_keys=True)}")
    if model.conv_layer_names:
        print(f"  conv layers {', '.join(model.conv_layer_names)}; first kernel width {model.first_kernel_width}")
