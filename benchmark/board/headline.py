"""The main page's sections: the answer first (ranking with CIs, findings, position control), a screen each.

Each function maps records (or computed rows) to markdown lines. Numbers come
from `benchmark.analysis.tables` (rankings over models, gated) and `benchmark.analysis.findings`
(model-level tests); nothing here computes statistics of its own. The README's
headline block (`readme_block`) is rendered from the same rows, so no sentence
there states a finding the board does not show.
"""

from __future__ import annotations

import numpy as np

from benchmark.analysis import findings, tables
from benchmark.board.sections import f3, fp, md_table

CONTROL_NOTES = {
    "random-none": "control: floor",
    "centre_prior-none": "control: position only",
    "pwm_scan-none": "control: the task's motifs, no model",
    "smoothed_grad_x_input-none": "control: smoothing",
}
SHORT_VERDICT = (
    ("reproduced", "reproduced"), ("opposite", "opposite"), ("not contradicted", "not contradicted"),
    ("not significant", "n.s."), ("not reproduced", "not reproduced"), ("inconclusive", "inconclusive"),
    ("no model-level test", "too few models"), ("not measured", "not measured"),
)


def short_verdict(text: str) -> str:
    for needle, short in SHORT_VERDICT:
        if needle in text:
            return short + (" (fragile)" if "fragile" in text else "") + (" (models disagree)" if "disagree" in text else "")
    return text


def _label(config: str) -> str:
    note = CONTROL_NOTES.get(config)
    return f"{config} ({note})" if note else config


def _margin_text(margin: dict | None) -> tuple[str, str]:
    if not margin or not np.isfinite(margin.get("effect", np.nan)):
        return "–", "–"
    return (f"{margin['effect']:+.3f} [{margin['ci_low']:+.3f}, {margin['ci_high']:+.3f}]",
            f"{margin['above']}/{margin['n_units']}")


def ranking_table(rows: list[dict], with_runtime: bool = True, saliency: bool = False) -> str:
    """Markdown of `tables.ranking` rows; with `saliency`, grad_x_input's row is labelled as what it is under max |.|."""
    body = []
    for i, r in enumerate(rows):
        rank = f3(r["rank"], 1) if np.isfinite(r["rank"]) else (f"– (missing in {r['missing']})" if r["missing"] else "–")
        margin, above = _margin_text(r["margin"])
        name = _label(r["config"])
        if saliency and r["config"].startswith("grad_x_input-none"):
            name += " (= saliency: the gradient under max |.|)"
        line = [i + 1, name, f"{f3(r['auprc'])} [{f3(r['ci_low'])}, {f3(r['ci_high'])}]", r["n_units"], rank,
                margin, above, f3(r["auroc"])]
        if with_runtime:
            line += [f3(r["per_1000"], 1), r["failed"] or ""]
        body.append(line)
    headers = ["#", "method-reference-params", "auPRC [95% CI]", "models", "mean rank", "margin over centre_prior [95% CI]",
               "models above centre_prior", "auROC"]
    if with_runtime:
        headers += ["s/1k seqs", "failed cells"]
    return md_table(body, headers)


def floor_sentence(rows: list[dict], records: list[dict]) -> str:
    random_row = next((r for r in rows if r["config"] == "random-none"), None)
    kept, _ = tables.analysis_records(records)
    scope = main_scope(records)[0]
    prevalences = [r["metrics"]["all_hits"].get("prevalence_mean") for r in kept if scope(r)]
    prevalences = [p for p in prevalences if p is not None]
    prevalence = float(np.mean(prevalences)) if prevalences else float("nan")
    if random_row is None or not np.isfinite(random_row["auprc"]):
        return f"Floor: no `random` cells; mean per-sequence prevalence {f3(prevalence)}."
    return (f"Floor: the `random` row's auPRC ({f3(random_row['auprc'])}), not the prevalence ({f3(prevalence)}): a random "
            "scorer's mean per-sequence auPRC sits above the mean prevalence on short sequences with few motif positions.")


def main_scope(records: list[dict]):
    """(scope predicate, label) of the main ranking: the realistic tasks, or every task when there is none (e.g. smoke)."""
    if any(tables.is_realistic(r) for r in tables.ok_records(records)):
        return tables.is_realistic, "the realistic tasks"
    return (lambda r: True), "every task (these results hold no realistic task)"


