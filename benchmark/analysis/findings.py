"""The paper's qualitative findings, each tested in the paper's scope across models and sequences.

Scope. Each finding's primary verdict rests on the paper's two architectures
(`benchmark.analysis.paper.ARCHS`: Basset-like, first kernel 19, and
Beluga-like, 8) as registered (no overrides), on the realistic tasks, with
the paper's reference, in the paper's view (observed base, |score|, all
hits). Beside it: the effect on each architecture alone, and on the board's
other registered architectures (not part of the verdict). Ablation variants
(basset_k8, basset_exp, basset_bn) count only in the findings about them
(F1b). Models below the fidelity gate are left out.

Inference (`benchmark.analysis.crossed`): every model of a task is scored on
the same eval sequences, so models and sequences are crossed random factors;
the effect is the mean over tasks of each task's mean over models, its CI
and p resample both (strata: task x architecture). Verdict rules, margins and
the leave-one-model-out check are in `benchmark.analysis.verdicts`.

Designs:

- paired (most findings): per model, the per-sequence difference a − b;
- F1b: two groups of models on the same sequences, basset_k8 vs basset;
- F1c: per architecture x seed, GradCAM's gap to grad x input on the
  simplified task minus its mean gap on the realistic tasks (the unit spans
  three models, each task's sequences resampled as they are shared);
- F5: GkmExplain on the gkm-SVMs vs DeepLIFT on the paper's CNNs, on the
  sequences the gkm-SVMs scored.

Each finding shows the paper's published effect (`benchmark.analysis.paper`)
and whether the CI excludes it. A primed id is a companion of the finding it
follows, not one of the paper's: F3b' swaps the paper's reference for each
sequence's own composition, and F2a', F2b', F5' take DeepSHAP as the DeepLIFT
arm (the same Rescale rule, with a MaxPool rule that sums to delta).
Per-model sequence-level tests (Holm-corrected over every finding of a view)
only flag findings whose models significantly disagree.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from benchmark.analysis import crossed, designs, paper, tables
from benchmark.analysis.verdicts import (ALPHA, MARGIN, against_paper, firm_verdict, holm_per_unit, robust,  # noqa: F401
                                         sequence_p, too_few, verdict)

N_BOOT = 1000
VIEWS = (
    ("observed", "all_hits", "abs"),
    ("observed", "all_hits", "pos"),
    ("observed", "used_hits", "abs"),
    ("max_abs", "all_hits", "abs"),
)
VIEW_LABELS = {
    VIEWS[0]: "|score|, all hits (paper)",
    VIEWS[1]: "positive part, all hits",
    VIEWS[2]: "|score|, used hits",
    VIEWS[3]: "max |.| over bases, all hits",
}
DL = ("deeplift_rescale", "shuffle20", None)
GXI = ("grad_x_input", "none", None)
IG = ("integrated_gradients", "shuffle20", {"steps": 20})
# DeepLIFT Rescale as shap computes it: the same rule on every ReLU, but a MaxPool rule that sums to
# f(x) - f(ref), where deeplift's gradient rule does not (tests/test_methods_deeplift.py)
DEEPSHAP = ("deepshap", "shuffle20", None)
DEEPSHAP_NOTE = ("DeepLIFT Rescale computed by DeepSHAP (shap; sums to f(x) − f(ref) through max-pooling; "
                 "not the paper's implementation)")


def view_key(view: tuple) -> str:
    return "/".join(view)


# -- the findings ------------------------------------------------------------------------------------------------

def _paper_methods(a: tuple, b: tuple) -> dict | None:
    return paper.summary({arch: paper.method_gap(arch, a[:2], b[:2]) for arch in paper.ARCHS})


def _definitions() -> list[dict]:
    """Every finding: id, claim, arm labels, expectation, kind and what its design needs, the paper's effect."""
    beluga_refs = "Beluga only: the paper ran its reference ablation there"
    rescale = {ref: ("deeplift_rescale", ref, None) for ref in ("zeros", "avg_composition", "seq_composition", "shuffle50")}
    rows = [
        ("F3a", "DeepLIFT: dinucleotide-shuffled references beat all-zero references", "deeplift_rescale shuffle20",
         "deeplift_rescale zeros", (DL, rescale["zeros"]), "greater",
         paper.summary({"beluga": paper.reference_gap("shuffle20", "zeros")}, beluga_refs)),
        ("F3b", "DeepLIFT: shuffled references beat the average-composition reference (the paper's: one per-position average of the eval set)",
         "deeplift_rescale shuffle20", "deeplift_rescale avg_composition", (DL, rescale["avg_composition"]), "greater",
         paper.summary({"beluga": paper.reference_gap("shuffle20", "avg_composition")}, beluga_refs)),
        ("F3b'", "same, against each sequence's own composition (seq_composition; not the paper's reference)",
         "deeplift_rescale shuffle20", "deeplift_rescale seq_composition", (DL, rescale["seq_composition"]), "greater", None),
        ("F3c", "DeepLIFT: the average-composition reference beats all zeros", "deeplift_rescale avg_composition",
         "deeplift_rescale zeros", (rescale["avg_composition"], rescale["zeros"]), "greater",
         paper.summary({"beluga": paper.reference_gap("avg_composition", "zeros")}, beluga_refs)),
        ("F3d", "DeepLIFT: 50 shuffles add little over 20 (diminishing returns)", "deeplift_rescale shuffle50",
         "deeplift_rescale shuffle20", (rescale["shuffle50"], DL), "close",
         paper.summary({"beluga": paper.reference_gap("shuffle50", "shuffle20")}, beluga_refs)),
        ("F2a", "DeepLIFT with shuffled references at or above Integrated Gradients with the same references",
         "deeplift_rescale shuffle20", "integrated_gradients shuffle20 (20 steps)", (DL, IG), "not_less", _paper_methods(DL, IG)),
        ("F2a'", f"same, with {DEEPSHAP_NOTE}", "deepshap shuffle20", "integrated_gradients shuffle20 (20 steps)",
         (DEEPSHAP, IG), "not_less", _paper_methods(DL, IG)),
        ("F2b", "DeepLIFT with shuffled references at or above grad x input", "deeplift_rescale shuffle20", "grad_x_input",
         (DL, GXI), "not_less", _paper_methods(DL, GXI)),
        ("F2b'", f"same, with {DEEPSHAP_NOTE}", "deepshap shuffle20", "grad_x_input", (DEEPSHAP, GXI), "not_less",
         _paper_methods(DL, GXI)),
        ("F2c", "Integrated Gradients (shuffled references) can do worse than grad x input",
         "integrated_gradients shuffle20 (20 steps)", "grad_x_input", (IG, GXI), "less", _paper_methods(IG, GXI)),
        ("F4", "DeepLIFT RevealCancel and Rescale are close", "deeplift_revealcancel shuffle20", "deeplift_rescale shuffle20",
         (("deeplift_revealcancel", "shuffle20", None), DL), "close",
         _paper_methods(("deeplift_revealcancel", "shuffle20"), DL)),
    ]
    paired_scope = "Basset and Beluga on the realistic tasks; unit: model"
    out = [{"name": n, "claim": c, "a": a, "b": b, "pair": pair, "expect": e, "paper": p, "kind": "paired",
            "scope": paired_scope} for n, c, a, b, pair, e, p in rows]
    gradcam_paper_effect = paper.summary({"beluga": paper.GRADCAM_A549["gradcam_paper"] - paper.GRADCAM_A549["grad_x_input"]},
                                         "Beluga, A549, a reduced motif set")
    for gradcam in ("gradcam", "gradcam_paper"):
        out.append({"name": f"F1a/{gradcam}", "claim": f"{gradcam} far below grad x input on realistic tasks",
                    "a": gradcam, "b": "grad_x_input", "pair": ((gradcam, "none", None), GXI), "expect": "less",
                    "kind": "paired", "scope": paired_scope,
                    "paper": gradcam_paper_effect if gradcam == "gradcam_paper" else None})
        out.append({"name": f"F1b/{gradcam}", "claim": f"{gradcam} worse with a short (8) than a long (19) first-layer kernel",
                    "a": f"{gradcam} on basset_k8", "b": f"{gradcam} on basset (k19)", "expect": "less", "kind": "kernel",
                    "method": gradcam, "paper": None,
                    "scope": "basset_k8 vs basset on the realistic tasks, same sequences; unit: model"})
        out.append({"name": f"F1c/{gradcam}", "claim": f"{gradcam} does better (relative to grad x input) on the simplified task",
                    "a": f"{gradcam} − grad_x_input, simplified", "b": "same gap, realistic tasks", "expect": "greater",
                    "kind": "across_tasks", "method": gradcam, "paper": None,
                    "scope": "Basset and Beluga; unit: architecture x seed (its simplified and realistic models)"})
    for name, arm, note in (("F5", DL, ""), ("F5'", DEEPSHAP, f"same, with {DEEPSHAP_NOTE}")):
        out.append({"name": name, "claim": note or "GkmExplain on gkm-SVM competitive with DeepLIFT (shuffle20) on the CNNs",
                    "a": "gkmexplain on gkmsvm", "b": f"{arm[0]} shuffle20 on Basset and Beluga", "expect": "not_less",
                    "kind": "gkm", "cnn_arm": arm, "paper": paper.summary({arch: paper.gkm_gap(arch) for arch in paper.ARCHS}),
                    "scope": "realistic tasks; gkm-SVMs vs the paper's CNNs on the gkm-SVMs' sequences; unit: model"})
    return out


