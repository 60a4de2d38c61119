"""The benchmark grid: profiles -> cells, ids, sharding, cache keys, results store, CLI errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import conftest as root_conftest
from benchmark.grid import keys, profiles, runfile
from benchmark.store import results
from benchmark.grid.profiles import Ablation, GridProfile, ModelVariant, grid_cells
from tests.result_records import ok_record
from methods.registry import MethodSpec

REPO = Path(__file__).resolve().parents[1]


def _ig(model, X, references, *, steps=20, seed=0):
    return X


def _plain(model, X, references, *, seed=0):
    return X


def _corrected(model, X, references, *, corrected=False, seed=0):
    return X


class FakeRegistry(dict):
    def items(self):
        return sorted(super().items())


METHODS = FakeRegistry(
    deeplift_rescale=MethodSpec("deeplift_rescale", _plain, ("keras",), ("zeros", "avg_composition", "shuffle20", "shuffle50")),
    integrated_gradients=MethodSpec("integrated_gradients", _ig, ("keras",), ("zeros", "shuffle20"), {"steps": (10, 20, 50)}),
    grad_x_input=MethodSpec("grad_x_input", _corrected, ("keras",), ("none",), {"corrected": (False, True)}),
    ism=MethodSpec("ism", _plain, ("keras", "gkmsvm"), ("none",)),
    gkmexplain=MethodSpec("gkmexplain", _plain, ("gkmsvm",), ("none",)),
)
KINDS = {"basset": "keras", "beluga": "keras", "gkmsvm": "gkmsvm"}

PROFILE = GridProfile(
    name="test",
    tasks=("oct4", "simplified"),
    models=(ModelVariant("basset", "basset"), ModelVariant("basset_k8", "basset", (("kernel_width", 8),)),
            ModelVariant("gkmsvm", "gkmsvm", tasks=("oct4",))),
    ablations=(Ablation("reference", ("deeplift*",), None, models=("basset",)),
               Ablation("params", ("integrated_gradients",), ("shuffle20",), full_params=True, tasks=("oct4",), models=("basset",))),
    skip=(("ism", "gkmsvm"),),
)


def _cells():
    return grid_cells(PROFILE, METHODS, KINDS.__getitem__)


def test_ids_read_like_the_design_and_defaults_are_left_out():
    ids = {c.id for c in _cells()}
    assert "oct4-basset-s0-deeplift_rescale-shuffle20" in ids
    assert "oct4-basset-s0-integrated_gradients-shuffle20" in ids  # steps=20 is the function default
    assert "oct4-basset-s0-integrated_gradients-shuffle20-steps50" in ids  # the ablation
    assert "simplified-basset-s0-integrated_gradients-shuffle20-steps50" not in ids
    assert "oct4-basset-s0-grad_x_input-none" in ids  # corrected=False default
    assert "oct4-basset_k8-s0-ism-none" in ids
    assert len(ids) == len(_cells())  # unique


def test_incompatible_pairs_and_skips_are_dropped_at_collection():
    cells = _cells()
    assert not any(c.method == "gkmexplain" and c.kind == "keras" for c in cells)
    assert not any(c.method == "ism" and c.kind == "gkmsvm" for c in cells)  # skipped by the profile
    assert not any(c.model == "gkmsvm" and c.task == "simplified" for c in cells)
    assert not any(c.method == "deeplift_rescale" and c.reference == "none" for c in cells)
    gkm = [c.id for c in cells if c.model == "gkmsvm"]
    assert gkm == ["oct4-gkmsvm-s0-gkmexplain-none"]


def test_ablation_cells_are_tagged_and_main_cells_keep_their_tag():
    by_id = {c.id: c for c in _cells()}
    assert by_id["oct4-basset-s0-deeplift_rescale-avg_composition"].tags == {"ablation:reference"}
    assert by_id["oct4-basset-s0-deeplift_rescale-zeros"].tags == {"main", "ablation:reference"}
    assert "oct4-basset_k8-s0-deeplift_rescale-avg_composition" not in by_id  # ablation only on basset
    assert by_id["oct4-basset_k8-s0-deeplift_rescale-zeros"].overrides == (("kernel_width", 8),)


def test_default_params_prefer_the_function_default():
    assert profiles.default_params(METHODS["integrated_gradients"]) == {"steps": 20}
    assert profiles.default_params(METHODS["grad_x_input"]) == {"corrected": False}


def test_result_paths_are_stable_and_unique():
    cells = _cells()
    paths = {c.relpath() for c in cells}
    assert len(paths) == len(cells)
    cell = next(c for c in cells if c.id == "oct4-basset-s0-integrated_gradients-shuffle20-steps50")
    assert cell.relpath() == Path("oct4/basset-s0/integrated_gradients-shuffle20-steps50.json")


def test_shards_partition_whole_model_groups():
    cells = _cells()
    shards = [root_conftest.shard_groups(cells, i, 3) for i in (1, 2, 3)]
    groups = {f"{c.task}-{c.model}-s{c.seed}" for c in cells}
    assert set().union(*shards) == groups
    assert sum(len(s) for s in shards) == len(groups)
    assert root_conftest.parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "two/3", "1-3"):
        with pytest.raises(pytest.UsageError, match="--shard"):
            root_conftest.parse_shard(bad)


def test_model_group_is_read_from_each_cell_id():
    for cell in _cells():
        nodeid = f"benchmark/test_motif_recovery.py::test_motif_recovery[{cell.id}]"
        assert root_conftest.model_group(nodeid) == f"{cell.task}-{cell.model}-s{cell.seed}"
    assert root_conftest.model_group("tests/test_metrics.py::test_auprc[s1-x]") is None


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match="smoke"):
        runfile.get_profile("huge")


def test_cached_result_is_reused_only_with_matching_identity(tmp_path):
    cell = _cells()[0]
    identity = {"task": "t1", "model": "m1", "method": "x"}
    record, why = results.cached(tmp_path, cell, identity)
    assert record is None and why == "no result yet"
    results.save(tmp_path, cell, ok_record(identity))
    record, why = results.cached(tmp_path, cell, identity)
    assert record is not None and why == ""
    record, why = results.cached(tmp_path, cell, {**identity, "method": "y"})
    assert record is None and "method" in why
    results.save(tmp_path, cell, {"identity": identity, "status": "failed", "error": "boom"})
    assert results.cached(tmp_path, cell, identity)[0]["status"] == "failed"
    assert results.cached(tmp_path, cell, identity, retry_failed=True)[0] is None


def test_corrupt_or_old_results_are_recomputed_with_a_clear_reason(tmp_path):
    cell = _cells()[0]
    path = results.result_path(tmp_path, cell)
    path.parent.mkdir(parents=True)
    path.write_text("{truncated")
    record, why = results.cached(tmp_path, cell, {})
    assert record is None and "corrupt" in why and str(path) in why
    path.write_text(json.dumps({"schema": 0, "status": "ok"}))
    record, why = results.cached(tmp_path, cell, {})
    assert record is None and "schema 0" in why


def test_saved_records_are_byte_identical_for_identical_input(tmp_path):
    cell = _cells()[0]
    body = ok_record({"a": 1})
    body["metrics"]["all_hits"]["share_inside"], body["metrics"]["all_hits"]["signed_contrast"] = 0.123456789, float("nan")
    first = results.save(tmp_path / "a", cell, body).read_bytes()
    second = results.save(tmp_path / "b", cell, dict(reversed(list(body.items())))).read_bytes()
    assert first == second
    stored = json.loads(first)["metrics"]["all_hits"]
    assert (stored["share_inside"], stored["signed_contrast"]) == (0.123457, None)


def test_method_key_follows_the_method_source(tmp_path, monkeypatch):
    module_dir = tmp_path / "pkg"
    module_dir.mkdir()
    source = module_dir / "mymethod.py"
    source.write_text("def fn(model, X, references, *, seed=0):\n    return X\n")
    monkeypatch.syspath_prepend(str(module_dir))
    import importlib

    module = importlib.import_module("mymethod")
    first = keys.method_key(module.fn)
    assert first == keys.method_key(module.fn)
    source.write_text("def fn(model, X, references, *, seed=0):\n    return X * 1\n")
    module = importlib.reload(module)
    assert keys.method_key(module.fn) != first


def test_real_method_keys_differ_between_method_files():
    import methods

    ism = keys.method_key(methods.METHODS["ism"].fn)
    dl = keys.method_key(methods.METHODS["deeplift_rescale"].fn)
    assert ism != dl
    assert keys.method_key(methods.METHODS["deeplift_revealcancel"].fn) == dl  # same module


def _pytest(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_cli_unknown_profile_is_a_usage_error():
    run = _pytest("benchmark/", "--profile", "bogus", "--collect-only", "-q")
    assert run.returncode == 4
    assert "unknown --profile 'bogus'" in run.stderr and "smoke" in run.stderr


def test_cli_keyword_selecting_nothing_says_so(tmp_path):
    run = _pytest("benchmark/", "--profile", "smoke", "-k", "no_such_method", "--results-dir", str(tmp_path), "-q", "-p", "no:cacheprovider")
    assert run.returncode == 5
    assert "no benchmark cell selected" in run.stdout and "smoke-" in run.stdout


def test_loadgroup_keeps_every_model_group_on_one_worker(tmp_path):
    # pytest 9 ignores pytest-xdist's own group marking; conftest.pytest_xdist_make_scheduler does it
    run = _pytest("benchmark/", "--profile", "smoke", "-n", "2", "--dist", "loadgroup", "-v", "-k", "basset or shallow",
                  "--results-dir", str(tmp_path), "--no-leaderboard", "-p", "no:cacheprovider", "-p", "no:randomly", timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    workers: dict[str, set[str]] = {}
    for line in run.stdout.splitlines():
        if line.startswith("[gw") and "PASSED" in line:
            group = root_conftest.model_group(line.split()[-1])
            workers.setdefault(group, set()).add(line.split()[0])
    assert set(workers) == {"smoke-basset-s0", "smoke-shallow-s0"}
    assert all(len(ran_on) == 1 for ran_on in workers.values()), workers
