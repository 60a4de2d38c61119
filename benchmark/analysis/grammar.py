"""Grammar tasks on the board: does a map get the logic (sign, decoys, the rule), and does localisation predict it?

A cell on a grammar task carries ``record["grammar"]`` (`benchmark.scores.scoring.grammar_scores_of`):
signed recovery, decoy AUC and rule score of its observed-base map. Localisation
is the usual planted-truth auPRC (|score|, every planted instance, decoys
included). Per model, Kendall's tau across methods (controls left out) between
the localisation ranking and the rule-score ranking says whether finding the
motifs predicts reading the rule; its mean over models comes with a bootstrap
interval over models (`benchmark.analysis.faithfulness.bootstrap_mean`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import kendalltau

from benchmark.analysis import tables
from benchmark.analysis.faithfulness import bootstrap_mean, by_model

LOGIC_SCORES = ("signed_recovery", "decoy_auc", "rule_score")


def logic(record: dict, name: str) -> float | None:
    """One grammar score of a record (None when the record has none or it is undefined)."""
    value = (record.get("grammar") or {}).get(name)
    return float(value) if value is not None and np.isfinite(value) else None


def scored_records(records: list[dict]) -> list[dict]:
    """Gated main-grid records on grammar tasks that carry grammar scores."""
    kept, _ = tables.analysis_records(records)
    return [r for r in kept if tables.is_grammar(r) and r.get("grammar")]


def task_pairs(records: list[dict]) -> list[tuple[str, str]]:
    """Sorted (task, model kind) pairs with grammar scores."""
    return sorted({(r["cell"]["task"], r["cell"].get("kind", "keras")) for r in scored_records(records)})


def ranking(records: list[dict], task: str, kind: str = "keras") -> list[dict]:
    """Rows for one grammar task and model kind, best rule score first.

    Each row: config, whether it is a control, localisation auPRC and each logic score
    as (mean over models, low, high), and the number of models.
    """
    chosen = [r for r in scored_records(records) if r["cell"]["task"] == task and r["cell"].get("kind", "keras") == kind]
    columns = {"auprc": by_model(chosen, lambda r: tables.value(r))}
    columns.update({name: by_model(chosen, lambda r, n=name: logic(r, n)) for name in LOGIC_SCORES})
    configs = sorted({c for per_config in columns["auprc"].values() for c in per_config})
    rows = []
    for config in configs:
        row = {"config": config, "control": config.split("-")[0] in tables.CONTROLS}
        for name, per_model in columns.items():
            row[name] = bootstrap_mean([v[config] for v in per_model.values() if config in v])
        row["n_models"] = sum(config in v for v in columns["auprc"].values())
        rows.append(row)
    return sorted(rows, key=lambda r: (-np.nan_to_num(r["rule_score"][0], nan=-1.0), r["config"]))


def localisation_predicts_logic(records: list[dict], task: str, kind: str = "keras", score: str = "rule_score") -> dict:
    """Kendall's tau across methods (controls left out) between auPRC and `score`, per model, and its mean over models."""
    chosen = [r for r in scored_records(records) if r["cell"]["task"] == task and r["cell"].get("kind", "keras") == kind
              and r["cell"]["method"] not in tables.CONTROLS]
    where = by_model(chosen, lambda r: tables.value(r))
    what = by_model(chosen, lambda r: logic(r, score))
    taus = []
    for unit, configs in sorted(where.items()):
        shared = sorted(set(configs) & set(what.get(unit, {})))
        if len(shared) >= 3:
            tau = kendalltau([configs[c] for c in shared], [what[unit][c] for c in shared]).statistic
            if np.isfinite(tau):
                taus.append(float(tau))
    mean, low, high = bootstrap_mean(taus)
    return {"task": task, "kind": kind, "score": score, "tau": mean, "low": low, "high": high, "n_models": len(taus)}


def fidelity(records: list[dict]) -> dict[tuple[str, str], list[float]]:
    """(task, model variant) -> test auROC of each seed's model, for the grammar tasks (one value per model)."""
    seen: dict[tuple, float] = {}
    for record in tables.ok_records(records):
        if not tables.is_grammar(record):
            continue
        auroc = ((record.get("model") or {}).get("fidelity") or {}).get("test_auroc")
        if auroc is not None:
            seen[tables.group_key(record)] = float(auroc)
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (task, model, _), auroc in sorted(seen.items()):
        out[(task, model)].append(auroc)
    return dict(out)
