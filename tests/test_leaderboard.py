"""benchmark.board.leaderboard / findings / tables on hand-made result files (no models, no TensorFlow)."""

import json
from pathlib import Path

import numpy as np
import pytest

from benchmark.analysis import findings, ranking, tables

from benchmark.board import headline, leaderboard

from benchmark.scores import metrics

from benchmark.store import results
from benchmark.store.results import Cell

N, L = 40, 50
N_MODELS = 8  # seeds per (task, model)


def _truth(seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros((N, L), bool)
    for i in range(N):
        start = rng.integers(0, L - 10)
        mask[i, start : start + 10] = True
    return mask


QUALITY = {  # signal-to-noise of each fake method: higher recovers motifs better
    ("deeplift_rescale", "shuffle20"): 3.0,
    ("deeplift_rescale", "zeros"): 1.0,
    ("deeplift_rescale", "avg_composition"): 2.0,
    ("grad_x_input", "none"): 1.5,
    ("gradcam", "none"): 0.0,
}


def _record(task, model, method, reference, quality, mask, seed, source="fasta_pair", tags=("main",), model_seed=0,
            auroc=0.9):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=mask.shape) + quality * mask
    cell = Cell(task=task, model=model, arch="basset", seed=model_seed, method=method, reference=reference, tags=frozenset(tags))
    record = {
        "identity": {"method": "x"},
        "status": "ok",
        "metrics": {"all_hits": metrics.motif_recovery(scores, mask),
                    "used_hits": metrics.motif_recovery(scores, mask)},
        "metrics_max_abs": {"all_hits": metrics.motif_recovery(np.abs(scores) + 0.5 * mask, mask),
                            "used_hits": metrics.motif_recovery(np.abs(scores) + 0.5 * mask, mask)},
        "rows": list(range(N)),
        "dataset": {"name": task, "hash": f"h-{task}", "source": source, "length": L, "n_sequences": 100,
                    "motif_set": ["MOTIF_A", "MOTIF_B"]},
        "model": {"key": f"k-{task}-{model}", "arch": "basset", "kind": "keras", "first_kernel_width": 19,
                  "fidelity": {"test_auroc": auroc, "test_auprc": 0.8}, "used_hits": {"n_used": 30, "n_hits": 40}},
        "runtime": {"per_1000_sequences": 1.5, "method_seconds": 0.06},
        "convergence_error": 0.01 if method.startswith("deeplift") else None,
        "sanity": {"status": "ok", "auprc_trained": 0.6, "auprc_randomized": 0.3, "spearman": 0.1, "n": 10},
        "versions": {"numpy": "2.4.6"},
    }
    return cell, record


@pytest.fixture(scope="module")
def _built_results(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("built") / "results")


@pytest.fixture
def results_dir(_built_results, tmp_path):
    """A fresh copy of the module's hand-made results (tests add and corrupt files)."""
    import shutil

    return Path(shutil.copytree(_built_results, tmp_path / "results"))


def _build(directory):
    seed = 0
    for task, source in (("oct4", "fasta_pair"), ("simple", "simplified")):
        mask = _truth(1 if task == "oct4" else 2)
        for model_seed in range(N_MODELS):
            for (method, reference), quality in QUALITY.items():
                if source == "simplified" and method == "gradcam":
                    quality = 4.0
                seed += 1
                cell, record = _record(task, "basset", method, reference, quality, mask, seed, source, model_seed=model_seed)
                results.save(directory, cell, record)
    failed = Cell(task="oct4", model="basset", arch="basset", seed=0, method="broken", reference="none", tags=frozenset({"main"}))
    results.save(directory, failed, {"identity": {}, "status": "failed", "error": "broken raised ValueError: boom"})
    return directory


