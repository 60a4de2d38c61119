"""The genome + peaks source on real files: janggu's sample genome (chr1, chr2; 30 kb each) and bigWig."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

import tasks
from tasks.builder import load_provenance
from tasks.sequences import decode
from tasks.sources import PeakError, read_genome_peaks
from tasks.spec import janggu_resources

SIZE = 200


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def peak_line(chrom: str, start: int, end: int, signal: float = 1.0, summit: int = -1) -> str:
    return f"{chrom}\t{start}\t{end}\tpeak\t0\t.\t{signal}\t-1\t-1\t{summit}\n"


@pytest.fixture
def genome_files(tmp_path: Path) -> Path:
    """The sample genome and bigWig copied beside narrowPeaks written here.

    Positives tile chr1/chr2:15000-25000 (janggu's sample.bed regions, where its
    bigWig has signal); background peaks tile both chromosomes end to end.
    """
    resources = janggu_resources()
    shutil.copy(resources / "sample_genome.fa", tmp_path / "genome.fa")
    shutil.copy(resources / "sample.bw", tmp_path / "signal.bw")
    with open(tmp_path / "pos.narrowPeak", "w") as handle:
        handle.write("track name=positives\n")
        for chrom in ("chr1", "chr2"):
            for start in range(15000, 25000, 150):
                handle.write(peak_line(chrom, start, start + 120, signal=(start % 997) / 10, summit=60))
    with open(tmp_path / "bg.narrowPeak", "w") as handle:
        for chrom in ("chr1", "chr2"):
            for start in range(20, 29900, 130):
                handle.write(peak_line(chrom, start, start + 100))
    (tmp_path / "task.toml").write_text(
        'name = "sample_genome"\nsource = "genome_peaks"\ngenome = "genome.fa"\npeaks = "pos.narrowPeak"\n'
        'background_peaks = "bg.narrowPeak"\nbigwig = "signal.bw"\nregion_size = 200\n'
        "min_pos_hits = 5\nmin_enrichment = 1.0\nn_eval = 20\n"
    )
    return tmp_path


def test_builds_end_to_end_from_real_genome_files(genome_files):
    dataset = tasks.build(genome_files / "task.toml", progress=False)
    counts = dataset.manifest["counts"]
    assert counts["positive_windows"] == 134 and counts["background_windows_overlapping_positives"] > 0
    assert dataset.length == SIZE and int(dataset.y.sum()) > 0 and len(dataset.motifs) > 0
    provenance = load_provenance(dataset)
    genome = pyfaidx.Fasta(str(genome_files / "genome.fa"), as_raw=True, sequence_always_upper=True)
    for row in range(len(dataset.y)):
        chrom, start = str(provenance["chrom"][row]), int(provenance["start"][row])
        original = genome[chrom][start : start + SIZE]
        simulated = decode(dataset.X[row][None])[0]
        for hit in dataset.hits_of(row):  # pasted bases are the genome's own bases
            assert simulated[hit["start"] : hit["end"]] == original[hit["start"] : hit["end"]]
        if dataset.y[row] == 1:
            assert 15000 - SIZE < start < 25000  # windows centred on the positive summits
    assert dataset.manifest["sources"]["bigwig"]["sha256"]


def test_background_windows_overlapping_positives_are_excluded(genome_files):
    pos_X, neg_X, signal, counts, regions = read_genome_peaks(
        genome_files / "genome.fa", genome_files / "pos.narrowPeak", genome_files / "bg.narrowPeak",
        None, SIZE, 0, 0, np.random.default_rng(0), progress=False,
    )
    for chrom, start in zip(regions["neg_chrom"], regions["neg_start"]):
        same = regions["pos_chrom"] == chrom
        # no overlap with any positive window nor with the positive peak tiling 15000-25000
        assert not ((regions["pos_start"][same] < start + SIZE) & (regions["pos_start"][same] + SIZE > start)).any()
        assert start + SIZE <= 15000 or start >= 25000 - 30
    assert counts["background_windows"] == len(neg_X) > 0
    assert counts["background_windows_overlapping_positives"] > 50


def test_eval_set_is_top_by_bigwig_signal(genome_files):
    dataset = tasks.build(genome_files / "task.toml", progress=False)
    import pyBigWig

    provenance = load_provenance(dataset)
    handle = pyBigWig.open(str(genome_files / "signal.bw"))

    def mean_signal(row):
        value = handle.stats(str(provenance["chrom"][row]), int(provenance["start"][row]), int(provenance["start"][row]) + SIZE)[0]
        return 0.0 if value is None else value

    candidates = [r for r in np.flatnonzero((dataset.y == 1) & dataset.is_test) if len(dataset.hits_of(r))]
    chosen = set(dataset.eval_index.tolist())
    assert len(chosen) == min(20, len(candidates))
    lowest_chosen = min(mean_signal(r) for r in chosen)
    assert all(mean_signal(r) <= lowest_chosen + 1e-9 for r in candidates if r not in chosen)


def test_windows_with_non_acgt_or_off_the_chromosome_are_dropped(genome_files):
    genome = genome_files / "genome.fa"
    lines = genome.read_text().splitlines()
    # put an N run into chr1 near 15060 (line length 60 in the sample genome? compute from the record)
    header = next(i for i, line in enumerate(lines) if line.startswith(">chr1"))
    width = len(lines[header + 1])
    line = header + 1 + 15100 // width
    lines[line] = "N" * width
    genome.write_text("\n".join(lines) + "\n")
    with open(genome_files / "pos.narrowPeak", "a") as handle:
        handle.write(peak_line("chr2", 29900, 29990))  # the window runs off chr2's end (30000)
    pos_X, neg_X, signal, counts, regions = read_genome_peaks(
        genome, genome_files / "pos.narrowPeak", genome_files / "bg.narrowPeak",
        None, SIZE, 0, 0, np.random.default_rng(0), progress=False,
    )
    assert counts["positive_windows_non_acgt"] >= 1 and counts["positive_windows_off_chromosome"] == 1
    assert pos_X.shape[0] == counts["positive_windows"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("chr1\t100\t200\n", r"line 3: expected 10 tab-separated narrowPeak columns"),
        ("chr1\tabc\t200\tp\t0\t.\t1\t-1\t-1\t-1\n", r"line 3: start, end and peak .* must be integers"),
        ("chr1\t300\t200\tp\t0\t.\t1\t-1\t-1\t-1\n", r"line 3: need 0 <= start < end"),
        ("chr1\t100\t200\tp\t0\t.\t1\t-1\t-1\t150\n", r"line 3: summit offset .* is outside the peak"),
        ("chr1\t29950\t30100\tp\t0\t.\t1\t-1\t-1\t-1\n", r"line 3: peak ends at 30100, past the end of chr1 \(30000 bp\)"),
        ("chrX\t100\t200\tp\t0\t.\t1\t-1\t-1\t-1\n", r"line 3: chromosome 'chrX' is not in the genome \(genome has: chr1, chr2\)"),
    ],
)
def test_bad_narrowpeak_lines_are_named(genome_files, line, message):
    path = genome_files / "bad.narrowPeak"
    path.write_text(peak_line("chr1", 15000, 15100) + "# a comment\n" + line)
    spec = genome_files / "task.toml"
    spec.write_text(spec.read_text().replace('"bg.narrowPeak"', '"bad.narrowPeak"'))
    with pytest.raises(PeakError, match=message) as err:
        tasks.build(spec, progress=False)
    assert str(path) in str(err.value)


def test_missing_genome_file_says_what_to_provide(genome_files):
    (genome_files / "genome.fa").unlink()
    with pytest.raises(tasks.SpecError, match=r"genome file .*genome\.fa does not exist\. Provide the genome FASTA"):
        tasks.build(genome_files / "task.toml", progress=False)
