"""Results a reader can trust: digests, the strict schema, --verify, timeouts, kept good results.

Runs on the hand-made toy session of test_benchmark_cell (no training).
"""

import json
import time

import numpy as np
import pytest

from benchmark.board import leaderboard

from benchmark.store import results

from benchmark.grid import verify
from benchmark.grid.cell import time_limit, CellTimeout
from benchmark.store.results import Cell
from benchmark.grid.runner import run_or_load
from methods import METHODS
from methods.registry import MethodSpec
from tests.result_records import ok_record
from tests.test_benchmark_cell import ToySession, _cell


def _forge(path, value=0.99):
    """Edit one metric by hand, as a forger would (keeps valid JSON, the schema and the derived fields)."""
    record = json.loads(path.read_text())
    block = record["metrics"]["all_hits"]["abs"]
    block["auprc_mean"] = value
    block["per_sequence_auprc"] = [value] * len(block["per_sequence_auprc"])
    block["n_scored"] = len(block["per_sequence_auprc"])
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def _redigest(path):
    """A cleverer forger also recomputes the digest: only --verify can catch that."""
    record = json.loads(path.read_text())
    record["digest"] = results.content_digest(record)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def test_an_edited_result_fails_its_digest_and_check_names_the_file(tmp_path, capsys):
    cell = Cell(task="oct4", model="basset", arch="basset", seed=0, method="gradient", reference="none")
    path = results.save(tmp_path, cell, ok_record({"method": "x"}))
    assert results.load(path)["digest"].startswith("sha256:")
    output = tmp_path / "lb.md"
    leaderboard.write_outputs(tmp_path, output=output, with_figures=False)
    assert leaderboard.main(["--results-dir", str(tmp_path), "--output", str(output), "--check"]) == 0
    _forge(path)
    with pytest.raises(results.DigestError, match="does not match its digest"):
        results.load(path)
    capsys.readouterr()
    assert leaderboard.main(["--results-dir", str(tmp_path), "--output", str(output), "--check"]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "does not match its digest" in err and "--force" in err
    records, excluded = leaderboard.trusted_records(tmp_path, None)
    assert records == [] and "oct4/basset-s0/gradient-none.json" in excluded[0]


@pytest.mark.parametrize("damage, field", [
    (lambda r: r.pop("model"), "model: missing"),
    (lambda r: r.pop("runtime"), "runtime: missing"),
    (lambda r: r.pop("sanity"), "sanity: missing"),
    (lambda r: r.__setitem__("metrics", {}), "metrics.all_hits: missing"),
    (lambda r: r["metrics"]["used_hits"]["pos"].__setitem__("auprc_mean", "high"), "metrics.used_hits.pos.auprc_mean: expected a number"),
])
def test_a_file_that_fails_the_schema_names_the_field_and_the_fix_and_is_excluded(tmp_path, damage, field):
    cell = Cell(task="oct4", model="basset", arch="basset", seed=0, method="gradient", reference="none")
    path = results.save(tmp_path, cell, ok_record({"method": "x"}))
    record = json.loads(path.read_text())
    damage(record)
    record["digest"] = results.content_digest(record)  # well-formed apart from the damage
    path.write_text(json.dumps(record))
    with pytest.raises(results.ResultError) as error:
        results.load(path)
    assert field in str(error.value) and str(path) in str(error.value)
    assert "recomputed on the next run" in str(error.value) and "oct4-basset-s0-gradient-none" in str(error.value)
    assert results.cached(tmp_path, cell, {"method": "x"})[0] is None  # recomputed, not used
    text = leaderboard.render(*leaderboard.trusted_records(tmp_path, None))
    assert "## Unusable result files" in text and field in text  # listed, never a bare KeyError


def test_stale_schema_files_are_listed_and_do_not_fail_check_files(tmp_path, capsys):
    path = tmp_path / "oct4" / "basset-s0" / "gradient-none.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema": 1, "status": "ok", "cell": {"id": "oct4-basset-s0-gradient-none"}}))
    assert leaderboard.main(["--results-dir", str(tmp_path), "--check-files"]) == 0
    records, lines = leaderboard.trusted_records(tmp_path, None)
    assert records == [] and "1 files of an older results schema" in lines[0]
    (tmp_path / "oct4" / "basset-s0" / "x.json").write_text("{trunc")
    assert leaderboard.main(["--results-dir", str(tmp_path), "--check-files"]) == 1
    assert "corrupt results file" in capsys.readouterr().err


def test_results_of_cells_no_longer_in_the_grid_are_listed_and_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    from benchmark.analysis.trust import grid_cells_of
    from benchmark.grid.session import default_results_dir

    smoke = default_results_dir("smoke")
    kept_cell = next(c for c in grid_cells_of("smoke") if c.id == "smoke-shallow-s0-gradient-none")
    gone_cell = Cell(task="smoke", model="shallow", arch="shallow", seed=0, method="retired_method", reference="none")
    kept = results.save(smoke, kept_cell, ok_record({"m": 1}))
    gone = results.save(smoke, gone_cell, ok_record({"m": 1}))
    records, lines = leaderboard.trusted_records(smoke, "smoke")
    assert [r["_path"] for r in records] == [str(kept_cell.relpath())]
    assert any("retired_method" in line and "--prune" in line for line in lines)
    leftover = kept.parent / f".{kept.name}.k1ll3d"  # what write_json_atomic leaves when a run is killed mid-write
    leftover.write_text("{")
    assert leaderboard.prune(smoke, "smoke") == [gone, leftover]
    assert kept.exists() and not gone.exists() and not leftover.exists()


