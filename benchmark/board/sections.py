"""The detail sections of the board's linked pages (docs/board/*.md): plain functions from records to markdown lines.

The main page's sections (ranking, findings, position control) live in
`benchmark.board.headline`; `benchmark.board.leaderboard` strings both together.
Formatting helpers (`f3`, `fp`, `md_table`) live in `benchmark.analysis.markdown`. Every table is sorted
explicitly so the output does not depend on file order or the hash seed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from benchmark.analysis import inventory, ranking, tables
from benchmark.analysis.markdown import f3, fp, md_table  # noqa: F401 (re-exported for the board's modules)

ALIAS_NOTE = ("`gradient` rows are not listed: the method returns grad × input's array (the gradient is its "
              "hypothetical contribution), so its rows equal `grad_x_input`'s; saliency is that array under max |.|.")
REPRODUCE = "make run   # = motifbench run --profile default (pytest benchmark/ -n 2 --dist loadgroup), then motifbench board"


def legend_section(data: list[dict]) -> list[str]:
    rows = [[d["task"], d["source"] or "–", d["length"], d["n_eval"], f3(d["prevalence"]), len(d["motifs"]),
             ", ".join(d["motifs"][:8]) + (" …" if len(d["motifs"]) > 8 else "")] for d in data]
    return [
        "## How to read the numbers", "",
        "Every number is a mean per-sequence auPRC (or auROC) of one attribution map per eval sequence against a",
        "ground-truth motif mask, labelled by the **projection**, the **scoring** and the **ground truth** it used:",
        "",
        "- projection: the contribution at the observed base (the paper's) or max |.| over the four bases;",
        "- scoring `|score|` (the paper's) or `positive part` (max(score, 0));",
        "- ground truth `all hits` (every pasted motif instance of the task's motif set below, the paper's) or",
        "  `used hits` (only the instances whose dinucleotide shuffle moves the model's logit more than shuffling 95% of",
        "  equally long hit-free spans of the same sequences does; positions of unused instances are left out; a model",
        "  whose positives do not score significantly above its negatives has no used-hits truth).",
        "",
        "Flat maps (all zero, or one value everywhere) rank no position above another; each is scored as the `random`",
        "control scores that sequence on that model, and the board counts them per cell.",
        "",
        "The floor is the `random` control's auPRC, not the prevalence (share of eval positions inside a motif, below):",
        "a random scorer's mean per-sequence auPRC is above the mean prevalence. The motif sets:", "",
        md_table(rows, ["task", "source", "length", "eval seqs", "prevalence", "motifs", "motif set"]), "",
    ]


def per_group_section(records: list[dict]) -> list[str]:
    """One table per (task, model, seed): every cell's metrics under both projections."""
    out = ["## Per task × model", "",
           "Every cell of each model (main grid and ablations). auPRC/auROC: observed-base projection (the paper's), "
           "|score|, all hits, ± SEM over sequences; `max |.|`: the same auPRC with max |.| over the four bases "
           "('–' in files written before both projections were stored); flat: maps that are all zero or constant "
           "(scored as the random control in rankings and findings; '–' in files written before they were counted). "
           + ALIAS_NOTE, ""]
    for (task, model, seed), members in tables.groups(tables.drop_aliases(records)).items():
        ok = [r for r in members if r["status"] == "ok"]
        prevalence = ok[0]["metrics"]["all_hits"]["prevalence"] if ok else None
        fid = (ok[0].get("model") or {}).get("fidelity", {}) if ok else {}
        out += [f"### {task} · {model} · seed {seed}", "",
                f"Prevalence {f3(prevalence)}; model test auROC {f3(fid.get('test_auroc'))}, auPRC {f3(fid.get('test_auprc'))}; "
                f"{len(ok[0]['rows']) if ok else 0} eval sequences.", ""]
        rows = []
        for r in sorted(members, key=lambda r: (-_safe(tables.value(r)), r["cell"]["config"])):
            if r["status"] != "ok":
                rows.append([r["cell"]["config"], "FAILED"] + [""] * 10)
                continue
            m = tables.metrics_of(r, "observed")
            if m is None:  # an old file holding only the max |.| projection
                rows.append([r["cell"]["config"], "–", "–", "–", f3(tables.value(r, projection="max_abs")), "–", "–", "–",
                             _flat(r), f3(r.get("convergence_error"), 3), f3((r.get("runtime") or {}).get("per_1000_sequences"), 1),
                             ",".join(t.replace("ablation:", "abl:") for t in r.get("tags", []))])
                continue
            a = m["all_hits"]
            rows.append([
                r["cell"]["config"],
                f"{f3(a['abs']['auprc_mean'])} ± {f3(a['abs']['auprc_sem'])}",
                f"{f3(a['abs']['auroc_mean'])} ± {f3(a['abs']['auroc_sem'])}",
                f3(a["pos"]["auprc_mean"]), f3(tables.value(r, projection="max_abs")), f3(tables.value(r, "used_hits")),
                f3(a["share_inside"]), f3(a["signed_contrast"], 2), _flat(r), f3(r.get("convergence_error"), 3),
                f3((r.get("runtime") or {}).get("per_1000_sequences"), 1),
                ",".join(t.replace("ablation:", "abl:") for t in r.get("tags", [])),
            ])
        out += [md_table(rows, ["method-reference-params", "auPRC ± SEM", "auROC ± SEM", "auPRC pos.", "auPRC max |.|",
                                "auPRC used", "|attr| in motifs", "signed contrast", "flat", "conv. error", "s/1k", "grid"]), ""]
    return out


