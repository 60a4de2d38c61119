"""Real tasks (spec ``kind = "real"``, tasks.real): sequences as they are, a seeded split, no ground truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

import tasks
from tasks.builder import load_provenance, recorded_fields, spec_hash
from tasks.real import has_ground_truth
from tasks.sequences import decode, read_fasta_onehot
from tasks.spec import SpecError, janggu_resources, spec_from_dict


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_oct4_real_holds_the_peaks_exactly_as_in_the_fasta_files():
    dataset = tasks.build("oct4_real", progress=False)
    resources = janggu_resources()
    pos, _ = read_fasta_onehot(resources / "sample.fa")
    neg, _ = read_fasta_onehot(resources / "sample2.fa")
    np.testing.assert_array_equal(dataset.X[dataset.y == 1], pos)  # every peak, in file order, unshuffled
    np.testing.assert_array_equal(dataset.X[dataset.y == 0], neg)
    assert dataset.X.shape == (len(pos) + len(neg), 200, 4)
    np.testing.assert_array_equal(load_provenance(dataset)["source_index"], np.r_[np.arange(len(pos)), np.arange(len(neg))])
    # no ground truth, and the manifest says so
    assert not has_ground_truth(dataset) and dataset.manifest["ground_truth"] == "none"
    assert not dataset.mask.any() and dataset.mask.shape == dataset.X.shape[:2]
    assert len(dataset.hits) == 0 and dataset.motifs == {}
    # a seeded split per class and an eval set of test positives
    for label, n in ((1, len(pos)), (0, len(neg))):
        assert int((dataset.is_test & (dataset.y == label)).sum()) == round(0.2 * n)
    assert len(dataset.eval_index) == 300 and len(np.unique(dataset.eval_index)) == 300
    assert (np.diff(dataset.eval_index) > 0).all()
    assert dataset.is_test[dataset.eval_index].all() and (dataset.y[dataset.eval_index] == 1).all()
    test_positives = np.flatnonzero(dataset.is_test & (dataset.y == 1))
    assert not np.array_equal(dataset.eval_index, test_positives[:300])  # a random sample, not the first rows


def test_same_spec_gives_identical_bytes_and_another_seed_another_split(tmp_path, monkeypatch):
    first = tasks.build("oct4_real", progress=False)
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "again"))
    second = tasks.build("oct4_real", progress=False)
    assert first.path != second.path and first.hash == second.hash
    for name in sorted(p.name for p in Path(first.path).iterdir()):
        assert (Path(first.path) / name).read_bytes() == (Path(second.path) / name).read_bytes(), name
    other = tasks.build(spec_from_dict({**tasks.load_spec("oct4_real").to_dict(), "seed": 1}, spec_path=first.manifest["spec_path"]),
                        progress=False)
    np.testing.assert_array_equal(other.X, first.X)
    assert not np.array_equal(other.is_test, first.is_test)


def test_simulated_tasks_do_not_record_the_kind_field():
    # the default kind stays out of the hash and the manifest, so existing datasets keep both
    for name in ("oct4", "smoke"):
        spec = tasks.load_spec(name)
        assert spec.kind == "simulated"
        assert "kind" not in recorded_fields(spec) and "kind" not in spec_hash(spec)[1]["spec"]
    smoke = tasks.build("smoke", progress=False)
    assert "kind" not in smoke.manifest["spec"] and has_ground_truth(smoke)
    real = spec_hash(tasks.load_spec("oct4_real"))[1]
    assert real["spec"]["kind"] == "real" and real["real"] == "1"


def test_fasta_pair_caps_take_the_first_positives_and_a_seeded_draw_of_negatives(tmp_path):
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGT"))
    sequences = {cls: ["".join(rng.choice(letters, 60)) for _ in range(40)] for cls in ("pos", "neg")}
    for cls, seqs in sequences.items():
        (tmp_path / f"{cls}.fa").write_text("".join(f">{cls}{i}\n{s}\n" for i, s in enumerate(seqs)))
    (tmp_path / "task.toml").write_text(
        'name = "mine"\nkind = "real"\nsource = "fasta_pair"\npositives = "pos.fa"\nnegatives = "neg.fa"\n'
        "max_positives = 30\nmax_negatives = 25\nn_eval = 4\ntest_fraction = 0.3\n"
    )
    dataset = tasks.build(tmp_path / "task.toml", progress=False)
    assert decode(dataset.X[dataset.y == 1]) == sequences["pos"][:30]
    source = load_provenance(dataset)["source_index"][dataset.y == 0]
    assert len(source) == 25 and len(np.unique(source)) == 25
    assert decode(dataset.X[dataset.y == 0]) == [sequences["neg"][i] for i in source]
    assert len(dataset.eval_index) == 4 and dataset.is_test[dataset.eval_index].all()


def test_genome_peaks_windows_are_the_genome_bases(tmp_path):
    resources = janggu_resources()
    shutil.copy(resources / "sample_genome.fa", tmp_path / "genome.fa")
    shutil.copy(resources / "sample.bw", tmp_path / "signal.bw")
    with open(tmp_path / "pos.bed", "w") as handle:
        for chrom in ("chr1", "chr2"):
            for start in range(15000, 25000, 400):
                handle.write(f"{chrom}\t{start}\t{start + 120}\n")
    with open(tmp_path / "bg.bed", "w") as handle:
        for chrom in ("chr1", "chr2"):
            for start in range(20, 29900, 300):
                handle.write(f"{chrom}\t{start}\t{start + 100}\n")
    (tmp_path / "task.toml").write_text(
        'name = "genome_real"\nkind = "real"\nsource = "genome_peaks"\ngenome = "genome.fa"\npeaks = "pos.bed"\n'
        'background_peaks = "bg.bed"\nbigwig = "signal.bw"\nregion_size = 200\nn_eval = 5\n'
    )
    dataset = tasks.build(tmp_path / "task.toml", progress=False)
    provenance = load_provenance(dataset)
    genome = pyfaidx.Fasta(str(tmp_path / "genome.fa"), as_raw=True, sequence_always_upper=True)
    for row, text in enumerate(decode(dataset.X)):
        chrom, start = str(provenance["chrom"][row]), int(provenance["start"][row])
        assert text == genome[chrom][start : start + 200]
    assert int(dataset.y.sum()) == 50 and not has_ground_truth(dataset)
    assert len(dataset.eval_index) == 5 and dataset.is_test[dataset.eval_index].all()
    assert dataset.manifest["split"]["eval_rule"] == "top signal (bigWig)"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "actual"}, r"'kind' = 'actual': must be one of simulated, real"),
        ({"kind": "real", "source": "simplified", "motifs": ["CTCF"]}, "kind = 'real' needs real sequences"),
        ({"kind": "real", "held_out_test_peaks": 10, "max_positives": 5, "max_negatives": 5}, "held_out_test_peaks"),
        ({"kind": "real", "hit_positions": "random"}, "pastes nothing"),
    ],
)
def test_bad_real_specs_are_named(fields, message):
    base = {"name": "x", "source": "fasta_pair", "positives": "a.fa", "negatives": "b.fa"}
    with pytest.raises(SpecError, match=message):
        spec_from_dict({**base, **fields}, origin="x.toml")
