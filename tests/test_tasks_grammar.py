"""Grammar tasks (tasks.grammar): the four specs build, labels follow their rules, decoys sit in
negatives, backgrounds are real dinucleotide shuffles, pasted bases are the real instances, roles
follow the rule's Shapley values, builds are byte-identical per seed, and each rule is learnable."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tasks
from tasks.builder import load_provenance
from tasks.grammar import grammar_eval_rows, load_letter_motifs, simulate_grammar
from tasks.grammar_ceiling import rule_ceiling
from tasks.grammar_rules import (
    CANCELLED, DECOY, REPRESSOR, SATISFYING, roles_from_shapley, satisfies, shapley_values,
)
from tasks.scan import scan
from tasks.sources import read_fasta_pair
from tasks.spec import SpecError, spec_from_dict

GRAMMAR_TASKS = ("grammar_and", "grammar_or", "grammar_spacing", "grammar_repressor")
N_PER_CLASS = 150


def small(name: str, seed: int = 0):
    return dataclasses.replace(tasks.load_spec(name), n_positives=N_PER_CLASS, n_negatives=N_PER_CLASS, seed=seed)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("grammar-cache")


@pytest.fixture(scope="module")
def built(cache):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTIFBENCH_CACHE", str(cache))
        return {name: tasks.build(small(name), progress=False) for name in GRAMMAR_TASKS}


@pytest.fixture(scope="module")
def sources():
    spec = tasks.load_spec("grammar_and")
    pos, neg, _ = read_fasta_pair(spec.resolve_path("positives"), spec.resolve_path("negatives"))
    return np.concatenate([pos, neg])


def instances_of(dataset, row):
    mine = dataset.instances[dataset.instances["seq"] == row]
    return [(str(i["letter"]), int(i["start"]), int(i["end"]), str(i["strand"])) for i in mine]


def test_four_grammar_tasks_build_with_their_sizes_and_ground_truth(built):
    for name, dataset in built.items():
        assert dataset.X.shape == (2 * N_PER_CLASS, 200, 4) and int(dataset.y.sum()) == N_PER_CLASS
        assert dataset.manifest["grammar"]["rule"] == name.split("_")[1]
        assert dataset.role_mask.shape == (len(dataset.y), 200) and dataset.role_mask.dtype == np.int8
        assert len(dataset.instances) == len(dataset.hits)
        assert (dataset.hits["start"] == dataset.instances["start"]).all()
        # the role mask is each instance's role over its span, and the usual mask is their union
        expected = np.zeros_like(dataset.role_mask)
        for inst in dataset.instances:
            expected[inst["seq"], inst["start"]:inst["end"]] = inst["role"]
        assert (expected == dataset.role_mask).all() and ((expected > 0) == dataset.mask).all()
        eval_rows = dataset.eval_index  # both classes, alternating, each row carrying an instance
        assert len(eval_rows) and np.isin(eval_rows, dataset.instances["seq"]).all() and dataset.is_test[eval_rows].all()
        if name != "grammar_or":  # its negatives carry nothing: only positives qualify
            labels = dataset.y[eval_rows]
            paired = 2 * min(int(labels.sum()), int((labels == 0).sum()))  # alternating until one class runs out
            assert paired >= 4 and list(labels[:paired]) == [1, 0] * (paired // 2)
        rows = grammar_eval_rows(dataset)
        assert set(dataset.y[rows]) == ({1} if name == "grammar_or" else {0, 1}) and dataset.is_test[rows].all()


def test_saved_grammar_arrays_read_back(built):
    dataset = built["grammar_repressor"]
    again = tasks.Dataset.load(dataset.path)
    assert (again.instances == dataset.instances).all() and (again.role_mask == dataset.role_mask).all()
    assert "grammar.npz" in again.manifest["files"]


def test_every_label_follows_its_rule_and_a_scan_reads_it_back(built):
    for name, dataset in built.items():
        grammar = dataset.manifest["spec"]["grammar"]
        spacing, orientation = grammar.get("spacing", 4), grammar.get("orientation", "same")
        letter_of = {key: letter for letter, key in dataset.manifest["grammar"]["letters"].items()}
        found = scan(dataset.motifs, dataset.X.astype(np.uint8), dataset.manifest["spec"]["fimo_threshold"])
        for row in range(len(dataset.y)):
            planted = instances_of(dataset, row)
            assert satisfies(grammar["rule"], planted, spacing, orientation) == bool(dataset.y[row]), (name, row)
            scanned = sorted((letter_of[str(h["motif"])], int(h["start"]), int(h["end"]), str(h["strand"]))
                             for h in found[found["seq"] == row])
            assert scanned == sorted(planted), (name, row)  # no chance hit anywhere, every instance found


def test_decoys_occur_in_negatives_and_roles_follow_the_rule(built):
    for name, dataset in built.items():
        inst = dataset.instances
        on_neg = dataset.y[inst["seq"]] == 0
        assert (inst["role"][~on_neg] == SATISFYING).all() and (inst["sign"][~on_neg] == 1).all()
        if name == "grammar_or":
            assert not on_neg.any()  # the control: negatives are background only
            continue
        assert ((inst["role"] == DECOY) & on_neg).sum() >= N_PER_CLASS // 8  # repressor: the lone Rs, a quarter
        letters = set(inst["letter"][on_neg])
        assert letters == set(inst["letter"][~on_neg]) | ({"R"} if name == "grammar_repressor" else set())
    rep = built["grammar_repressor"].instances
    acting = rep["role"] == REPRESSOR
    assert acting.any() and (rep["letter"][acting] == "R").all() and (rep["sign"][acting] == -1).all()
    cancelled = rep["role"] == CANCELLED
    assert (rep["letter"][cancelled] == "A").all() and (rep["sign"][cancelled] == 1).all()
    assert set(rep["seq"][acting]) == set(rep["seq"][cancelled])
    lone_r = (rep["letter"] == "R") & (rep["role"] == DECOY)
    assert lone_r.any() and not set(rep["seq"][lone_r]) & set(rep["seq"][rep["letter"] == "A"])
    configurations = set(load_provenance(built["grammar_spacing"])["configuration"])
    assert configurations == {"pair", "wrong_gap", "wrong_orientation", "wrong_order"}


def test_pasted_bases_are_the_real_instances(built, sources):
    for dataset in built.values():
        for inst in dataset.instances:
            source = sources[inst["src"], inst["src_start"]:inst["src_start"] + inst["end"] - inst["start"]]
            if inst["strand"] != inst["src_strand"]:
                source = source[::-1, ::-1]  # reverse complement in A, C, G, T order
            assert (dataset.X[inst["seq"], inst["start"]:inst["end"]] == source).all()
        flipped = dataset.instances["strand"] != dataset.instances["src_strand"]
        assert 0 < flipped.mean() < 1


def dinucleotide_counts(onehot: np.ndarray) -> np.ndarray:
    index = onehot.argmax(-1)
    return np.bincount(index[:-1] * 4 + index[1:], minlength=16)


def test_backgrounds_are_dinucleotide_shuffles_of_the_source_peaks(sources):
    spec = small("grammar_spacing")
    keys, matrices, _ = load_letter_motifs(spec)
    pool_hits = scan(matrices, sources[::20], spec.fimo_threshold)  # a smaller pool is enough here
    pool_hits["seq"] *= 20
    pools = {letter: pool_hits[pool_hits["motif"] == key] for letter, key in keys.items()}
    sim = simulate_grammar(spec.grammar, sources, pools, keys, matrices, 40, 40, spec.fimo_threshold,
                           np.random.default_rng(7))
    changed = 0
    for row in range(len(sim["y"])):
        source = sources[sim["background_source"][row]]
        assert (dinucleotide_counts(sim["background"][row]) == dinucleotide_counts(source)).all()
        changed += not (sim["background"][row] == source).all()
        outside = sim["role_mask"][row] == 0
        assert (sim["X"][row][outside] == sim["background"][row][outside]).all()
    assert changed == len(sim["y"])


def test_same_spec_and_seed_give_the_same_bytes(built, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    again = tasks.build(small("grammar_and"), progress=False)
    first = built["grammar_and"]
    assert again.path != first.path and again.hash == first.hash
    for name in ("arrays.npz", "grammar.npz", "provenance.npz", "motifs.npz", "manifest.json"):
        assert (again.path / name).read_bytes() == (first.path / name).read_bytes(), name
    other = tasks.build(small("grammar_and", seed=1), progress=False)
    assert other.hash != first.hash and not np.array_equal(other.X, first.X)


def test_each_rule_is_learnable_from_its_own_features_and_not_from_motifs_alone(built):
    found = {name: rule_ceiling(dataset) for name, dataset in built.items()}
    for name, result in found.items():
        assert result["rule"] >= 0.99, (name, result)
    assert found["grammar_spacing"]["presence_only"] < 0.7 and found["grammar_spacing"]["count_only"] < 0.7
    assert found["grammar_and"]["count_only"] < 0.9
    assert found["grammar_spacing"]["coefficients"]["gap_4"] > 1.0


def test_shapley_values_and_roles_of_the_worked_examples():
    a, b, r = ("A", 10, 17, "+"), ("B", 21, 31, "+"), ("R", 60, 70, "-")
    assert np.allclose(shapley_values("and", [a, b]), [0.5, 0.5])
    assert np.allclose(shapley_values("and", [a, ("A", 40, 47, "-")]), [0.0, 0.0])
    assert np.allclose(shapley_values("repressor", [a, r]), [0.5, -0.5])
    assert np.allclose(shapley_values("repressor", [a]), [1.0])
    assert np.allclose(shapley_values("spacing", [a, b], spacing=4), [0.5, 0.5])
    assert np.allclose(shapley_values("spacing", [a, b], spacing=5), [0.0, 0.0])
    mirrored = [("A", 50, 57, "-"), ("B", 36, 46, "-")]  # the same pair read on the other strand
    assert satisfies("spacing", mirrored, spacing=4) and not satisfies("spacing", mirrored, spacing=4, orientation="opposite")
    assert not satisfies("spacing", [("B", 0, 10, "+"), ("A", 14, 21, "+")], spacing=4)  # wrong order
    role, sign = roles_from_shapley(0, np.array([0.5, -0.5, 0.0]))
    assert role.tolist() == [CANCELLED, REPRESSOR, DECOY] and sign.tolist() == [1, -1, 0]


def test_bad_grammar_tables_are_named():
    base = {"name": "g", "source": "grammar", "positives": "a.fa", "negatives": "b.fa"}
    with pytest.raises(SpecError, match=r"unknown key 'spacng'.*Did you mean 'spacing'"):
        spec_from_dict({**base, "grammar": {"rule": "spacing", "A": "x", "B": "y", "spacng": 3}}, origin="g.toml")
    with pytest.raises(SpecError, match="rule 'repressor' needs R"):
        spec_from_dict({**base, "grammar": {"rule": "repressor", "A": "x"}}, origin="g.toml")
    with pytest.raises(SpecError, match="uses only A and B; remove R"):
        spec_from_dict({**base, "grammar": {"rule": "and", "A": "x", "B": "y", "R": "z"}}, origin="g.toml")
    with pytest.raises(SpecError, match="'rule'|rule = "):
        spec_from_dict({**base, "grammar": {"rule": "xor", "A": "x", "B": "y"}}, origin="g.toml")
    with pytest.raises(SpecError, match=r"needs a \[grammar\] table"):
        spec_from_dict(base, origin="g.toml")
    with pytest.raises(SpecError, match="needs source = 'grammar'"):
        spec_from_dict({"name": "g", "motifs": ["CTCF"], "grammar": {"rule": "or", "A": "x", "B": "y"}}, origin="g.toml")
    spec = tasks.load_spec("grammar_spacing")  # a run file's task_settings round-trip through to_dict
    assert spec_from_dict(spec.to_dict(), origin="again", spec_path=spec.spec_path) == spec


def test_the_scores_read_the_ground_truth_maps_as_expected(built):
    from benchmark.scores.grammar import decoy_auc, rule_score, signed_recovery

    for name, dataset in built.items():
        rows = grammar_eval_rows(dataset)
        sign_map = np.zeros(dataset.role_mask.shape)
        for inst in dataset.instances:
            sign_map[inst["seq"], inst["start"]:inst["end"]] = inst["shapley"]
        localisation = dataset.mask.astype(np.float64)  # what auPRC rewards: every planted base
        assert signed_recovery(sign_map[rows], dataset.instances, rows) == 1.0
        if name == "grammar_or":
            assert np.isnan(decoy_auc(sign_map[rows], dataset.instances, rows))
            continue
        assert decoy_auc(sign_map[rows], dataset.instances, rows) == 1.0
        assert rule_score(sign_map[rows], dataset.instances, rows) == 1.0
        assert decoy_auc(localisation[rows], dataset.instances, rows) == 0.5
        assert rule_score(localisation[rows], dataset.instances, rows) <= 0.5
