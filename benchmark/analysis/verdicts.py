"""Verdicts of one finding from its crossed-design result: rules, margins, robustness to any one model.

A result is `benchmark.analysis.crossed.summarise` of the finding's units
(effect a − b, 95% CI, p). The rules, by what the paper claims:

- ``greater`` / ``less`` ("a beats b"): "reproduced" when the CI excludes 0
  on the expected side (p < `ALPHA`), "opposite" when it excludes 0 on the
  other, else "not significant".
- ``not_less`` ("a at or above b", "a competitive with b"): non-inferiority
  with margin `MARGIN`: "reproduced" when the CI lies above −MARGIN,
  "opposite" when it lies below −MARGIN, else "inconclusive".
- ``close`` ("a and b are close", "more adds little"): equivalence with the
  same margin: "reproduced" when the CI lies inside ±MARGIN, "not reproduced"
  when it lies outside, else "inconclusive".

`MARGIN` is 0.02 auPRC: the paper's own "close" pairs differ by less
(RevealCancel vs Rescale 0.001-0.006, 20 vs 50 shuffles 0.003-0.005), and
it is about the gap between neighbouring rows of the board's ranking.

A "reproduced" or "opposite" verdict is firm only when it survives leaving
out any one model (`robust`: the verdict recomputed without each unit in
turn is the same); otherwise it is marked "fragile" and is not expected to
replicate.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from benchmark.analysis import crossed, stats

ALPHA = 0.05
MARGIN = 0.02
MIN_UNITS = 3
N_BOOT_ROBUST = 500


def verdict(result: dict, expect: str) -> str:
    """The verdict of one result under the rule for `expect` (see the module docstring)."""
    effect = result.get("effect", float("nan"))
    if result.get("n_units", 0) == 0 or effect is None or not np.isfinite(effect):
        return "not measured"
    if result.get("note"):
        return result["note"]
    low, high = result.get("ci_low", np.nan), result.get("ci_high", np.nan)
    if not (np.isfinite(low) and np.isfinite(high)):
        return "not measured"
    if expect == "close":
        if -MARGIN < low and high < MARGIN:
            return f"reproduced (CI within ±{MARGIN})"
        if low >= MARGIN or high <= -MARGIN:
            return "not reproduced (a higher)" if effect > 0 else "not reproduced (a lower)"
        return f"inconclusive (CI crosses ±{MARGIN})"
    if expect == "not_less":
        if low > -MARGIN:
            return f"reproduced (non-inferior: CI above −{MARGIN})"
        if high < -MARGIN:
            return f"opposite (a more than {MARGIN} below b)"
        return f"inconclusive (CI crosses −{MARGIN})"
    p = result.get("p_value", float("nan"))
    if p is not None and np.isfinite(p) and p < ALPHA:
        sign = 1 if expect == "greater" else -1
        return "reproduced" if sign * effect > 0 else "opposite"
    return "not significant"


def firm_verdict(verdict_text: str) -> str | None:
    """The part of a verdict that must replicate: "reproduced" or "opposite" (None for anything weaker)."""
    if "fragile" in verdict_text:
        return None
    for word in ("reproduced", "opposite"):
        if verdict_text.startswith(word):
            return word
    return None


def too_few(units: list) -> str:
    """A note when a comparison has too few units to test ("" otherwise)."""
    if 0 < len(units) < MIN_UNITS:
        return f"{len(units)} {'model' if len(units) == 1 else 'models'}: too few to test (needs {MIN_UNITS})"
    return ""


def robust(units: list[crossed.Unit], signs: dict, expect: str, text: str, n_boot: int = N_BOOT_ROBUST) -> str:
    """"" when the firm verdict `text` holds with any one unit left out, else the label of the first unit that overturns it."""
    firm = firm_verdict(text)
    if firm is None:
        return ""
    for i, unit in enumerate(units):
        rest = units[:i] + units[i + 1:]
        result = crossed.summarise(rest, signs, n_boot=n_boot, seed=i)
        result["note"] = too_few(rest)
        if firm_verdict(verdict(result, expect)) != firm:
            return unit.label
    return ""


def sequence_p(differences) -> float:
    """Two-sided Wilcoxon p of one model's per-sequence differences (NaN below 5 or when all are 0)."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if len(d) < 5 or not np.any(d != 0):
        return float("nan")
    return float(sps.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def holm_per_unit(results: list[dict]) -> None:
    """Holm-adjust every per-model sequence-level p of one view's results (in place) and count significant sides."""
    entries = [(res, unit) for res in results for unit in res.get("per_unit", [])]
    adjusted = stats.holm([unit["p_sequence"] for _, unit in entries])
    for (_, unit), p in zip(entries, adjusted):
        unit["p_holm"] = float(p)
    for res in results:
        units = res.get("per_unit", [])
        res["holm_above"] = sum(1 for u in units if np.isfinite(u["p_holm"]) and u["p_holm"] < ALPHA and u["mean"] > 0)
        res["holm_below"] = sum(1 for u in units if np.isfinite(u["p_holm"]) and u["p_holm"] < ALPHA and u["mean"] < 0)
        res["n_per_unit_tests"] = len(entries)


def against_paper(result: dict, paper_effect: float | None) -> str:
    """Does the CI exclude the paper's effect? "yes (the paper's +0.17 is above the CI)", "no", or "–" without a number."""
    low, high = result.get("ci_low", np.nan), result.get("ci_high", np.nan)
    if paper_effect is None or not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    if paper_effect > high:
        return f"yes (the paper's {paper_effect:+.3f} is above the CI)"
    if paper_effect < low:
        return f"yes (the paper's {paper_effect:+.3f} is below the CI)"
    return "no"
