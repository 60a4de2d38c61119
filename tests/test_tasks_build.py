"""tasks.build on small written data: enrichment filter, cache, determinism, atomicity, show, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tasks
from tasks.builder import PROVENANCE_FILE, load_provenance
from tasks.sequences import decode, read_fasta_onehot
from tasks.simulate import mask_from_hits

MEME = Path(__file__).parent / "data" / "four_motifs.meme"
CTCF_CONSENSUS = "GCCACCAGGGGGCGC"  # MA0139.2 consensus (15 bp)
REST_CONSENSUS = "TCAGCACCATGGACAGCGCC"  # MA0138.3 consensus (20 bp)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write_fasta(path: Path, sequences: list[str]) -> Path:
    path.write_text("".join(f">s{i}\n{s[:50].lower()}\n{s[50:]}\n" for i, s in enumerate(sequences)))
    return path


def planted_pair(folder: Path, n: int = 300, length: int = 100, seed: int = 0) -> tuple[Path, Path]:
    """Positives: random with the CTCF consensus near the centre in 90%; negatives: random.
    Both classes carry the REST consensus at a random place in half their sequences."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))

    def plant(seq: str, motif: str, start: int) -> str:
        return seq[:start] + motif + seq[start + len(motif):]

    pos, neg = [], []
    for i in range(n):
        seq = "".join(rng.choice(letters, length))
        if i % 2:
            seq = plant(seq, REST_CONSENSUS, int(rng.integers(0, length - len(REST_CONSENSUS))))
        if i % 10:
            seq = plant(seq, CTCF_CONSENSUS, int(rng.integers(35, 50)))
        pos.append(seq)
        seq = "".join(rng.choice(letters, length))
        if i % 2:
            seq = plant(seq, REST_CONSENSUS, int(rng.integers(0, length - len(REST_CONSENSUS))))
        neg.append(seq)
    return write_fasta(folder / "pos.fa", pos), write_fasta(folder / "neg.fa", neg)


def pair_spec(folder: Path, **overrides) -> Path:
    pos, neg = planted_pair(folder)
    fields = {
        "name": "planted", "source": "fasta_pair", "positives": pos.name, "negatives": neg.name,
        "motif_database": "meme", "motif_file": str(MEME), "min_pos_hits": 50, "min_enrichment": 2.0,
        "enrichment_background": "negatives", "collapse": False, "n_eval": 20, **overrides,
    }
    text = "".join(f"{k} = {_toml(v)}\n" for k, v in fields.items())
    path = folder / "planted.toml"
    path.write_text(text)
    return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def test_enrichment_filter_keeps_the_planted_motif_and_drops_the_others(tmp_path):
    dataset = tasks.build(pair_spec(tmp_path, enrichment_background="negatives"), progress=False)
    assert list(dataset.motifs) == ["CTCF_MA0139.2"]
    table = {row["motif"]: row for row in dataset.manifest["motif_table"]}
    assert table["CTCF_MA0139.2"]["kept"] and table["CTCF_MA0139.2"]["enrichment"] > 5
    assert table["CTCF_MA0139.2"]["pos_hits"] >= 270  # 90% of 300 positives carry it
    for other in ("GATA1_MA0035.5", "REST_MA0138.3", "SOX2_MA0143.5"):
        assert not table[other]["kept"]
    # REST is planted as often in negatives as in positives, at random places: many hits, no enrichment
    assert table["REST_MA0138.3"]["pos_hits"] >= 100 and table["REST_MA0138.3"]["enrichment"] < 1.5
    assert {"pos_hits", "neg_hits", "bg_hits", "enrichment", "kept", "candidate"} <= set(table["GATA1_MA0035.5"])


