"""benchmark.analysis.redraw: which cells two runs of one grid share, which are identical, and how far the rest moved."""

import copy

import pytest

from benchmark.analysis import redraw

from benchmark.store import results
from benchmark.store.results import Cell
from tests.result_records import ok_record
from tests.test_results_trust import _forge


def _cell(method="gradient", seed=0):
    return Cell(task="oct4", model="basset", arch="basset", seed=seed, method=method, reference="none")


def _record(quality=2.0, test_auroc=0.9, seconds=0.1):
    record = ok_record({"method": "x"}, quality=quality)
    record["model"]["fidelity"] = {"test_auroc": test_auroc}
    record["runtime"] = {"method_seconds": seconds, "per_1000_sequences": 10 * seconds}
    return record


def _run(root, records):
    """Write {cell: record} into a results directory the way a grid run does."""
    for cell, record in records.items():
        results.save(root, cell, record)
    return root


def test_runs_that_differ_only_in_runtime_are_reproduced(tmp_path):
    old = _run(tmp_path / "old", {_cell(): _record(seconds=0.1), _cell("random"): _record(quality=0.0)})
    new = _run(tmp_path / "new", {_cell(): _record(seconds=0.7), _cell("random"): _record(quality=0.0, seconds=0.3)})
    compared = redraw.compare_dirs(old, new)
    assert compared.reproduced and len(compared.identical) == 2 and not compared.differing
    assert redraw.main([str(old), str(new), "--require-identical"]) == 0


def test_a_retrained_model_is_reported_with_its_moves_and_fails_the_identity_check(tmp_path, capsys):
    old = _run(tmp_path / "old", {_cell(): _record(quality=2.0, test_auroc=0.90), _cell("random"): _record(quality=0.0)})
    new = _run(tmp_path / "new", {_cell(): _record(quality=1.0, test_auroc=0.88),
                                  _cell("random"): _record(quality=0.0, test_auroc=0.88)})
    compared = redraw.compare_dirs(old, new)
    assert not compared.reproduced
    assert compared.differing == {"oct4/basset-s0/gradient-none.json": ["metrics", "model"],
                                  "oct4/basset-s0/random-none.json": ["model"]}
    assert compared.model_auroc == {"oct4/basset-s0": (0.9, 0.88)}
    # the control that ignores the model is not among the auPRC moves, the method is
    (path, (before, after)), = compared.cell_auprc.items()
    assert path == "oct4/basset-s0/gradient-none.json" and after < before
    capsys.readouterr()
    assert redraw.main([str(old), str(new), "--require-identical"]) == 1
    out = capsys.readouterr().out
    assert "0 identical apart from runtime, 2 differ" in out and "model test auROC, |change| over 1: median 0.0200" in out


def test_cells_present_on_one_side_only_are_named(tmp_path):
    old = _run(tmp_path / "old", {_cell(): _record(), _cell(seed=1): _record()})
    new = _run(tmp_path / "new", {_cell(): _record(), _cell(seed=2): _record()})
    compared = redraw.compare_dirs(old, new)
    assert compared.only_old == ["oct4/basset-s1/gradient-none.json"]
    assert compared.only_new == ["oct4/basset-s2/gradient-none.json"]
    assert not compared.reproduced
    assert "only in OLD: oct4/basset-s1/gradient-none.json" in redraw.summary(compared)


def test_a_hand_edited_file_cannot_pass_as_reproduced(tmp_path):
    old = _run(tmp_path / "old", {_cell(): _record()})
    new = _run(tmp_path / "new", {_cell(): _record()})
    _forge(new / "oct4/basset-s0/gradient-none.json")
    compared = redraw.compare_dirs(old, new)
    assert not compared.reproduced and "does not match its digest" in compared.unreadable[0]


def test_comparable_drops_only_the_volatile_fields():
    record = {**_record(), "digest": "sha256:x", "_path": "a.json"}
    kept = redraw.comparable(record)
    assert set(record) - set(kept) == {"runtime", "digest", "_path"}
    changed = copy.deepcopy(record)
    changed["metrics"]["all_hits"]["abs"]["auprc_mean"] += 0.01
    assert redraw.comparable(changed) != kept


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="is not a results directory"):
        redraw.compare_dirs(tmp_path / "nowhere", tmp_path)


def test_ignored_fields_are_left_out_of_the_identity_check_and_nothing_else(tmp_path):
    old_record, new_record = _record(), _record()
    new_record["identity"] = {**new_record.get("identity", {}), "method": "moved-source-hash"}
    new_record["faithfulness"] = {"deletion_area": 1.0}
    old = _run(tmp_path / "old", {_cell(): old_record})
    new = _run(tmp_path / "new", {_cell(): new_record})
    assert redraw.main([str(old), str(new), "--require-identical"]) == 1
    assert redraw.main([str(old), str(new), "--require-identical", "--ignore", "identity", "--ignore", "faithfulness"]) == 0
    changed = copy.deepcopy(new_record)
    changed["metrics"]["all_hits"]["abs"]["auprc_mean"] = 0.01
    _run(tmp_path / "new", {_cell(): changed})
    assert redraw.main([str(old), str(new), "--require-identical", "--ignore", "identity", "--ignore", "faithfulness"]) == 1
