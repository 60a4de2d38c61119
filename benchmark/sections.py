"""The sections of leaderboard.md: each a plain function from result records to markdown lines.

`benchmark.leaderboard.render` strings them together; formatting helpers
(`f3`, `fp`, `md_table`) live here too. Every table is sorted explicitly so
the output does not depend on file order or the hash seed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from tabulate import tabulate

from benchmark import findings, tables

REPRODUCE = "make run   # = pytest benchmark/ --profile default -n 2 --dist loadgroup, then python -m benchmark.leaderboard"


def f3(x, digits: int = 3) -> str:
    """A number for a table: fixed digits, '–' for missing."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def fp(p) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def md_table(rows: list[list], headers: list[str]) -> str:
    """A GitHub-markdown table; '|' inside cells is escaped so it cannot split a column."""
    def esc(x):
        return str(x).replace("|", "\\|")

    return tabulate([[esc(c) for c in row] for row in rows], headers=[esc(h) for h in headers],
                    tablefmt="github", disable_numparse=True)


def legend_section(data: list[dict]) -> list[str]:
    rows = [[d["task"], d["source"] or "–", d["length"], d["n_eval"], f3(d["prevalence"]), len(d["motifs"]),
             ", ".join(d["motifs"][:8]) + (" …" if len(d["motifs"]) > 8 else "")] for d in data]
    return [
        "## How to read it", "",
        "Every number is a mean per-sequence auPRC (or auROC) of one attribution map per eval sequence against a",
        "ground-truth motif mask, labelled by the **scoring** and the **ground truth** it used:",
        "",
        "- scoring `|score|` (the paper's) or `positive part` (max(score, 0));",
        "- ground truth `all hits` (every pasted motif instance of the task's motif set below, the paper's) or",
        "  `used hits` (only the instances whose dinucleotide shuffle moves the model's logit by at least 5% of its",
        "  positive-negative separation; positions of unused instances are left out).",
        "",
        "Prevalence (share of eval positions inside a motif) is the auPRC of a random scorer. The motif sets:", "",
        md_table(rows, ["task", "source", "length", "eval seqs", "prevalence", "motifs", "motif set"]), "",
    ]


def _view_text(res: dict) -> str:
    diff = res["mean_difference"]
    if res["n"] == 0 or diff is None or not np.isfinite(diff):
        return res["verdict"]
    return f"{diff:+.3f} (p {fp(res['p_value'])}): {res['verdict']}"


def findings_section(records: list[dict]) -> list[str]:
    rows, details = [], []
    for item in findings.evaluate_all(records):
        views = [item["views"][f"{t}/{s}"] for t, s in findings.VIEWS]
        per = views[0].get("per_group")
        split = f"{len(per['above'])} / {len(per['below'])} / {len(per['ns'])}" if per else "–"
        rows.append([item["name"], item["claim"], f"{item['a']} − {item['b']}", views[0]["n"], split] + [_view_text(v) for v in views])
        if per and (per["above"] or per["below"]):
            details.append([item["name"], "; ".join(per["above"]) or "–", "; ".join(per["below"]) or "–", "; ".join(per["ns"]) or "–"])
    return [
        "## The paper's findings, tested", "",
        "Each row is a paired comparison on the same sequences: mean per-sequence auPRC difference (a − b), pooled",
        "over the task × model groups in scope, two-sided Wilcoxon signed-rank p (F1c: Mann-Whitney U on the",
        f"per-sequence gaps), n = sequences. Verdicts use p < {findings.ALPHA}; 'close' means |difference| < {findings.CLOSE}.",
        "The first view is the paper's setting; the other two show whether the conclusion depends on it.",
        "'groups a>b / a<b / n.s.' counts the task × model groups where the same test, run within the group",
        "(|score|, all hits), finds a significantly above b, below b, or neither: a pooled verdict can hide groups that disagree.", "",
        md_table(rows, ["id", "finding (paper)", "comparison (a − b)", "n", "groups a>b / a<b / n.s."]
                 + [findings.VIEW_LABELS[v] for v in findings.VIEWS]), "",
        "Per-group mean differences (|score|, all hits):", "",
        md_table(details, ["id", "a significantly above b", "a significantly below b", "not significant"]), "",
    ]


