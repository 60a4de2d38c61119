"""The DeepLIFT/DeepSHAP conformance table: which implementation sums to delta on which construction.

Every implementation runs on the same weights (a Keras network and its torch
twin). What the table must show, and why:

- the control (conv-ReLU, average pool): every implementation is Rescale only
  and sums to f(x) - f(ref);
- shap and tangermeme (the cross-max MaxPool rule, Rescale elsewhere) sum to
  delta on every pattern, and agree at the observed bases; except that shap
  raises on a global max-pool: it handles TensorFlow's Max reduction as an
  elementwise nonlinearity, and the shapes do not fit;
- the deeplift package's MaxPool rule is the gradient, so it misses wherever
  a max-pool is (a global one included);
- captum misses where a ReLU feeds a MaxPool directly (its hooks lose the
  MaxPool's multiplier there, `tests/test_torch_deeplift.py`), but not when a
  batch norm stands between them; it has no rule for AdaptiveMaxPool1d
  (linear); and it refuses a module called twice.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch is not installed; `make install` installs the pinned CPU build")

from methods.conformance import IMPLEMENTATIONS, PATTERNS, conformance_table, markdown  # noqa: E402

SUMS = 1e-4  # a kept promise: float32 rounding
MISSES = 1e-2  # a broken one


@pytest.fixture(scope="module")
def table():
    rows = conformance_table(length=60, n=8, seed=0)
    return {(r["pattern"], r["implementation"]): r for r in rows}


def test_every_pattern_and_implementation_has_a_row(table):
    assert set(table) == {(p, i) for p in PATTERNS for i in IMPLEMENTATIONS}
    assert all(row["logits_agree"] for row in table.values())  # the same function in both frameworks


def test_control_every_implementation_sums_to_delta_and_agrees(table):
    for name in IMPLEMENTATIONS:
        row = table[("no_maxpool", name)]
        assert row["convergence_error"] < SUMS and row["hypothetical_difference_from_shap"] < 1e-4, row


def test_shap_and_tangermeme_keep_the_promise_everywhere(table):
    for pattern in PATTERNS:
        names = ("tangermeme",) if pattern == "global_maxpool" else ("shap", "tangermeme")
        for name in names:
            row = table[(pattern, name)]
            assert not row["error"] and row["convergence_error"] < SUMS, row
        if pattern != "global_maxpool":
            assert table[(pattern, "tangermeme")]["observed_difference_from_shap"] < 1e-4
    shap_global = table[("global_maxpool", "shap")]
    assert shap_global["convergence_error"] is None and "Dimensions must be equal" in shap_global["error"]


def test_gradient_maxpool_rules_break_the_promise_where_the_table_says(table):
    for pattern in ("relu_then_maxpool", "stacked_maxpool", "overlapping_maxpool", "global_maxpool", "batchnorm_first"):
        assert table[(pattern, "deeplift")]["convergence_error"] > MISSES, pattern
    for pattern in ("relu_then_maxpool", "stacked_maxpool", "overlapping_maxpool", "global_maxpool"):
        assert table[(pattern, "captum")]["convergence_error"] > MISSES, pattern
    assert table[("batchnorm_first", "captum")]["convergence_error"] < SUMS  # BN between ReLU and MaxPool
    for pattern in ("exponential_first", "reused_layer"):
        assert table[(pattern, "deeplift")]["convergence_error"] < SUMS


def test_captum_refuses_a_reused_module(table):
    row = table[("reused_layer", "captum")]
    assert row["convergence_error"] is None and "calls one module twice" in row["error"]


def test_markdown_marks_misses_and_failures(table):
    lines = markdown(list(table.values())).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")[3:7]] == list(IMPLEMENTATIONS)
    relu_line = next(line for line in lines if line.startswith("| relu_then_maxpool"))
    assert relu_line.count("**") == 4  # deeplift and captum in bold
    assert "raises" in next(line for line in lines if line.startswith("| reused_layer"))
