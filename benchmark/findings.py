"""The paper's qualitative findings, each tested on the results with a paired test.

Every finding compares two method configurations on the *same sequences*
(same task and eval rows): per-sequence auPRC differences are pooled over the
task x model groups in scope and tested with a two-sided Wilcoxon signed-rank
test (the simplified-vs-realistic finding compares two sets of per-sequence
gaps with a Mann-Whitney U test instead). The verdict is computed, never
written by hand:

- ``greater`` (a > b): "reproduced" if mean difference > 0 and p < ALPHA,
  "opposite" if < 0 and p < ALPHA, else "not significant";
- ``less``: the mirror image;
- ``close`` (|a - b| small): "reproduced" if |mean difference| < CLOSE.
- ``not_less`` (a at or above b): "reproduced" unless a is significantly below.

When task x model groups, each tested on its own, disagree significantly
(some a > b, some a < b), the verdict says so: the pooled test alone would
hide, e.g., GradCAM beating grad x input on a 19-wide-kernel CNN while losing
badly on 8-wide ones.

Each finding is evaluated under three labelled views: |score| vs all pasted
hits (the paper's), positive part vs all hits, |score| vs used hits.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from benchmark import tables

ALPHA = 0.05
CLOSE = 0.02
VIEWS = (("all_hits", "abs"), ("all_hits", "pos"), ("used_hits", "abs"))
VIEW_LABELS = {
    ("all_hits", "abs"): "|score|, all hits (paper)",
    ("all_hits", "pos"): "positive part, all hits",
    ("used_hits", "abs"): "|score|, used hits",
}


def _select(records: list[dict], method: str, reference: str | None = None, params: dict | None = None) -> list[dict]:
    out = []
    for record in tables.ok_records(records):
        cell = record["cell"]
        if cell["method"] != method or (reference is not None and cell["reference"] != reference):
            continue
        if params and any(cell["params"].get(k) != v for k, v in params.items()):
            continue
        out.append(record)
    return out


def _index(records: list[dict]) -> dict[tuple, dict]:
    """(task, model, seed) -> record, preferring main-grid records."""
    out: dict[tuple, dict] = {}
    for record in sorted(records, key=lambda r: ("main" not in r.get("tags", []), r["_path"] if "_path" in r else "")):
        out.setdefault(tables.group_key(record), record)
    return out


def _realistic(record: dict) -> bool:
    return not tables.is_simplified(record) and record["cell"]["kind"] == "keras"


def pairs_same_model(records, a: tuple, b: tuple, scope=_realistic) -> list[tuple[dict, dict]]:
    """(a, b) record pairs in the same (task, model, seed) group; a, b = (method, reference, params)."""
    index_a = _index([r for r in _select(records, *a) if scope(r)])
    index_b = _index([r for r in _select(records, *b) if scope(r)])
    return [(index_a[k], index_b[k]) for k in sorted(set(index_a) & set(index_b))]


def verdict(result: dict, expect: str) -> str:
    diff, p, n = result["mean_difference"], result["p_value"], result["n"]
    if n == 0 or not np.isfinite(diff):
        return "not measured"
    significant = np.isfinite(p) and p < ALPHA
    if expect == "close":
        return "reproduced" if abs(diff) < CLOSE else ("not reproduced (a higher)" if diff > 0 else "not reproduced (a lower)")
    if expect == "not_less":
        if significant and diff < 0:
            return "not reproduced (a significantly lower)"
        return "reproduced" if (significant and diff > 0) else "reproduced (no significant gap)"
    sign = 1 if expect == "greater" else -1
    if significant and sign * diff > 0:
        return "reproduced"
    if significant:
        return "not reproduced (opposite, significant)"
    return "not reproduced (no significant difference)"


def per_group_signs(pairs: list, truth: str = "all_hits", scoring: str = "abs") -> dict:
    """How many (a, b) groups have a significantly above b, below b, or neither (own Wilcoxon test each)."""
    counts = {"above": [], "below": [], "ns": []}
    for a, b in pairs:
        result = tables.paired(a, b, truth, scoring)
        label = "-".join(map(str, tables.group_key(a)[:2]))
        if tables.group_key(a) != tables.group_key(b):
            label += f" vs {tables.group_key(b)[1]}"
        significant = np.isfinite(result["p_value"]) and result["p_value"] < ALPHA
        side = "ns" if not significant else ("above" if result["mean_difference"] > 0 else "below")
        counts[side].append(f"{label} {result['mean_difference']:+.3f}")
    return counts


def _evaluate(name: str, claim: str, a_label: str, b_label: str, pairs: list, expect: str, scope: str) -> dict:
    views = {}
    for truth, scoring in VIEWS:
        result = tables.pooled_paired(pairs, truth, scoring)
        result["verdict"] = verdict(result, expect)
        result["groups"] = len(pairs)
        result["per_group"] = per_group_signs(pairs, truth, scoring)
        if result["per_group"]["above"] and result["per_group"]["below"] and expect != "close":
            result["verdict"] += " pooled, but groups disagree"
        views[f"{truth}/{scoring}"] = result
    return {"name": name, "claim": claim, "a": a_label, "b": b_label, "expect": expect, "scope": scope, "views": views,
            "groups": sorted({"-".join(map(str, tables.group_key(p[0]))) for p in pairs})}


def gradcam_simplified_vs_realistic(records: list[dict], gradcam: str, truth: str, scoring: str) -> dict:
    """Mann-Whitney U: is GradCAM's per-sequence gap to grad x input larger on simplified than realistic tasks?"""
    gaps = {"simplified": [], "realistic": []}
    for scope_name, scope in (("simplified", lambda r: tables.is_simplified(r) and r["cell"]["kind"] == "keras"),
                              ("realistic", _realistic)):
        for a, b in pairs_same_model(records, (gradcam, "none"), ("grad_x_input", "none"), scope):
            va, vb = tables.per_sequence(a, truth, scoring), tables.per_sequence(b, truth, scoring)
            gaps[scope_name] += [va[r] - vb[r] for r in sorted(set(va) & set(vb)) if np.isfinite(va[r] - vb[r])]
    s, r = np.array(gaps["simplified"]), np.array(gaps["realistic"])
    if len(s) < 5 or len(r) < 5:
        return {"mean_difference": float("nan"), "p_value": float("nan"), "n": int(len(s) + len(r)), "verdict": "not measured"}
    p = float(stats.mannwhitneyu(s, r, alternative="two-sided").pvalue)
    result = {"mean_difference": float(s.mean() - r.mean()), "p_value": p, "n": int(len(s) + len(r)),
              "simplified_gap": float(s.mean()), "realistic_gap": float(r.mean())}
    result["verdict"] = verdict(result, "greater")
    return result