def test_render_is_deterministic_and_has_every_section(results_dir, tmp_path):
    out1 = tmp_path / "a.md"
    out2 = tmp_path / "b.md"
    leaderboard.write_outputs(results_dir, output=out1, with_figures=False)
    leaderboard.write_outputs(results_dir, output=out2, with_figures=False)
    text = out1.read_text()
    assert text == out2.read_text()
    for heading in ("## The paper's findings, tested in its scope", "## Which method to trust: overall ranking",
                    "## Position control"):
        assert heading in text
    pages = {p.name: p.read_text() for p in (tmp_path / "board").glob("*.md")}
    assert set(pages) == {f"{name}.md" for name in leaderboard.PAGES}
    for name in leaderboard.PAGES:
        assert f"(board/{name}.md)" in text
    for page, heading in (("groups.md", "### oct4 · basset · seed 0"), ("ablations.md", "## Reference ablation"),
                          ("ablations.md", "## Simplified vs realistic tasks"), ("models.md", "## Model fidelity"),
                          ("models.md", "## Sanity check"), ("provenance.md", "## Failed cells"),
                          ("provenance.md", "## Provenance"), ("findings.md", "p (sequence level)")):
        assert heading in pages[page], (page, heading)
    assert "oct4-basset-s0-broken-none" in pages["provenance.md"] and "boom" in pages["provenance.md"]


def test_overall_ranking_orders_by_auprc(results_dir):
    records, problems = results.load_all(results_dir)
    rows = ranking.ranking(records, n_boot=200)
    order = [r["config"] for r in rows]
    assert order.index("deeplift_rescale-shuffle20") < order.index("grad_x_input-none") < order.index("deeplift_rescale-zeros")
    top = rows[0]
    assert top["ci_low"] <= top["auprc"] <= top["ci_high"] and top["n_units"] == N_MODELS
    broken = next(r for r in rows if r["config"] == "broken-none")
    assert broken["failed"] == 1 and np.isnan(broken["auprc"])
    # the simplified task is not in the realistic ranking
    assert all(r["n_units"] in (0, N_MODELS) for r in rows)


def test_findings_verdicts_follow_the_data(results_dir):
    records, _ = results.load_all(results_dir)
    rows = {row["name"]: row for row in findings.evaluate_all(records)}
    paper_view = "observed/all_hits/abs"
    f3a = rows["F3a"]["views"][paper_view]
    assert f3a["verdict"] == "reproduced", f3a["verdict"]
    assert f3a["effect"] > 0 and f3a["n_units"] == N_MODELS and f3a["above"] == N_MODELS
    assert f3a["ci_low"] > 0 and f3a["p_value"] < 0.05
    # the paper's effect is shown, and whether the CI excludes it
    assert rows["F3a"]["paper"]["by_arch"]["beluga"] == pytest.approx(0.0754)
    assert f3a["against_paper"] != "–" and "basset" in f3a["per_arch"]
    assert rows["F1a/gradcam"]["views"][paper_view]["verdict"].startswith("reproduced")
    assert rows["F1c/gradcam"]["views"][paper_view]["verdict"].startswith("reproduced")
    assert rows["F2a"]["views"][paper_view]["verdict"] == "not measured"  # no IG cells
    assert rows["F5"]["views"][paper_view]["verdict"] == "not measured"
    # per-model sequence-level tests are Holm-adjusted over the view's whole family
    units = f3a["per_unit"]
    assert all(u["p_holm"] >= u["p_sequence"] for u in units if np.isfinite(u["p_sequence"]))


def test_ablation_models_count_only_in_the_findings_about_them(results_dir):
    """A basset_k8 that reverses F3a does not move F3a (it is not the paper's architecture); it is F1b's subject."""
    mask = _truth(1)
    for model_seed in range(N_MODELS):
        for method, reference, quality in (("deeplift_rescale", "shuffle20", 0.5), ("deeplift_rescale", "zeros", 3.0),
                                           ("gradcam", "none", 0.0)):
            cell, record = _record("oct4", "basset_k8", method, reference, quality, mask, 5000 + model_seed, model_seed=model_seed)
            cell = Cell(**{**cell.__dict__, "overrides": (("kernel_width", 8),)})
            results.save(results_dir, cell, record)
    records, _ = results.load_all(results_dir)
    rows = {row["name"]: row for row in findings.evaluate_all(records)}
    view = "observed/all_hits/abs"
    assert rows["F3a"]["views"][view]["n_units"] == N_MODELS and rows["F3a"]["views"][view]["verdict"] == "reproduced"
    f1b = rows["F1b/gradcam"]["views"][view]
    assert f1b["n_by_arm"] == {"a": N_MODELS, "b": N_MODELS}


