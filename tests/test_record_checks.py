"""Complete record checks: ranges, lengths and derived fields refused by name; symlinks refused; every field verified.

A forged file that keeps valid JSON, the types and even a recomputed digest must
still be refused when its values are impossible (benchmark.store.checks) and,
under --verify, when any field the board renders differs from the recomputation.
"""

import json
import os

import pytest

from benchmark.board import leaderboard
from benchmark.grid import verify
from benchmark.grid.runner import run_or_load
from benchmark.store import results
from benchmark.store.results import Cell
from tests.result_records import ok_record
from tests.test_benchmark_cell import ToySession, _cell

CELL = Cell(task="oct4", model="basset", arch="basset", seed=0, method="gradient", reference="none")


def _rewrite(path, damage):
    """Damage a saved record as a forger would: keep valid JSON and recompute the digest."""
    record = json.loads(path.read_text())
    damage(record)
    record["digest"] = results.content_digest(record)
    path.write_text(json.dumps(record, sort_keys=True))


def _abs(r):
    return r["metrics"]["all_hits"]["abs"]


@pytest.mark.parametrize("damage, field", [
    (lambda r: _abs(r).__setitem__("auprc_mean", 5.0), "metrics.all_hits.abs.auprc_mean: 5.0 is outside [0, 1]"),
    (lambda r: _abs(r).__setitem__("pooled_auroc", -0.1), "metrics.all_hits.abs.pooled_auroc: -0.1 is outside [0, 1]"),
    (lambda r: _abs(r).__setitem__("per_sequence_auprc", _abs(r)["per_sequence_auprc"][:3]),
     "metrics.all_hits.abs.per_sequence_auprc: 3 values for 12 rows"),
    (lambda r: _abs(r).__setitem__("auprc_mean", round(_abs(r)["auprc_mean"] + 0.1, 6)),
     "metrics.all_hits.abs.auprc_mean"),
    (lambda r: _abs(r).__setitem__("n_scored", 50), "metrics.all_hits.abs.n_scored: 50"),
    (lambda r: r["model"]["fidelity"].__setitem__("test_auroc", "0.99"), "model.fidelity.test_auroc: expected a number"),
    (lambda r: r["model"].__setitem__("fidelity_threshold", 7), "model.fidelity_threshold: 7 is outside [0, 1]"),
    (lambda r: r["runtime"].__setitem__("per_1000_sequences", 0.001), "runtime.per_1000_sequences"),
    (lambda r: r["runtime"].__setitem__("method_seconds", "fast"), "runtime.method_seconds: expected a number"),
    (lambda r: r["sanity"].__setitem__("status", "great"), "sanity.status: 'great' is not one of"),
    (lambda r: r["rows"].__setitem__(0, -4), "rows[0]: expected a non-negative integer"),
    (lambda r: r["cell"].__setitem__("id", "oct4-basset-s0-ism-none"), "cell.id: 'oct4-basset-s0-ism-none' does not follow"),
])
def test_an_impossible_value_is_refused_naming_the_file_and_field_never_a_traceback(tmp_path, damage, field, capsys):
    record = ok_record({"method": "x"})
    record["model"]["fidelity"] = {"test_auroc": 0.9, "test_auprc": 0.8}
    record["model"]["fidelity_threshold"] = 0.75
    record["runtime"] = {"method_seconds": 0.12, "per_1000_sequences": 10.0, "n_sequences": 12}
    path = results.save(tmp_path, CELL, record)
    _rewrite(path, damage)
    with pytest.raises(results.ResultError) as error:
        results.load(path)
    assert field in str(error.value) and str(path) in str(error.value)
    text = leaderboard.render(*leaderboard.trusted_records(tmp_path, None))  # listed, not ranked, no traceback
    assert "## Unusable result files" in text and field in text
    assert leaderboard.main(["--results-dir", str(tmp_path), "--check-files"]) == 1
    assert field in capsys.readouterr().err


def test_every_committed_result_satisfies_the_value_checks():
    records, problems = results.load_all(leaderboard.REPO_ROOT / "results")
    assert problems == [] and len(records) > 100


def test_a_symlinked_result_or_folder_is_refused_not_followed(tmp_path, capsys):
    real = tmp_path / "elsewhere"
    path = results.save(real, CELL, ok_record({"method": "x"}))
    board = tmp_path / "results"
    target = board / CELL.relpath()
    target.parent.mkdir(parents=True)
    os.symlink(path, target)  # a valid, digest-clean file reached through a link
    with pytest.raises(results.ResultError, match="is a symbolic link; result files must be regular files"):
        results.load(target)
    records, lines = leaderboard.trusted_records(board, None)
    assert records == [] and "symbolic link" in lines[0] and "gradient-none.json" in lines[0]
    os.symlink(real / "oct4", board / "mafk")  # a linked folder is not walked either
    found = dict(results.iter_results(board))
    assert set(found) == {target, board / "mafk"} and all(isinstance(v, results.ResultError) for v in found.values())
    assert leaderboard.main(["--results-dir", str(board), "--check-files"]) == 1
    assert "symbolic link" in capsys.readouterr().err


