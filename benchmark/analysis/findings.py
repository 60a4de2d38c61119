"""The paper's qualitative findings, each tested across trained models.

The unit of replication is the trained model (task x architecture x seed; see
`benchmark.analysis.stats`). For a paired finding (a vs b on the same sequences), each
model contributes its per-sequence auPRC differences a - b on the rows both
cells scored. Reported per finding and view:

- **effect**: mean over models of the per-model mean difference, with a 95%
  CI from the hierarchical bootstrap (models, then sequences within models);
- **models agreeing**: how many models have a > b and a < b;
- **p (model level)**: two-sided Wilcoxon signed-rank test over the per-model
  mean differences (no p below `stats.MIN_UNITS_WILCOXON` models: the verdict
  then says e.g. "1 model: no model-level test (needs 6)");
- **per-model tests** (sequence level, labelled as such): a Wilcoxon test of
  each model's per-sequence differences, Holm-corrected over every per-model
  test of every finding in the same view; used only to flag findings where
  models significantly disagree.

Verdicts (computed, never written by hand; `verdict`):

- ``greater`` (a > b) / ``less``: "reproduced" when the model-level p < ALPHA
  with the expected sign, "opposite" when p < ALPHA with the other sign, else
  "not significant (model level)";
- ``close``: "reproduced" when the effect's CI lies inside ±CLOSE, "not
  reproduced (a higher / a lower)" when it lies outside, else "inconclusive";
- ``not_less`` (a at or above b): "reproduced" when a is significantly above b,
  "opposite" when significantly below, else "not contradicted (no significant gap)".

A significant paired verdict that one model can overturn (it does not survive
leaving out any single model, `stats.survives_dropping_any_model`; always the
case with 6 models) is marked "fragile": it is shown, but it is not a firm
verdict, and `compare_runs` does not expect it to replicate.

Some findings have other units: F1b pairs basset_k8 with basset on the same
task and seed (unit: task x seed); F5 compares the gkm-SVM of a task and seed
with the mean of the CNNs of that task and seed (unit: task x seed, so no
gkm-SVM value counts more than once); F1c compares two groups of models
(simplified vs realistic tasks) with a Mann-Whitney U test over model means.

A primed id is a companion of the finding it follows, not one of the paper's:
F3b' swaps the paper's reference for each sequence's own composition, and
F2a', F2b', F5' take DeepSHAP as the DeepLIFT arm (the same Rescale rule, with
a MaxPool rule that sums to delta; `implementation_gap` measures how far the
two implementations sit apart on the same models).

Models below the fidelity gate (`tables.gate`) are left out. Each finding is
evaluated under the views in `VIEWS`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from benchmark.analysis import stats, tables

ALPHA = 0.05
CLOSE = 0.02
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


def _select(records: list[dict], method: str, reference: str | None = None, params: dict | None = None) -> list[dict]:
    out = []
    for record in records:
        cell = record["cell"]
        if cell["method"] != method or (reference is not None and tables.reference_of(record) != reference):
            continue
        if params and any(cell["params"].get(k) != v for k, v in params.items()):
            continue
        out.append(record)
    return out


def _keras_realistic(record: dict) -> bool:
    return tables.is_realistic(record) and record["cell"]["kind"] == "keras"


def _keras_simplified(record: dict) -> bool:
    return tables.is_simplified(record) and record["cell"]["kind"] == "keras"


def _values(records: list[dict], view: tuple) -> dict[tuple, dict[int, float]]:
    """unit -> row -> value for one selection. Per unit, a main-grid record wins, then the one with the
    fewest non-default parameters (the shortest config): an ablation's variant never stands in for the method."""
    projection, truth, scoring = view
    out: dict[tuple, dict[int, float]] = {}
    def preference(r):
        return ("main" not in r.get("tags", ["main"]), len(r["cell"]["config"]), r.get("_path", ""), r["cell"]["id"])

    for record in sorted(records, key=preference):
        got = tables.per_sequence(record, truth, scoring, projection=projection)
        if got:
            out.setdefault(tables.group_key(record), got)
    return out


def same_model_units(records, a: tuple, b: tuple, view: tuple, scope=_keras_realistic) -> dict[str, np.ndarray]:
    """Per model in scope (label "task-model-s<seed>"), per-sequence differences a - b."""
    va = _values([r for r in _select(records, *a) if scope(r)], view)
    vb = _values([r for r in _select(records, *b) if scope(r)], view)
    return {f"{t}-{m}-s{s}": d for (t, m, s), d in tables.paired_unit_differences(va, vb).items()}