def test_deepshap_companions_read_deepshap_cells_not_deeplift(results_dir):
    """F2b' is F2b with DeepSHAP as the DeepLIFT arm: here DeepSHAP is worse than grad x input, DeepLIFT better."""
    paper_view = "observed/all_hits/abs"
    records, _ = results.load_all(results_dir)
    before = {row["name"]: row for row in findings.evaluate_all(records)}
    assert before["F2b'"]["views"][paper_view]["verdict"] == "not measured"  # no DeepSHAP cells yet
    mask = _truth(1)
    for model_seed in range(N_MODELS):
        results.save(results_dir, *_record("oct4", "basset", "deepshap", "shuffle20", 0.3, mask, 900 + model_seed,
                                           model_seed=model_seed))
    records, _ = results.load_all(results_dir)
    rows = {row["name"]: row for row in findings.evaluate_all(records)}
    assert rows["F2b"]["views"][paper_view]["verdict"].startswith("reproduced")
    companion = rows["F2b'"]["views"][paper_view]
    assert companion["verdict"].startswith("opposite") and companion["n_units"] == N_MODELS
    assert rows["F2b'"]["a"] == "deepshap shuffle20" and "not the paper's implementation" in rows["F2b'"]["claim"]


def test_implementation_gap_follows_the_convergence_error(tmp_path):
    """deeplift cells that miss summation-to-delta by more sit further below DeepSHAP: a negative rank correlation."""
    mask = _truth(1)
    for model_seed in range(N_MODELS):
        error = 0.05 * (model_seed + 1)
        cell, record = _record("oct4", "basset", "deeplift_rescale", "shuffle20", 3.0 - 4 * error, mask, 10 + model_seed,
                               model_seed=model_seed)
        record["convergence_error"] = error
        results.save(tmp_path, cell, record)
        results.save(tmp_path, *_record("oct4", "basset", "deepshap", "shuffle20", 3.0, mask, 10 + model_seed,
                                        model_seed=model_seed))
    records, _ = results.load_all(tmp_path)
    gap = findings.implementation_gap(records)
    assert gap["n"] == N_MODELS and gap["n_below"] >= N_MODELS - 1 and gap["mean_gap"] < 0
    assert gap["rho"] < -0.8
    assert "Spearman ρ = -" in headline.implementation_sentence(gap)
    assert findings.implementation_gap(records[:2]) is None  # too few models to say anything
    for r in records:  # no max-pooling: deeplift sums to delta everywhere
        if r["cell"]["method"] == "deeplift_rescale":
            r["convergence_error"] = 0.0
    flat = findings.implementation_gap(records)
    assert np.isnan(flat["rho"]) and flat["max_error"] == 0.0
    assert "no rank correlation" in headline.implementation_sentence(flat)


