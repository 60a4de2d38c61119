"""Faults a hostile or unlucky user meets: the method contract, bad motif files,
damaged caches, runs killed mid-build, and the workflows' trust boundaries."""

import json
import logging
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import tasks
from benchmark.scores import groundtruth
from methods import METHODS, register_method
from methods.registry import ContractError, make_references
from tasks.__main__ import main as tasks_main
from tasks.cache import REPO_ROOT
from tasks.dataset import CorruptDatasetError, Dataset
from tasks.motifs import MotifError, read_meme
from baselines.toy import random_onehot


# -- the method contract ----------------------------------------------------------------------

def _fn(model, X, references, *, steps=10, seed=0):
    return X


@pytest.mark.parametrize("declaration, message", [
    (dict(references=("zeroes",)), r"unknown reference\(s\) \['zeroes'\]"),
    (dict(model_kinds=("kears",)), r"unknown model kind\(s\) \['kears'\]"),
    (dict(params={"step": (1, 2)}), r"declared param \['step'\] is not a keyword"),
    (dict(needs=("motifs",)), r"needs name \['motifs'\] is not a keyword"),
    (dict(params={"steps": ()}), r"params \['steps'\] need a non-empty tuple"),
])
def test_a_bad_method_declaration_fails_at_registration(declaration, message):
    with pytest.raises(ContractError, match=message):
        register_method("toy_contract", **declaration)(_fn)
    assert "toy_contract" not in METHODS


def test_a_method_must_accept_seed_and_shuffle_k_is_a_family():
    def no_seed(model, X, references, *, steps=10):
        return X

    with pytest.raises(ContractError, match=r"required keyword \['seed'\]"):
        register_method("toy_contract")(no_seed)
    assert "toy_contract" not in METHODS
    X = random_onehot(2, 20, seed=0)
    assert make_references("shuffle3", X, seed=1).shape == (2, 3, 20, 4)


# -- motif files ---------------------------------------------------------------------------------

MEME = """MEME version 4

ALPHABET= ACGT

MOTIF M1 one
letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0
 0.25 0.25 0.25 0.25
{row}
 0.10 0.20 0.30 0.40
"""


@pytest.mark.parametrize("row, message", [
    (" -0.5 0.5 0.5 0.5", r"line 8 \(motif 'one_M1'\): probability -0.5 is outside \[0, 1\]"),
    (" 0 0 0 0", r"line 8 \(motif 'one_M1'\): all-zero row"),
    (" 0.5 0.5 0.5 0.5", r"line 8 \(motif 'one_M1'\): row sums to 2, not 1"),
    (" 7 1 1 1", r"line 8 \(motif 'one_M1'\): probability 7.0 is outside \[0, 1\]"),
])
def test_bad_meme_probabilities_name_the_file_and_line(tmp_path, row, message):
    path = tmp_path / "bad.meme"
    path.write_text(MEME.format(row=row))
    with pytest.raises(MotifError, match=re.escape(str(path)) + ", " + message):
        read_meme(path)


def test_rounded_meme_rows_are_accepted(tmp_path):
    path = tmp_path / "ok.meme"
    path.write_text(MEME.format(row=" 0.333 0.333 0.333 0.000"))
    assert read_meme(path)["one_M1"].shape == (3, 4)


# -- damaged dataset and ground-truth caches -----------------------------------------------------

