"""A researcher's PyTorch models through a run file kept outside the repository: a builder trained per seed and a
pretrained TorchScript model, explained on the grid like the built-in ones; bad declarations named before any cell."""

from __future__ import annotations

import textwrap

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is installed by make install; without it there is no torch kind")

import baselines  # noqa: E402
import methods  # noqa: E402
from benchmark.grid import profiles  # noqa: E402
from benchmark.grid.runcheck import prepare  # noqa: E402
from benchmark.grid.runfile import RunFileError, read_run  # noqa: E402
from benchmark.grid.runner import run_or_load  # noqa: E402
from benchmark.grid.session import BenchmarkSession  # noqa: E402
from tests.runfile_helpers import isolated_registries, write_run  # noqa: E402, F401 (fixture)

pytestmark = pytest.mark.usefixtures("isolated_registries")

BUILDER = textwrap.dedent("""
    from torch import nn
    from baselines.architectures import ARCHITECTURES


    @ARCHITECTURES.register("lab_cnn")
    def build(sequence_length, *, filters=4):
        return nn.Sequential(nn.Conv1d(4, filters, 7, padding=3), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                             nn.Flatten(), nn.Linear(filters, 1))
""")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


def _run(tmp_path, models: str) -> profiles.GridProfile:
    path = write_run(tmp_path, 'tasks = ["smoke"]\nmodel_profile = "smoke"\nn_eval = 6\nsanity_n = 3\nseeds = [0, 1]\n'
                               f'methods = ["grad_x_input", "random"]\n{models}')
    return prepare(read_run(path))


def test_a_builder_file_and_a_torchscript_model_run_to_results(tmp_path):
    (tmp_path / "lab_cnn.py").write_text(BUILDER)
    torch.manual_seed(0)
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Conv1d(4, 3, 5, padding=2), torch.nn.ReLU(),
                                                    torch.nn.AdaptiveMaxPool1d(1), torch.nn.Flatten(), torch.nn.Linear(3, 2)))
    torch.jit.save(scripted, tmp_path / "trained.pt")
    profile = _run(tmp_path, '[[models]]\nid = "lab"\nfile = "lab_cnn.py"\nkind = "torch"\nlayout = "NCL"\n'
                             '[[models]]\nid = "theirs"\npretrained = "trained.pt"\nkind = "torch"\nlayout = "NCL"\n'
                             'output = 1\n')
    cells = profiles.grid_cells(profile, methods.METHODS, baselines.arch_kind)
    assert {c.kind for c in cells} == {"torch"}
    assert sorted(c.id for c in cells if c.model == "theirs") == ["smoke-theirs-s0-grad_x_input-none",
                                                                  "smoke-theirs-s0-random-none"]
    assert len([c for c in cells if c.model == "lab"]) == 4  # trained per seed
    session = BenchmarkSession(profile, tmp_path / "results", progress=False)
    for cell in cells:
        record, how = run_or_load(session, cell)
        assert how == "computed" and record["status"] == "ok", record.get("error")
        assert record["model"]["kind"] == "torch" and "faithfulness" in record


@pytest.mark.parametrize("models, message", [
    ('[[models]]\nid = "x"\nfile = "lab_cnn.py"\nlayout = "NCL"\n', r"layout describe a PyTorch model; add kind = \"torch\""),
    ('[[models]]\nid = "x"\nfile = "lab_cnn.py"\nkind = "pytorch"\n', r"kind = 'pytorch': one of keras, torch"),
    ('[[models]]\nid = "x"\narch = "basset"\nkind = "torch"\n', r"a registered architecture knows its kind"),
    ('[[models]]\nid = "x"\nfile = "lab_cnn.py"\nkind = "torch"\nlayout = "LNC"\n', r"model 'x': .*layout"),
    ('[[models]]\nid = "x"\nfile = "lab_cnn.py"\nkind = "torch"\nbuilder = "lab_cnn.py"\n', r"only a pretrained state dict needs a builder"),
])
def test_bad_torch_declarations_name_the_field(tmp_path, models, message):
    (tmp_path / "lab_cnn.py").write_text(BUILDER)
    with pytest.raises(RunFileError, match=message):
        _run(tmp_path, models)
