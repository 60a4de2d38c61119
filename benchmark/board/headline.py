"""The main page's sections: the answer first (ranking with CIs, findings, position control), a screen each.

Each function maps records (or computed rows) to markdown lines. Numbers come
from `benchmark.analysis.ranking` (rankings over models and sequences, gated)
and `benchmark.analysis.findings` (verdicts in the paper's scope); nothing here
computes statistics of its own. The README's headline block (`readme_block`)
is rendered from the same rows, so no sentence there states a finding the
board does not show.
"""

from __future__ import annotations

import numpy as np

from benchmark.analysis import findings, inventory, paper, ranking, tables
from benchmark.board.sections import f3, fp, md_table

CONTROL_NOTES = {config: f"control: {what}" for config, what in tables.CONTROL_CONFIGS.items()}
SHORT_VERDICT = (
    ("reproduced", "reproduced"), ("opposite", "opposite"), ("not significant", "n.s."),
    ("not reproduced", "not reproduced"), ("inconclusive", "inconclusive"), ("too few", "too few models"),
    ("not measured", "not measured"),
)


def short_verdict(text: str) -> str:
    for needle, short in SHORT_VERDICT:
        if needle in text:
            return short + (" (fragile)" if "fragile" in text else "") + (" (models disagree)" if "disagree" in text else "")
    return text


def _label(config: str) -> str:
    note = CONTROL_NOTES.get(config)
    return f"{config} ({note})" if note else config


def _ci(result: dict | None, digits: int = 3) -> str:
    if not result or not np.isfinite(result.get("effect", np.nan)):
        return "–"
    return f"{result['effect']:+.{digits}f} [{result['ci_low']:+.{digits}f}, {result['ci_high']:+.{digits}f}]"


def task_order(tasks) -> list[str]:
    """Realistic tasks first, each followed by nothing else; then their random-position copies in the same order."""
    return sorted(tasks, key=lambda t: ("randompos" in t, t.replace("_randompos", "")))


def main_scope(records: list[dict]):
    """(scope predicate, label) of the main ranking: the realistic tasks and their random-position copies, the
    realistic tasks alone when there is no copy, or every task when there is no realistic task (e.g. smoke)."""
    ok = tables.ok_records(records)
    if any(tables.is_realistic(r) for r in ok):
        if any(tables.is_diagnostic(r) for r in ok):
            return tables.is_position_controlled, "the realistic tasks and their random-position copies"
        return tables.is_realistic, "the realistic tasks"
    return (lambda r: True), "every task (these results hold no realistic task)"


def ranking_table(rows: list[dict], tasks: list[str], with_runtime: bool = True, saliency: bool = False) -> str:
    """Markdown of ranking rows: overall auPRC with its CI, one column per task, models, runtime."""
    body = []
    for i, r in enumerate(rows):
        name = _label(r["config"])
        if saliency and r["config"].startswith("grad_x_input-none"):
            name += " (= saliency: the gradient under max |.|)"
        line = [i + 1, name, f"{f3(r['auprc'])} [{f3(r['ci_low'])}, {f3(r['ci_high'])}]",
                *(f3(r["by_task"].get(t)) for t in tasks), r["n_units"]]
        if with_runtime:
            line += [f3(r["per_1000"], 1), r["failed"] or ""]
        body.append(line)
    headers = ["#", "method-reference-params", "auPRC, mean over tasks [95% CI]", *tasks, "models"]
    if with_runtime:
        headers += ["s/1k seqs", "failed cells"]
    return md_table(body, headers)


def _split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    methods = [r for r in rows if r["config"] not in tables.CONTROL_CONFIGS]
    return methods, [r for r in rows if r["config"] in tables.CONTROL_CONFIGS]


def order_sentence(rows: list[dict], tasks: list[str]) -> str:
    """The one sentence above the table: what the order is and why position cannot carry it."""
    prior = next((r for r in rows if r["config"] == "centre_prior-none"), None)
    copies = [t for t in tasks if "randompos" in t]
    if not copies:
        return ("Rows are ordered by the mean over tasks of each task's mean per-sequence auPRC over models; these results "
                "hold no random-position copy of a task, so part of a row's score may be where motifs usually sit.")
    got = ", ".join(f"{f3(prior['by_task'].get(t))} on {t}" for t in tasks) if prior else ""
    share = "half of them are" if 2 * len(copies) == len(tasks) else f"{len(copies)} of them {'is a' if len(copies) == 1 else 'are'}"
    return (f"Rows are ordered by the mean over {len(tasks)} tasks ({', '.join(tasks)}; each weighted equally) of each "
            f"task's mean per-sequence auPRC over models: {share} random-position "
            f"cop{'y' if len(copies) == 1 and 2 * len(copies) != len(tasks) else 'ies'}, whose motifs sit anywhere, so "
            "knowing where motifs usually are cannot carry a row" +
            (f" (`centre_prior`, which knows only the distance to the centre, scores {got})." if got else "."))


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