@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_truncated_dataset_is_reported_damaged_and_rebuilt_with_a_log_line(private_cache, capsys, caplog):
    built = tasks.build("smoke", progress=False)
    arrays = Path(built.path) / "arrays.npz"
    good = arrays.read_bytes()
    arrays.write_bytes(good[: len(good) // 2])
    with pytest.raises(CorruptDatasetError, match=r"arrays.npz does not match its sha256"):
        Dataset.load(built.path)
    assert tasks_main(["list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^smoke\s+simplified\s+damaged", listing, re.M) and "motifbench tasks build smoke" in listing
    with caplog.at_level(logging.WARNING, logger="tasks.builder"):
        rebuilt = tasks.build("smoke", progress=False)
    assert any("arrays.npz does not match its sha256" in r.message and "rebuilding" in r.message for r in caplog.records)
    assert arrays.read_bytes() == good and np.array_equal(rebuilt.X, built.X)
    assert tasks_main(["list"]) == 0 and re.search(r"^smoke\s+simplified\s+built", capsys.readouterr().out, re.M)


KILLED_BUILD = textwrap.dedent("""
    import sys, time
    from tasks import dataset
    original = dataset.savez_deterministic
    def slow(path, **arrays):
        original(path, **arrays)
        print("WROTE", path, flush=True)
        time.sleep(600)  # killed here, mid-build
    dataset.savez_deterministic = slow
    import tasks.builder
    tasks.builder.savez_deterministic = slow
    import tasks
    tasks.build("smoke", progress=False)
""")


def test_a_build_killed_mid_way_leaves_nothing_trusted_and_its_temp_folder_is_cleaned(private_cache, caplog):
    process = subprocess.Popen([sys.executable, "-c", KILLED_BUILD], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
                               env={**__import__("os").environ, "MOTIFBENCH_CACHE": str(private_cache)})
    try:
        line = process.stdout.readline()
        assert line.startswith("WROTE"), line
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    leftovers = list((private_cache / "tasks").glob(".smoke-*.tmp-*"))
    assert len(leftovers) == 1 and not list((private_cache / "tasks").glob("smoke-*/manifest.json"))
    with caplog.at_level(logging.WARNING, logger="tasks.cache"):
        dataset = tasks.build("smoke", progress=False)
    assert not leftovers[0].exists()
    assert any("left by an interrupted build" in r.message and str(leftovers[0]) in r.message for r in caplog.records)
    assert Dataset.load(dataset.path).hash == dataset.hash


class _Model:
    kind = "keras"

    def predict_logit(self, X):
        return np.asarray(X)[:, :18].sum((1, 2)) * 0.5


def test_a_damaged_ground_truth_cache_is_recomputed_never_trusted(private_cache, caplog):
    dataset = tasks.build("smoke", progress=False)
    first = groundtruth.cached(_Model(), dataset, 8, "toy-key")
    path = private_cache / "benchmark" / "groundtruth" / "toy-key.npz"
    assert path.with_suffix(".json").exists()
    path.write_bytes(path.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="benchmark.scores.groundtruth"):
        again = groundtruth.cached(_Model(), dataset, 8, "toy-key")
    assert any(str(path) in r.message and "damaged" in r.message for r in caplog.records)
    assert np.array_equal(first.used, again.used) and np.array_equal(first.weight, again.weight)
    path.with_suffix(".json").unlink()  # an archive without its manifest (killed between the two writes)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.scores.groundtruth"):
        groundtruth.cached(_Model(), dataset, 8, "toy-key")
    assert any("no manifest" in r.message for r in caplog.records)


# -- workflows -------------------------------------------------------------------------------------

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def _steps(workflow):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pin_actions_by_sha_and_keep_expressions_out_of_shell_lines(path):
    workflow = yaml.safe_load(path.read_text())
    for step in _steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40}", step["uses"]), f"{path.name}: {step['uses']} is not pinned by SHA"
        assert "${{" not in step.get("run", ""), f"{path.name}: an expression inside a shell line: {step['run']!r}"


def test_pr_code_runs_without_write_token_or_secrets_and_the_comment_job_trusts_only_the_event():
    pr = (REPO_ROOT / ".github/workflows/leaderboard-pr.yml").read_text()
    assert yaml.safe_load(pr)["permissions"] == {"contents": "read"} and "secrets." not in pr
    assert "benchmark.grid.trusted" in pr and "pr-number" not in pr  # the base's code judges the pull request's results first
    comment = (REPO_ROOT / ".github/workflows/leaderboard-comment.yml").read_text()
    assert "pr-number" not in comment and "workflow_run.pull_requests[0].number" in comment
    assert "benchmark.grid.trusted" in comment  # the default branch's code verifies the uploaded results again
    for step in _steps(yaml.safe_load(comment)):  # it checks out the default branch only, never the pull request's code
        if "actions/checkout" in step.get("uses", ""):
            assert "ref" not in (step.get("with") or {}), step
