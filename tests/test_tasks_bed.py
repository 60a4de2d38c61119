"""Genome + peaks with BED input, the overlap-aware split, the .fai location and ${VAR} paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tasks
from tasks import sources
from tasks.builder import load_provenance
from tasks.simulate import grouped_split
from tasks.sources import PeakError, overlap_groups, read_peaks
from tasks.spec import SpecError, janggu_resources, load_spec

SIZE = 400


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def write_bed_task(folder: Path, step: int = 300, genome: str | None = None) -> Path:
    """BED6 positives every `step` bp over chr1/chr2:15000-25000 (so 400 bp windows overlap when
    step < 400), BED3 background elsewhere; returns the spec path."""
    with open(folder / "peaks.bed", "w") as out:
        out.write("track name=mine\n")
        for chrom in ("chr1", "chr2"):
            for k, start in enumerate(range(15000, 25000, step)):
                out.write(f"{chrom}\t{start}\t{start + 100}\tp{k}\t{k % 7}\t+\n")
    with open(folder / "background.bed", "w") as out:
        for chrom in ("chr1", "chr2"):
            for start in list(range(500, 14000, 450)) + list(range(26000, 29400, 450)):
                out.write(f"{chrom}\t{start}\t{start + 100}\n")
    genome = genome or str(janggu_resources() / "sample_genome.fa")
    spec = folder / "bed_task.toml"
    spec.write_text(
        f'name = "bed_task"\nsource = "genome_peaks"\ngenome = "{genome}"\npeaks = "peaks.bed"\n'
        f'background_peaks = "background.bed"\nregion_size = {SIZE}\nmin_pos_hits = 5\nmin_enrichment = 1.0\n'
        'enrichment_background = "shuffled_positives"\nmax_motifs = 4\nn_eval = 20\n'
    )
    return spec


def test_bed3_and_bed6_summits_are_midpoints_and_scores_rank(tmp_path):
    (tmp_path / "a.bed").write_text("# comment\nchr1\t100\t200\nchr1\t300\t351\n")
    (tmp_path / "b.bed").write_text("chr2\t10\t30\tx\t7.5\t-\nchr2\t40\t60\ty\t.\t+\n")
    bed3, bed6 = read_peaks(tmp_path / "a.bed"), read_peaks(tmp_path / "b.bed")
    assert bed3.summit.tolist() == [150, 325] and bed3.signal.tolist() == [0.0, 0.0]
    assert bed6.summit.tolist() == [20, 50] and bed6.signal.tolist() == [7.5, 0.0]
    narrow = tmp_path / "c.narrowPeak"
    narrow.write_text("chr1\t100\t200\tp\t0\t.\t3.0\t-1\t-1\t10\n")
    assert read_peaks(narrow).summit.tolist() == [110]  # narrowPeak column 10 still counts


@pytest.mark.parametrize("line, message", [
    ("chr1\t100\n", r"bad.bed, line 2: expected at least 3 tab-separated BED columns"),
    ("chr1\tx\t200\n", r"bad.bed, line 2: start and end \(columns 2, 3\) must be integers"),
    ("chr1\t300\t200\n", r"bad.bed, line 2: need 0 <= start < end"),
])
def test_bad_bed_lines_are_named(tmp_path, line, message):
    (tmp_path / "bad.bed").write_text("chr1\t1\t5\n" + line)
    with pytest.raises(PeakError, match=message):
        read_peaks(tmp_path / "bad.bed")


def test_overlap_groups_chain_overlapping_windows_per_chromosome():
    chrom = np.array(["chr1", "chr1", "chr1", "chr2", "chr1"])
    start = np.array([0, 300, 1000, 300, 650])
    groups = overlap_groups(chrom, start, 400)
    # 0-400, 300-700 and 650-1050 chain into one group with 1000-1400; chr2 stays apart
    assert groups[0] == groups[1] == groups[4] == groups[2]
    assert groups[3] != groups[0]
    assert overlap_groups(chrom, np.array([0, 400, 800, 0, 1200]), 400).tolist() == [0, 1, 2, 4, 3]


def test_grouped_split_keeps_groups_whole_and_sizes_close():
    rng = np.random.default_rng(0)
    y = np.array([1] * 60 + [0] * 60)
    groups = np.repeat(np.arange(40), 3)
    is_test = grouped_split(y, groups, 0.2, rng)
    for group in np.unique(groups):
        assert len(set(is_test[groups == group].tolist())) == 1
    assert 12 <= is_test[y == 1].sum() <= 15 and 12 <= is_test[y == 0].sum() <= 15


def test_bed_task_builds_and_overlapping_peaks_never_straddle_the_split(tmp_path):
    dataset = tasks.build(write_bed_task(tmp_path, step=300), progress=False)
    assert dataset.length == SIZE and dataset.manifest["counts"]["positive_peaks"] == 2 * len(range(15000, 25000, 300))
    provenance = load_provenance(dataset)
    chrom, start = provenance["chrom"], provenance["start"]
    pairs = 0
    for i in range(len(chrom)):
        same = (chrom == chrom[i]) & (np.abs(start - start[i]) < SIZE)
        same[i] = False
        pairs += int(same.sum())
        assert (dataset.is_test[same] == dataset.is_test[i]).all(), f"row {i} overlaps a row on the other side"
    assert pairs > 0  # the peaks really overlap (step 300 < 400 bp windows)
    assert dataset.is_test.any() and (~dataset.is_test).any()


def test_fai_goes_to_the_cache_when_the_genome_folder_is_not_writable(tmp_path, monkeypatch):
    folder = tmp_path / "readonly"
    folder.mkdir()
    shutil.copy(janggu_resources() / "sample_genome.fa", folder / "genome.fa")
    monkeypatch.setattr(sources, "_folder_writable", lambda path: False)  # root ignores chmod; the rule is what counts
    index = sources.fai_path(folder / "genome.fa")
    assert index.parent == tmp_path / "cache" / "tasks" / ".fai"
    tasks.build(write_bed_task(tmp_path, step=500, genome=str(folder / "genome.fa")), progress=False)
    assert index.exists() and not (folder / "genome.fa.fai").exists()
    monkeypatch.setattr(sources, "_folder_writable", lambda path: True)
    assert sources.fai_path(folder / "genome.fa") == folder / "genome.fa.fai"  # writable: beside the FASTA
    # a genome inside an installed package (janggu's) never gets an index written beside it
    assert sources.fai_path(janggu_resources() / "sample_genome.fa").parent.name == ".fai"


def test_paths_from_environment_variables(tmp_path, monkeypatch):
    spec_path = tmp_path / "t.toml"
    spec_path.write_text('name = "t"\nsource = "genome_peaks"\ngenome = "${MY_GENOME}"\npeaks = "$MY_PEAKS"\n'
                         'background_peaks = "bg.bed"\nbigwig = "${MY_BIGWIG:-}"\n')
    monkeypatch.delenv("MY_GENOME", raising=False)
    monkeypatch.delenv("MY_BIGWIG", raising=False)
    spec = load_spec(spec_path)
    with pytest.raises(SpecError, match="field 'genome' = '\\${MY_GENOME}' uses the environment variable MY_GENOME, not set"):
        spec.resolve_path("genome")
    assert spec.resolve_path("bigwig") is None  # ${NAME:-} with NAME unset: no file
    monkeypatch.setenv("MY_GENOME", "g.fa")
    monkeypatch.setenv("MY_PEAKS", str(tmp_path / "p.bed"))
    assert spec.resolve_path("genome") == tmp_path / "g.fa" and spec.resolve_path("peaks") == tmp_path / "p.bed"


def test_paper_template_names_the_variables_to_set(monkeypatch):
    for name in ("MOTIFBENCH_GENOME", "MOTIFBENCH_PEAKS", "MOTIFBENCH_BACKGROUND", "MOTIFBENCH_BIGWIG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SpecError, match="MOTIFBENCH_GENOME, not set"):
        tasks.build("paper_template")
