"""The embedded real tasks (janggu's Oct4 and MafK ChIP-seq peaks), built in full: slow tier."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tasks
from tasks.builder import load_provenance
from tasks.sequences import read_fasta_onehot
from tasks.spec import janggu_resources

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "name, family",
    [("oct4", ("POU", "SOX", "Pou5f1", "Sox")), ("mafk", ("MAF", "Maf"))],
)
def test_real_task_keeps_the_expected_family_on_top(name, family):
    dataset = tasks.build(name, progress=False)
    kept = list(dataset.motifs)
    print(name, kept, f"prevalence {dataset.prevalence:.3f}")
    assert any(kept[0].startswith(prefix) for prefix in family)  # most enriched kept motif
    assert 0.05 < dataset.prevalence < 0.30
    assert 3 <= len(kept) <= 20
    assert len(dataset.eval_index) == tasks.load_spec(name).n_eval
    started = time.perf_counter()
    again = tasks.build(name, progress=False)
    print(f"{name} cache hit {time.perf_counter() - started:.2f} s")
    assert again.path == dataset.path


def test_oct4_pasted_bases_come_from_the_peaks():
    dataset = tasks.build("oct4", progress=False)
    provenance = load_provenance(dataset)
    resources = janggu_resources()
    pos, _ = read_fasta_onehot(resources / "sample.fa")
    neg, _ = read_fasta_onehot(resources / "sample2.fa")
    for hit in dataset.hits[:: max(1, len(dataset.hits) // 500)]:
        row = hit["seq"]
        source = (pos if dataset.y[row] == 1 else neg)[provenance["source_index"][row]]
        assert np.array_equal(dataset.X[row, hit["start"] : hit["end"]], source[hit["start"] : hit["end"]])