def test_verdict_rules():
    base = {"n_units": 8, "note": "", "ci_low": -1.0, "ci_high": 1.0}
    assert findings.verdict({**base, "effect": -0.1, "p_value": 0.001}, "greater") == "opposite"
    assert findings.verdict({**base, "effect": 0.1, "p_value": 0.3}, "greater") == "not significant"
    assert findings.verdict({**base, "effect": 0.01, "ci_low": -0.005, "ci_high": 0.015}, "close").startswith("reproduced")
    assert findings.verdict({**base, "effect": 0.05, "ci_low": 0.03, "ci_high": 0.07}, "close") == "not reproduced (a higher)"
    # non-inferiority: a significant shortfall smaller than the margin still passes; one larger than it fails
    assert findings.verdict({**base, "effect": -0.01, "ci_low": -0.015, "ci_high": -0.005}, "not_less").startswith("reproduced")
    assert findings.verdict({**base, "effect": -0.05, "ci_low": -0.07, "ci_high": -0.03}, "not_less").startswith("opposite")
    assert findings.verdict({**base, "effect": 0.0, "ci_low": -0.04, "ci_high": 0.04}, "not_less").startswith("inconclusive")
    two = {**base, "n_units": 2, "effect": 0.2, "note": "2 models: too few to test (needs 3)"}
    assert findings.verdict(two, "greater") == two["note"]
    assert findings.against_paper({"ci_low": -0.01, "ci_high": 0.01}, 0.15).startswith("yes")
    assert findings.against_paper({"ci_low": -0.01, "ci_high": 0.01}, 0.005) == "no"
    assert findings.against_paper({"ci_low": -0.01, "ci_high": 0.01}, None) == "–"


def test_one_model_degrades_clearly(tmp_path):
    directory = tmp_path / "one"
    mask = _truth(1)
    for i, ((method, reference), quality) in enumerate(QUALITY.items()):
        results.save(directory, *_record("oct4", "basset", method, reference, quality, mask, i))
    records, _ = results.load_all(directory)
    rows = {row["name"]: row for row in findings.evaluate_all(records)}
    assert rows["F3a"]["views"]["observed/all_hits/abs"]["verdict"] == "1 model: too few to test (needs 3)"
    assert "1 model: too few to test" in leaderboard.render(records)


def test_fidelity_gate_excludes_a_chance_level_model_and_names_it(results_dir, tmp_path):
    mask = _truth(1)
    for i, ((method, reference), quality) in enumerate(QUALITY.items()):
        # a chance-level model whose cells would otherwise top the ranking
        results.save(results_dir, *_record("oct4", "chance", method, reference, 9.0, mask, 500 + i, auroc=0.52))
    records, _ = results.load_all(results_dir)
    kept, excluded = tables.analysis_records(records)
    assert [(e["task"], e["model"], e["seed"]) for e in excluded] == [("oct4", "chance", 0)]
    assert not any(r["cell"]["model"] == "chance" for r in kept)
    assert all(r["n_units"] in (0, N_MODELS) for r in ranking.ranking(records, n_boot=50))
    text = leaderboard.render(records)
    gate_part = text.split("Models left out by the fidelity gate")[1].split("##")[0]
    line = next(x for x in gate_part.splitlines() if "chance" in x)
    assert [c.strip() for c in line.strip("|").split("|")] == ["oct4", "chance", "0", "test auROC 0.520 < 0.75"]
    # a threshold stored in the record wins over the default
    for r in records:
        r["fidelity_threshold"] = 0.5
    assert tables.analysis_records(records)[1] == []


def test_both_projections_round_trip_and_feed_their_own_views(results_dir):
    records, _ = results.load_all(results_dir)
    record = next(r for r in records if r["cell"]["config"] == "grad_x_input-none")
    assert set(record["metrics_max_abs"]) == {"all_hits", "used_hits"}
    observed = tables.value(record)
    max_abs = tables.value(record, projection="max_abs")
    assert np.isfinite(observed) and np.isfinite(max_abs) and observed != max_abs
    rows = {r["config"]: r for r in ranking.ranking(records, view=("max_abs", "all_hits", "abs"), n_boot=50)}
    assert rows["grad_x_input-none"]["auprc"] != next(r for r in ranking.ranking(records, n_boot=50)
                                                       if r["config"] == "grad_x_input-none")["auprc"]


