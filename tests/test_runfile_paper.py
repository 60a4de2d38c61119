"""The `paper` run file end to end at tiny scale on janggu's sample genome (so it cannot rot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.grid.runcheck import prepare
from benchmark.grid.runfile import read_run
from tasks.spec import janggu_resources
from tests.runfile_helpers import isolated_registries  # noqa: F401 (fixture)

TINY = Path(__file__).resolve().parent / "data" / "paper_tiny.toml"


def write_peaks(folder: Path) -> tuple[Path, Path]:
    """BED6 positives every 1 kb on chr1/chr2 (30 kb each), BED3 background peaks between them."""
    peaks, background = folder / "peaks.bed", folder / "background.bed"
    with open(peaks, "w") as out:
        for chrom in ("chr1", "chr2"):
            for k in range(29):
                out.write(f"{chrom}\t{k * 1000 + 450}\t{k * 1000 + 550}\tpeak{k}\t{(k * 37) % 100}\t+\n")
    with open(background, "w") as out:
        for chrom in ("chr1", "chr2"):
            for k in range(1, 30):
                out.write(f"{chrom}\t{k * 1000 - 50}\t{k * 1000 + 50}\n")
    return peaks, background


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_registries")
def test_paper_run_file_end_to_end_at_tiny_scale(tmp_path, monkeypatch):
    from benchmark import load_results
    from benchmark.board.leaderboard import write_outputs
    from benchmark.grid.runner import run_or_load
    from benchmark.grid.session import BenchmarkSession

    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    peaks, background = write_peaks(tmp_path)
    monkeypatch.setenv("MOTIFBENCH_GENOME", str(janggu_resources() / "sample_genome.fa"))
    monkeypatch.setenv("MOTIFBENCH_PEAKS", str(peaks))
    monkeypatch.setenv("MOTIFBENCH_BACKGROUND", str(background))
    monkeypatch.delenv("MOTIFBENCH_BIGWIG", raising=False)

    profile = prepare(read_run(TINY))
    assert profile.tasks == ("paper_template",) and profile.name == "paper_tiny"
    import baselines
    import methods
    from benchmark.grid.profiles import grid_cells

    cells = grid_cells(profile, methods.METHODS, baselines.arch_kind)
    assert {c.method for c in cells} == {"grad_x_input", "deeplift_rescale", "random"}
    session = BenchmarkSession(profile, tmp_path / "results", progress=False)
    for cell in cells:
        record, _ = run_or_load(session, cell)
        assert record["status"] == "ok", record.get("error")
        assert record["dataset"]["length"] == 400 and record["dataset"]["source"] == "genome_peaks"
        assert record["runtime"]["n_sequences"] == 6
    frame = load_results(tmp_path / "results")
    paper_view = frame[(frame.projection == "observed") & frame.ground_truth.isin(["all_hits", "used_hits"])]
    assert len(paper_view) == 4 * len(cells) and set(frame.status) == {"ok"}
    written = write_outputs(tmp_path / "results", profile="paper_tiny", with_figures=False)
    assert "paper_template" in written[0].read_text()
    assert not (janggu_resources() / "sample_genome.fa.fai").exists()  # the package folder stays clean
