"""The CI workflows fail on failure, verify with trusted code before publishing, and restore the default branch's models."""

from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
CHECKED = ("leaderboard-pr.yml", "leaderboard-comment.yml", "models-cache.yml")


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _steps(name: str) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in _load(name)["jobs"].items() for step in spec["steps"]]


@pytest.mark.parametrize("name", CHECKED)
def test_every_step_fails_on_failure_even_under_githubs_default_shell(name):
    assert _load(name)["defaults"]["run"]["shell"] == "bash"  # GitHub then runs bash -eo pipefail
    for _, step in _steps(name):
        script = step.get("run")
        if script and ("|" in script or "\n" in script.strip()):
            assert script.lstrip().startswith("set -euo pipefail"), step.get("name")  # also under plain `bash -e`
        assert "|| true" not in (script or ""), step.get("name")


def test_the_pull_requests_results_are_verified_with_the_base_code_before_its_own_code_runs():
    steps = [step for _, step in _steps("leaderboard-pr.yml")]
    names = [step.get("name", step.get("uses", "")) for step in steps]
    verify = names.index("verify the committed results with the base's code")
    assert verify < names.index("install the pull request's code") < names.index("compute the pull request's cells")
    script = steps[verify]["run"]
    assert "cd base" in script and 'PYTHONPATH="$PWD" .venv/bin/python -P -m benchmark.grid.trusted' in script
    assert "git worktree add --detach base" in steps[names.index("check out the base commit beside the pull request")]["run"]
    assert "--diff-filter" not in (WORKFLOWS / "leaderboard-pr.yml").read_text()  # a type change (T) is no exception
    assert names[-1].startswith("actions/upload-artifact")  # uploaded only when every step before passed


def test_the_comment_comes_only_from_a_run_the_default_branch_code_verified():
    workflow = _load("leaderboard-comment.yml")
    verify, comment = workflow["jobs"]["verify"], workflow["jobs"]["comment"]
    assert comment["needs"] == "verify" and comment["permissions"] == {"pull-requests": "write", "actions": "read"}
    assert verify["permissions"] == {"contents": "read", "actions": "read"}
    assert not any("actions/checkout" in step.get("uses", "") for step in comment["steps"])
    checkout = next(step for step in verify["steps"] if "actions/checkout" in step.get("uses", ""))
    assert "ref" not in checkout.get("with", {})  # the default branch, never the pull request's head
    scripts = "\n".join(step.get("run", "") for step in verify["steps"])
    assert "-P -m benchmark.grid.trusted --candidate pr/results --own list" in scripts and "--publish published/results" in scripts


def test_pull_request_runs_restore_the_models_the_default_branch_saved_under_the_same_key():
    def key_of(name):
        return next(step["with"]["key"] for _, step in _steps(name) if "actions/cache/restore" in step.get("uses", ""))

    saved = next(step["env"]["KEY"] for _, step in _steps("models-cache.yml") if step.get("id") == "key")
    assert key_of("leaderboard-pr.yml") == key_of("leaderboard-comment.yml")
    assert key_of("leaderboard-pr.yml").split("${{ runner.os }}")[1] in saved
    assert _load("models-cache.yml")[True]["push"]["branches"] == ["main"]  # `on:` reads as True in YAML 1.1
