"""The planted-rule ceiling of a grammar task: a logistic regression on the rule's own features.

If a linear model on features of the planted instances (which letters occur,
and how the first A-B pair is arranged) separates the test split, the task is
learnable from what it plants; a model that falls short of this ceiling has not
learnt the rule. Features (`FEATURES`), per sequence:

- ``has_A``, ``has_B``, ``has_R``: a letter occurs (only the rule's letters are used);
- ``same_strand``, ``b_after_a``: the first A and the first B (by start) are on
  the same strand; B starts after A's end, read on A's strand;
- ``gap_0`` .. ``gap_<max_gap>``: the gap between them, read on A's strand, one-hot
  (all zero when B is not after A or the gap is beyond max_gap).

`rule_ceiling` also reports two controls that see no arrangement: presence of the
letters only, and the number of instances only (what a map that just finds motifs
sees). On the spacing task both sit at chance; on the AND task the count is not enough.
"""

from __future__ import annotations

import numpy as np


def feature_names(grammar) -> list[str]:
    """Names of the columns `rule_features` returns for a `GrammarSpec`."""
    letters = [f"has_{letter}" for letter in grammar.letters()]
    pair = ["same_strand", "b_after_a", *[f"gap_{g}" for g in range(grammar.max_gap + 1)]] if "B" in grammar.letters() else []
    return letters + pair


def rule_features(instances: np.ndarray, n_rows: int, grammar) -> np.ndarray:
    """(n_rows, F) float64 features of each sequence (columns: `feature_names`).

    instances: a table with fields seq, letter, start, end, strand (the dataset's
    ``instances``, or a FIMO hit table with a ``letter`` field added).
    """
    names = feature_names(grammar)
    column = {name: j for j, name in enumerate(names)}
    out = np.zeros((n_rows, len(names)), dtype=np.float64)
    firsts: dict[tuple[int, str], tuple] = {}
    for inst in sorted(instances, key=lambda r: (int(r["seq"]), int(r["start"]))):
        key = (int(inst["seq"]), str(inst["letter"]))
        if f"has_{key[1]}" in column:
            out[key[0], column[f"has_{key[1]}"]] = 1.0
        firsts.setdefault(key, (int(inst["start"]), int(inst["end"]), str(inst["strand"])))
    if "same_strand" not in column:
        return out
    for row in range(n_rows):
        a, b = firsts.get((row, "A")), firsts.get((row, "B"))
        if a is None or b is None:
            continue
        out[row, column["same_strand"]] = float(a[2] == b[2])
        gap = b[0] - a[1] if a[2] == "+" else a[0] - b[1]
        if gap >= 0:
            out[row, column["b_after_a"]] = 1.0
            if gap <= grammar.max_gap:
                out[row, column[f"gap_{gap}"]] = 1.0
    return out


def ceiling_auroc(features: np.ndarray, y: np.ndarray, is_test: np.ndarray, C: float = 10.0) -> tuple[float, np.ndarray]:
    """(test auROC, coefficients (F,)) of a logistic regression fit on the training rows.

    features: (N, F); y: (N,) 0/1; is_test: (N,) bool. lbfgs, deterministic.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(features[~is_test], y[~is_test])
    score = model.decision_function(features[is_test])
    return float(roc_auc_score(y[is_test], score)), model.coef_[0]


def rule_ceiling(dataset, instances: np.ndarray | None = None) -> dict:
    """Test auROC of the planted-rule ceiling and of its two controls.

    dataset: a built grammar task (`tasks.build`); instances: the table to read
    features from (default the dataset's planted ``instances``; a FIMO scan of
    ``dataset.X`` with a ``letter`` field gives the same on these tasks).

    Returns
    -------
    {"rule": auROC, "presence_only": auROC, "count_only": auROC, "features": names,
     "coefficients": {name: weight}} (auROCs rounded to 4 decimals).
    """
    from tasks.grammar_spec import grammar_from_dict

    spec = dataset.manifest["spec"]
    grammar = grammar_from_dict(spec["grammar"], f"task {dataset.name!r}", ValueError)
    table = dataset.instances if instances is None else instances
    y = np.asarray(dataset.y, dtype=np.int64)
    features = rule_features(table, len(y), grammar)
    names = feature_names(grammar)
    rule, coef = ceiling_auroc(features, y, dataset.is_test)
    presence = features[:, [j for j, name in enumerate(names) if name.startswith("has_")]]
    counts = np.bincount(table["seq"], minlength=len(y)).astype(np.float64)[:, None]
    return {
        "rule": round(rule, 4),
        "presence_only": round(ceiling_auroc(presence, y, dataset.is_test)[0], 4),
        "count_only": round(ceiling_auroc(counts, y, dataset.is_test)[0], 4),
        "features": names,
        "coefficients": {name: round(float(w), 4) for name, w in zip(names, coef)},
    }