def _design(item: dict, data: dict, scope=designs.in_paper_scope):
    """(units, signs, per-model differences) of one finding, its CNNs restricted to `scope`."""
    if item["kind"] == "paired":
        return designs.paired(data, *item["pair"], scope=scope)
    if item["kind"] == "gkm":
        return designs.gkm_groups(data, item["cnn_arm"], scope=scope)
    if item["kind"] == "across_tasks":
        return designs.task_gap_units(data, item["method"], scope=scope)
    return designs.kernel_groups(data, item["method"])


def _per_arch(item: dict, data: dict) -> dict:
    """Effect of the finding on each architecture alone (the paper's two, then the board's other ones)."""
    if item["kind"] == "kernel":
        return {}
    out = {}
    archs = sorted({r["cell"]["arch"] for r in data["records"] if designs.in_paper_scope(r) or designs.other_archs(r)},
                   key=lambda a: (a not in paper.ARCHS, a))
    for arch in archs:
        def scope(r, arch=arch):
            return (designs.in_paper_scope(r) or designs.other_archs(r)) and r["cell"]["arch"] == arch

        units, signs, _ = _design(item, data, scope)
        if units:
            result = crossed.summarise(units, signs, n_boot=N_BOOT, seed=0)
            result["in_verdict"] = arch in paper.ARCHS
            out[arch] = result
    return out


