"""The designs of the findings: which models and sequences a comparison rests on, as crossed units.

Each design returns (units, signs, per-model differences) for
`benchmark.analysis.crossed.summarise` (the differences feed the per-model
sequence-level tests; designs whose units are not single models give none).
``data`` is {"records": gated ok records, "view": (projection, truth,
scoring), "controls": `tables.random_controls` of the records}.
"""

from __future__ import annotations

import numpy as np

from benchmark.analysis import crossed, paper, tables

GXI = ("grad_x_input", "none", None)
SHORT, LONG = "basset_k8", "basset"


def in_paper_scope(record: dict) -> bool:
    """A Keras model of one of the paper's architectures, as registered, on a realistic task."""
    return (record["cell"]["kind"] == "keras" and tables.is_realistic(record) and tables.is_headline_model(record)
            and record["cell"]["arch"] in paper.ARCHS)


def other_archs(record: dict) -> bool:
    return (record["cell"]["kind"] == "keras" and tables.is_realistic(record) and tables.is_headline_model(record)
            and record["cell"]["arch"] not in paper.ARCHS)


def select(records: list[dict], method: str, reference: str | None = None, params: dict | None = None) -> list[dict]:
    out = []
    for record in records:
        cell = record["cell"]
        if cell["method"] != method or (reference is not None and tables.reference_of(record) != reference):
            continue
        if params and any(cell["params"].get(k) != v for k, v in params.items()):
            continue
        out.append(record)
    return out


def by_unit(records: list[dict], view: tuple, controls: dict) -> dict[tuple, dict[int, float]]:
    """unit -> row -> value for one selection. Per unit, a main-grid record wins, then the one with the
    fewest non-default parameters (the shortest config): an ablation's variant never stands in for the method."""
    out: dict[tuple, dict[int, float]] = {}

    def preference(r):
        return ("main" not in r.get("tags", ["main"]), len(r["cell"]["config"]), r.get("_path", ""), r["cell"]["id"])

    for record in sorted(records, key=preference):
        got = tables.sequence_values(record, view, controls)
        if got:
            out.setdefault(tables.group_key(record), got)
    return out


def arch_of(key: tuple) -> str:
    return key[1]


def paired(data: dict, a: tuple, b: tuple, scope=in_paper_scope):
    """Per model in `scope`, the per-sequence differences a − b (strata: task x architecture)."""
    kept, view, controls = data["records"], data["view"], data["controls"]
    va = by_unit([r for r in select(kept, *a) if scope(r)], view, controls)
    vb = by_unit([r for r in select(kept, *b) if scope(r)], view, controls)
    diffs = tables.paired_values(va, vb)
    units, signs = tables.crossed_design({"": diffs}, stratum=arch_of)
    return units, signs, diffs


def variant_groups(data: dict, selection: tuple, a_model: str, b_model: str):
    """`selection` (method, reference, params) on model variant `a_model` (arm a) vs `b_model` (arm b), realistic tasks.

    Both arms are scored on each task's shared sequences, so the comparison is paired by sequence
    while its models are two groups (a seed of one variant is no draw of the other).
    """
    kept, view, controls = data["records"], data["view"], data["controls"]
    picked = [r for r in select(kept, *selection) if r["cell"]["kind"] == "keras" and tables.is_realistic(r)]
    values = by_unit(picked, view, controls)
    arms = {"a": {k: v for k, v in values.items() if k[1] == a_model}, "b": {k: v for k, v in values.items() if k[1] == b_model}}
    if not arms["a"] or not arms["b"]:
        return [], {}, {}
    units, signs = tables.crossed_design(arms)
    return units, signs, {}


def kernel_groups(data: dict, method: str, short: str = SHORT, long: str = LONG):
    """`method` on the short-kernel variant (arm a) vs on the long-kernel model (arm b): `variant_groups`."""
    return variant_groups(data, (method, "none", None), short, long)


def gkm_groups(data: dict, cnn_arm: tuple, scope=in_paper_scope):
    """GkmExplain on the gkm-SVMs (arm a) vs `cnn_arm` on the CNNs in `scope` (arm b), on the rows every gkm-SVM scored."""
    kept, view, controls = data["records"], data["view"], data["controls"]
    gkm = by_unit([r for r in select(kept, "gkmexplain") if tables.is_realistic(r)], view, controls)
    cnn = by_unit([r for r in select(kept, *cnn_arm) if scope(r)], view, controls)
    rows = {}
    for (task, _, _), v in gkm.items():
        rows[task] = rows.get(task, set(v)) & set(v)
    cnn = {k: {r: x for r, x in v.items() if r in rows.get(k[0], set())} for k, v in cnn.items() if k[0] in rows}
    if not gkm or not cnn:
        return [], {}, {}
    units, signs = tables.crossed_design({"a": gkm, "b": cnn}, stratum=arch_of)
    return units, signs, {}


def task_gap_units(data: dict, gradcam: str, scope=in_paper_scope):
    """Per architecture x seed: `gradcam` − grad x input on the simplified task minus its mean on the realistic tasks."""
    kept, view, controls = data["records"], data["view"], data["controls"]
    keras = [r for r in kept if r["cell"]["kind"] == "keras" and tables.is_headline_model(r)]

    def gaps(where):
        picked = [r for r in keras if where(r)]
        return tables.paired_values(by_unit(select(picked, gradcam, "none"), view, controls),
                                    by_unit(select(picked, *GXI), view, controls))

    simple = gaps(lambda r: tables.is_simplified(r) and r["cell"]["arch"] in paper.ARCHS)
    real = gaps(scope)
    rows = {t: sorted({r for k, v in {**simple, **real}.items() if k[0] == t for r in v}) for t in {k[0] for k in {**simple, **real}}}

    def vector(values, task):
        return np.array([values.get(r, np.nan) for r in rows[task]], dtype=np.float64)

    units = []
    for (task, model, seed), values in sorted(simple.items()):
        realistic = sorted(k for k in real if k[1] == model and k[2] == seed)
        if not realistic:
            continue
        parts = [(task, 1.0, vector(values, task))] + [(k[0], -1.0 / len(realistic), vector(real[k], k[0])) for k in realistic]
        units.append(crossed.Unit(f"{model}-s{seed}", tuple(parts), "", model))
    return units, {"": 1.0}, {}
