"""benchmark.load_results: one DataFrame row per cell x scoring x ground truth."""

from __future__ import annotations

import pytest

import benchmark
from benchmark.store import results
from benchmark.store.results import Cell
from tests.result_records import ok_record


def pair(auprc: float) -> dict:
    return {"auprc_mean": auprc, "auprc_sem": 0.01, "auroc_mean": 0.7, "auroc_sem": 0.02, "n_scored": 10,
            "pooled_auprc": auprc, "pooled_auroc": 0.7, "per_sequence_auprc": [auprc] * 10}


def truth(auprc: float) -> dict:
    return {"abs": pair(auprc), "pos": pair(auprc / 2), "share_inside": 0.3, "signed_contrast": 1.0,
            "prevalence": 0.1, "prevalence_mean": 0.11}


def test_rows_per_cell_scoring_and_ground_truth(tmp_path):
    ok = Cell("smoke", "shallow", "shallow", 0, "ism", "none")
    bad = Cell("smoke", "shallow", "shallow", 0, "gradcam", "none", params=(("layer", "last"),))
    record = ok_record({})
    record.update(metrics={"all_hits": truth(0.6), "used_hits": truth(0.8)},
                  metrics_max_abs={"all_hits": truth(0.7), "used_hits": truth(0.9)},
                  runtime={"method_seconds": 1.5, "per_1000_sequences": 150.0, "wall_seconds": 2.0, "n_sequences": 10}, rows=list(range(10)),
                  model={"key": "k", "kind": "keras", "fidelity": {"test_auroc": 0.9, "test_auprc": 0.85}})
    results.save(tmp_path, ok, record)
    results.save(tmp_path, bad, {"identity": {}, "status": "failed", "error": "boom"})
    (tmp_path / "smoke" / "broken.json").write_text("{")
    frame = benchmark.load_results(tmp_path)
    assert len(frame) == 2 * 4 + 1
    ism = frame[(frame.method == "ism") & (frame.scoring == "pos") & (frame.ground_truth == "used_hits")]
    row = ism[ism.projection == "observed"].iloc[0]
    assert ism[ism.projection == "max_abs"].iloc[0].auprc_mean == pytest.approx(0.45)
    assert row.auprc_mean == pytest.approx(0.4) and row.prevalence == pytest.approx(0.1)
    assert row.test_auroc == 0.9 and row.per_1000_sequences == 150.0 and row.status == "ok" and not row.pretrained
    failed = frame[frame.method == "gradcam"].iloc[0]
    assert failed.status == "failed" and failed.error == "boom" and failed.params == "layer=last"
    assert failed.isna().scoring and failed.isna().auprc_mean  # no scoring, no metrics
    assert len(frame.attrs["problems"]) == 1 and "broken.json" in frame.attrs["problems"][0]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        benchmark.load_results(tmp_path / "missing")
