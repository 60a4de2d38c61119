"""The paper's published numbers, to show its effect sizes beside the board's (never used as results).

Prakash, Shrikumar & Kundaje (MLCB 2021), as printed in the evaluation
notebooks of kundajelab/interpret-benchmark: mean per-sequence auPRC of
|score| against the union of motif-hit positions, on DNase-seq peaks of five
cell lines (400 bp, HOMER motifs, 10,000 test positives). The method table
and the reference ablation used the full motif set (graph_results.ipynb);
the GradCAM table a reduced motif set on A549 only
(measure-motif-importance.ipynb), and it used the paper's GradCAM code, which
averages gradients over channels at each position: ``gradcam_paper`` here.

`effect` gives a finding's published effect a − b per architecture, averaged
over the cell lines, or None where the paper printed no number for it.
"""

from __future__ import annotations

import numpy as np

CELL_LINES = ("A549", "GM12878", "H1", "HepG2", "K562")
#: The architectures the paper explained (registered here as `beluga`, first kernel 8, and `basset`, 19).
ARCHS = ("basset", "beluga")

#: (arch, method, reference) -> auPRC per cell line (`CELL_LINES`), full motif set. IG: 20 steps.
METHODS = {
    ("beluga", "grad_x_input", "none"): (0.576, 0.517, 0.568, 0.556, 0.560),
    ("beluga", "deeplift_revealcancel", "shuffle20"): (0.750, 0.744, 0.759, 0.759, 0.742),
    ("beluga", "deeplift_rescale", "shuffle20"): (0.749, 0.747, 0.760, 0.758, 0.742),
    ("beluga", "integrated_gradients", "shuffle20"): (0.673, 0.642, 0.648, 0.673, 0.647),
    ("beluga", "ism", "none"): (0.716, 0.687, 0.726, 0.721, 0.666),
    ("basset", "grad_x_input", "none"): (0.576, 0.518, 0.579, 0.594, 0.591),
    ("basset", "deeplift_revealcancel", "shuffle20"): (0.690, 0.646, 0.662, 0.709, 0.653),
    ("basset", "deeplift_rescale", "shuffle20"): (0.684, 0.649, 0.658, 0.703, 0.650),
    ("basset", "integrated_gradients", "shuffle20"): (0.563, 0.559, 0.538, 0.630, 0.613),
    ("basset", "ism", "none"): (0.653, 0.595, 0.652, 0.657, 0.648),
    ("gkmsvm", "gkmexplain", "none"): (0.736, 0.682, 0.717, 0.729, 0.705),
}
#: DeepLIFT Rescale on Beluga by reference, full motif set. avg_composition: one per-position average.
REFERENCES = {
    "zeros": (0.681, 0.656, 0.675, 0.677, 0.690),
    "avg_composition": (0.716, 0.697, 0.718, 0.725, 0.724),
    "shuffle10": (0.745, 0.741, 0.753, 0.753, 0.735),
    "shuffle20": (0.749, 0.747, 0.760, 0.758, 0.742),
    "shuffle30": (0.751, 0.750, 0.762, 0.759, 0.744),
    "shuffle40": (0.752, 0.751, 0.763, 0.760, 0.746),
    "shuffle50": (0.752, 0.752, 0.764, 0.761, 0.746),
}
#: Beluga on A549 with a reduced motif set: auPRC by method (GradCAM is the paper's code: `gradcam_paper`).
GRADCAM_A549 = {"grad_x_input": 0.800, "deeplift_rescale": 0.822, "deeplift_revealcancel": 0.824,
                "grad_x_activation": 0.799, "gradcam_paper": 0.313}


def _mean(values) -> float:
    return float(np.mean(values))


def method_gap(arch: str, a: tuple[str, str], b: tuple[str, str]) -> float | None:
    """Published auPRC of (method, reference) a minus b on `arch`, mean over the cell lines (None if not printed)."""
    got_a, got_b = METHODS.get((arch, *a)), METHODS.get((arch, *b))
    if got_a is None or got_b is None:
        return None
    return _mean(np.subtract(got_a, got_b))


def reference_gap(a: str, b: str) -> float | None:
    """Published DeepLIFT Rescale auPRC (Beluga) with reference a minus with reference b, mean over cell lines."""
    if a not in REFERENCES or b not in REFERENCES:
        return None
    return _mean(np.subtract(REFERENCES[a], REFERENCES[b]))


def gkm_gap(arch: str) -> float | None:
    """Published GkmExplain (gkm-SVM) minus DeepLIFT Rescale (shuffle20) on `arch`, mean over cell lines."""
    cnn = METHODS.get((arch, "deeplift_rescale", "shuffle20"))
    return None if cnn is None else _mean(np.subtract(METHODS[("gkmsvm", "gkmexplain", "none")], cnn))


def summary(by_arch: dict[str, float | None], note: str = "") -> dict | None:
    """{"by_arch": {arch: effect}, "effect": mean over the archs with a number, "note"}; None when no arch has one."""
    known = {arch: v for arch, v in by_arch.items() if v is not None}
    if not known:
        return None
    return {"by_arch": known, "effect": _mean(list(known.values())), "note": note}