def _flat(record: dict) -> str:
    """Flat maps of a cell under the observed projection: "3/50", "" for none, "–" when the file does not say."""
    if "flat_maps" not in record:
        return "–"
    n = len(tables.flat_rows(record))
    return f"{n}/{len(record.get('rows') or [])}" if n else ""


def _safe(x: float) -> float:
    return x if np.isfinite(x) else -1.0


REF_ORDER = ["zeros", "avg_composition", "seq_composition", "shuffle10", "shuffle20", "shuffle50"]


def reference_ablation_section(records: list[dict], figures_prefix: str | None = None) -> list[str]:
    chosen = [r for r in tables.ok_records(records) if any(t == "ablation:reference" for t in r.get("tags", []))
              or (r["cell"]["reference"] in REF_ORDER and r["cell"]["method"].startswith(("deeplift", "deepshap", "integrated")))]
    table = defaultdict(dict)
    for r in chosen:
        if r["cell"]["params"].get("steps", 20) != 20:
            continue
        key = (r["cell"]["task"], r["cell"]["model"], r["cell"]["seed"], r["cell"]["method"])
        table[key][tables.reference_of(r)] = r
    if not table:
        return []
    rows = []
    for (task, model, seed, method), by_ref in sorted(table.items()):
        if len(by_ref) < 2:
            continue
        rows.append([task, model, seed, method] + [
            f"{f3(tables.value(by_ref[ref]))} / {f3(tables.value(by_ref[ref], 'all_hits', 'pos'))}" if ref in by_ref else "–"
            for ref in REF_ORDER])
    return ["## Reference ablation", "",
            "auPRC (observed base) against all hits as `|score| / positive part` (the two scorings can rank references "
            "differently). `avg_composition` is the paper's reference (one per-position average of the eval set, shared by "
            "every sequence); `seq_composition` is each sequence's own composition.", "",
            md_table(rows, ["task", "model", "seed", "method"] + REF_ORDER), "",
            *([f"![reference ablation]({figures_prefix}/reference_ablation.png)", ""] if figures_prefix else [])]


def param_ablation_section(records: list[dict]) -> list[str]:
    chosen = [r for r in tables.drop_aliases(tables.ok_records(records)) if "ablation:params" in r.get("tags", [])]
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
            "`steps`: Integrated Gradients steps). Columns are task/model. " + ALIAS_NOTE, "",
            md_table(rows, ["method-reference-params"] + [f"{t}/{m}" for t, m in columns]), ""]


def simplified_vs_realistic_section(records: list[dict], n_boot: int = 300) -> list[str]:
    """The same CNN ranking on the simplified task and on the realistic tasks, side by side."""
    simple = {r["config"]: r for r in ranking.ranking(records, "keras", scope=tables.is_simplified, n_boot=n_boot)}
    real = {r["config"]: r for r in ranking.ranking(records, "keras", scope=tables.is_realistic, n_boot=n_boot)}
    shared = sorted(set(simple) & set(real), key=lambda c: (_nan_high(simple[c]["rank"]), c))
    if not shared:
        return []
    rows = [[c, f3(simple[c]["auprc"]), f3(simple[c]["rank"], 1), f3(real[c]["auprc"]), f3(real[c]["rank"], 1),
             f3(real[c]["rank"] - simple[c]["rank"], 1)] for c in shared]
    return ["## Simplified vs realistic tasks", "",
            "Same methods and CNN architectures (models passing the fidelity gate); auPRC (observed base, |score|, all hits) "
            "as the mean over models, and mean rank over the models every row shares. A positive rank shift means the "
            "method ranks worse on the realistic tasks.", "",
            md_table(rows, ["method-reference-params", "simplified auPRC", "simplified rank", "realistic auPRC",
                            "realistic rank", "rank shift"]), ""]


def _nan_high(x: float) -> float:
    return x if np.isfinite(x) else np.inf


