"""benchmark.leaderboard / findings / tables on hand-made result files (no models, no TensorFlow)."""

import json

import numpy as np
import pytest

from benchmark import findings, leaderboard, metrics, results, tables
from benchmark.results import Cell

N, L = 40, 50


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


def _record(task, model, method, reference, quality, mask, seed, source="fasta_pair", tags=("main",)):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=mask.shape) + quality * mask
    cell = Cell(task=task, model=model, arch="basset", seed=0, method=method, reference=reference, tags=frozenset(tags))
    record = {
        "identity": {"method": "x"},
        "status": "ok",
        "metrics": {"all_hits": metrics.motif_recovery(scores, mask),
                    "used_hits": metrics.motif_recovery(scores, mask)},
        "rows": list(range(N)),
        "dataset": {"name": task, "hash": f"h-{task}", "source": source, "length": L, "n_sequences": 100,
                    "motif_set": ["MOTIF_A", "MOTIF_B"]},
        "model": {"key": f"k-{task}-{model}", "arch": "basset", "kind": "keras", "first_kernel_width": 19,
                  "fidelity": {"test_auroc": 0.9, "test_auprc": 0.8}, "used_hits": {"n_used": 30, "n_hits": 40}},
        "runtime": {"per_1000_sequences": 1.5, "method_seconds": 0.06},
        "convergence_error": 0.01 if method.startswith("deeplift") else None,
        "sanity": {"status": "ok", "auprc_trained": 0.6, "auprc_randomized": 0.3, "spearman": 0.1, "n": 10},
        "versions": {"numpy": "2.4.6"},
    }
    return cell, record


@pytest.fixture
def results_dir(tmp_path):
    directory = tmp_path / "results"
    seed = 0
    for task, source in (("oct4", "fasta_pair"), ("simple", "simplified")):
        mask = _truth(1 if task == "oct4" else 2)
        for (method, reference), quality in QUALITY.items():
            if source == "simplified" and method == "gradcam":
                quality = 4.0
            seed += 1
            cell, record = _record(task, "basset", method, reference, quality, mask, seed, source)
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
    for heading in ("## The paper's findings, tested", "## Overall ranking", "### oct4 · basset · seed 0",
                    "## Reference ablation", "## Simplified vs realistic tasks", "## Model fidelity",
                    "## Sanity check", "## Failed cells", "## Provenance"):
        assert heading in text
    assert "oct4-basset-s0-broken-none" in text and "boom" in text


def test_overall_ranking_orders_by_auprc(results_dir):
    records, problems = results.load_all(results_dir)
    rows = tables.overall(records, n_boot=200)
    order = [r["config"] for r in rows]
    assert order.index("deeplift_rescale-shuffle20") < order.index("grad_x_input-none") < order.index("deeplift_rescale-zeros")
    top = rows[0]
    assert top["ci_low"] <= top["auprc"] <= top["ci_high"]
    broken = next(r for r in rows if r["config"] == "broken-none")
    assert broken["failed"] == 1 and np.isnan(broken["auprc"])


def test_findings_verdicts_follow_the_data(results_dir):
    records, _ = results.load_all(results_dir)
    rows = {row["name"]: row for row in findings.evaluate_all(records)}
    paper_view = "all_hits/abs"
    assert rows["F3a"]["views"][paper_view]["verdict"] == "reproduced"
    assert rows["F3a"]["views"][paper_view]["mean_difference"] > 0
    assert rows["F1a/gradcam"]["views"][paper_view]["verdict"] == "reproduced"
    assert rows["F1c/gradcam"]["views"][paper_view]["verdict"] == "reproduced"
    assert rows["F2a"]["views"][paper_view]["verdict"] == "not measured"  # no IG cells
    assert rows["F5"]["views"][paper_view]["verdict"] == "not measured"


def test_verdict_rules():
    assert findings.verdict({"mean_difference": -0.1, "p_value": 0.001, "n": 50}, "greater").startswith("not reproduced (opposite")
    assert findings.verdict({"mean_difference": 0.1, "p_value": 0.3, "n": 50}, "greater") == "not reproduced (no significant difference)"
    assert findings.verdict({"mean_difference": 0.01, "p_value": 0.001, "n": 50}, "close") == "reproduced"
    assert findings.verdict({"mean_difference": -0.01, "p_value": 0.5, "n": 50}, "not_less") == "reproduced (no significant gap)"


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
    assert not ok and "stale" in message and "python -m benchmark.leaderboard" in message


def test_corrupt_and_old_schema_files_are_reported_not_fatal(results_dir, tmp_path):
    (results_dir / "oct4" / "bad.json").write_text("{not json")
    old = results_dir / "oct4" / "old.json"
    old.write_text(json.dumps({"schema": 0, "cell": {}, "identity": {}, "status": "ok"}))
    records, problems = results.load_all(results_dir)
    assert len(records) == 2 * len(QUALITY) + 1
    assert any("corrupt" in p and "bad.json" in p for p in problems)
    assert any("schema 0" in p for p in problems)
    output = tmp_path / "lb.md"
    leaderboard.write_outputs(results_dir, output=output, with_figures=False)
    assert "## Unusable result files" in output.read_text()


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
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output),
                             "--figures-dir", str(leaderboard.DEFAULT_FIGURES), "--no-figures"]) == 0
    assert leaderboard.main(["--results-dir", str(results_dir), "--output", str(output), "--check"]) == 0
    output.write_text(output.read_text().replace("0.9", "0.8"))
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
        subprocess.run([sys.executable, "-m", "benchmark.leaderboard", "--results-dir", str(results_dir), "--output", str(out),
                        "--no-figures"], check=True, env=env, cwd=leaderboard.REPO_ROOT, capture_output=True, timeout=300)
        texts.append(out.read_text())
    assert texts[0] == texts[1]
