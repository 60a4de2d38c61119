"""Linked pages built from the headline's rows: rankings under other views, and the findings in detail."""

from __future__ import annotations

import numpy as np

from benchmark.analysis import findings, inventory, paper, ranking, tables
from benchmark.board.headline import _ci, main_scope, paper_effects, ranking_table, task_order
from benchmark.board.sections import f3, fp, md_table


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
        rows = ranking.ranking(records, "keras", view, scope, n_boot)
        tasks = task_order({t for r in rows for t in r["by_task"]})
        table = ranking_table(rows, tasks, with_runtime=False, saliency=view[0] == "max_abs") if rows else "No cells."
        out += [f"## {label} (CNNs, {scope_label})", "", table, ""]
    for truth in inventory.extra_truths(records):
        rows = ranking.ranking(records, "keras", ("observed", truth, "abs"), scope, n_boot)
        tasks = task_order({t for r in rows for t in r["by_task"]})
        out += [f"## |score|, used hits at threshold {truth.split('@')[1]} (CNNs, {scope_label})", "",
                ranking_table(rows, tasks, with_runtime=False) if rows else "No cells.", ""]
    simple = ranking.ranking(records, "keras", tables.HEADLINE, tables.is_simplified, n_boot)
    if simple:
        tasks = task_order({t for r in simple for t in r["by_task"]})
        out += ["## Simplified task (CNNs; observed base, |score|, all hits)", "",
                ranking_table(simple, tasks, with_runtime=False), ""]
    return out


def _arch_rows(row: dict, result: dict) -> list[list]:
    published = (row.get("paper") or {}).get("by_arch", {})
    out = []
    for arch, got in (result.get("per_arch") or {}).items():
        paper_effect = published.get(arch)
        out.append([arch + ("" if got.get("in_verdict") else " (not in the verdict)"), _ci(got), got["n_units"],
                    fp(got.get("p_value")), f"{paper_effect:+.3f}" if paper_effect is not None else "–",
                    findings.against_paper(got, paper_effect)])
    return out


def findings_page(rows: list[dict]) -> list[str]:
    """Every finding under every view, each architecture's effect, and the per-model tests (a linked page)."""
    out = ["# The paper's findings in detail", "",
           "Per finding and view: the effect a − b in the paper's scope (Basset and Beluga on the realistic tasks) with its "
           "95% CI over new models and new sequences (crossed resampling), the models with a > b / a < b, the p-value of the "
           "same procedure, and the verdict; in the paper's view, each architecture's own effect beside the paper's. Then "
           "each model's mean difference with a **sequence-level** Wilcoxon p within that model and its Holm-adjusted value "
           "(Holm over every per-model test of every finding in the same view). Sequence-level p-values treat one model's "
           "sequences as the only ones; they do not speak for other sequences or other trainings.", ""]
    for row in rows:
        out += [f"## {row['name']}: {row['claim']}", "", f"a = {row['a']}; b = {row['b']}; scope: {row['scope']}; "
                f"expected: {row['expect']}; the paper's effect: {paper_effects(row)}.", ""]
        summary = []
        for view, label in findings.VIEW_LABELS.items():
            res = row["views"][findings.view_key(view)]
            summary.append([label, _ci(res), f"{res.get('above', 0)} / {res.get('below', 0)} of {res.get('n_units', 0)}",
                            fp(res.get("p_value")), res["verdict"]])
        out += [md_table(summary, ["view", "effect [95% CI]", "models a>b / a<b", "p", "verdict"]), ""]
        paper_view = row["views"][findings.view_key(findings.VIEWS[0])]
        arch_rows = _arch_rows(row, paper_view)
        if arch_rows:
            out += ["By architecture (|score|, all hits, observed base):", "",
                    md_table(arch_rows, ["architecture", "effect [95% CI]", "models", "p", "paper's effect",
                                         "CI excludes the paper's effect"]), ""]
        units = paper_view.get("per_unit") or []
        if units:
            body = [[u["unit"], f"{u['mean']:+.3f}" if np.isfinite(u["mean"]) else "–", u["n"], fp(u["p_sequence"]),
                     fp(u.get("p_holm"))] for u in units]
            out += ["Per model (|score|, all hits, observed base):", "",
                    md_table(body, ["model", "mean a − b", "sequences", "p (sequence level)", "p Holm"]), ""]
    archs = " and ".join(f"`{a}`" for a in paper.ARCHS)
    return out + [f"The paper's architectures are registered here as {archs}; the margin of the non-inferiority and "
                  f"'close' verdicts is {f3(findings.MARGIN, 2)} auPRC.", ""]
