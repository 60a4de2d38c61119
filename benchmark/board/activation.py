"""The first-layer activation study on the board: does an exponential first layer help attributions?

Koo & Ploenzke (Nat. Mach. Intell. 2021) report that CNNs with an exponential
first-layer activation give more interpretable attributions on synthetic motif
data (e.g. saliency auPRC 0.771 -> 0.827, ISM 0.808 -> 0.887). The default run
trains ``basset_exp`` (exponential conv1, batch normalisation) beside its
control ``basset_bn`` (the same network with ReLU): exponential units did not
train here without batch normalisation, so the control isolates the activation.

Both variants are scored on each task's shared eval sequences, so a
comparison is two groups of models on the same sequences, tested like the
findings (`benchmark.analysis.designs.variant_groups`,
`benchmark.analysis.crossed`): the mean over tasks of exp − ReLU, with a CI
and p over new models and new sequences.
"""

from __future__ import annotations

from benchmark.analysis import crossed, designs, tables

EXPONENTIAL, CONTROL = "basset_exp", "basset_bn"


def activation_rows(records: list[dict], view: tuple = tables.HEADLINE, treated: str = EXPONENTIAL,
                    control: str = CONTROL) -> list[dict]:
    """One row per method config: mean auPRC of `control` and `treated` models and their difference.

    records: result records (only Keras models that pass the fidelity gate are used).
    Returns dicts with config, control/treated mean, n_pairs (models a side, the smaller) and `crossed.summarise`'s fields.
    """
    kept, _ = tables.analysis_records(records)
    keras = [r for r in kept if r["cell"]["kind"] == "keras"]
    data = {"records": keras, "view": view, "controls": tables.random_controls(keras)}
    rows = []
    for config, by_unit in sorted(tables.unit_table(keras, view).items()):
        models = {key[1] for key in by_unit}
        if not {treated, control} <= models:
            continue
        sample = next(r for r in keras if tables.display_config(r) == config)
        selection = (sample["cell"]["method"], tables.reference_of(sample), sample["cell"]["params"] or None)
        units, signs, _ = designs.variant_groups(data, selection, treated, control)
        if not units:
            continue
        result = crossed.summarise(units, signs)
        if result["se"] == 0 and result["effect"] == 0:
            continue  # a model-independent control (random, centre_prior, pwm_scan): equal by construction
        means = {model: crossed.estimate(*tables.crossed_design({"": {k: v for k, v in by_unit.items() if k[1] == model}}))
                 for model in (treated, control)}
        rows.append({"config": config, "control": means[control], "treated": means[treated],
                     "n_pairs": min(sum(k[1] == m for k in by_unit) for m in (treated, control)), **result})
    return rows


def activation_section(records: list[dict]) -> list[str]:
    """Markdown lines of the study (empty when the run has no basset_exp / basset_bn pairs)."""
    from benchmark.board.sections import f3, fp, md_table  # noqa: PLC0415 (sections imports this module's siblings)

    rows = activation_rows(records)
    if not rows:
        return []
    table = [[r["config"], f3(r["control"]), f3(r["treated"]),
              f"{r['effect']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]", r["n_units"], fp(r["p_value"])]
             for r in rows]
    return ["## Exponential first-layer activation", "",
            f"Koo & Ploenzke (2021): an exponential first layer raised attribution auPRC on synthetic data. `{EXPONENTIAL}` "
            f"(exponential conv1) against `{CONTROL}` (the same Basset with ReLU; both with batch normalisation, which "
            "exponential units needed to train here). auPRC (observed base, |score|, all hits), mean over the "
            "models that pass the fidelity gate; difference exp − ReLU (mean over tasks; both scored on each task's "
            "shared sequences) with a 95% CI and p over new models and new sequences (crossed resampling, not "
            "Holm-corrected across methods).", "",
            md_table(table, ["method-reference-params", f"{CONTROL} (ReLU)", f"{EXPONENTIAL} (exp)", "exp − ReLU [95% CI]",
                             "models", "p"]), ""]