def flat_sentence(records: list[dict], configs: set[str]) -> str:
    """Which rows returned flat maps, on how many models ("" when the results do not count them)."""
    if not any("flat_maps" in r for r in tables.ok_records(records)):
        return ("Flat maps (all zero or constant) are not counted in these result files; the next run counts them and "
                "scores each as the `random` control scores that sequence.")
    counts = {c: v for c, v in inventory.flat_counts(records).items() if c in configs}
    if not counts:
        return "No ranked row returned a flat map (all zero or constant) on any model."
    listed = "; ".join(f"{c}: flat on {v['models']} of {v['of']} models ({v['maps']} of {v['of_maps']} maps)"
                       for c, v in sorted(counts.items()))
    return ("Flat maps (all zero or constant; each is scored as the `random` control scores that sequence on that model, "
            f"since a map that ranks nothing is a random ranking's equal): {listed}.")


def ranking_section(records: list[dict], pages: dict[str, str], n_boot: int = 1000) -> list[str]:
    scope, label = main_scope(records)
    rows = ranking.ranking(records, "keras", tables.HEADLINE, scope, n_boot)
    gkm = ranking.ranking(records, "gkmsvm", tables.HEADLINE, scope, n_boot)
    if not rows and not gkm:
        return []
    tasks = task_order({t for r in rows + gkm for t in r["by_task"]})
    methods, controls = _split(rows)
    out = ["## Which method to trust: overall ranking", "", order_sentence(rows, tasks), "",
           f"CNNs of the registered architectures on {label}, models that pass the fidelity gate (ablation variants count "
           "only in the findings about them). Per task: mean over models of each model's mean per-sequence auPRC, "
           "observed-base projection (the paper's), |score|, all hits. 95% CI over new models and new sequences: every model "
           "of a task is scored on the same random sample of its test positives, so models and sequences are resampled as "
           "crossed factors. `gradient` is not a separate row: it returns grad × input's array; saliency is that array "
           f"under max |.| over bases ([other views]({pages['views']})).", "",
           ranking_table(methods, tasks), "", "Controls (no attribution of the model, or a smoothed one):", "",
           ranking_table(controls, tasks), "", floor_sentence(rows, records), "",
           flat_sentence(records, {r["config"] for r in rows}), ""]
    if gkm:
        out += ["gkm-SVM models, ranked in their own table (other methods cannot explain them):", "",
                ranking_table(gkm, tasks, with_runtime=True), ""]
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


def paper_effects(row: dict) -> str:
    """The paper's effect per architecture ("Basset +0.079 / Beluga +0.173"), with its caveat."""
    published = row.get("paper")
    if not published:
        return "– (qualitative)" if row["name"].startswith(("F1b", "F1c")) else "–"
    text = " / ".join(f"{arch.capitalize()} {v:+.3f}" for arch, v in published["by_arch"].items())
    return text + (f" ({published['note']})" if published.get("note") else "")


def arch_effect(result: dict, arch: str) -> str:
    got = (result.get("per_arch") or {}).get(arch)
    return f"{got['effect']:+.3f}" if got and np.isfinite(got.get("effect", np.nan)) else "–"


def _models(result: dict) -> str:
    if result.get("n_by_arm"):
        return " vs ".join(str(n) for n in result["n_by_arm"].values())
    return str(result.get("n_units", 0)) if result.get("n_units") else "–"


def findings_section(rows: list[dict], pages: dict[str, str], gap: dict | None = None) -> list[str]:
    view = findings.view_key(findings.VIEWS[0])
    body = []
    for row in rows:
        res = row["views"][view]
        others = "; ".join(f"{short}: {short_verdict(row['views'][findings.view_key(v)]['verdict'])}"
                           for v, short in zip(findings.VIEWS[1:], ("pos.", "used", "max |.|")))
        body.append([row["name"], row["claim"], paper_effects(row), *(arch_effect(res, a) for a in paper.ARCHS),
                     _ci(res), _models(res), res["verdict"], res.get("against_paper", "–"), others])
    margin = findings.MARGIN
    return ["## The paper's findings, tested in its scope", "",
            "Each finding is tested where the paper made it: Basset (first kernel 19) and Beluga (8), as registered, on the "
            "realistic tasks, observed base, |score|, all hits; the ablation variants count only in F1b. Effect: a − b, the "
            "mean over tasks of the mean over models, with a 95% CI over new models and new sequences (models and each "
            "task's shared sequences resampled as crossed factors); beside it the paper's published effect and each "
            f"architecture's own. Verdicts: 'beats' claims need the CI to exclude 0; 'at or above' and 'competitive' claims "
            f"are non-inferiority with margin {margin} auPRC (the CI must lie above −{margin}); 'close' claims need the CI "
            f"inside ±{margin}. A firm verdict that one model can overturn is marked fragile. Every view, each "
            f"architecture's CI and the per-model tests: [findings in detail]({pages['findings']}).", "",
            md_table(body, ["id", "finding (paper): a vs b", "paper's effect", *(f"{a.capitalize()}" for a in paper.ARCHS),
                            "effect a − b [95% CI]", "models", "verdict", "CI excludes the paper's effect",
                            "other views"]), "",
            *([implementation_sentence(gap), ""] if gap else []),
            "Whether a verdict depends on which seeds were trained: `make replicate` trains seeds 3-5 and counts each "
            "verdict over the 20 three-seed draws of seeds 0-5 (`motifbench draws`), last written to "
            "`docs/findings_over_seed_draws.md` in the motifbench checkout.", ""]