def ranking_section(records: list[dict], pages: dict[str, str], n_boot: int = 1000) -> list[str]:
    scope, label = main_scope(records)
    rows = tables.ranking(records, "keras", tables.HEADLINE, scope, n_boot)
    gkm = tables.ranking(records, "gkmsvm", tables.HEADLINE, scope, n_boot)
    if not rows and not gkm:
        return []
    out = ["## Which method to trust: overall ranking", "",
           f"CNNs on {label}, models that pass the fidelity gate. auPRC = mean over models (task × architecture × "
           "seed) of each model's mean per-sequence auPRC, observed-base projection (the paper's), |score|, all hits; 95% CI "
           "from a hierarchical bootstrap (models, then sequences within each). Mean rank: within each model, over the models "
           "every ranked row shares. Margin over centre_prior: mean over models of the per-sequence paired difference with a "
           "scorer that knows only the distance to the sequence centre. `gradient` is not a separate row: it returns "
           f"grad × input's array; saliency is that array under max |.| over bases ([other views]({pages['views']})).", "",
           ranking_table(rows), "", floor_sentence(rows, records), ""]
    if gkm:
        out += ["gkm-SVM models, ranked in their own table (other methods cannot explain them):", "",
                ranking_table(gkm, with_runtime=True), ""]
    return out


def gate_section(records: list[dict], pages: dict[str, str]) -> list[str]:
    _, excluded = tables.gate(tables.ok_records(records))
    if not excluded:
        return ["Fidelity gate: every model passes (test auROC at or above its threshold, "
                f"{tables.FIDELITY_THRESHOLD} unless the run sets one); see [models]({pages['models']}).", ""]
    rows = [[e["task"], e["model"], e["seed"], e["reason"]] for e in excluded]
    return ["### Models left out by the fidelity gate", "",
            "Their cells are in `results/` and on the per-model pages but in no ranking or finding:", "",
            md_table(rows, ["task", "model", "seed", "why"]), ""]


def implementation_sentence(gap: dict | None) -> str:
    """One sentence on deeplift vs DeepSHAP (the primed companion findings), from `findings.implementation_gap`."""
    if gap is None:
        return ""
    return ("Primed ids (F2a', F2b', F5') repeat a finding with DeepSHAP as the DeepLIFT arm: the same Rescale rule, "
            "but summing to f(x) − f(ref) through max-pooling, where the deeplift package's MaxPool rule (the "
            f"gradient, its only one) does not. On these models deeplift_rescale is below deepshap on {gap['n_below']} of "
            f"{gap['n']} (mean {gap['mean_gap']:+.3f} auPRC); " + (
                f"across models, a deeplift cell's convergence error and its gap to deepshap have Spearman "
                f"ρ = {gap['rho']:+.2f} (p {fp(gap['p'])})." if np.isfinite(gap["rho"]) else
                f"deeplift's convergence error is at most {gap['max_error']:.3g} on every model, so there is no "
                "rank correlation to compute."))


def findings_section(rows: list[dict], pages: dict[str, str], gap: dict | None = None) -> list[str]:
    paper = findings.view_key(findings.VIEWS[0])
    body = []
    for row in rows:
        res = row["views"][paper]
        effect = f"{res['effect']:+.3f} [{res['ci_low']:+.3f}, {res['ci_high']:+.3f}]" if np.isfinite(res.get("effect", np.nan)) else "–"
        agree = f"{res['above']} / {res['below']} of {res['n_units']}" if res.get("n_units") else "–"
        if "n_a" in res:
            agree = f"{res['n_a']} simplified vs {res['n_b']} realistic models"
        others = "; ".join(f"{short}: {short_verdict(row['views'][findings.view_key(v)]['verdict'])}"
                           for v, short in zip(findings.VIEWS[1:], ("pos.", "used", "max |.|")))
        body.append([row["name"], row["claim"], effect, agree, fp(res.get("p_value")), res["verdict"], others])
    return ["## The paper's findings, tested across models", "",
            "Unit: the trained model (task × architecture × seed) unless the row's scope says otherwise. Effect: mean over "
            "models of the per-model mean auPRC difference a − b (observed base, |score|, all hits) with a hierarchical-"
            "bootstrap 95% CI; models a>b / a<b; p: two-sided Wilcoxon signed-rank over the per-model differences "
            f"(model level; none below 6 models). Verdict at p < {findings.ALPHA}; 'close' means the CI lies within "
            f"±{findings.CLOSE}; 'fragile' means the result is not significant once one of its models is left out (so "
            "with 6 models always): shown, but not a firm verdict. The last column gives the verdict under the other "
            "views. Per-model differences, "
            f"sequence-level tests (Holm-corrected) and every view: [findings in detail]({pages['findings']}).", "",
            md_table(body, ["id", "finding (paper): a vs b", "effect a − b [95% CI]", "models a>b / a<b",
                            "p (model level)", "verdict", "other views"]), "",
            *([implementation_sentence(gap), ""] if gap else []),
            "Whether a verdict depends on which seeds were trained: `make replicate` trains seeds 3-5 and counts each "
            "verdict over the 20 three-seed draws of seeds 0-5 (`python -m benchmark.analysis.draws`), last written to "
            "`docs/findings_over_seed_draws.md` in the motifbench checkout.", ""]