def overall_section(rows: list[dict], figures_prefix: str | None) -> list[str]:
    body = [[i + 1, r["config"], f"{f3(r['auprc'])} [{f3(r['ci_low'])}, {f3(r['ci_high'])}]", f3(r["mean_rank"], 1),
             r["n_groups"], f3(r["auroc"]), f3(r["auprc_pos"]), f3(r["auprc_used"]), f3(r["per_1000"], 1),
             r["failed"] or ""] for i, r in enumerate(rows)]
    out = [
        "## Overall ranking", "",
        "Main grid only. auPRC = mean over task × model groups of the mean per-sequence auPRC (|score|, all hits), with a",
        "bootstrap 95% CI (sequences resampled within each cell); rank = mean rank within each task × model group",
        "(1 = best); s/1k = median method seconds per 1,000 sequences on this machine.", "",
        md_table(body, ["#", "method-reference-params", "auPRC [95% CI]", "mean rank", "groups", "auROC",
                        "auPRC pos. part", "auPRC used hits", "s/1k seqs", "failed cells"]), "",
    ]
    if figures_prefix:
        out += [f"![overall auPRC]({figures_prefix}/overall_auprc.png)", ""]
    return out


def per_group_section(records: list[dict]) -> list[str]:
    out = ["## Per task × model", ""]
    for (task, model, seed), members in tables.groups(records).items():
        ok = [r for r in members if r["status"] == "ok"]
        prevalence = ok[0]["metrics"]["all_hits"]["prevalence"] if ok else None
        fid = (ok[0].get("model") or {}).get("fidelity", {}) if ok else {}
        out += [f"### {task} · {model} · seed {seed}", "",
                f"Prevalence {f3(prevalence)}; model test auROC {f3(fid.get('test_auroc'))}, auPRC {f3(fid.get('test_auprc'))}; "
                f"{len(ok[0]['rows']) if ok else 0} eval sequences.", ""]
        rows = []
        for r in sorted(members, key=lambda r: (-_safe(tables.value(r)), r["cell"]["config"])):
            if r["status"] != "ok":
                rows.append([r["cell"]["config"], "FAILED", "", "", "", "", "", "", "", "", ""])
                continue
            a = r["metrics"]["all_hits"]
            rows.append([
                r["cell"]["config"],
                f"{f3(a['abs']['auprc_mean'])} ± {f3(a['abs']['auprc_sem'])}",
                f"{f3(a['abs']['auroc_mean'])} ± {f3(a['abs']['auroc_sem'])}",
                f3(a["abs"]["pooled_auprc"]), f3(a["pos"]["auprc_mean"]), f3(tables.value(r, "used_hits")),
                f3(a["share_inside"]), f3(a["signed_contrast"], 2), f3(r.get("convergence_error"), 3),
                f3((r.get("runtime") or {}).get("per_1000_sequences"), 1),
                ",".join(t.replace("ablation:", "abl:") for t in r.get("tags", [])),
            ])
        out += [md_table(rows, ["method-reference-params", "auPRC ± SEM", "auROC ± SEM", "pooled auPRC", "auPRC pos.",
                                "auPRC used", "|attr| in motifs", "signed contrast", "conv. error", "s/1k", "grid"]), ""]
    return out


def _safe(x: float) -> float:
    return x if np.isfinite(x) else -1.0


REF_ORDER = ["zeros", "avg_composition", "shuffle10", "shuffle20", "shuffle50"]


