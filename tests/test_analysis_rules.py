"""Board-side rules: flat maps scored as the random control and counted, no duplicate gradient rows, eval-size projection."""

import pytest

from benchmark.analysis import evalsize, inventory, paper, tables
from benchmark.board import headline, sections
from benchmark.store import results
from tests.test_leaderboard import _record, _truth

VIEW = tables.HEADLINE


def _flat_board(directory, flat_positions=(0, 1, 2, 3, 4)):
    """Two models of one task: gradcam with some flat maps (named in the record), a random control, grad x input."""
    mask = _truth(1)
    for seed in range(2):
        for method, quality in (("gradcam", 3.0), ("random", 0.0), ("grad_x_input", 1.0)):
            cell, record = _record("oct4", "basset", method, "none", quality, mask, 100 * seed + len(method), model_seed=seed)
            if method == "gradcam":
                record["flat_maps"] = {"observed": list(flat_positions), "max_abs": []}
            else:
                record["flat_maps"] = {"observed": [], "max_abs": []}
            results.save(directory, cell, record)
    return results.load_all(directory)[0]


def test_a_flat_map_is_scored_as_the_random_control_on_that_sequence(tmp_path):
    records = _flat_board(tmp_path)
    by = {(r["cell"]["method"], r["cell"]["seed"]): r for r in records}
    controls = tables.random_controls(records)
    cam, rnd = by[("gradcam", 0)], by[("random", 0)]
    raw = tables.per_sequence(cam)
    got = tables.sequence_values(cam, VIEW, controls)
    stand_in = tables.per_sequence(rnd)
    rows = cam["rows"]
    for i in range(5):
        assert got[rows[i]] == stand_in[rows[i]] != raw[rows[i]]
    assert all(got[r] == raw[r] for r in rows[5:])
    # the max |.| projection names no flat map: nothing replaced there
    assert tables.sequence_values(cam, ("max_abs", "all_hits", "abs"), controls) == tables.per_sequence(cam, projection="max_abs")
    # without a random control of that model the tie score stays
    assert tables.sequence_values(cam, VIEW, {}) == raw


def test_flat_maps_are_counted_per_config_and_said_on_the_board(tmp_path):
    records = _flat_board(tmp_path)
    counts = inventory.flat_counts(records)
    assert counts == {"gradcam-none": {"models": 2, "of": 2, "maps": 10, "of_maps": 80}}
    text = headline.flat_sentence(records, {"gradcam-none", "grad_x_input-none"})
    assert "gradcam-none: flat on 2 of 2 models (10 of 80 maps)" in text
    assert "random" in text
    legacy = [{k: v for k, v in r.items() if k != "flat_maps"} for r in records]
    assert "not counted" in headline.flat_sentence(legacy, {"gradcam-none"})
    group = "\n".join(sections.per_group_section(records))
    assert "| 5/40 " in group.replace("  ", " ") or "5/40" in group


def test_gradient_rows_are_not_listed_twice(tmp_path):
    mask = _truth(1)
    for method in ("gradient", "grad_x_input"):
        for params in ({}, {"corrected": True}):
            cell, record = _record("oct4", "basset", method, "none", 1.0, mask, 7, tags=("main", "ablation:params"))
            cell = results.Cell(**{**cell.__dict__, "params": tuple(sorted(params.items()))})
            results.save(tmp_path, cell, record)
    records = results.load_all(tmp_path)[0]
    assert {r["cell"]["method"] for r in tables.drop_aliases(records)} == {"grad_x_input"}
    assert len(tables.drop_aliases(records)) == 2
    pages = "\n".join(sections.per_group_section(records) + sections.param_ablation_section(records)
                      + sections.kernel_width_section(records))
    assert "| gradient-" not in pages and "grad_x_input-none" in pages
    # a gradient record without its grad x input twin is kept
    alone = [r for r in records if r["cell"]["method"] == "gradient"]
    assert len(tables.drop_aliases(alone)) == 2


def test_eval_size_projection_narrows_with_sequences_down_to_the_model_part(tmp_path):
    """Two methods on shared sequences: their difference's half-width shrinks with n, fastest when sequences dominate."""
    mask = _truth(1)
    for seed in range(6):
        for method, quality in (("ism", 2.0), ("deepshap", 1.6)):
            cell, record = _record("oct4", "basset", method, "none", quality, mask, 1000 * seed + int(quality * 10),
                                   model_seed=seed)
            results.save(tmp_path, cell, record)
    records = results.load_all(tmp_path)[0]
    rows, headers = evalsize.table(records, scope=tables.is_realistic, pairs=[("ism-none", "deepshap-none")])
    assert headers[-4:] == [f"n = {n}" for n in evalsize.SIZES]
    widths = [float(c.lstrip("±")) for c in rows[0][-4:]]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    assert rows[0][1] == 6


def test_the_paper_effects_come_from_its_tables():
    assert paper.method_gap("beluga", ("deeplift_rescale", "shuffle20"), ("grad_x_input", "none")) == pytest.approx(0.1958)
    assert paper.reference_gap("shuffle50", "shuffle20") == pytest.approx(0.0038)
    assert paper.gkm_gap("basset") == pytest.approx(0.045)
    assert paper.method_gap("shallow", ("ism", "none"), ("grad_x_input", "none")) is None
    assert paper.summary({"basset": None, "beluga": None}) is None
    assert paper.summary({"basset": 0.1, "beluga": 0.3})["effect"] == pytest.approx(0.2)