def test_shuffled_background_keeps_what_exceeds_composition(tmp_path):
    # against dinucleotide shuffles of the positives, REST (planted in both classes) is enriched too:
    # this background asks "more than the positives' own composition predicts", not "more than negatives"
    dataset = tasks.build(pair_spec(tmp_path, enrichment_background="shuffled_positives"), progress=False)
    assert list(dataset.motifs) == ["CTCF_MA0139.2", "REST_MA0138.3"]  # most enriched first
    table = {row["motif"]: row for row in dataset.manifest["motif_table"]}
    assert not table["GATA1_MA0035.5"]["kept"] and not table["SOX2_MA0143.5"]["kept"]
    assert table["REST_MA0138.3"]["neg_hits"] >= 100  # hits in the negatives are counted and pasted too
    assert dataset.manifest["filter"]["enrichment_background"] == "shuffled_positives"


def test_built_dataset_is_consistent(tmp_path):
    spec_path = pair_spec(tmp_path)
    dataset = tasks.build(spec_path, progress=False)
    n, length = len(dataset.y), dataset.length
    assert dataset.X.shape == (n, length, 4) and dataset.X.dtype == np.float32
    assert (dataset.X.sum(-1) == 1).all()
    # mask = union of the hit intervals
    assert (dataset.mask == mask_from_hits(dataset.hits, n, length)).all()
    # pasted bases equal the original hit bases, read back from the input files
    provenance = load_provenance(dataset)
    pos, _ = read_fasta_onehot(tmp_path / "pos.fa")
    neg, _ = read_fasta_onehot(tmp_path / "neg.fa")
    for hit in dataset.hits:
        row = hit["seq"]
        source = (pos if dataset.y[row] == 1 else neg)[provenance["source_index"][row]]
        assert (dataset.X[row, hit["start"] : hit["end"]] == source[hit["start"] : hit["end"]]).all()
        if hit["motif"] == "CTCF_MA0139.2" and dataset.y[row] == 1:
            text = decode(dataset.X[row, hit["start"] : hit["end"]][None])[0]
            assert hit["strand"] in "+-" and len(text) == 15
    # positives without a kept hit were dropped: 10% of 300 carry no plant
    assert 255 <= int(dataset.y.sum()) <= 275 and int((dataset.y == 0).sum()) == 300
    # eval set: a random sample of the test positives with at least one hit, no row twice
    rows = dataset.eval_index
    assert len(rows) == 20 and len(set(rows.tolist())) == 20
    assert dataset.is_test[rows].all() and (dataset.y[rows] == 1).all()
    assert all(len(dataset.hits_of(r)) for r in rows)
    occupancy = dataset.manifest["occupancy"]
    assert occupancy["eval"]["prevalence"] == pytest.approx(dataset.prevalence, abs=1e-6)
    assert dataset.manifest["sources"]["positives"]["sha256"]


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path, monkeypatch):
    spec_path = pair_spec(tmp_path)
    first = tasks.build(spec_path, progress=False)
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "other-cache"))
    second = tasks.build(spec_path, progress=False)
    assert first.path != second.path and first.path.name == second.path.name
    for name in ("arrays.npz", "motifs.npz", "manifest.json", PROVENANCE_FILE):
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes(), name
    text = spec_path.read_text() + "seed = 1\n"
    spec_path.write_text(text)
    third = tasks.build(spec_path, progress=False)
    assert third.path.name != first.path.name
    assert third.X.tobytes() != first.X.tobytes()


def test_second_build_is_a_cache_hit(tmp_path, monkeypatch):
    spec_path = pair_spec(tmp_path)
    first = tasks.build(spec_path, progress=False)

    def fail(*args, **kwargs):
        raise AssertionError("rebuilt although cached")

    monkeypatch.setattr("tasks.builder._make", fail)
    second = tasks.load(spec_path)
    assert second.path == first.path and second.X.tobytes() == first.X.tobytes()
    assert (second.hits == first.hits).all()