def reference_ablation_section(records: list[dict], figures_prefix: str | None = None) -> list[str]:
    chosen = [r for r in tables.ok_records(records) if any(t == "ablation:reference" for t in r.get("tags", []))
              or (r["cell"]["reference"] in REF_ORDER and r["cell"]["method"].startswith(("deeplift", "deepshap", "integrated")))]
    table = defaultdict(dict)
    for r in chosen:
        if r["cell"]["params"].get("steps", 20) != 20:
            continue
        key = (r["cell"]["task"], r["cell"]["model"], r["cell"]["method"])
        table[key][r["cell"]["reference"]] = r
    if not table:
        return []
    rows = []
    for (task, model, method), by_ref in sorted(table.items()):
        if len(by_ref) < 2:
            continue
        rows.append([task, model, method] + [
            f"{f3(tables.value(by_ref[ref]))} / {f3(tables.value(by_ref[ref], 'all_hits', 'pos'))}" if ref in by_ref else "–"
            for ref in REF_ORDER])
    return ["## Reference ablation", "",
            "auPRC against all hits as `|score| / positive part` (the two scorings can rank references differently).", "",
            md_table(rows, ["task", "model", "method"] + REF_ORDER), "",
            *([f"![reference ablation]({figures_prefix}/reference_ablation.png)", ""] if figures_prefix else [])]


def param_ablation_section(records: list[dict]) -> list[str]:
    chosen = [r for r in tables.ok_records(records) if "ablation:params" in r.get("tags", [])]
    if not chosen:
        return []
    columns = sorted({(r["cell"]["task"], r["cell"]["model"]) for r in chosen})
    by = {(r["cell"]["config"], r["cell"]["task"], r["cell"]["model"]): r for r in chosen}
    rows = []
    for config in sorted({r["cell"]["config"] for r in chosen}):
        rows.append([config] + [f3(tables.value(by[(config, t, m)])) if (config, t, m) in by else "–" for t, m in columns])
    return ["## Method-parameter ablation", "",
            "auPRC (|score|, all hits) of each method at each declared parameter value (`corrected`: the Majdandzic et al. "
            "gradient correction; `layerlast`: GradCAM-family maps at the last instead of the first conv layer; "
            "`steps`: Integrated Gradients steps). Columns are task/model.", "",
            md_table(rows, ["method-reference-params"] + [f"{t}/{m}" for t, m in columns]), ""]


def simplified_vs_realistic_section(records: list[dict]) -> list[str]:
    main = tables.main_records(records)
    simple = [r for r in main if tables.is_simplified(r) and r["cell"]["kind"] == "keras"]
    real = [r for r in main if not tables.is_simplified(r) and r["cell"]["kind"] == "keras"]
    if not simple or not real:
        return []

    def summary(members):
        ranks = defaultdict(list)
        values = defaultdict(list)
        for group in tables.groups(members).values():
            for config, rank in tables.ranks_within(group).items():
                ranks[config].append(rank)
            for r in group:
                values[r["cell"]["config"]].append(tables.value(r))
        return {c: (float(np.nanmean(values[c])), float(np.mean(ranks[c])) if ranks[c] else np.nan) for c in values}

    s, r = summary(simple), summary(real)
    rows = [[c, f3(s[c][0]), f3(s[c][1], 1), f3(r[c][0]), f3(r[c][1], 1), f3(r[c][1] - s[c][1], 1)]
            for c in sorted(set(s) & set(r), key=lambda c: (s[c][1], c))]
    return ["## Simplified vs realistic tasks", "",
            "Same methods and CNN architectures; auPRC (|score|, all hits) and mean rank within task × model. "
            "A positive rank shift means the method ranks worse on the realistic tasks.", "",
            md_table(rows, ["method-reference-params", "simplified auPRC", "simplified rank", "realistic auPRC",
                            "realistic rank", "rank shift"]), ""]


