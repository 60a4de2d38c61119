"""benchmark.analysis.grammar and the board's grammar page, on hand-made records."""

import pytest

from benchmark.analysis import grammar, tables
from benchmark.board.grammar import grammar_page
from tests.result_records import ok_record


def _record(method: str, seed: int, quality: float, rule: float, task: str = "grammar_and") -> dict:
    record = ok_record({"method": method}, quality=quality, seed=seed)
    record["cell"] = {"task": task, "model": "basset", "arch": "basset", "seed": seed, "method": method,
                      "reference": "none", "config": f"{method}-none", "id": f"{task}-basset-s{seed}-{method}-none",
                      "params": {}, "kind": "keras"}
    record["tags"] = ["main"]
    record["dataset"]["source"] = "grammar"
    record["model"]["fidelity"] = {"test_auroc": 0.85 + 0.01 * seed}
    record["grammar"] = {"signed_recovery": 1.0, "decoy_auc": rule, "rule_score": rule}
    return record


def _board(logic_follows_localisation: bool) -> list[dict]:
    records = []
    for seed in range(3):
        for rank, method in enumerate("abcd"):
            rule = 0.2 * rank if logic_follows_localisation else 0.6 - 0.2 * rank
            records.append(_record(method, seed, quality=0.5 + rank, rule=rule))
    return records


def test_grammar_tasks_are_not_realistic_tasks():
    record = _record("a", 0, 1.0, 0.5)
    assert tables.is_grammar(record) and not tables.is_realistic(record)


def test_localisation_predicts_logic_is_one_when_they_agree_and_minus_one_when_reversed():
    assert grammar.localisation_predicts_logic(_board(True), "grammar_and")["tau"] == pytest.approx(1.0)
    assert grammar.localisation_predicts_logic(_board(False), "grammar_and")["tau"] == pytest.approx(-1.0)


def test_ranking_orders_by_rule_score_and_the_page_shows_fidelity_and_every_score():
    rows = grammar.ranking(_board(True), "grammar_and")
    assert [r["config"] for r in rows] == ["d-none", "c-none", "b-none", "a-none"]
    assert rows[0]["rule_score"][0] == pytest.approx(0.6) and rows[0]["n_models"] == 3
    text = "\n".join(grammar_page(_board(True)))
    assert "## grammar_and (keras models)" in text and "| grammar_and | basset  | 3       | 0.860" in text


def test_a_board_without_grammar_results_says_how_to_get_them():
    assert any("motifbench run --profile grammar" in line for line in grammar_page([]))