def position_section(records: list[dict], pages: dict[str, str], n_boot: int = 300) -> list[str]:
    kept, _ = tables.analysis_records(records)
    keras = [r for r in kept if r["cell"]["kind"] == "keras" and tables.is_headline_model(r) and not tables.is_simplified(r)]
    tasks = task_order({r["cell"]["task"] for r in keras})
    head = ["## Position control", "",
            "Real motifs sit near peak summits and the realistic simulation pastes them back where they were, so a scorer that "
            "knows only each position's distance to the centre (`centre_prior`, no model) is strong. Tasks named "
            "`*_randompos` paste the same hits at random non-overlapping positions instead: there the prior is worthless. "
            "'Prior's share' is how much of the best method's gain over `random` the prior reaches alone.", ""]
    if not any(r["cell"]["method"] == "centre_prior" for r in keras):
        return head + ["No `centre_prior` cells in these results yet; they appear after the next `make run`.", ""]
    summary = []
    for t in tasks:
        rows = {r["config"]: r for r in ranking.ranking(records, "keras", tables.HEADLINE,
                                                        (lambda task: lambda r: r["cell"]["task"] == task)(t), n_boot)}
        prior, rnd = rows.get("centre_prior-none"), rows.get("random-none")
        methods = [r for c, r in rows.items() if c not in tables.CONTROL_CONFIGS and r["margin"]]
        beat_all = sum(1 for r in methods if r["margin"]["n_units"] and r["margin"]["above"] == r["margin"]["n_units"])
        best = max(methods, key=lambda r: tables.nan_low(r["auprc"]), default=None)
        share = "–"
        if best and prior and rnd and best["auprc"] > rnd["auprc"]:
            share = f"{(prior['auprc'] - rnd['auprc']) / (best['auprc'] - rnd['auprc']):.0%}"
        summary.append([t, prior["n_units"] if prior else "–", f3(prior["auprc"]) if prior else "–",
                        f3(rnd["auprc"]) if rnd else "–", f"{best['config']} {f3(best['auprc'])}" if best else "–", share,
                        f"{beat_all}/{len(methods)}"])
    return head + [md_table(summary, ["task", "models", "centre_prior auPRC", "random auPRC", "best method (auPRC)",
                                      "prior's share of the best gain", "methods above centre_prior on every model"]), ""]


def readme_block(records: list[dict], finding_rows: list[dict], top: int = 12, n_boot: int = 1000) -> list[str]:
    """The README's headline: the top of the main ranking and one line per finding, from the board's own rows."""
    scope, label = main_scope(records)
    rows, _ = _split(ranking.ranking(records, "keras", tables.HEADLINE, scope, n_boot))
    if not rows:
        return ["No results yet: run `make run`."]
    tasks = task_order({t for r in rows for t in r["by_task"]})
    body = [[i + 1, r["config"], f"{f3(r['auprc'])} [{f3(r['ci_low'])}, {f3(r['ci_high'])}]",
             *(f3(r["by_task"].get(t)) for t in tasks)] for i, r in enumerate(rows[:top])]
    view = findings.view_key(findings.VIEWS[0])
    by_verdict: dict[str, list[str]] = {}
    for row in finding_rows:
        by_verdict.setdefault(short_verdict(row["views"][view]["verdict"]), []).append(row["name"])
    lines = [f"- {verdict}: {', '.join(names)}" for verdict, names in sorted(by_verdict.items())]
    return [f"CNNs on {label} (observed-base projection, |score|, all hits; 95% CI over new models and new sequences). "
            f"{order_sentence(rows, tasks)} Top rows of [`leaderboard.md`](leaderboard.md), which renders this block:", "",
            md_table(body, ["#", "method-reference-params", "auPRC, mean over tasks [95% CI]", *tasks]), "",
            "The paper's findings, tested in its scope (Basset and Beluga on the realistic tasks; effects, CIs, the paper's "
            "effect sizes and the other views on the board):", "", *lines]