def _unit_mean(u: crossed.Unit) -> float:
    return float(sum(coef * np.nanmean(v) if np.any(np.isfinite(v)) else np.nan for _, coef, v in u.parts))


def _result(units: list[crossed.Unit], signs: dict, diffs: dict) -> dict:
    """`crossed.summarise` plus the counts and per-model tests the board shows."""
    result = crossed.summarise(units, signs, n_boot=N_BOOT, seed=0)
    means = [_unit_mean(u) for u in units]
    result["note"] = too_few(units)
    result["above"] = sum(1 for m in means if m > 0)
    result["below"] = sum(1 for m in means if m < 0)
    arms = sorted({u.group.split("|")[0] for u in units} - {""})
    result["n_by_arm"] = {arm: sum(1 for u in units if u.group.split("|")[0] == arm) for arm in arms}
    result["per_unit"] = [{"unit": "{}-{}-s{}".format(*k), "mean": float(np.mean(list(v.values()))) if v else float("nan"),
                           "n": len(v), "p_sequence": sequence_p(list(v.values()))} for k, v in sorted(diffs.items())]
    return result


def evaluate_all(records: list[dict], default_threshold: float = tables.FIDELITY_THRESHOLD) -> list[dict]:
    """Every finding under every view (rows with "not measured" when cells are missing).

    Uses every ok record (main grid and ablations) of models that pass the fidelity gate. Returns one
    dict per finding: name, claim, a, b, expect, scope, paper (the published effect or None), views
    ({view_key: result}). A result is `crossed.summarise` plus above / below (units with a positive /
    negative mean), n_by_arm, per_unit (sequence-level tests, Holm-adjusted), verdict; in the paper's
    view also per_arch ({arch: result}) and against_paper.
    """
    kept, _ = tables.gate(tables.ok_records(records), default_threshold)
    controls = tables.random_controls(kept)
    rows = []
    for item in _definitions():
        row = {k: v for k, v in item.items() if k not in ("pair", "cnn_arm", "method")}
        row["views"] = {}
        for view in VIEWS:
            data = {"records": kept, "view": view, "controls": controls}
            units, signs, diffs = _design(item, data)
            result = _result(units, signs, diffs)
            result["verdict"] = verdict(result, item["expect"])
            broken_by = robust(units, signs, item["expect"], result["verdict"])
            if broken_by:
                result["verdict"] += f", fragile (not firm without {broken_by})"
            if view == VIEWS[0]:
                result["per_arch"] = _per_arch(item, data)
                result["against_paper"] = against_paper(result, (item["paper"] or {}).get("effect"))
            row["views"][view_key(view)] = result
        rows.append(row)
    for view in VIEWS:
        holm_per_unit([row["views"][view_key(view)] for row in rows])
    for row in rows:
        for result in row["views"].values():
            if result.get("holm_above") and result.get("holm_below") and row["expect"] != "close":
                result["verdict"] += f"; models disagree ({result['holm_above']} above, {result['holm_below']} below, Holm)"
    return rows