def test_interrupted_build_leaves_nothing_a_later_run_trusts(tmp_path, monkeypatch, private_cache):
    spec_path = pair_spec(tmp_path)

    def interrupted(self, directory):  # dies half-way through writing the dataset
        (directory / "arrays.npz").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr("tasks.dataset.Dataset.save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tasks.build(spec_path, progress=False)
    leftovers = [p for p in (private_cache / "tasks").iterdir() if p.is_dir() and not p.name.startswith(".scans")]
    assert leftovers == []
    monkeypatch.undo()
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(private_cache))
    dataset = tasks.build(spec_path, progress=False)
    assert (dataset.path / "manifest.json").exists() and len(dataset.y) > 0


def test_a_source_file_change_changes_the_hash(tmp_path):
    spec_path = pair_spec(tmp_path)
    first = tasks.cache_dir(tasks.load_spec(spec_path))
    neg = tmp_path / "neg.fa"
    neg.write_text(neg.read_text().replace("a", "c", 1))
    assert tasks.cache_dir(tasks.load_spec(spec_path)) != first


def test_no_motif_passing_the_filter_is_a_clear_error(tmp_path):
    from tasks.motifs import MotifError

    with pytest.raises(MotifError, match="no motif has >= 50 hits.*lower min_pos_hits or min_enrichment"):
        tasks.build(pair_spec(tmp_path, min_enrichment=1000.0), progress=False)


def test_empty_motif_selection_is_a_clear_error(tmp_path):
    from tasks.motifs import MotifError

    with pytest.raises(MotifError, match="no motif matches 'NOTAMOTIF'"):
        tasks.build(pair_spec(tmp_path, motifs=["NOTAMOTIF"]), progress=False)
    empty = tmp_path / "empty.meme"
    empty.write_text("MEME version 4\n\nALPHABET= ACGT\n")
    with pytest.raises(MotifError, match="no motifs found"):
        tasks.build(pair_spec(tmp_path, motif_file=str(empty)), progress=False)


def test_selection_restricts_the_scanned_motifs(tmp_path):
    dataset = tasks.build(pair_spec(tmp_path, motifs=["CTCF", "GATA1"]), progress=False)
    assert {row["motif"] for row in dataset.manifest["motif_table"]} == {"CTCF_MA0139.2", "GATA1_MA0035.5"}


def test_show_writes_text_and_png(tmp_path):
    from tasks.show import show

    dataset = tasks.build(pair_spec(tmp_path), progress=False)
    text, text_path, png_path = show(dataset, tmp_path / "out")
    assert "CTCF_MA0139.2" in text and "prevalence" in text
    assert text_path.read_text().startswith("task planted")
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli(tmp_path, capsys):
    from tasks.__main__ import main

    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "oct4" in listing and "paper_template" in listing and "needs your files" in listing
    assert main(["build", "oct5"]) == 2
    assert "Did you mean 'oct4'" in capsys.readouterr().err
    assert main(["build", "smoke", "--no-progress"]) == 0
    assert "smoke: 1000 sequences x 100 bp" in capsys.readouterr().out
    assert main(["show", "smoke", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "smoke-summary.png").exists() and "CTCF_MA0139.2" in capsys.readouterr().out


def test_collapse_merges_near_identical_motifs_and_keeps_distinct_ones():
    from tasks.motifs import load_jaspar
    from tasks.scan import collapse

    database = load_jaspar()
    candidates = ["POU2F1::SOX2_MA1962.1", "Pou5f1::Sox2_MA0142.1", "MAFA_MA1521.2", "MAF_MA1520.2", "CTCF_MA0139.2"]
    mapping = collapse(candidates, database, database, pvalue=1e-4)
    assert mapping["POU2F1::SOX2_MA1962.1"] == "POU2F1::SOX2_MA1962.1"
    assert mapping["Pou5f1::Sox2_MA0142.1"] == "POU2F1::SOX2_MA1962.1"  # the same composite site
    assert mapping["MAFA_MA1521.2"] == "MAFA_MA1521.2"
    assert mapping["MAF_MA1520.2"] == "MAFA_MA1521.2"  # the same MARE site
    assert mapping["CTCF_MA0139.2"] == "CTCF_MA0139.2"