@pytest.mark.parametrize("damage, field", [
    (lambda r: r["metrics_max_abs"]["all_hits"]["abs"].__setitem__("pooled_auprc", 0.999), "metrics_max_abs.all_hits.abs.pooled_auprc"),
    (lambda r: r["model"]["fidelity"].__setitem__("test_auroc", 0.999), "model.fidelity.test_auroc"),
    (lambda r: r["model"].__setitem__("fidelity_threshold", 0.1), "model.fidelity_threshold"),
    (lambda r: r["sanity"].__setitem__("status", "skipped"), "sanity.status"),
    (lambda r: r["sanity"].__setitem__("spearman", 0.0), "sanity.spearman"),
    (lambda r: r.__setitem__("convergence_error", 0.0), "convergence_error"),
    (lambda r: r["runtime"].update(method_seconds=r["runtime"]["method_seconds"] + 100,
                                   per_1000_sequences=(r["runtime"]["method_seconds"] + 100) * 1000 / 8), "runtime.method_seconds"),
    (lambda r: r["versions"].__setitem__("tensorflow", "9.9.9"), "versions.tensorflow"),
    (lambda r: r.__setitem__("tags", []), "tags: stored []"),
])
def test_verify_compares_every_rendered_field_not_only_the_metrics(tmp_path, damage, field):
    session = ToySession(tmp_path)
    cell = _cell("grad_x_input")
    record, _ = run_or_load(session, cell)
    assert record["status"] == "ok", record.get("error")
    path = results.result_path(tmp_path, cell)
    _rewrite(path, damage)
    results.load(path)  # well-formed: only the recomputation can tell
    session.verify = True
    forged, how = run_or_load(session, cell)
    assert how == "mismatch" and field in forged["error"], forged.get("error")


def test_runtime_is_compared_as_a_measurement():
    stored = ok_record({"method": "a"})
    fresh = json.loads(json.dumps(stored))
    fresh["runtime"] = {**stored["runtime"], "method_seconds": 0.3}  # noise below the floor
    assert verify.differences(stored, fresh) == []
    stored["runtime"]["method_seconds"], fresh["runtime"]["method_seconds"] = 20.0, 60.0
    assert verify.differences(stored, fresh) == []
    fresh["runtime"]["method_seconds"] = 200.0
    assert verify.differences(stored, fresh) == ["runtime.method_seconds: stored 20.0, recomputed 200.0 (more than 5x apart)"]


def test_tags_and_the_gate_threshold_are_the_grids_not_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    from benchmark.analysis.trust import grid_cells_of
    from benchmark.grid.session import default_results_dir

    smoke = default_results_dir("smoke")
    cells = grid_cells_of("smoke")[:3]
    paths = [results.save(smoke, c, ok_record({"m": i}, seed=i)) for i, c in enumerate(cells)]
    assert len(leaderboard.trusted_records(smoke, "smoke")[0]) == 3
    _rewrite(paths[1], lambda r: r["model"].__setitem__("fidelity_threshold", 0.1))  # lets a chance-level model rank
    _rewrite(paths[2], lambda r: r.__setitem__("tags", ["main", "headline"]))
    records, lines = leaderboard.trusted_records(smoke, "smoke")
    assert [r["cell"]["id"] for r in records] == [cells[0].id]
    assert any("model.fidelity_threshold 0.1 is not the smoke run's 0.75" in line for line in lines)
    assert any("tags ['headline', 'main'] are not the grid's" in line or "tags ['main', 'headline']" in line for line in lines)
    assert any(cells[1].id in m for m in leaderboard.missing_cells(smoke, "smoke"))


def test_the_faithfulness_and_grammar_scores_are_checked_too(tmp_path):
    record = ok_record({"method": "x"})
    record["faithfulness"] = {"order": "signed", "deletion_area": 0.2, "deletion_area_per_sequence": [0.1] * 12}
    record["grammar"] = {"rule_score": 0.7, "decoy_auc": None}
    path = results.save(tmp_path, CELL, record)
    _rewrite(path, lambda r: r["faithfulness"].__setitem__("deletion_area", "big"))
    with pytest.raises(results.ResultError, match="faithfulness.deletion_area: expected a number"):
        results.load(path)
    _rewrite(path, lambda r: r["faithfulness"].update(deletion_area=0.2, deletion_area_per_sequence=[0.1] * 3))
    with pytest.raises(results.ResultError, match="faithfulness.deletion_area_per_sequence: 3 values for 12 rows"):
        results.load(path)
    _rewrite(path, lambda r: (r["faithfulness"].update(deletion_area_per_sequence=[0.1] * 12),
                              r["grammar"].__setitem__("rule_score", [1])))
    with pytest.raises(results.ResultError, match="grammar.rule_score: expected a number"):
        results.load(path)


def test_a_models_used_hits_status_is_text_and_its_numbers_stay_numbers(tmp_path):
    record = ok_record({"method": "x"})
    record["model"]["used_hits"] = {"status": "not learned", "reason": "positives do not score above negatives",
                                    "n_hits": 8, "share_used": None}
    path = results.save(tmp_path, CELL, record)
    assert results.load(path)["model"]["used_hits"]["status"] == "not learned"
    _rewrite(path, lambda r: r["model"]["used_hits"].__setitem__("status", 3))
    with pytest.raises(results.ResultError, match="model.used_hits.status: expected a string"):
        results.load(path)
    _rewrite(path, lambda r: r["model"]["used_hits"].update(status="ok", n_hits="eight"))
    with pytest.raises(results.ResultError, match="model.used_hits.n_hits: expected a number"):
        results.load(path)