def test_verify_catches_a_forged_metric_even_with_a_recomputed_digest(tmp_path):
    session = ToySession(tmp_path)
    cell = _cell("grad_x_input")
    record, how = run_or_load(session, cell)
    assert how == "computed" and record["status"] == "ok"
    session.verify = True
    again, how = run_or_load(session, cell)
    assert how == "verified", again.get("error")
    path = results.result_path(tmp_path, cell)
    _forge(path)
    _redigest(path)
    before = path.read_bytes()
    forged, how = run_or_load(session, cell)
    assert how == "mismatch" and forged["status"] == "failed"
    assert "toy-toy-s0-grad_x_input-none" in forged["error"]
    assert "metrics.all_hits.abs.auprc_mean: stored 0.99, recomputed" in forged["error"]
    assert path.read_bytes() == before  # verification never rewrites the file


def test_differences_use_the_stated_tolerance_and_compare_identity_exactly():
    stored = ok_record({"method": "a"})
    fresh = json.loads(json.dumps(stored))
    fresh["metrics"]["all_hits"]["abs"]["auprc_mean"] += 5e-7
    assert verify.differences(stored, fresh) == []
    fresh["metrics"]["all_hits"]["abs"]["auprc_mean"] += 1e-5
    fresh["identity"] = {"method": "b"}
    diffs = verify.differences(stored, fresh)
    assert "identity.method: stored 'a', recomputed 'b'" in diffs and any("auprc_mean" in d for d in diffs)


@pytest.fixture
def sleeping_method():
    """A method that hangs, registered only for this test."""
    def sleeper(model, X, references, *, seed=0):
        time.sleep(30)
        return np.zeros(X.shape, np.float32)

    saved = METHODS.snapshot()
    METHODS.replace("toy_sleeper", MethodSpec("toy_sleeper", sleeper, ("keras",), ("none",)))
    yield
    METHODS.restore(saved)


def test_a_hanging_method_times_out_as_a_failed_cell_and_the_next_cell_runs(tmp_path, sleeping_method):
    session = ToySession(tmp_path)
    session.cell_timeout = 1
    started = time.perf_counter()
    hung, how = run_or_load(session, _cell("toy_sleeper"))
    assert time.perf_counter() - started < 20
    assert how == "computed" and hung["status"] == "failed" and hung["stage"] == "method"
    assert hung["error"] == "method toy_sleeper timed out after 1 s"
    assert results.load(results.result_path(tmp_path, _cell("toy_sleeper")))["status"] == "failed"
    session.cell_timeout = 600  # the same worker goes on (a real method needs more than 1 s under load)
    good, _ = run_or_load(session, _cell("gradient"))
    assert good["status"] == "ok"


def test_time_limit_restores_the_previous_alarm_and_swallowing_methods_cannot_hide_it():
    with pytest.raises(CellTimeout, match="timed out after 0.2 s"):
        with time_limit(0.2, "x"):
            try:
                time.sleep(5)
            except Exception:  # a method's broad except must not swallow the timeout
                pass
    with time_limit(0, "unlimited"):
        time.sleep(0.01)


def test_a_damaged_artifact_never_replaces_a_good_result(tmp_path):
    good, _ = run_or_load(ToySession(tmp_path), _cell("gradient"))
    path = results.result_path(tmp_path, _cell("gradient"))
    before = path.read_bytes()
    broken = ToySession(tmp_path, model_error=OSError("cached model /x is damaged"))
    broken.force = True
    record, _ = run_or_load(broken, _cell("gradient"))
    assert record["status"] == "failed" and "cached model /x is damaged" in record["error"]
    assert "the stored good result" in record["error"] and "was kept" in record["error"]
    assert path.read_bytes() == before


def test_an_unknown_method_name_becomes_a_stored_failed_cell(tmp_path):
    class Session(ToySession):
        def identity(self, cell):
            return {"method": METHODS[cell.method].fn.__name__}

    record, how = run_or_load(Session(tmp_path), _cell("gradinet"))
    assert record["status"] == "failed" and "unknown method 'gradinet'" in record["error"] and "gradient" in record["error"]
    assert results.load(results.result_path(tmp_path, _cell("gradinet")))["status"] == "failed"


def test_changed_result_paths_are_read_relative_to_the_results_directory(tmp_path):
    import conftest as root_conftest

    listing = tmp_path / "changed.txt"
    listing.write_text("results/oct4/basset-s0/gradient-none.json\n\nREADME.md\nmafk/shallow-s0/ism-none.json\n")
    assert root_conftest.read_changed_paths(listing) == ["oct4/basset-s0/gradient-none.json", "mafk/shallow-s0/ism-none.json"]


def test_a_cell_of_the_grid_without_a_usable_result_fails_check_and_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    from benchmark.analysis.trust import grid_cells_of
    from benchmark.grid.session import default_results_dir

    smoke = default_results_dir("smoke")
    cells = grid_cells_of("smoke")
    for i, cell in enumerate(cells):
        results.save(smoke, cell, ok_record({"m": i}, seed=i))
    output = smoke / "leaderboard.md"
    args = ["--results-dir", str(smoke), "--output", str(output), "--profile", "smoke", "--no-figures"]
    assert leaderboard.main(args) == 0
    assert leaderboard.main(args + ["--check"]) == 0
    gone = [cells[0], cells[-1]]
    for cell in gone:
        results.result_path(smoke, cell).unlink()
    leaderboard.main(args)  # the board itself rendered again: only the missing cells can fail the check
    capsys.readouterr()
    assert leaderboard.main(args + ["--check"]) == 1
    err = capsys.readouterr().err
    assert "2 cell(s) of the grid have no usable result" in err
    assert all(f"cell {cell.id} of the smoke grid has no usable result" in err for cell in gone)
    results.result_path(smoke, cells[1]).write_text("{broken")  # an unusable file is no result either
    assert cells[1].id in "".join(leaderboard.missing_cells(smoke, "smoke"))