def kernel_units(records, method: str, view: tuple, short: str = "basset_k8", long: str = "basset") -> dict[str, np.ndarray]:
    """Per (realistic task, seed): `method` on the short-kernel variant minus on the long-kernel one."""
    values = _values([r for r in _select(records, method, "none") if _keras_realistic(r)], view)
    out = {}
    for (task, model, seed), va in sorted(values.items()):
        vb = values.get((task, long, seed))
        if model != short or vb is None:
            continue
        d = np.array([va[r] - vb[r] for r in sorted(set(va) & set(vb))], dtype=np.float64)
        out[f"{task}-s{seed}"] = d[np.isfinite(d)]
    return out


def gkm_units(records, view: tuple, cnn_arm: tuple = DL) -> dict[str, np.ndarray]:
    """Per (realistic task, seed): GkmExplain on the gkm-SVM minus the mean over that task and seed's CNNs of
    `cnn_arm` (DeepLIFT Rescale, shuffle20, by default), per sequence scored by both."""
    gkm = _values([r for r in _select(records, "gkmexplain") if tables.is_realistic(r)], view)
    cnn = _values([r for r in _select(records, *cnn_arm) if _keras_realistic(r)], view)
    out = {}
    for (task, model, seed), vg in sorted(gkm.items()):
        models = [v for (t, m, s), v in cnn.items() if t == task and s == seed]
        if not models:
            continue
        diffs = []
        for row in sorted(vg):
            got = [v[row] for v in models if row in v and np.isfinite(v[row])]
            if got and np.isfinite(vg[row]):
                diffs.append(vg[row] - float(np.mean(got)))
        out[f"{task}-s{seed}"] = np.array(diffs, dtype=np.float64)
    return out


