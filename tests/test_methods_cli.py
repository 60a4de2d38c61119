"""motifbench methods: list, parameter parsing, and (slow) explain end to end on the smoke task."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from methods import METHODS
from methods.__main__ import list_table, parse_params


def test_list_names_every_method_and_the_reasons_for_exclusions():
    text = list_table()
    for name in METHODS.names():
        assert f"| {name} " in text
    assert "shuffle50" in text and "cost" in text  # why IG leaves shuffle50 out
    assert "max_abs" in text  # gradient's projection is shown


def test_parse_params_types_values():
    assert parse_params(["steps=20"], "integrated_gradients") == {"steps": 20}
    assert parse_params(["corrected=true"], "grad_x_input") == {"corrected": True}
    assert parse_params(["layer=last"], "gradcam") == {"layer": "last"}
    with pytest.raises(SystemExit, match="key=value"):
        parse_params(["steps"], "integrated_gradients")


def test_unknown_method_is_a_clear_error():
    with pytest.raises(KeyError, match="Did you mean 'gradcam'"):
        parse_params([], "gradcan")


@pytest.mark.slow
def test_explain_writes_attributions_and_a_png(tmp_path):
    out = tmp_path / "explain"
    done = subprocess.run(
        [sys.executable, "-m", "methods", "explain", "smoke", "shallow", "integrated_gradients",
         "--reference", "shuffle10", "--param", "steps=10", "--profile", "smoke", "--n", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(out / "attributions.npz") as saved:
        assert saved["hypothetical"].shape == (3, 100, 4) and saved["scores"].shape == (3, 100)
        info = json.loads(str(saved["info"]))
    assert info["method"] == "integrated_gradients" and info["params"] == {"steps": 10}
    assert info["convergence_error"] is not None
    assert (out / "tracks.png").stat().st_size > 10_000
