"""Bad inputs of the FASTA and motif sources: each a clear error naming the file, line or sequence."""

from __future__ import annotations

from pathlib import Path

import pytest

import tasks
from tasks.motifs import MotifError, read_meme
from tasks.sequences import SequenceError, read_fasta_onehot

MEME = Path(__file__).parent / "data" / "four_motifs.meme"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def pair_task(folder: Path, positives: str, negatives: str, **extra) -> Path:
    (folder / "pos.fa").write_text(positives)
    (folder / "neg.fa").write_text(negatives)
    lines = [
        'name = "bad"', 'source = "fasta_pair"', 'positives = "pos.fa"', 'negatives = "neg.fa"',
        'motif_database = "meme"', f'motif_file = "{MEME}"', "min_pos_hits = 1", "min_enrichment = 0.0",
    ] + [f"{k} = {v!r}".replace("'", '"') for k, v in extra.items()]
    path = folder / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = ">a\nACGTACGTAC\n>b\nTTGGCCAAGG\n"


def test_fasta_with_unequal_lengths_names_file_line_and_sequence(tmp_path):
    spec = pair_task(tmp_path, ">a\nACGTACGTAC\n>b\nACGTAC\nGTAC\n>c\nACG\n", GOOD)
    with pytest.raises(SequenceError) as err:
        tasks.build(spec, progress=False)
    message = str(err.value)
    assert str(tmp_path / "pos.fa") in message and "line 6" in message and "'c'" in message
    assert "length 3, expected 10" in message


def test_negatives_must_match_the_positives_length(tmp_path):
    spec = pair_task(tmp_path, GOOD, ">x\nACGTACGTACGT\n")
    with pytest.raises(SequenceError, match=r"neg\.fa, line 1: sequence 'x' has length 12, expected 10"):
        tasks.build(spec, progress=False)


def test_fasta_with_non_acgt_bases_is_an_error_or_dropped_on_request(tmp_path):
    spec = pair_task(tmp_path, ">a\nACGTACGTAC\n>b\nACGTNNGTAC\n", GOOD)
    with pytest.raises(SequenceError, match=r"pos\.fa, line 3: sequence 'b' contains non-ACGT bases \['N'\].*non_acgt = \"drop\""):
        tasks.build(spec, progress=False)
    X, names = read_fasta_onehot(tmp_path / "pos.fa", non_acgt="drop")
    assert names == ["a"] and X.shape == (1, 10, 4)


def test_soft_masked_fasta_is_upper_cased(tmp_path):
    (tmp_path / "soft.fa").write_text(">a\nacgtACGTac\n")
    X, _ = read_fasta_onehot(tmp_path / "soft.fa")
    assert X.shape == (1, 10, 4) and (X.sum(-1) == 1).all()


def test_missing_fasta_and_fasta_without_records(tmp_path):
    spec = pair_task(tmp_path, GOOD, GOOD)
    (tmp_path / "neg.fa").unlink()
    with pytest.raises(tasks.SpecError, match=r"negatives file .*neg\.fa does not exist\. Provide a FASTA of negative"):
        tasks.build(spec, progress=False)
    (tmp_path / "empty.fa").write_text("\n")
    with pytest.raises(SequenceError, match="no FASTA records"):
        read_fasta_onehot(tmp_path / "empty.fa")
    (tmp_path / "headless.fa").write_text("ACGT\n>a\nACGT\n")
    with pytest.raises(SequenceError, match="line 1: sequence data before the first '>' header"):
        read_fasta_onehot(tmp_path / "headless.fa")


@pytest.mark.parametrize(
    "text, message",
    [
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n0.1 0.2 0.7\n", "line 4: expected 4 probabilities"),
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n", "line 1: motif 'm1' ends after 1 of 3 rows"),
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= 1\n0.25 x 0.25 0.25\n", "line 3: expected 4 probabilities"),
        ("MEME version 4\n", "no motifs found"),
    ],
)
def test_malformed_meme_files_are_named(tmp_path, text, message):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(MotifError, match=message) as err:
        read_meme(path)
    assert str(path) in str(err.value)


def test_missing_motif_file(tmp_path):
    spec = pair_task(tmp_path, GOOD, GOOD)
    spec.write_text(spec.read_text().replace(str(MEME), str(tmp_path / "nope.meme")))
    with pytest.raises(tasks.SpecError, match="motif_file file .*nope.meme does not exist. Provide a MEME-format motif file"):
        tasks.build(spec, progress=False)


def test_unknown_jaspar_names_and_taxa_are_explained():
    from tasks.motifs import load_jaspar

    with pytest.raises(MotifError, match=r"no JASPAR JASPAR2024 CORE vertebrates motif named 'CTFC'.*Close names:.*CTCF"):
        load_jaspar(select=("CTFC",))
    with pytest.raises(MotifError, match="has no motifs for taxon 'martians'"):
        load_jaspar(taxon="martians")
    with pytest.raises(MotifError, match="has no matrix 'MA9999.1'"):
        load_jaspar(select=("MA9999.1",))
