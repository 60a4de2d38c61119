"""The first-layer activation study on the board: does an exponential first layer help attributions?

Koo & Ploenzke (Nat. Mach. Intell. 2021) report that CNNs with an exponential
first-layer activation give more interpretable attributions on synthetic motif
data (e.g. saliency auPRC 0.771 -> 0.827, ISM 0.808 -> 0.887). The default run
trains ``basset_exp`` (exponential conv1, batch normalisation) beside its
control ``basset_bn`` (the same network with ReLU): exponential units did not
train here without batch normalisation, so the control isolates the activation.

A comparison pairs the two models of one task and seed (same eval sequences)
and is tested over those pairs like every finding (`benchmark.analysis.stats`):
per pair the mean per-sequence difference, a Wilcoxon test over the pair
means, a hierarchical bootstrap CI.
"""

from __future__ import annotations

from benchmark.analysis import stats, tables

EXPONENTIAL, CONTROL = "basset_exp", "basset_bn"


def activation_rows(records: list[dict], view: tuple = tables.HEADLINE, treated: str = EXPONENTIAL,
                    control: str = CONTROL) -> list[dict]:
    """One row per method config: mean auPRC of `control` and `treated` models and their paired difference.

    records: result records (only main-grid Keras models that pass the fidelity gate are used).
    Returns dicts with config, control/treated mean (over models), n pairs and `stats.compare_paired`'s fields.
    """
    kept, _ = tables.analysis_records(records)
    table = tables.unit_table([r for r in kept if r["cell"]["kind"] == "keras"], view)
    rows = []
    for config, by_unit in sorted(table.items()):
        treated_units = {(task, seed): v for (task, model, seed), v in by_unit.items() if model == treated}
        control_units = {(task, seed): v for (task, model, seed), v in by_unit.items() if model == control}
        pairs = sorted(set(treated_units) & set(control_units))
        if not pairs:
            continue
        differences = tables.paired_unit_differences({p: treated_units[p] for p in pairs}, {p: control_units[p] for p in pairs})
        result = stats.compare_paired(list(differences.values()))
        if result["above"] == 0 and result["below"] == 0:
            continue  # a model-independent control (random, centre_prior, pwm_scan): equal by construction
        rows.append({"config": config, "control": stats.effect(tables.unit_arrays({p: control_units[p] for p in pairs})),
                     "treated": stats.effect(tables.unit_arrays({p: treated_units[p] for p in pairs})),
                     "n_pairs": len(pairs), **result})
    return rows


def activation_section(records: list[dict]) -> list[str]:
    """Markdown lines of the study (empty when the run has no basset_exp / basset_bn pairs)."""
    from benchmark.board.sections import f3, fp, md_table  # noqa: PLC0415 (sections imports this module's siblings)

    rows = activation_rows(records)
    if not rows:
        return []
    table = [[r["config"], f3(r["control"]), f3(r["treated"]),
              f"{r['effect']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]", f"{r['above']}/{r['n_units']}", fp(r["p_value"])]
             for r in rows]
    return ["## Exponential first-layer activation", "",
            f"Koo & Ploenzke (2021): an exponential first layer raised attribution auPRC on synthetic data. `{EXPONENTIAL}` "
            f"(exponential conv1) against `{CONTROL}` (the same Basset with ReLU; both with batch normalisation, which "
            "exponential units needed to train here). auPRC (observed base, |score|, all hits), mean over the pairs "
            "(task × seed) where both models pass the fidelity gate; difference exp − ReLU with a hierarchical "
            "bootstrap CI, pairs where exp is higher, and a Wilcoxon p over the pairs (model level, not Holm-corrected). "
            "With 6 pairs the smallest possible p is 0.031 and one pair can overturn it: read these as one set of draws "
            "(`make replicate` gives a second).", "",
            md_table(table, ["method-reference-params", f"{CONTROL} (ReLU)", f"{EXPONENTIAL} (exp)", "exp − ReLU [95% CI]",
                             "pairs exp higher", "p (models)"]), ""]
