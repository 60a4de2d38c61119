"""The board's faithfulness page: deletion/insertion rankings per task, and their agreement with planted truth."""

from __future__ import annotations

from benchmark.analysis import faithfulness
from benchmark.analysis.markdown import f3, md_table, with_interval


def faithfulness_page(records: list[dict]) -> list[str]:
    """Markdown lines of docs/board/faithfulness.md."""
    lines = ["# Faithfulness: scores that need no planted truth", "",
             "Each method's observed-base map ranks the positions of a sequence (highest signed score first). "
             "**Deletion**: the top 1, 2, 5, 10 and 20% of positions are replaced by the bases of dinucleotide shuffles of "
             "the same sequence (3 draws), and the model's logit falls; **insertion**: those positions are restored into "
             "the shuffles, and the logit rises. Each curve is summarised as its mean height over the fractions (logit "
             "units; larger is more faithful). The controls get the same scores: `random` is the floor, `centre_prior` "
             "says how far position alone goes, `pwm_scan` ranks by the task's own motifs without the model. "
             "Intervals: 95% bootstrap over models; main grid, models past the fidelity gate.", ""]
    pairs = faithfulness.tasks_with_scores(records)
    if not pairs:
        return lines + ["No faithfulness scores yet (cells computed before they were recorded have none).", ""]
    agreement_rows = [row for row in (faithfulness.agreement(records, task, kind) for task, kind in pairs) if row["n_models"]]
    lines += ["## Does faithfulness rank methods as planted truth does?", "",
              "Kendall's tau across methods (controls left out) between the deletion area and the planted-truth auPRC "
              "(|score|, all hits), per model; mean over models with a bootstrap 95% interval.", "",
              faithfulness.reading(agreement_rows), "",
              md_table([[r["task"], r["kind"], r["n_models"], r["n_methods"],
                         with_interval((r["tau"], r["low"], r["high"]))] for r in agreement_rows],
                       ["task", "model kind", "models", "methods", "Kendall tau [95% CI]"]), ""]
    for task, kind in pairs:
        rows = faithfulness.ranking(records, task, kind)
        body = [[i, r["config"] + (" (control)" if r["control"] else ""), with_interval(r["deletion"]),
                 with_interval(r["insertion"]), f3(r["mean_rank"], 1), r["n_models"]] for i, r in enumerate(rows, 1)]
        lines += [f"## {task} ({kind} models)", "",
                  md_table(body, ["#", "method-reference-params", "deletion area [95% CI]", "insertion area [95% CI]",
                                  "mean rank", "models"]), ""]
    return lines