def _sequence_p(d: np.ndarray) -> float:
    d = d[np.isfinite(d)]
    if len(d) < 5 or not np.any(d != 0):
        return float("nan")
    return float(sps.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def verdict(result: dict, expect: str) -> str:
    """The verdict of one model-level result (see the module docstring)."""
    effect = result.get("effect", float("nan"))
    if result.get("n_units", 0) == 0 or effect is None or not np.isfinite(effect):
        return "not measured"
    if result.get("note"):
        return result["note"]
    if expect == "close":
        low, high = result["ci_low"], result["ci_high"]
        if -CLOSE < low and high < CLOSE:
            return "reproduced"
        if low >= CLOSE or high <= -CLOSE:
            return "not reproduced (a higher)" if effect > 0 else "not reproduced (a lower)"
        return f"inconclusive (CI crosses ±{CLOSE})"
    p = result.get("p_value", float("nan"))
    significant = p is not None and np.isfinite(p) and p < ALPHA
    if expect == "not_less":
        if significant:
            return "reproduced" if effect > 0 else "opposite (a significantly lower)"
        return "not contradicted (no significant gap)"
    sign = 1 if expect == "greater" else -1
    if significant:
        return "reproduced" if sign * effect > 0 else "opposite"
    return "not significant (model level)"


def fragile_note(result: dict) -> str:
    """", fragile (…)" for a significant paired result that one model can overturn, else ""."""
    means = result.get("unit_means")
    p = result.get("p_value", float("nan"))
    if not means or p is None or not np.isfinite(p) or p >= ALPHA:
        return ""
    if stats.survives_dropping_any_model(means, ALPHA):
        return ""
    return f", fragile (not significant without one of the {len(means)} models)"


def _paired_result(units: dict[str, np.ndarray]) -> dict:
    labels = sorted(units)
    result = stats.compare_paired([units[k] for k in labels], n_boot=N_BOOT, seed=0)
    result["per_unit"] = [{"unit": k, "mean": float(np.mean(units[k])) if len(units[k]) else float("nan"),
                           "n": int(len(units[k])), "p_sequence": _sequence_p(units[k])} for k in labels]
    return result


def _definitions() -> list[dict]:
    """Every finding: id, claim, labels, expectation, scope and how to get its units for a view."""
    def same(a, b):
        return lambda records, view: same_model_units(records, a, b, view)

    rows = [
        ("F3a", "DeepLIFT: dinucleotide-shuffled references beat all-zero references",
         "deeplift_rescale shuffle20", "deeplift_rescale zeros", same(DL, ("deeplift_rescale", "zeros", None)), "greater"),
        ("F3b", "DeepLIFT: shuffled references beat the average-composition reference (the paper's: one per-position average of the eval set)",
         "deeplift_rescale shuffle20", "deeplift_rescale avg_composition",
         same(DL, ("deeplift_rescale", "avg_composition", None)), "greater"),
        ("F3b'", "same, against each sequence's own composition (seq_composition; not the paper's reference)",
         "deeplift_rescale shuffle20", "deeplift_rescale seq_composition",
         same(DL, ("deeplift_rescale", "seq_composition", None)), "greater"),
        ("F3c", "DeepLIFT: the average-composition reference beats all zeros",
         "deeplift_rescale avg_composition", "deeplift_rescale zeros",
         same(("deeplift_rescale", "avg_composition", None), ("deeplift_rescale", "zeros", None)), "greater"),
        ("F3d", "DeepLIFT: 50 shuffles add little over 20 (diminishing returns)",
         "deeplift_rescale shuffle50", "deeplift_rescale shuffle20", same(("deeplift_rescale", "shuffle50", None), DL), "close"),
        ("F2a", "DeepLIFT with shuffled references at or above Integrated Gradients with the same references",
         "deeplift_rescale shuffle20", "integrated_gradients shuffle20 (20 steps)", same(DL, IG), "not_less"),
        ("F2a'", f"same, with {DEEPSHAP_NOTE}",
         "deepshap shuffle20", "integrated_gradients shuffle20 (20 steps)", same(DEEPSHAP, IG), "not_less"),
        ("F2b", "DeepLIFT with shuffled references at or above grad x input",
         "deeplift_rescale shuffle20", "grad_x_input", same(DL, GXI), "not_less"),
        ("F2b'", f"same, with {DEEPSHAP_NOTE}", "deepshap shuffle20", "grad_x_input", same(DEEPSHAP, GXI), "not_less"),
        ("F2c", "Integrated Gradients (shuffled references) can do worse than grad x input",
         "integrated_gradients shuffle20 (20 steps)", "grad_x_input", same(IG, GXI), "less"),
        ("F4", "DeepLIFT RevealCancel and Rescale are close",
         "deeplift_revealcancel shuffle20", "deeplift_rescale shuffle20", same(("deeplift_revealcancel", "shuffle20", None), DL), "close"),
    ]
    out = [{"name": n, "claim": c, "a": a, "b": b, "units": u, "expect": e, "kind": "paired",
            "scope": "CNNs on realistic tasks; unit: model"} for n, c, a, b, u, e in rows]
    for gradcam in ("gradcam", "gradcam_paper"):
        out.append({"name": f"F1a/{gradcam}", "claim": f"{gradcam} far below grad x input on realistic tasks",
                    "a": gradcam, "b": "grad_x_input", "units": same((gradcam, "none", None), GXI), "expect": "less",
                    "kind": "paired", "scope": "CNNs on realistic tasks; unit: model"})
        out.append({"name": f"F1b/{gradcam}", "claim": f"{gradcam} worse with a short (8) than a long (19) first-layer kernel",
                    "a": f"{gradcam} on basset_k8", "b": f"{gradcam} on basset (k19)",
                    "units": (lambda g: lambda records, view: kernel_units(records, g, view))(gradcam), "expect": "less",
                    "kind": "paired", "scope": "realistic tasks; unit: task x seed"})
        out.append({"name": f"F1c/{gradcam}", "claim": f"{gradcam} does better (relative to grad x input) on the simplified task",
                    "a": f"{gradcam} − grad_x_input, simplified", "b": "same gap, realistic tasks", "expect": "greater",
                    "kind": "two_sample", "gradcam": gradcam,
                    "scope": "CNNs; unit: model; Mann-Whitney U over model means (unpaired)"})
    out.append({"name": "F5", "claim": "GkmExplain on gkm-SVM competitive with DeepLIFT (shuffle20) on the CNNs",
                "a": "gkmexplain on gkmsvm", "b": "deeplift_rescale shuffle20, mean over the CNNs",
                "units": lambda records, view: gkm_units(records, view), "expect": "not_less", "kind": "paired",
                "scope": "realistic tasks with a gkm-SVM; unit: task x seed"})
    out.append({"name": "F5'", "claim": f"same, with {DEEPSHAP_NOTE}",
                "a": "gkmexplain on gkmsvm", "b": "deepshap shuffle20, mean over the CNNs",
                "units": lambda records, view: gkm_units(records, view, cnn_arm=DEEPSHAP), "expect": "not_less",
                "kind": "paired", "scope": "realistic tasks with a gkm-SVM; unit: task x seed"})
    return out


def evaluate_all(records: list[dict], default_threshold: float = tables.FIDELITY_THRESHOLD) -> list[dict]:
    """Every finding under every view (rows with "not measured" when cells are missing).

    Uses every ok record (main grid and ablations) of models that pass the
    fidelity gate. Returns one dict per finding: name, claim, a, b, expect,
    scope, views ({view_key: result}); a result is `stats.compare_paired` (or
    `stats.compare_two_samples`) plus ``per_unit`` (sequence-level p and its
    Holm-adjusted ``p_holm``), ``holm_above`` / ``holm_below`` and ``verdict``.
    """
    kept, _ = tables.gate(tables.ok_records(records), default_threshold)
    rows = []
    for item in _definitions():
        row = {k: v for k, v in item.items() if k not in ("units", "gradcam")}
        row["views"] = {}
        for view in VIEWS:
            if item["kind"] == "two_sample":
                result = _two_sample(kept, item["gradcam"], view)
            else:
                result = _paired_result(item["units"](kept, view))
            row["views"][view_key(view)] = result
        rows.append(row)
    for view in VIEWS:
        _holm_per_unit([row["views"][view_key(view)] for row in rows])
    for row in rows:
        for result in row["views"].values():
            result["verdict"] = verdict(result, row["expect"])
            if row["expect"] != "close" and firm_verdict(result["verdict"]):
                result["verdict"] += fragile_note(result)
            if result.get("holm_above") and result.get("holm_below") and row["expect"] != "close":
                result["verdict"] += f"; models disagree ({result['holm_above']} above, {result['holm_below']} below, Holm)"
    return rows


def implementation_gap(records: list[dict], view: tuple = VIEWS[0],
                       default_threshold: float = tables.FIDELITY_THRESHOLD) -> dict | None:
    """How far deeplift's Rescale sits from DeepSHAP's on the same models, and whether its convergence error explains it.

    Per model in F2a's scope (gated), the mean per-sequence auPRC difference
    deeplift_rescale − deepshap (both shuffle20) and deeplift_rescale's stored
    convergence error. Returns n, n_below (models where deeplift is lower),
    mean_gap, max_error, and the Spearman correlation (rho, p) across models
    between the two (NaN when either is constant, e.g. no max-pooling: every
    error 0); None when fewer than 3 models have both.
    """
    kept, _ = tables.gate(tables.ok_records(records), default_threshold)
    gaps = same_model_units(kept, DL, DEEPSHAP, view)
    errors = {}
    for r in _select([r for r in kept if _keras_realistic(r)], *DL):
        error = r.get("convergence_error")
        if error is not None and np.isfinite(error):
            errors.setdefault("{}-{}-s{}".format(*tables.group_key(r)), float(error))
    labels = sorted(k for k in set(gaps) & set(errors) if len(gaps[k]))
    if len(labels) < 3:
        return None
    gap = np.array([np.mean(gaps[k]) for k in labels])
    error = np.array([errors[k] for k in labels])
    rho, p = sps.spearmanr(error, gap) if np.ptp(error) > 0 and np.ptp(gap) > 0 else (np.nan, np.nan)
    return {"n": len(labels), "n_below": int((gap < 0).sum()), "mean_gap": float(gap.mean()),
            "max_error": float(error.max()), "rho": float(rho), "p": float(p)}


def _two_sample(records: list[dict], gradcam: str, view: tuple) -> dict:
    simple = same_model_units(records, (gradcam, "none", None), GXI, view, _keras_simplified)
    real = same_model_units(records, (gradcam, "none", None), GXI, view, _keras_realistic)
    result = stats.compare_two_samples([simple[k] for k in sorted(simple)], [real[k] for k in sorted(real)],
                                       n_boot=N_BOOT, seed=0)
    result["per_unit"] = []
    return result


def _holm_per_unit(results: list[dict]) -> None:
    """Holm-adjust every per-model sequence-level p of one view (in place) and count significant sides."""
    entries = [(res, unit) for res in results for unit in res.get("per_unit", [])]
    adjusted = stats.holm([unit["p_sequence"] for _, unit in entries])
    for (_, unit), p in zip(entries, adjusted):
        unit["p_holm"] = float(p)
    for res in results:
        units = res.get("per_unit", [])
        res["holm_above"] = sum(1 for u in units if np.isfinite(u["p_holm"]) and u["p_holm"] < ALPHA and u["mean"] > 0)
        res["holm_below"] = sum(1 for u in units if np.isfinite(u["p_holm"]) and u["p_holm"] < ALPHA and u["mean"] < 0)
        res["n_per_unit_tests"] = len(entries)


def firm_verdict(verdict_text: str) -> str | None:
    """The part of a verdict that must replicate: "reproduced" or "opposite" (None for anything weaker)."""
    if "fragile" in verdict_text:
        return None
    for word in ("reproduced", "opposite"):
        if verdict_text.startswith(word):
            return word
    return None


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

    from benchmark.store.results import load_all, warn_unusable  # noqa: PLC0415
    from benchmark.analysis.markdown import md_table

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