def kernel_width_section(records: list[dict], figures_prefix: str | None = None) -> list[str]:
    main = [r for r in tables.drop_aliases(tables.main_records(records)) if r["cell"]["kind"] == "keras"]
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
            "`basset_k8` is Basset with an 8-wide first kernel, isolating the width from the rest of the architecture. "
            + ALIAS_NOTE, "",
            md_table(rows, headers), "",
            *([f"![GradCAM and kernel width]({figures_prefix}/gradcam_kernel_width.png)", ""] if figures_prefix else [])]


def fidelity_section(records: list[dict]) -> list[str]:
    _, excluded = tables.gate(tables.ok_records(records))
    left_out = {(e["task"], e["model"], e["seed"]): e["reason"] for e in excluded}
    fidelity = inventory.fidelity_rows(records)
    thresholds = sorted({f for r in fidelity for f in r["used_by_fraction"]}, key=float)
    kind = "null quantile" if any(r["threshold_kind"] == "quantile" for r in fidelity) else "share of the logit gap"

    def used(r):
        if r["used_status"] != "ok":
            return f"none ({r['used_status']})"
        return f"{r['hits_used']}/{r['hits']}" if r["hits"] is not None and r["hits_used"] is not None else "–"

    rows = [[r["task"], r["model"], r["seed"], r["arch"], r["kernel"] or "–", f3(r["auroc"]), f3(r["auprc"]), used(r),
             *[r["used_by_fraction"].get(f) if r["used_by_fraction"].get(f) is not None else "–" for f in thresholds],
             r["shared"] if r["shared"] is not None else "–",
             (r["key"] or "–")[:12], left_out.get((r["task"], r["model"], r["seed"]), "")]
            for r in fidelity]
    reasons = sorted({f"{r['task']} {r['model']} s{r['seed']}: {r['used_reason']}" for r in fidelity if r["used_status"] != "ok"})
    return ["## Model fidelity", "", "Test-split auROC/auPRC of each explained model; hits used = motif instances (eval set) "
            "whose shuffle moves the logit more than the threshold. Models below the fidelity gate (test auROC under "
            f"the run's threshold, {tables.FIDELITY_THRESHOLD} unless the run file sets one) are left out of every ranking "
            "and finding.", "",
            f"Used instances are counted at each threshold ({kind}: the threshold is that quantile of the |logit change| "
            "when equally long hit-free spans of the same sequences are shuffled); overlapping instances are shuffled "
            "together as one block, and 'in shared blocks' counts the instances that overlap another. A model whose test "
            "positives do not score significantly above its test negatives gets no used-hits ground truth ('none').", "",
            *([f"- {line}" for line in reasons] + [""] if reasons else []),
            *fidelity_summary(fidelity),
            md_table(rows, ["task", "model", "seed", "arch", "first kernel", "test auROC", "test auPRC", "hits used",
                            *[f"used at {f}" for f in thresholds], "in shared blocks", "model key", "left out"]), ""]


def fidelity_summary(rows: list[dict]) -> list[str]:
    """Test auROC per task x model variant over its seeds (mean, SD, seeds) beside gkm-SVM's mean on the task."""
    by_variant: dict[tuple, list[float]] = {}
    for row in rows:
        if row["auroc"] is not None:
            by_variant.setdefault((row["task"], row["model"]), []).append(float(row["auroc"]))
    gkm = {task: np.mean(values) for (task, model), values in by_variant.items() if model == "gkmsvm"}
    table = [[task, model, f3(np.mean(values)), f3(np.std(values, ddof=1)) if len(values) > 1 else "–", len(values),
              f3(gkm[task]) if task in gkm else "–"]
             for (task, model), values in sorted(by_variant.items()) if model != "gkmsvm"]
    if not table:
        return []
    return ["Test auROC over seeds (SD: sample standard deviation across seeds):", "",
            md_table(table, ["task", "model", "mean test auROC", "SD", "seeds", "gkm-SVM mean"]), "",
            "The same check on small and 400 bp stress tasks (not on the board), beside a 6-mer logistic regression "
            "and the planted-motif ceiling, with each row's gap to gkm-SVM and its 95% interval over models and test "
            "sequences (how well the test split resolves the gap): `python -m baselines check --tasks default,stress`, "
            "last written to `docs/fidelity_check.md` in the motifbench checkout. Given more seeds (`--seeds 0-23`) "
            "it also says how often a three-seed draw meets the bar (e.g. `docs/fidelity_check_stress_oct4_500_24_seeds.md`).", ""]


def sanity_section(records: list[dict]) -> list[str]:
    rows = [[r["config"], f3(r["trained"]), f3(r["randomized"]), f3(r["trained"] - r["randomized"]), f3(r["spearman"], 2), r["n_cells"]]
            for r in inventory.sanity_rows(records)]
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
