"""The board's grammar page: per grammar task, localisation beside sign, decoys and the rule."""

from __future__ import annotations

import numpy as np

from benchmark.analysis import grammar
from benchmark.analysis.markdown import f3, md_table, with_interval


def grammar_page(records: list[dict]) -> list[str]:
    """Markdown lines of docs/board/grammar.md."""
    lines = ["# Grammar tasks: does a map get the logic?", "",
             "Each grammar task implants real motif instances into dinucleotide-shuffled peaks under a labelling rule "
             "(AND, spacing and orientation, a repressor, OR as the control), with decoys in the negatives: the same "
             "motifs in configurations that do not satisfy the rule. **auPRC** is localisation (every planted instance, "
             "decoys included). **Signed recovery**: instances carry the sign the rule gives them (balanced over the two "
             "signs). **Decoy AUC**: satisfying instances score above decoys. **Rule score**: the map read as the rule "
             "(the weakest member of each satisfying set above the decoys, acting repressors below them). Scores use the "
             "observed-base map; means over models with bootstrap 95% intervals; main grid, models past the fidelity gate.",
             ""]
    pairs = grammar.task_pairs(records)
    if not pairs:
        return lines + ["No grammar results on this board yet: `motifbench run --profile grammar` computes them.", ""]
    fidelity = grammar.fidelity(records)
    lines += ["## Do the models learn the rules?", "",
              md_table([[task, model, len(v), f3(float(np.mean(v))), f3(float(np.min(v)))]
                        for (task, model), v in sorted(fidelity.items())],
                       ["task", "model", "seeds", "mean test auROC", "lowest"]), ""]
    agreement = [grammar.localisation_predicts_logic(records, task, kind) for task, kind in pairs]
    lines += ["## Does localisation predict the logic?", "",
              "Kendall's tau across methods (controls left out) between auPRC and rule score, per model; mean over "
              "models. Near 1: the methods that find the motifs best also read the rule best; near 0 or below: "
              "localisation says little about the logic.", "",
              md_table([[r["task"], r["kind"], r["n_models"], with_interval((r["tau"], r["low"], r["high"]))] for r in agreement],
                       ["task", "model kind", "models", "Kendall tau [95% CI]"]), ""]
    for task, kind in pairs:
        rows = grammar.ranking(records, task, kind)
        body = [[i, r["config"] + (" (control)" if r["control"] else ""), with_interval(r["auprc"]), with_interval(r["signed_recovery"]),
                 with_interval(r["decoy_auc"]), with_interval(r["rule_score"]), r["n_models"]] for i, r in enumerate(rows, 1)]
        lines += [f"## {task} ({kind} models)", "",
                  md_table(body, ["#", "method-reference-params", "auPRC", "signed recovery", "decoy AUC", "rule score",
                                  "models"]), ""]
    return lines