def position_section(records: list[dict], pages: dict[str, str], n_boot: int = 300) -> list[str]:
    kept, _ = tables.analysis_records(records)
    keras = [r for r in kept if r["cell"]["kind"] == "keras"]
    if any(not tables.is_simplified(r) for r in keras):  # the simplified task places motifs at random already
        keras = [r for r in keras if not tables.is_simplified(r)]
    tasks = sorted({r["cell"]["task"] for r in keras}, key=lambda t: (t.replace("_randompos", ""), t))
    head = ["## Position control", "",
            "Real motifs sit near peak summits and the realistic simulation pastes them back where they were, so a scorer that "
            "knows only each position's distance to the centre (`centre_prior`, no model) is strong. A method's margin over it "
            "is what the method knows beyond 'motifs are central'. Tasks named `*_randompos` paste the same hits at random "
            "non-overlapping positions instead (a diagnostic: there the prior is worthless).", ""]
    if not any(r["cell"]["method"] == "centre_prior" for r in keras):
        return head + ["No `centre_prior` cells in these results yet; they appear after the next `make run`.", ""]
    per_task = {t: tables.ranking(records, "keras", tables.HEADLINE, (lambda task: lambda r: r["cell"]["task"] == task)(t), n_boot)
                for t in tasks}
    summary = []
    for t in tasks:
        rows = {r["config"]: r for r in per_task[t]}
        prior, rnd = rows.get("centre_prior-none"), rows.get("random-none")
        methods = [r for c, r in rows.items() if c not in CONTROL_NOTES and r["margin"]]
        beat_all = sum(1 for r in methods if r["margin"]["n_units"] and r["margin"]["above"] == r["margin"]["n_units"])
        best = max(methods, key=lambda r: tables.nan_low(r["auprc"]), default=None)
        summary.append([t, prior["n_units"] if prior else "–", f3(prior["auprc"]) if prior else "–", f3(rnd["auprc"]) if rnd else "–",
                        f"{best['config']} {f3(best['auprc'])}" if best else "–", f"{beat_all}/{len(methods)}"])
    configs = sorted({c for t in tasks for c in (r["config"] for r in per_task[t])} - {"centre_prior-none"})
    body = []
    for c in configs:
        line = [_label(c)]
        for t in tasks:
            row = next((r for r in per_task[t] if r["config"] == c), None)
            m = row["margin"] if row else None
            line.append(f"{m['effect']:+.3f} ({m['above']}/{m['n_units']})" if m and np.isfinite(m["effect"]) else "–")
        body.append(line)
    return head + [md_table(summary, ["task", "models", "centre_prior auPRC", "random auPRC", "best method (auPRC)",
                                      "methods above centre_prior on every model"]), "",
                   "Each method's margin over centre_prior per task (mean auPRC difference over models; models above / models):", "",
                   md_table(body, ["method-reference-params"] + tasks), ""]


