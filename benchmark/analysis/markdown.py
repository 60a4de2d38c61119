"""Number and table formatting shared by the analysis command lines and the board pages."""

from __future__ import annotations

import numpy as np
from tabulate import tabulate


def f3(x, digits: int = 3) -> str:
    """A number for a table: fixed digits, '–' for missing."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def fp(p) -> str:
    """A p-value for a table: scientific below 0.001, '–' for missing."""
    if p is None or not np.isfinite(p):
        return "–"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def md_table(rows: list[list], headers: list[str]) -> str:
    """A GitHub-markdown table; '|' inside cells is escaped so it cannot split a column."""
    def esc(x):
        return str(x).replace("|", "\\|")

    return tabulate([[esc(c) for c in row] for row in rows], headers=[esc(h) for h in headers],
                    tablefmt="github", disable_numparse=True)


def with_interval(triple: tuple[float, float, float], digits: int = 2) -> str:
    """"mean [low, high]" for a table; the mean alone when there is no interval, '–' when there is no mean."""
    mean, low, high = triple
    if not np.isfinite(mean):
        return "–"
    if not np.isfinite(low):
        return f3(mean, digits)
    return f"{f3(mean, digits)} [{f3(low, digits)}, {f3(high, digits)}]"