def kernel_width_section(records: list[dict], figures_prefix: str | None = None) -> list[str]:
    main = [r for r in tables.main_records(records) if r["cell"]["kind"] == "keras"]
    models = sorted({(r["cell"]["model"], (r.get("model") or {}).get("first_kernel_width")) for r in main}, key=lambda m: (m[1] or 0, m[0]))
    if len({k for _, k in models}) < 2:
        return []
    by = {(r["cell"]["task"], r["cell"]["model"], r["cell"]["config"]): r for r in main}
    tasks = sorted({r["cell"]["task"] for r in main})
    configs = sorted({r["cell"]["config"] for r in main})
    headers = ["task", "method-reference-params"] + [f"{m} (k{k})" for m, k in models]
    rows = []
    for task in tasks:
        for config in configs:
            vals = [f3(tables.value(by[(task, m, config)])) if (task, m, config) in by else "–" for m, _ in models]
            if any(v != "–" for v in vals):
                rows.append([task, config] + vals)
    return ["## First-layer kernel width", "",
            "auPRC (|score|, all hits) of every method on each CNN; the column header gives its first-layer kernel width. "
            "`basset_k8` is Basset with an 8-wide first kernel, isolating the width from the rest of the architecture.", "",
            md_table(rows, headers), "",
            *([f"![GradCAM and kernel width]({figures_prefix}/gradcam_kernel_width.png)", ""] if figures_prefix else [])]


def fidelity_section(records: list[dict]) -> list[str]:
    rows = [[r["task"], r["model"], r["seed"], r["arch"], r["kernel"] or "–", f3(r["auroc"]), f3(r["auprc"]),
             f"{r['hits_used']}/{r['hits']}" if r["hits"] is not None else "–", (r["key"] or "–")[:12]]
            for r in tables.fidelity_rows(records)]
    return ["## Model fidelity", "", "Test-split auROC/auPRC of each explained model; hits used = motif instances (eval set) "
            "whose shuffle moves the logit past the threshold.", "",
            md_table(rows, ["task", "model", "seed", "arch", "first kernel", "test auROC", "test auPRC", "hits used", "model key"]), ""]


def sanity_section(records: list[dict]) -> list[str]:
    rows = [[r["config"], f3(r["trained"]), f3(r["randomized"]), f3(r["trained"] - r["randomized"]), f3(r["spearman"], 2), r["n_cells"]]
            for r in tables.sanity_rows(records)]
    if not rows:
        return []
    return ["## Sanity check: weight-randomised models", "",
            "Each method re-run on a copy of the model with re-initialised weights (Adebayo et al. 2018), on the first "
            "sanity sequences of each cell; auPRC (|score|, all hits). A method whose score barely drops, or whose maps stay "
            "rank-correlated with the trained model's, is not explaining the model.", "",
            md_table(rows, ["method-reference-params", "auPRC trained", "auPRC randomised", "drop", "Spearman", "cells"]), ""]


def failures_section(records: list[dict]) -> list[str]:
    failed = [r for r in records if r["status"] == "failed"]
    if not failed:
        return []
    rows = [[r["cell"]["id"], (r.get("error") or "").replace("\n", " ").replace("|", "/")[:300]] for r in failed]
    return ["## Failed cells", "", md_table(rows, ["cell", "message"]), ""]


def problems_section(problems: list[str]) -> list[str]:
    if not problems:
        return []
    return ["## Unusable result files", "", *[f"- {p}" for p in problems], ""]


def provenance_section(records: list[dict], data: list[dict], n_ok: int) -> list[str]:
    versions = Counter()
    for r in records:
        for k, v in sorted((r.get("versions") or {}).items()):
            versions[(k, v)] += 1
    vrows = [[k, v, n] for (k, v), n in sorted(versions.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]
    drows = [[d["task"], d["hash"] or "–", d["n_sequences"]] for d in data]
    return ["## Provenance", "",
            f"{len(records)} result files ({n_ok} ok, {len(records) - n_ok} failed).", "",
            md_table(drows, ["task", "dataset hash", "sequences"]), "",
            md_table(vrows, ["package", "version", "result files"]), "",
            f"Reproduce: `{REPRODUCE}`. Each result file records its inputs' keys (task spec and code, model recipe, "
            "method source, reference code, scoring code), so a re-run recomputes only cells whose inputs changed.", ""]
