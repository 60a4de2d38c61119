"""benchmark.analysis.faithfulness: rankings by deletion area and their agreement with planted truth, on hand-made records."""

import numpy as np
import pytest

from benchmark.analysis import faithfulness
from benchmark.board.faithfulness import faithfulness_page
from tests.result_records import ok_record


def _record(method: str, seed: int, auprc_quality: float, deletion: float, task: str = "oct4") -> dict:
    record = ok_record({"method": method}, quality=auprc_quality, seed=seed)
    record["cell"] = {"task": task, "model": "basset", "arch": "basset", "seed": seed, "method": method,
                      "reference": "none", "config": f"{method}-none", "id": f"{task}-basset-s{seed}-{method}-none",
                      "params": {}, "kind": "keras"}
    record["tags"] = ["main"]
    record["model"]["fidelity"] = {"test_auroc": 0.9}
    record["faithfulness"] = {"deletion_area": deletion, "insertion_area": deletion / 2}
    return record


def _board(agree: bool) -> list[dict]:
    """Three models x four methods; planted-truth quality rises a -> d; deletion follows it or runs against it."""
    records = []
    for seed in range(3):
        for rank, method in enumerate(["a", "b", "c", "d"]):
            deletion = float(rank if agree else 3 - rank) + 0.1 * seed
            records.append(_record(method, seed, auprc_quality=0.5 + rank, deletion=deletion))
        records.append(_record("random", seed, auprc_quality=0.0, deletion=-0.5))
    return records


def test_agreement_is_one_when_both_scores_order_methods_alike_and_minus_one_when_reversed():
    same, reversed_ = faithfulness.agreement(_board(True), "oct4"), faithfulness.agreement(_board(False), "oct4")
    assert same["taus"] == pytest.approx([1.0, 1.0, 1.0]) and same["n_methods"] == 4  # the random control is left out
    assert reversed_["tau"] == pytest.approx(-1.0)


def test_ranking_puts_the_largest_deletion_area_first_and_marks_controls():
    rows = faithfulness.ranking(_board(True), "oct4")
    assert [r["config"] for r in rows] == ["d-none", "c-none", "b-none", "a-none", "random-none"]
    assert rows[0]["mean_rank"] == 1.0 and rows[-1]["control"] and not rows[0]["control"]
    mean, low, high = rows[0]["deletion"]
    assert mean == pytest.approx(3.1) and low <= mean <= high


def test_models_under_the_gate_and_records_without_scores_are_left_out():
    records = _board(True)
    for record in records:
        if record["cell"]["seed"] == 2:
            record["model"]["fidelity"]["test_auroc"] = 0.5
    records.append({**_record("e", 0, 1.0, 9.0), "faithfulness": None})
    assert faithfulness.agreement(records, "oct4")["n_models"] == 2
    assert "e-none" not in [r["config"] for r in faithfulness.ranking(records, "oct4")]


def test_the_page_reads_the_agreement_and_lists_every_task():
    text = "\n".join(faithfulness_page(_board(True) + [_record("a", 0, 1.0, 1.0, task="mafk")]))
    assert "## oct4 (keras models)" in text and "## mafk (keras models)" in text
    assert "agrees firmly with planted truth on oct4 (keras)" in text
    assert np.isnan(faithfulness.bootstrap_mean([])[0])
