"""How separable is a task from its planted motifs alone? A reference ceiling for model fidelity.

A simulated task's labels are carried by the motif instances planted in it
(`Dataset.hits`). A logistic regression on each sequence's count of planted
hits per motif, fit on the training split and scored on the test split, shows
how much of the label the motifs explain when their positions are known
exactly. A model has to find the motifs from the bases, so this is a
reference, not a bound: a model can exceed it only by using the backgrounds
(dinucleotide composition carries little here: its logistic regression gives
test auROC 0.50-0.61 on the embedded and stress tasks).

Why it is in the fidelity table: when every model, gkm-SVM included, is far
below the bar, it tells whether the task or the models are short. A low ceiling
also flags a motif filter that kept the wrong motif of a redundant group.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def planted_motif_counts(dataset) -> tuple[np.ndarray, list[str]]:
    """Per-sequence planted-hit counts: ((N, M) float array, the M motif names sorted)."""
    names = sorted(set(dataset.hits["motif"].tolist()))
    counts = np.zeros((len(dataset.y), len(names)))
    for column, name in enumerate(names):
        np.add.at(counts[:, column], dataset.hits["seq"][dataset.hits["motif"] == name], 1.0)
    return counts, names


def planted_motif_ceiling(dataset) -> float:
    """Test auROC of a logistic regression on planted-hit counts per motif (fit on the training split).

    NaN when the task has no planted hits or a split holds one class only.
    """
    counts, names = planted_motif_counts(dataset)
    train, test = ~dataset.is_test, dataset.is_test
    y = np.asarray(dataset.y).astype(int)
    if not names or len(set(y[train].tolist())) < 2 or len(set(y[test].tolist())) < 2:
        return float("nan")
    model = LogisticRegression(C=1.0, max_iter=2000).fit(counts[train], y[train])
    return float(roc_auc_score(y[test], model.decision_function(counts[test])))
