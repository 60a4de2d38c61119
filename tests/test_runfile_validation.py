"""Run files: parsing, the built-in ones, and every validation error (naming the field, suggesting names)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.grid import profiles, runfile
from benchmark.grid.runcheck import eval_pool_bound, prepare
from benchmark.grid.runfile import RunFileError, builtin_runs, read_run
from tests.runfile_helpers import SMOKE_MODELS, isolated_registries, write_run  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated_registries")


def check(tmp_path, body: str):
    return prepare(read_run(write_run(tmp_path, body)))


def test_builtin_profiles_are_run_files_and_default_has_three_seeds():
    assert set(builtin_runs()) == {"smoke", "default", "paper", "replication", "grammar"}
    assert set(runfile.PROFILES) >= {"smoke", "default", "paper"}
    default = runfile.get_profile("default")
    assert default.seeds == (0, 1, 2) and default.tasks[:3] == ("oct4", "mafk", "simplified")
    assert [m.id for m in default.models] == ["basset", "beluga", "shallow", "basset_k8", "basset_exp", "basset_bn", "gkmsvm"]
    paper = runfile.get_profile("paper")
    assert paper.n_eval == 2000 and paper.model_profile == "paper" and paper.tasks == ("paper_template",)
    assert runfile.get_profile("smoke").fidelity_threshold == 0.75  # the default threshold


@pytest.mark.parametrize("path", sorted((REPO / "docs" / "runs").glob("*.toml")), ids=lambda p: p.stem)
def test_documented_run_files_still_validate(path):
    """The run files docs/ points to (controls, before/after grids) must keep running as the code moves."""
    profile = prepare(read_run(path))
    assert profile.tasks and profile.models


def test_a_valid_run_file_with_a_relative_spec_path(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.toml").write_text(
        'name = "mine"\nsource = "simplified"\nmotifs = ["MA0139.2"]\nn_positives = 100\nn_negatives = 100\n'
        'sequence_length = 60\nn_eval = 15\n')
    profile = check(tmp_path, 'tasks = ["specs/mine.toml", "smoke"]\nn_eval = 12\nseeds = [0, 1]\n'
                              'methods = ["grad*"]\nfidelity_threshold = 0.6\ncell_timeout = 30\n' + SMOKE_MODELS)
    assert profile.tasks == ("mine", "smoke") and profile.fidelity_threshold == 0.6 and profile.cell_timeout == 30
    import tasks

    assert tasks.load_spec("mine").sequence_length == 60  # cells find the run file's task by name
    import baselines
    import methods

    cells = profiles.grid_cells(profile, methods.METHODS, baselines.arch_kind)
    assert {c.method for c in cells} == {n for n in methods.METHODS.names() if n.startswith("grad")}
    assert {c.seed for c in cells} == {0, 1} and {c.task for c in cells} == {"mine", "smoke"}


@pytest.mark.parametrize("body, message", [
    ('tasks = ["smok"]\n' + SMOKE_MODELS, r"field 'tasks': unknown task 'smok' \(did you mean 'smoke'\?\)"),
    ('tasks = ["nowhere/t.toml"]\n' + SMOKE_MODELS, r"field 'tasks': task spec 'nowhere/t.toml' .* does not exist"),
    ('tasks = ["smoke"]\n[[models]]\nid = "b"\narch = "baset"\n', r"model 'b': field 'arch' = 'baset': unknown architecture \(did you mean 'basset'\?\)"),
    ('tasks = ["smoke"]\n[[models]]\narch = "basset"\noverrides = { kernel_wdth = 8 }\n', r"model 'basset': field 'overrides': unknown parameter 'kernel_wdth'"),
    ('tasks = ["smoke"]\n[[models]]\narch = "basset"\noverrides = { pooling = "avg" }\n', r"model 'basset': field 'overrides': basset: pooling must be one of \('max', 'average'\), got 'avg'"),
    ('tasks = ["smoke"]\nmethods = ["deeplift_rescal"]\n' + SMOKE_MODELS, r"field 'methods': unknown method 'deeplift_rescal' \(did you mean 'deeplift_rescale'\?\)"),
    ('tasks = ["smoke"]\nreferences = ["shufle20"]\n' + SMOKE_MODELS, r"field 'references': unknown reference 'shufle20' \(did you mean 'shuffle20'\?\)"),
    ('tasks = ["smoke"]\nn_eval = 60\n' + SMOKE_MODELS, r"field 'n_eval' = 60 \(keras models\) is larger than the eval pool of task 'smoke': at most 50"),
    ('tasks = ["smoke"]\nn_eval_by_kind = { gkmsvm = 80 }\n[[models]]\narch = "gkmsvm"\n', r"field 'n_eval_by_kind' = 80 \(gkmsvm models\) is larger"),
    ('tasks = ["smoke"]\nmethods = ["gkmexplain"]\n' + SMOKE_MODELS, r"field 'methods' = 'gkmexplain' explains gkmsvm models, and this run's models are keras"),
    ('tasks = ["smoke"]\nseed = [0]\n' + SMOKE_MODELS, r"unknown field 'seed' \(did you mean 'seeds'\?\)"),
    ('tasks = ["smoke"]\n[[models]]\nid = "x"\narch = "basset"\nfile = "x.keras"\n', r"models\[0\]: give exactly one of arch"),
    ('tasks = ["smoke"]\n[[models]]\nid = "x"\nfile = "missing.keras"\n', r"model 'x': model file .*missing.keras does not exist"),
    ('tasks = ["smoke"]\nmodel_profile = "smoek"\n' + SMOKE_MODELS, r"field 'model_profile' = 'smoek': unknown \(did you mean 'smoke'\?\)"),
    ('tasks = ["smoke"]\n[[ablations]]\nname = "r"\nmethods = ["deeplift_rescale"]\nmodels = ["basset"]\n' + SMOKE_MODELS, r"ablations\[0\].models': unknown model id of this run 'basset'"),
    ('tasks = ["smoke"]\nskip = [["ism", "svm"]]\n' + SMOKE_MODELS, r"field 'skip': unknown model kind 'svm'"),
    ('tasks = ["smoke"]\nfidelity_threshold = 2\n' + SMOKE_MODELS, r"field 'fidelity_threshold' = 2: a test auROC between 0 and 1"),
    ('tasks = ["smoke"]\n', r"missing field 'models'"),
])
def test_validation_errors_name_the_field(tmp_path, body, message):
    with pytest.raises(RunFileError, match=message) as error:
        check(tmp_path, body)
    assert str(tmp_path / "run.toml") in str(error.value)  # the run file is named


def test_unset_environment_variables_are_listed(tmp_path, monkeypatch):
    for name in ("MOTIFBENCH_GENOME", "MOTIFBENCH_PEAKS", "MOTIFBENCH_BACKGROUND"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RunFileError) as error:
        prepare(runfile.get_profile("paper"))
    message = str(error.value)
    for name in ("MOTIFBENCH_GENOME", "MOTIFBENCH_PEAKS", "MOTIFBENCH_BACKGROUND"):
        assert name in message
    assert "MOTIFBENCH_BIGWIG" not in message  # optional: ${MOTIFBENCH_BIGWIG:-}


def test_base_and_task_settings(tmp_path):
    profile = check(tmp_path, 'base = "smoke"\nname = "mini"\nn_eval = 5\ntask_settings = { n_eval = 20 }\n')
    assert profile.name == "mini" and profile.n_eval == 5 and [m.id for m in profile.models] == ["shallow", "basset", "gkmsvm"]
    import tasks

    assert tasks.load_spec("smoke").n_eval == 20  # the run's version of the task
    with pytest.raises(RunFileError, match=r"task_settings \(task 'smoke'\): unknown field 'n_evl'"):
        check(tmp_path, 'base = "smoke"\ntask_settings = { n_evl = 20 }\n')


def test_eval_pool_bound_from_the_spec():
    import tasks

    assert eval_pool_bound(tasks.load_spec(str(tasks.TASKS["smoke"]))) == 50  # min(n_eval 50, 100 test positives)
    assert eval_pool_bound(tasks.load_spec(str(tasks.TASKS["oct4"]))) == 300


def _pytest(*args):
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_cli_paper_without_files_says_which_variables_to_set(monkeypatch):
    for name in ("MOTIFBENCH_GENOME", "MOTIFBENCH_PEAKS", "MOTIFBENCH_BACKGROUND"):
        monkeypatch.delenv(name, raising=False)
    run = _pytest("benchmark/", "--profile", "paper", "--collect-only", "-q")
    assert run.returncode == 4
    assert "environment variables not set: MOTIFBENCH_GENOME" in run.stderr and "MOTIFBENCH_BACKGROUND" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_cli_run_file_path_collects_its_grid(tmp_path):
    path = write_run(tmp_path, 'name = "mine"\ntasks = ["smoke"]\nmethods = ["grad_x_input", "ism"]\nn_eval = 5\n' + SMOKE_MODELS)
    run = _pytest("benchmark/", "--profile", str(path), "--collect-only", "-q", "-p", "no:cacheprovider")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "smoke-shallow-s0-grad_x_input-none" in run.stdout and "smoke-shallow-s0-ism-none" in run.stdout
    assert "2 tests collected" in run.stdout
    bad = write_run(tmp_path, 'tasks = ["smoke"]\nmethods = ["gradientt"]\n' + SMOKE_MODELS, "bad.toml")
    run = _pytest("benchmark/", "--profile", str(bad), "--collect-only", "-q", "-p", "no:cacheprovider")
    assert run.returncode == 4 and "unknown method 'gradientt' (did you mean 'gradient'?)" in run.stderr


def test_runs_listing(capsys):
    from benchmark.cli import main

    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    for name in ("smoke", "default", "paper"):
        assert f"--profile {name}" in out
    assert main(["runs", "default"]) == 0
    assert "seeds [0, 1, 2]" in capsys.readouterr().out
    assert main(["runs", "defualt"]) == 2
    assert "did you mean 'default'" in capsys.readouterr().err


def test_check_tasks_builds_and_counts_the_real_eval_pool(tmp_path, monkeypatch):
    from tests.test_tasks_bed import write_bed_task

    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    spec = write_bed_task(tmp_path, step=1000)  # few, non-overlapping peaks: fewer test positives than n_eval = 20
    body = f'tasks = ["{spec}"]\nn_eval = 20\nmethods = ["grad_x_input"]\n' + SMOKE_MODELS
    check(tmp_path, body)  # the spec's bound (n_eval = 20) passes without building
    with pytest.raises(RunFileError, match=r"field 'n_eval' = 20 .* at most \d+ sequences \(built and counted: check_tasks\)"):
        check(tmp_path, "check_tasks = true\n" + body)