def implementation_gap(records: list[dict], view: tuple = VIEWS[0],
                       default_threshold: float = tables.FIDELITY_THRESHOLD) -> dict | None:
    """How far deeplift's Rescale sits from DeepSHAP's on the same models, and whether its convergence error explains it.

    Per registered-architecture CNN on a realistic task (gated), the mean per-sequence auPRC difference
    deeplift_rescale − deepshap (both shuffle20) and deeplift_rescale's stored convergence error.
    Returns n, n_below (models where deeplift is lower), mean_gap, max_error, and the Spearman
    correlation (rho, p) across models between the two (NaN when either is constant, e.g. no
    max-pooling: every error 0); None when fewer than 3 models have both.
    """
    kept, _ = tables.gate(tables.ok_records(records), default_threshold)

    def scope(r):
        return r["cell"]["kind"] == "keras" and tables.is_realistic(r) and tables.is_headline_model(r)

    data = {"records": kept, "view": view, "controls": tables.random_controls(kept)}
    _, _, gaps = designs.paired(data, DL, DEEPSHAP, scope=scope)
    errors = {}
    for r in designs.select([r for r in kept if scope(r)], *DL):
        error = r.get("convergence_error")
        if error is not None and np.isfinite(error):
            errors.setdefault(tables.group_key(r), float(error))
    keys = sorted(k for k in set(gaps) & set(errors) if gaps[k])
    if len(keys) < 3:
        return None
    gap = np.array([np.mean(list(gaps[k].values())) for k in keys])
    error = np.array([errors[k] for k in keys])
    rho, p = sps.spearmanr(error, gap) if np.ptp(error) > 0 and np.ptp(gap) > 0 else (np.nan, np.nan)
    return {"n": len(keys), "n_below": int((gap < 0).sum()), "mean_gap": float(gap.mean()),
            "max_error": float(error.max()), "rho": float(rho), "p": float(p)}


def compare_runs(runs: dict[str, list[dict]], view: tuple = VIEWS[0]) -> tuple[list[list], list[str]]:
    """Findings of several runs side by side: (rows [id, "effect [CI] verdict" per run], ids whose firm verdicts differ).

    A finding is flagged when one run calls it reproduced or opposite and
    another that measured it does not give the same firm verdict.
    """
    evaluated = {name: {row["name"]: row["views"][view_key(view)] for row in evaluate_all(records)} for name, records in runs.items()}
    names = [row["name"] for row in _definitions()]
    rows, unstable = [], []
    for finding in names:
        cells, firm = [finding], set()
        for run in runs:
            res = evaluated[run][finding]
            effect = f"{res['effect']:+.3f} [{res['ci_low']:+.3f}, {res['ci_high']:+.3f}] " if np.isfinite(res.get("effect", np.nan)) else ""
            cells.append(effect + res["verdict"])
            if res["verdict"] != "not measured":  # a grid without the cells neither confirms nor contradicts
                firm.add(firm_verdict(res["verdict"]))
        if firm - {None} and len(firm) > 1:
            unstable.append(finding)
        rows.append(cells)
    return rows, unstable


def main(argv: list[str] | None = None) -> int:
    """Print the findings of one or more results directories (or seed subsets of one) side by side."""
    import argparse  # noqa: PLC0415

    from benchmark.analysis.markdown import md_table  # noqa: PLC0415
    from benchmark.store.results import load_all, warn_unusable  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="motifbench findings", description=main.__doc__)
    parser.add_argument("runs", nargs="+", metavar="DIR[:SEEDS]",
                        help="a results directory, optionally with a comma-separated seed subset, e.g. results:0,1,2 results:3,4,5")
    args = parser.parse_args(argv)
    runs = {}
    for spec in args.runs:
        directory, _, seeds = spec.partition(":")
        records, problems = load_all(directory)
        warn_unusable(directory, problems)
        if seeds:
            keep = {int(s) for s in seeds.split(",")}
            records = [r for r in records if int(r["cell"]["seed"]) in keep]
        runs[spec] = records
    rows, unstable = compare_runs(runs)
    print(md_table(rows, ["finding", *runs]))
    print(f"\nfirm verdicts (reproduced / opposite) that differ between runs: {', '.join(unstable) or 'none'}")
    return 1 if unstable else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