def test_legacy_files_keep_their_declared_projection_and_gradient_is_an_alias():
    legacy = {"cell": {"method": "gradient", "config": "gradient-none", "reference": "none", "task": "t", "model": "m",
                       "seed": 0, "id": "x", "kind": "keras"}, "metrics": {"all_hits": {}}}
    assert tables.metrics_of(legacy, "max_abs") is legacy["metrics"] and tables.metrics_of(legacy, "observed") is None
    assert tables.display_config(legacy) == "grad_x_input-none"
    old_avg = {"cell": {**legacy["cell"], "method": "deeplift_rescale", "reference": "avg_composition",
                        "config": "deeplift_rescale-avg_composition"}, "metrics": {}}
    assert tables.reference_of(old_avg) == "seq_composition"
    assert tables.reference_of({**old_avg, "metrics_max_abs": {}}) == "avg_composition"


def test_check_detects_stale_and_up_to_date(results_dir, tmp_path):
    output = tmp_path / "leaderboard.md"
    ok, message = leaderboard.check(results_dir, output)
    assert not ok and "does not exist" in message
    leaderboard.write_outputs(results_dir, output=output, with_figures=False,
                              figures_dir=leaderboard.DEFAULT_FIGURES)
    ok, message = leaderboard.check(results_dir, output)
    assert ok, message
    cell, record = _record("oct4", "basset", "ism", "none", 2.5, _truth(1), 99)
    results.save(results_dir, cell, record)
    ok, message = leaderboard.check(results_dir, output)
    assert not ok and "stale" in message and "motifbench board" in message


def test_corrupt_and_old_schema_files_are_reported_not_fatal(results_dir, tmp_path):
    (results_dir / "oct4" / "bad.json").write_text("{not json")
    old = results_dir / "oct4" / "old.json"
    old.write_text(json.dumps({"schema": 0, "cell": {}, "identity": {}, "status": "ok"}))
    records, problems = results.load_all(results_dir)
    assert len(records) == 2 * N_MODELS * len(QUALITY) + 1
    assert any("corrupt" in p and "bad.json" in p for p in problems)
    assert any("schema 0" in p for p in problems)
    output = tmp_path / "lb.md"
    leaderboard.write_outputs(results_dir, output=output, with_figures=False)
    assert "## Unusable result files" in (tmp_path / "board" / "provenance.md").read_text()


def test_empty_results_render_a_hint(tmp_path):
    text = leaderboard.render([], [])
    assert "No results yet" in text


def test_figures_are_written(results_dir, tmp_path):
    written = leaderboard.write_outputs(results_dir, output=tmp_path / "lb.md", figures_dir=tmp_path / "fig")
    names = {p.name for p in written}
    assert {"overall_auprc.png", "task_oct4_auprc.png", "reference_ablation.png"} <= names
    assert all(p.stat().st_size > 1000 for p in written if p.suffix == ".png")


def test_cli_check_exit_codes(results_dir, tmp_path, capsys):
    output = tmp_path / "lb.md"
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--check"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--no-figures"]) == 0
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--check"]) == 0
    output.write_text(output.read_text().replace("0.9", "0.8"))
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--no-figures"])
    page = tmp_path / "board" / "groups.md"
    page.write_text(page.read_text() + "edited by hand\n")
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_render_does_not_depend_on_the_hash_seed(results_dir, tmp_path):
    import os
    import subprocess
    import sys

    texts = []
    for seed in ("1", "2"):
        out = tmp_path / f"lb{seed}.md"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "benchmark.board.leaderboard", "--results-dir", str(results_dir), "--output", str(out),
                        "--no-figures"], check=True, env=env, cwd=leaderboard.REPO_ROOT, capture_output=True, timeout=300)
        texts.append(out.read_text())
    assert texts[0] == texts[1]