def evaluate_all(records: list[dict]) -> list[dict]:
    """Every finding that the results can speak to (rows with "not measured" when cells are missing)."""
    dl = ("deeplift_rescale", "shuffle20", None)
    rows = [
        _evaluate("F3a", "DeepLIFT: dinucleotide-shuffled references beat all-zero references",
                  "deeplift_rescale shuffle20", "deeplift_rescale zeros",
                  pairs_same_model(records, dl, ("deeplift_rescale", "zeros", None)), "greater", "realistic tasks, CNNs"),
        _evaluate("F3b", "DeepLIFT: dinucleotide-shuffled references beat average-composition references",
                  "deeplift_rescale shuffle20", "deeplift_rescale avg_composition",
                  pairs_same_model(records, dl, ("deeplift_rescale", "avg_composition", None)), "greater", "realistic tasks, CNNs"),
        _evaluate("F3c", "DeepLIFT: average-composition references beat all-zero references",
                  "deeplift_rescale avg_composition", "deeplift_rescale zeros",
                  pairs_same_model(records, ("deeplift_rescale", "avg_composition", None), ("deeplift_rescale", "zeros", None)),
                  "greater", "realistic tasks, CNNs"),
        _evaluate("F3d", "DeepLIFT: 50 shuffles add little over 20 (diminishing returns)",
                  "deeplift_rescale shuffle50", "deeplift_rescale shuffle20",
                  pairs_same_model(records, ("deeplift_rescale", "shuffle50", None), dl), "close", "realistic tasks, CNNs"),
        _evaluate("F2a", "DeepLIFT with shuffled references at or above Integrated Gradients with the same references",
                  "deeplift_rescale shuffle20", "integrated_gradients shuffle20 (20 steps)",
                  pairs_same_model(records, dl, ("integrated_gradients", "shuffle20", {"steps": 20})), "not_less", "realistic tasks, CNNs"),
        _evaluate("F2b", "DeepLIFT with shuffled references at or above grad x input",
                  "deeplift_rescale shuffle20", "grad_x_input",
                  pairs_same_model(records, dl, ("grad_x_input", "none", None)), "not_less", "realistic tasks, CNNs"),
        _evaluate("F2c", "Integrated Gradients (shuffled references) can do worse than grad x input",
                  "integrated_gradients shuffle20 (20 steps)", "grad_x_input",
                  pairs_same_model(records, ("integrated_gradients", "shuffle20", {"steps": 20}), ("grad_x_input", "none", None)),
                  "less", "realistic tasks, CNNs"),
        _evaluate("F4", "DeepLIFT RevealCancel and Rescale are close",
                  "deeplift_revealcancel shuffle20", "deeplift_rescale shuffle20",
                  pairs_same_model(records, ("deeplift_revealcancel", "shuffle20", None), dl), "close", "realistic tasks, CNNs"),
    ]
    for gradcam in ("gradcam", "gradcam_paper"):
        rows.append(_evaluate(f"F1a/{gradcam}", f"{gradcam} far below grad x input on realistic tasks",
                              gradcam, "grad_x_input",
                              pairs_same_model(records, (gradcam, "none", None), ("grad_x_input", "none", None)), "less",
                              "realistic tasks, CNNs"))
        rows.append(_evaluate(f"F1b/{gradcam}", f"{gradcam} worse with a short (8) than a long (19) first-layer kernel",
                              f"{gradcam} on basset_k8", f"{gradcam} on basset (k19)",
                              kernel_pairs(records, gradcam), "less", "realistic tasks, basset_k8 vs basset"))
        views = {f"{t}/{s}": gradcam_simplified_vs_realistic(records, gradcam, t, s) for t, s in VIEWS}
        rows.append({"name": f"F1c/{gradcam}", "claim": f"{gradcam} does better (relative to grad x input) on the simplified task",
                     "a": f"{gradcam} - grad_x_input gap, simplified", "b": "same gap, realistic tasks", "expect": "greater",
                     "scope": "per-sequence gaps, Mann-Whitney U (unpaired)", "views": views, "groups": []})
    rows.append(_evaluate("F5", "GkmExplain on gkm-SVM competitive with DeepLIFT (shuffle20) on the CNNs",
                          "gkmexplain on gkmsvm", "deeplift_rescale shuffle20 on each CNN",
                          cross_model_pairs(records, ("gkmexplain", None, None), dl), "not_less", "tasks with a gkm-SVM"))
    return rows


def kernel_pairs(records: list[dict], method: str, short: str = "basset_k8", long: str = "basset") -> list[tuple[dict, dict]]:
    """(method on the short-kernel variant, method on the long-kernel one) per realistic task and seed."""
    chosen = [r for r in _select(records, method, "none") if _realistic(r)]
    by = {(r["cell"]["task"], r["cell"]["model"], r["cell"]["seed"]): r for r in chosen}
    return [(by[(t, short, s)], by[(t, long, s)]) for (t, m, s) in sorted(by) if m == short and (t, long, s) in by]


def cross_model_pairs(records: list[dict], a: tuple, b: tuple) -> list[tuple[dict, dict]]:
    """a (any model) against b on every Keras model of the same task and seed (paired on shared rows)."""
    out = []
    for ra in _select(records, *a):
        for rb in _select(records, *b):
            same = ra["cell"]["task"] == rb["cell"]["task"] and ra["cell"]["seed"] == rb["cell"]["seed"]
            if same and rb["cell"]["kind"] == "keras" and not tables.is_simplified(rb):
                out.append((ra, rb))
    return sorted(out, key=lambda p: (tables.group_key(p[0]), tables.group_key(p[1])))