def views_page(records: list[dict], n_boot: int = 500) -> list[str]:
    """The ranking under every other view, and on the simplified task (a linked page)."""
    out = ["# Rankings under other views", "",
           "Same rows, models and statistics as the main ranking, one change each. Under max |.| over bases, grad_x_input's "
           "row *is* saliency (the `gradient` method returns the same array). Files written before both projections were "
           "stored hold only the projection the method declared (then: max |.| for `gradient`, observed base for the rest), "
           "so a view may miss rows until the next run.", ""]
    scope, scope_label = main_scope(records)
    for view, label in findings.VIEW_LABELS.items():
        if view == tables.HEADLINE:
            continue
        rows = tables.ranking(records, "keras", view, scope, n_boot)
        table = ranking_table(rows, with_runtime=False, saliency=view[0] == "max_abs") if rows else "No cells."
        out += [f"## {label} (CNNs, {scope_label})", "", table, ""]
    for truth in tables.extra_truths(records):
        rows = tables.ranking(records, "keras", ("observed", truth, "abs"), scope, n_boot)
        out += [f"## |score|, used hits at threshold {truth.split('@')[1]} (CNNs, {scope_label})", "",
                ranking_table(rows, with_runtime=False) if rows else "No cells.", ""]
    simple = tables.ranking(records, "keras", tables.HEADLINE, tables.is_simplified, n_boot)
    if simple:
        out += ["## Simplified task (CNNs; observed base, |score|, all hits)", "", ranking_table(simple, with_runtime=False), ""]
    return out


def findings_page(rows: list[dict]) -> list[str]:
    """Every finding under every view, with per-model differences and sequence-level tests (a linked page)."""
    out = ["# The paper's findings in detail", "",
           "Per finding and view: the model-level result (effect, hierarchical-bootstrap CI, models a>b / a<b, Wilcoxon p "
           "over models, verdict), then each model's mean difference with a **sequence-level** Wilcoxon p within that model "
           "and its Holm-adjusted value (Holm over every per-model test of every finding in the same view). Sequence-level "
           "p-values treat one model's sequences as independent draws; they do not speak for other trainings.", ""]
    for row in rows:
        out += [f"## {row['name']}: {row['claim']}", "", f"a = {row['a']}; b = {row['b']}; scope: {row['scope']}; "
                f"expected: {row['expect']}.", ""]
        summary = []
        for view, label in findings.VIEW_LABELS.items():
            res = row["views"][findings.view_key(view)]
            summary.append([label, f3(res.get("effect")), f"[{f3(res.get('ci_low'))}, {f3(res.get('ci_high'))}]",
                            f"{res.get('above', 0)} / {res.get('below', 0)} of {res.get('n_units', 0)}", fp(res.get("p_value")),
                            res["verdict"]])
        out += [md_table(summary, ["view", "effect", "95% CI", "models a>b / a<b", "p (model level)", "verdict"]), ""]
        units = row["views"][findings.view_key(findings.VIEWS[0])].get("per_unit") or []
        if units:
            body = [[u["unit"], f"{u['mean']:+.3f}" if np.isfinite(u["mean"]) else "–", u["n"], fp(u["p_sequence"]),
                     fp(u.get("p_holm"))] for u in units]
            out += ["Per model (|score|, all hits, observed base):", "",
                    md_table(body, ["model", "mean a − b", "sequences", "p (sequence level)", "p Holm"]), ""]
    return out


def readme_block(records: list[dict], finding_rows: list[dict], top: int = 12, n_boot: int = 1000) -> list[str]:
    """The README's headline: the top of the main ranking and one line per finding, from the board's own rows."""
    rows = tables.ranking(records, "keras", tables.HEADLINE, main_scope(records)[0], n_boot)
    if not rows:
        return ["No results yet: run `make run`."]
    body = [[i + 1, _label(r["config"]), f"{f3(r['auprc'])} [{f3(r['ci_low'])}, {f3(r['ci_high'])}]",
             f3(r["rank"], 1), _margin_text(r["margin"])[0]] for i, r in enumerate(rows[:top])]
    paper = findings.view_key(findings.VIEWS[0])
    by_verdict: dict[str, list[str]] = {}
    for row in finding_rows:
        by_verdict.setdefault(short_verdict(row["views"][paper]["verdict"]), []).append(row["name"])
    lines = [f"- {verdict}: {', '.join(names)}" for verdict, names in sorted(by_verdict.items())]
    return ["CNNs on the realistic tasks (observed-base projection, |score|, all hits; mean over models with a "
            "hierarchical-bootstrap 95% CI). Top rows of [`leaderboard.md`](leaderboard.md), which renders this block:", "",
            md_table(body, ["#", "method-reference-params", "auPRC [95% CI]", "mean rank", "margin over centre_prior"]), "",
            "The paper's findings, tested across trained models (verdicts in the paper's view; effects, CIs and the other "
            "views on the board):", "", *lines]