def test_position_control_shows_each_methods_margin_over_centre_prior(tmp_path):
    directory = tmp_path / "pos"
    seed = 0
    for task in ("oct4", "oct4_randompos"):
        mask = _truth(1 if task == "oct4" else 3)
        prior_quality = 2.0 if task == "oct4" else 0.0  # the prior is worthless when hits sit at random positions
        for model_seed in range(2):
            for (method, reference), quality in {**QUALITY, ("centre_prior", "none"): prior_quality, ("random", "none"): 0.0}.items():
                seed += 1
                results.save(directory, *_record(task, "basset", method, reference, quality, mask, seed, model_seed=model_seed))
    records, _ = results.load_all(directory)
    rows = {r["config"]: r for r in ranking.ranking(records, n_boot=50)}
    assert "oct4_randompos" not in {r["cell"]["task"] for r in records if tables.is_realistic(r)}
    margin = rows["deeplift_rescale-shuffle20"]["margin"]
    assert margin["n_units"] == 2 and margin["effect"] > 0 and margin["above"] == 2
    assert rows["gradcam-none"]["margin"]["effect"] < 0
    text = leaderboard.render(records)
    section = text.split("## Position control")[1].split("\n## ")[0]
    line = next(x for x in section.splitlines() if x.startswith("| oct4_randompos"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[5].endswith("%")  # the prior's share of the best method's gain over random
    # the headline: one column per task, realistic first, controls in a block of their own, the order said above it
    headline_text = text.split("## Which method to trust: overall ranking")[1].split("\n## ")[0]
    assert "| oct4   | oct4_randompos" in headline_text.replace("  ", " ").replace("  ", " ") or "oct4_randompos" in headline_text
    assert "Rows are ordered by the mean over 2 tasks (oct4, oct4_randompos" in headline_text
    body, controls = headline_text.split("Controls (")[0], headline_text.split("Controls (")[1]
    assert "centre_prior-none" not in body and "centre_prior-none" in controls and "deeplift_rescale-shuffle20" in body


def test_compare_runs_flags_firm_verdicts_that_do_not_replicate(results_dir):
    records, _ = results.load_all(results_dir)
    flipped = json.loads(json.dumps(records))
    for r in flipped:  # swap the two F3a configurations' numbers in the second run
        if r["cell"]["method"] == "deeplift_rescale" and r["cell"]["reference"] in ("zeros", "shuffle20"):
            r["cell"]["reference"] = "zeros" if r["cell"]["reference"] == "shuffle20" else "shuffle20"
    rows, unstable = findings.compare_runs({"a": records, "b": flipped})
    assert "F3a" in unstable
    same_rows, same_unstable = findings.compare_runs({"a": records, "b": records})
    assert same_unstable == [] and same_rows[0][1] == same_rows[0][2]
    # a run without the F3a cells at all neither confirms nor contradicts it
    without = [r for r in records if r["cell"]["method"] != "deeplift_rescale"]
    assert "F3a" not in findings.compare_runs({"a": records, "b": without})[1]
    assert findings.main([str(results_dir), f"{results_dir}:0,1,2"]) in (0, 1)


def test_findings_cli_names_unusable_files_it_leaves_out(results_dir, capsys):
    next(results_dir.rglob("*.json")).write_text("{ not json")
    findings.main([str(results_dir)])
    assert "warning: 1 unusable result file(s)" in capsys.readouterr().err


def test_readme_block_is_replaced_between_markers_only():
    text = f"intro\n{leaderboard.README_BEGIN}\nold claim\n{leaderboard.README_END}\noutro\n"
    got = leaderboard.replace_readme_block(text, ["new", "rows"])
    assert got == f"intro\n{leaderboard.README_BEGIN}\nnew\nrows\n{leaderboard.README_END}\noutro\n"
    assert leaderboard.replace_readme_block(got, ["new", "rows"]) == got
    with pytest.raises(ValueError, match="headline markers"):
        leaderboard.replace_readme_block("no markers", ["x"])


def test_repository_readme_headline_is_rendered_from_results():
    files = leaderboard.expected_files(leaderboard.REPO_ROOT / "results", leaderboard.DEFAULT_OUTPUT, leaderboard.DEFAULT_FIGURES)
    assert leaderboard.README in files
    block = files[leaderboard.README].split(leaderboard.README_BEGIN)[1].split(leaderboard.README_END)[0]
    assert "The paper's findings" in block and "| 1 " in block


def test_activation_study_pairs_exp_with_its_relu_control_by_task_and_seed(tmp_path):
    from benchmark.board import activation

    directory = tmp_path / "act"
    seed = 0
    mask = _truth(4)
    for model, boost in (("basset_bn", 0.0), ("basset_exp", 1.0)):
        for model_seed in range(N_MODELS):
            for (method, reference), quality in (((("grad_x_input", "none"), 1.0), (("gradcam", "none"), 1.0))):
                seed += 1
                gain = boost if method == "grad_x_input" else 0.0  # exp helps grad x input only
                results.save(directory, *_record("oct4", model, method, reference, quality + gain, mask, seed, model_seed=model_seed))
    # a chance-level exp model is gated out, so its pair drops
    seed += 1
    results.save(directory, *_record("oct4", "basset_exp", "grad_x_input", "none", 5.0, mask, seed, model_seed=N_MODELS, auroc=0.5))
    records, _ = results.load_all(directory)
    rows = {r["config"]: r for r in activation.activation_rows(records)}
    gxi, cam = rows["grad_x_input-none"], rows["gradcam-none"]
    assert gxi["n_pairs"] == N_MODELS and gxi["n_units"] == 2 * N_MODELS and gxi["ci_low"] > 0 and gxi["p_value"] < 0.05
    assert gxi["treated"] > gxi["control"]
    assert cam["n_pairs"] == N_MODELS and cam["ci_low"] < 0 < cam["ci_high"]
    text = "\n".join(activation.activation_section(records))
    assert "## Exponential first-layer activation" in text and "grad_x_input-none" in text
    assert activation.activation_section([r for r in records if r["cell"]["model"] != "basset_bn"]) == []


def test_a_verdict_one_model_can_overturn_is_fragile_and_not_firm():
    from benchmark.analysis import crossed, verdicts

    rng = np.random.default_rng(0)
    steady = [crossed.unit(f"m{i}", "t", 0.05 + 0.01 * rng.standard_normal(30)) for i in range(8)]
    result = crossed.summarise(steady)
    text = verdicts.verdict(result, "greater")
    assert text == "reproduced" and verdicts.robust(steady, {"": 1.0}, "greater", text) == ""
    # one model carries the effect: leaving it out overturns the verdict
    carried = [crossed.unit(f"m{i}", "t", 0.002 * rng.standard_normal(30)) for i in range(5)]
    carried.append(crossed.unit("big", "t", 0.5 + 0.01 * rng.standard_normal(30)))
    text = verdicts.verdict(crossed.summarise(carried), "greater")
    if text == "reproduced":
        assert verdicts.robust(carried, {"": 1.0}, "greater", text) == "big"
    assert findings.firm_verdict("reproduced, fragile (not firm without big)") is None
    assert findings.firm_verdict("reproduced; models disagree (1 above, 2 below, Holm)") == "reproduced"
    assert findings.firm_verdict("reproduced (non-inferior: CI above −0.02)") == "reproduced"


def test_an_unchanged_board_is_kept_and_any_changed_input_or_output_renders_again(results_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    out, figures = tmp_path / "board" / "leaderboard.md", tmp_path / "board" / "figures"
    calls = []
    real = leaderboard._render_files
    monkeypatch.setattr(leaderboard, "_render_files", lambda *a: calls.append(1) or real(*a))
    write = lambda: leaderboard.write_outputs(results_dir, "smoke", out, figures, with_figures=False, reuse=True)  # noqa: E731
    first = write()
    assert write() == first and len(calls) == 1  # nothing changed: kept
    out.write_text(out.read_text() + "edited\n")  # an edited output is rendered again
    write()
    assert len(calls) == 2 and "edited" not in out.read_text()
    record_file = sorted(p for p in results_dir.rglob("*.json") if not p.name.startswith("."))[0]
    record_file.write_text(record_file.read_text().replace('"status"', '"status" ', 1))  # a changed result file
    write()
    assert len(calls) == 3
    leaderboard.write_outputs(results_dir, "smoke", out, figures, with_figures=False)  # reuse off: always renders
    assert len(calls) == 4
