"""A pull request's results judged with the board's own code (benchmark.grid.trusted), on the toy session."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from benchmark.grid.runner import run_or_load
from benchmark.grid.trusted import ON_BOARD, OTHER_DRAW, publish, verify_candidate
from benchmark.store import results
from tasks.cache import REPO_ROOT
from tests.test_benchmark_cell import ToySession, _cell

BOARD = ("gradient", "grad_x_input")


@pytest.fixture
def board(tmp_path):
    """(base results of the toy board, a candidate copy of them, the cells by path)."""
    base = tmp_path / "base"
    session = ToySession(base)
    for method in BOARD + ("smoothgrad",):
        record, _ = run_or_load(session, _cell(method))
        assert record["status"] == "ok", record.get("error")
    candidate = tmp_path / "pr" / "results"
    shutil.copytree(base, candidate)
    (base / _cell("smoothgrad").relpath()).unlink()  # a cell only the pull request has (its new method)
    return base, candidate, {str(_cell(m).relpath()): _cell(m) for m in BOARD}


def _judge(base, candidate, cells, own="list"):
    session = ToySession(candidate)
    session.verify = True
    return verify_candidate(candidate, base, session, cells, own=own)


def _forge(path, value=0.99):
    """A consistent forgery: the metric, its per-sequence values and the digest all rewritten."""
    record = json.loads(path.read_text())
    block = record["metrics"]["all_hits"]["abs"]
    block.update(auprc_mean=value, per_sequence_auprc=[value] * len(block["per_sequence_auprc"]))
    record["digest"] = results.content_digest(record)
    path.write_text(json.dumps(record, sort_keys=True))


def test_an_unchanged_candidate_passes_and_a_new_cell_is_the_pull_requests_own(board):
    base, candidate, cells = board
    verdict = _judge(base, candidate, cells)
    assert verdict.ok and verdict.verified == [] and verdict.own == [str(_cell("smoothgrad").relpath())]
    assert verdict.draws[verdict.own[0]] == ON_BOARD  # computed on the same trained model as the board
    assert verdict.why_own[verdict.own[0]] == "a cell of no grid of the base"
    committed = _judge(base, candidate, cells, own="refuse")  # committed by the pull request: CI computes those
    assert not committed.ok and "smoothgrad-none.json: the base's code cannot recompute it" in committed.refused[0]


def test_a_file_whose_input_keys_are_not_the_bases_is_refused_when_committed_and_named_when_computed(board):
    base, candidate, cells = board
    path = candidate / _cell("gradient").relpath()
    record = json.loads(path.read_text())
    record["identity"]["method"] = "changedsource"  # a forger dodging the recomputation, or a changed method
    record["digest"] = results.content_digest(record)
    path.write_text(json.dumps(record, sort_keys=True))
    assert "input keys differ from the base's: method" in _judge(base, candidate, cells, own="refuse").refused[0]
    listed = _judge(base, candidate, cells)
    assert listed.why_own[str(_cell("gradient").relpath())] == "input keys differ from the base's: method"
    assert "`toy/toy-s0/gradient-none.json` (input keys differ from the base's: method)" in listed.markdown()


def test_a_re_digested_forged_file_is_refused(board):
    base, candidate, cells = board
    path = candidate / _cell("gradient").relpath()
    _forge(path)
    results.load(path)  # reads cleanly: only the recomputation can tell
    verdict = _judge(base, candidate, cells)
    assert not verdict.ok and verdict.verified == []
    assert "metrics.all_hits.abs.auprc_mean: stored 0.99, recomputed" in verdict.refused[0]
    assert "toy/toy-s0/gradient-none.json" in verdict.refused[0]


def test_a_result_replaced_by_a_symlink_to_a_forged_file_is_refused(board, tmp_path):
    base, candidate, cells = board
    forged = tmp_path / "forged.json"
    path = candidate / _cell("gradient").relpath()
    shutil.copyfile(path, forged)
    _forge(forged)
    path.unlink()
    os.symlink(forged, path)  # `git diff --name-status` shows a T (type change)
    verdict = _judge(base, candidate, cells)
    assert not verdict.ok and "gradient-none.json: is a symbolic link" in verdict.refused[0]


def test_a_cell_on_another_draw_of_the_model_is_kept_apart_from_the_published_board(board, tmp_path):
    base, candidate, cells = board
    own = candidate / _cell("smoothgrad").relpath()
    record = json.loads(own.read_text())
    record["model"]["weights_sha256"] = "0123456789ab"  # as computed on a model trained afresh
    record["digest"] = results.content_digest(record)
    own.write_text(json.dumps(record, sort_keys=True))
    verdict = _judge(base, candidate, cells)
    assert verdict.ok and verdict.draws[str(_cell("smoothgrad").relpath())].startswith(OTHER_DRAW)
    assert "**Another draw**" in verdict.markdown()
    published = publish(candidate, base, verdict, tmp_path / "published")
    assert not (published / _cell("smoothgrad").relpath()).exists() and (published / _cell("gradient").relpath()).exists()


def _pull_request_tree(tmp_path):
    """A pull request's checkout whose methods/ package also switches the verifier's comparison off."""
    tree = tmp_path / "pr"
    shutil.copytree(REPO_ROOT / "methods", tree / "methods", ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "methods" / "occlusion.py").write_text(
        '"""Occlusion (looks like a method)."""\nimport benchmark.grid.verify\n\n'
        "benchmark.grid.verify.differences = lambda *a, **k: []  # every file verifies\n")
    init = tree / "methods" / "__init__.py"
    init.write_text(init.read_text() + "\nfrom methods import occlusion  # noqa: E402,F401\n")
    return tree


@pytest.mark.parametrize("isolated", [True, False])
def test_a_self_verifying_method_file_cannot_make_a_forged_file_pass(board, tmp_path, isolated):
    base, candidate, _ = board
    _forge(candidate / _cell("gradient").relpath())
    tree = _pull_request_tree(tmp_path)
    command = [sys.executable, *(["-P"] if isolated else []), "-m", "tests.trusted_toy", str(candidate), str(base)]
    done = subprocess.run(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    verdict = json.loads(done.stdout.splitlines()[-1])
    if isolated:  # the board's code only: the forged file is refused
        assert not verdict["ok"] and "auprc_mean: stored 0.99" in verdict["refused"][0]
    else:  # what running the pull request's code would allow: the forgery passes
        assert verdict["ok"] and verdict["verified"] == [str(_cell("gradient").relpath())]
