"""Which of two redundant motifs a realistic task keeps: the spec's `motif_priority`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tasks
from tasks.builder import spec_hash
from tasks.dataset import HIT_DTYPE
from tasks.scan import enrichment_lower_bounds, enrichment_table
from tasks.spec import SpecError, spec_from_dict

LENGTH = 200


def hits_at_centre(counts: dict[str, int]) -> np.ndarray:
    """Hits of 10 bp centred in a 200 bp sequence: `counts[name]` of each motif, one per sequence."""
    rows = [(i, name, 95, 105, "+", 10.0) for name, k in counts.items() for i in range(k)]
    return np.array(rows, dtype=HIT_DTYPE)


def test_lower_bound_prefers_the_motif_resting_on_more_hits():
    # as on 500 Oct4 peaks: one motif's ratio is a little higher but rests on a tenth of the hits
    names = ["few", "many"]
    pos, bg = hits_at_centre({"few": 33, "many": 300}), hits_at_centre({"few": 3, "many": 30})
    ratio = enrichment_table(names, pos, 1000, bg, 1000, LENGTH)
    lower = enrichment_lower_bounds(names, pos, 1000, bg, 1000, LENGTH)
    assert ratio["few"]["enrichment"] > ratio["many"]["enrichment"]
    assert lower["few"] < lower["many"] < ratio["many"]["enrichment"]


def test_lower_bound_approaches_the_ratio_as_hits_grow():
    names = ["m"]
    gaps = []
    for scale in (1, 10, 100):
        pos, bg = hits_at_centre({"m": 20 * scale}), hits_at_centre({"m": 4 * scale})
        ratio = enrichment_table(names, pos, 100 * scale, bg, 100 * scale, LENGTH)["m"]["enrichment"]
        gaps.append(ratio / enrichment_lower_bounds(names, pos, 100 * scale, bg, 100 * scale, LENGTH)["m"])
    assert gaps[0] > gaps[1] > gaps[2] > 1.0
    assert gaps[2] < 1.2


def test_motif_priority_is_validated_and_hashed_only_where_it_matters():
    realistic = {"name": "x", "source": "fasta_pair", "positives": "janggu:sample.fa", "negatives": "janggu:sample2.fa"}
    with pytest.raises(SpecError, match="motif_priority"):
        spec_from_dict({**realistic, "motif_priority": "hits"})
    default = spec_from_dict(realistic)
    legacy = spec_from_dict({**realistic, "motif_priority": "enrichment"})
    assert default.motif_priority == "enrichment_lower_bound"
    assert spec_hash(default)[1]["spec"]["motif_priority"] == "enrichment_lower_bound"
    # the rule before the field existed: such datasets keep the hash they had
    assert "motif_priority" not in spec_hash(legacy)[1]["spec"]
    simplified = spec_from_dict({"name": "s", "source": "simplified", "motifs": ["MA0142.1"]})
    assert "motif_priority" not in spec_hash(simplified)[1]["spec"]  # no motif filter there


@pytest.mark.slow
def test_small_oct4_task_keeps_the_pou_sox_composite(tmp_path, monkeypatch):
    # On 500 Oct4 peaks the ratio alone kept POU3F1 (301 hits) for the POU family; its near-equal
    # Pou5f1::Sox2 (542 hits, ratio 29.0 against 29.4) is the composite the full task keeps
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))
    spec = tasks.load_spec("stress_oct4_500")
    kept = list(tasks.build(spec, progress=False).motifs)
    assert kept[0] == "Pou5f1::Sox2_MA0142.1" and "POU3F1_MA0786.2" not in kept
    legacy = tasks.build(dataclasses.replace(spec, motif_priority="enrichment"), progress=False)
    assert list(legacy.motifs)[0] == "POU3F1_MA0786.2" and "Pou5f1::Sox2_MA0142.1" not in legacy.motifs
