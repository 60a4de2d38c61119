"""Task specs: registry, TOML parsing, validation errors."""

from __future__ import annotations

import pytest

import tasks
from tasks.spec import SpecError, TaskSpec, load_spec, spec_from_dict, valid_fields


def test_registry_has_the_default_tasks():
    for name in ("smoke", "simplified", "oct4", "mafk", "paper_template"):
        assert name in tasks.TASKS
        spec = load_spec(name)
        assert isinstance(spec, TaskSpec) and spec.name == name
        assert spec.n_eval > 0 and isinstance(spec.seed, int)


def test_real_tasks_use_200bp_janggu_sequences():
    for name in ("oct4", "mafk"):
        spec = load_spec(name)
        assert spec.source == "fasta_pair"
        assert spec.positives.startswith("janggu:") and spec.negatives.startswith("janggu:")
    assert load_spec("oct4").positives == load_spec("mafk").negatives


def test_unknown_task_name_lists_valid_names():
    with pytest.raises(KeyError) as err:
        load_spec("oct5")
    message = str(err.value)
    assert "'oct4'" in message and "smoke" in message and "mafk" in message


def test_unknown_field_names_file_field_and_valid_fields(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nsource = "simplified"\nmotifs = ["MA0139.2"]\nmin_enrichmnet = 2.0\n')
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert str(path) in message and "min_enrichmnet" in message
    assert "min_enrichment" in message and "fimo_threshold" in message  # suggestion + list of valid fields


def test_wrong_type_and_bad_values_are_named(tmp_path):
    with pytest.raises(SpecError, match="'seed' must be int"):
        spec_from_dict({"name": "x", "seed": "zero", "motifs": ["CTCF"]}, origin="x.toml")
    with pytest.raises(SpecError, match="'source'.*must be one of"):
        spec_from_dict({"name": "x", "source": "bam"}, origin="x.toml")
    with pytest.raises(SpecError, match="'enrichment_background'"):
        spec_from_dict({"name": "x", "source": "fasta_pair", "positives": "a", "negatives": "b",
                        "enrichment_background": "genome"}, origin="x.toml")
    with pytest.raises(SpecError, match="missing required field 'name'"):
        spec_from_dict({"source": "simplified"}, origin="x.toml")
    with pytest.raises(SpecError, match="not valid TOML"):
        path = tmp_path / "broken.toml"
        path.write_text("name = \n")
        load_spec(path)


def test_every_template_field_is_a_spec_field():
    # the template documents the paper's setting; each of its keys must be valid
    spec = load_spec("paper_template")
    assert spec.source == "genome_peaks" and spec.region_size == 400
    assert spec.min_pos_hits == 1000 and spec.min_enrichment == 1.25
    assert set(spec.to_dict()) == set(valid_fields())


def test_paper_template_without_files_says_which_file_to_provide(monkeypatch, tmp_path):
    # its paths come from environment variables; set to a missing file, the message names it
    monkeypatch.setenv("MOTIFBENCH_GENOME", str(tmp_path / "hg38.fa"))
    monkeypatch.setenv("MOTIFBENCH_PEAKS", str(tmp_path / "peaks.bed"))
    monkeypatch.setenv("MOTIFBENCH_BACKGROUND", str(tmp_path / "bg.bed"))
    with pytest.raises(SpecError) as err:
        tasks.build("paper_template")
    message = str(err.value)
    assert "genome" in message and "hg38.fa" in message and "does not exist" in message


def test_spec_paths_resolve_relative_to_the_spec_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('name = "t"\nsource = "fasta_pair"\npositives = "p.fa"\nnegatives = "janggu:sample2.fa"\n')
    spec = load_spec(path)
    assert spec.resolve_path("positives") == tmp_path / "p.fa"
    assert spec.resolve_path("negatives").name == "sample2.fa" and spec.resolve_path("negatives").exists()
