"""A larger test set for a small task: the spec's `held_out_test_peaks`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tasks
from tasks.builder import PROVENANCE_FILE, source_files, spec_hash
from tasks.motifs import MotifError
from tasks.sources import read_fasta_pair
from tasks.spec import SpecError, spec_from_dict

REALISTIC = {"name": "x", "source": "fasta_pair", "positives": "janggu:sample.fa", "negatives": "janggu:sample2.fa",
             "max_positives": 200, "max_negatives": 200}


def test_held_out_needs_capped_fasta_pair_and_is_hashed_only_when_set():
    with pytest.raises(SpecError, match="held_out_test_peaks"):
        spec_from_dict({"name": "s", "source": "simplified", "motifs": ["MA0142.1"], "held_out_test_peaks": 10})
    with pytest.raises(SpecError, match="held_out_test_peaks"):
        spec_from_dict({**REALISTIC, "max_negatives": 0, "held_out_test_peaks": 10})
    with pytest.raises(SpecError, match="held_out_test_peaks"):
        spec_from_dict({**REALISTIC, "held_out_test_peaks": -1})
    assert "held_out_test_peaks" not in spec_hash(spec_from_dict(REALISTIC))[1]["spec"]  # older datasets keep their hash
    assert spec_hash(spec_from_dict({**REALISTIC, "held_out_test_peaks": 10}))[1]["spec"]["held_out_test_peaks"] == 10


@pytest.mark.slow
def test_held_out_rows_join_the_test_split_and_change_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    spec = dataclasses.replace(tasks.load_spec("stress_oct4_500"), max_positives=200, max_negatives=200,
                               min_pos_hits=10, held_out_test_peaks=0)
    own = tasks.build(spec, progress=False)
    both = tasks.build(dataclasses.replace(spec, held_out_test_peaks=150), progress=False)
    n = len(own.y)
    # the task's own rows, their split, its motifs and so its training set are untouched
    assert np.array_equal(both.X[:n], own.X) and np.array_equal(both.y[:n], own.y)
    assert np.array_equal(both.is_test[:n], own.is_test) and list(both.motifs) == list(own.motifs)
    assert np.array_equal(both.split(test=False)[0], own.split(test=False)[0])
    # the appended rows are all test, 150 negatives and at most 150 positives (those without a kept hit drop out)
    extra = slice(n, None)
    assert both.is_test[extra].all() and (both.y[extra] == 0).sum() == 150 and 100 < both.y[extra].sum() <= 150
    assert both.manifest["counts"]["held_out_test"]["n_positives"] == int(both.y[extra].sum())
    # they come from sequences the task did not use, and their pasted hits are the original bases
    provenance = np.load(both.path / PROVENANCE_FILE)
    source = provenance["source_index"]
    files = source_files(spec)
    pos_X, neg_X, _ = read_fasta_pair(files["positives"], files["negatives"], spec.non_acgt)
    own_pos, held_pos = set(source[:n][own.y == 1]), set(source[extra][both.y[extra] == 1])
    own_neg, held_neg = set(source[:n][own.y == 0]), set(source[extra][both.y[extra] == 0])
    assert not own_pos & held_pos and not own_neg & held_neg and min(held_pos) >= 200
    for hit in both.hits[both.hits["seq"] >= n][:50]:
        row = int(hit["seq"])
        original = (pos_X if both.y[row] == 1 else neg_X)[source[row]]
        assert np.array_equal(both.X[row, hit["start"]:hit["end"]], original[hit["start"]:hit["end"]])


@pytest.mark.slow
def test_asking_for_more_held_out_peaks_than_the_files_hold_names_the_field(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    spec = dataclasses.replace(tasks.load_spec("stress_oct4_500"), held_out_test_peaks=10_000)
    with pytest.raises(MotifError, match="held_out_test_peaks = 10000"):
        tasks.build(spec, progress=False)
