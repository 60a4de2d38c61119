"""Pasting hits at random positions (spec hit_positions = "random"): whole, inside, non-overlapping, same bases."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.simulate import hit_array, mask_from_hits, overlap_blocks, random_block_starts, simulate_realistic
from tasks.spec import SpecError, load_spec, spec_from_dict


def random_sequences(n, length, seed):
    return np.eye(4, dtype=np.uint8)[np.random.default_rng(seed).integers(0, 4, size=(n, length))]


def make(seed=0, hit_positions="random"):
    pos, neg = random_sequences(40, 60, 1), random_sequences(30, 60, 2)
    pos_hits = hit_array(
        [(i, "m1", 10 + i % 7, 18 + i % 7, "+", 5.0) for i in range(0, 40, 2)]
        + [(i, "m2", 14 + i % 5, 24 + i % 5, "-", 4.0) for i in range(0, 40, 4)]  # overlaps m1 on some rows
        + [(i, "m3", 40, 52, "+", 3.0) for i in range(0, 40, 8)]  # a separate block
    )
    neg_hits = hit_array([(j, "m1", 40, 48, "-", 5.0) for j in range(0, 30, 3)])
    sim = simulate_realistic(pos, neg, pos_hits, neg_hits, np.random.default_rng(seed), hit_positions=hit_positions)
    original = np.concatenate([pos[sim["pos_rows"]], neg])
    # each simulated hit's original interval, matched by (row, motif) (one hit per motif per row here)
    before = np.concatenate([pos_hits, neg_hits])
    before = before.copy()
    remap = {int(p): i for i, p in enumerate(sim["pos_rows"])}
    before["seq"] = [remap[int(s)] for s in pos_hits["seq"]] + [int(s) + len(sim["pos_rows"]) for s in neg_hits["seq"]]
    return sim, original, before


def test_hits_stay_whole_inside_and_keep_their_bases():
    sim, original, before = make()
    length = sim["X"].shape[1]
    assert len(sim["hits"]) == len(before)
    origin = {(int(h["seq"]), str(h["motif"])): (int(h["start"]), int(h["end"])) for h in before}
    moved = 0
    for hit in sim["hits"]:
        row, start, end = int(hit["seq"]), int(hit["start"]), int(hit["end"])
        old_start, old_end = origin[(row, str(hit["motif"]))]
        assert 0 <= start < end <= length
        assert end - start == old_end - old_start  # whole
        assert (sim["X"][row, start:end] == original[row, old_start:old_end]).all()  # the original hit's bases
        moved += start != old_start
    assert moved > len(before) // 2  # they really moved
    assert (sim["mask"] == mask_from_hits(sim["hits"], len(sim["X"]), length)).all()
    outside = ~sim["mask"]
    assert (sim["X"][outside] == sim["background"][outside]).all()


def test_blocks_do_not_overlap_and_overlapping_hits_move_together():
    sim, original, before = make(seed=3)
    origin = {(int(h["seq"]), str(h["motif"])): int(h["start"]) for h in before}
    for row in np.unique(sim["hits"]["seq"]):
        mine = sim["hits"][sim["hits"]["seq"] == row]
        blocks = overlap_blocks(mine)
        spans = sorted((int(mine["start"][b].min()), int(mine["end"][b].max())) for b in blocks)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
        for b in blocks:  # hits of one block keep their relative offsets
            shifts = {int(h["start"]) - origin[(int(row), str(h["motif"]))] for h in mine[b]}
            assert len(shifts) == 1
    # the same number of blocks as before: overlapping hits were not split, separate ones not merged
    for row in np.unique(before["seq"]):
        assert len(overlap_blocks(before[before["seq"] == row])) == len(overlap_blocks(sim["hits"][sim["hits"]["seq"] == row]))


def test_random_block_starts_cover_every_arrangement_without_overlap():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(2000):
        starts = random_block_starts(np.array([2, 3]), 7, rng)
        spans = sorted(zip(starts, starts + np.array([2, 3])))
        assert spans[0][0] >= 0 and spans[-1][1] <= 7 and spans[0][1] <= spans[1][0]
        seen.add(tuple(int(s) for s in starts))
    # 2 blocks, 2 free positions: 2 orders x C(4, 2) = 12 arrangements, all reachable
    assert len(seen) == 12
    with pytest.raises(ValueError, match="do not fit"):
        random_block_starts(np.array([5, 5]), 8, rng)


def test_original_mode_is_unchanged_and_seeded():
    a, _, _ = make(seed=1, hit_positions="original")
    b, _, _ = make(seed=1, hit_positions="original")
    assert a["X"].tobytes() == b["X"].tobytes()
    r1, _, _ = make(seed=1)
    r2, _, _ = make(seed=1)
    assert r1["X"].tobytes() == r2["X"].tobytes() and r1["X"].tobytes() != a["X"].tobytes()


def test_spec_field_is_validated_and_keyed_into_the_hash():
    from tasks.builder import dataset_key

    with pytest.raises(SpecError, match="hit_positions"):
        spec_from_dict({"name": "x", "source": "simplified", "motifs": ["MA0142.1"], "hit_positions": "middle"})
    mafk, diagnostic = load_spec("mafk"), load_spec("mafk_randompos")
    assert diagnostic.hit_positions == "random" and mafk.hit_positions == "original"
    from tasks.builder import spec_hash

    assert "hit_positions" not in spec_hash(mafk)[1]["spec"]  # default: existing datasets keep their hashes
    assert spec_hash(diagnostic)[1]["spec"]["hit_positions"] == "random"
    assert dataset_key(mafk) != dataset_key(diagnostic.__class__(**{**diagnostic.__dict__, "name": "mafk"}))


@pytest.mark.parametrize("name", ["oct4", "mafk"])
def test_every_realistic_task_has_a_random_position_twin_on_the_default_board(name):
    """The twin differs from its task only in name, description and hit positions, and the default run has both."""
    from benchmark.grid.runfile import read_run

    task, twin = load_spec(name), load_spec(f"{name}_randompos")
    differ = {k for k in task.__dict__ if task.__dict__[k] != twin.__dict__[k]}
    assert differ <= {"name", "description", "hit_positions", "spec_path"}, differ
    assert twin.hit_positions == "random"
    tasks = read_run("default").tasks
    assert name in tasks and f"{name}_randompos" in tasks
