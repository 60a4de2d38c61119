"""A researcher's own PyTorch model: a builder file trained per task and seed, or a trained model as it is.

And every bad input of `baselines.torch_byo` fails with an error naming the
file and the field to fix: the wrong layout or length, several outputs and no
`output`, an output that is not one value per sequence, probabilities instead
of logits, a builder that raises, a state dict that does not fit its builder.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed; `make install` installs the pinned CPU build")

import tasks  # noqa: E402
from baselines import get_model  # noqa: E402
from baselines.byo import ModelFileError  # noqa: E402
from baselines.toy import random_onehot  # noqa: E402
from baselines.torch_byo import register_torch_architecture_file, register_torch_pretrained  # noqa: E402
from methods import attribute  # noqa: E402
from tests.runfile_helpers import isolated_registries  # noqa: E402,F401 (fixture)

pytestmark = pytest.mark.usefixtures("isolated_registries")
L = 100  # the smoke task's sequence length
HEADER = "import torch\nfrom torch import nn\nfrom baselines.architectures import ARCHITECTURES\n\n\n"


def builder_file(folder, name: str, body: str):
    path = folder / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


NCL_CNN = """
@ARCHITECTURES.register("{name}")
def build(sequence_length, *, filters=4):
    return nn.Sequential(nn.Conv1d(4, filters, 7, padding=3), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                         nn.Flatten(), nn.Linear(filters, 1))
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def smoke():
    return tasks.build("smoke", progress=False)


def test_builder_file_is_trained_per_seed_deterministically_and_cached(tmp_path, smoke):
    path = builder_file(tmp_path, "ncl_cnn", NCL_CNN.format(name="user_torch_cnn"))
    arch = register_torch_architecture_file("mine", path, layout="NCL")
    assert arch == "user_torch_cnn"
    first = get_model(smoke, arch, seed=0, profile="smoke", progress=False, root=tmp_path / "a", filters=3)
    again = get_model(smoke, arch, seed=0, profile="smoke", progress=False, root=tmp_path / "b", filters=3)
    other = get_model(smoke, arch, seed=1, profile="smoke", progress=False, root=tmp_path / "a", filters=3)
    assert first.kind == "torch" and first.first_kernel_width == 7 and first.network.module[0].out_channels == 3
    assert first.key == again.key != other.key
    for (name, a), (_, b) in zip(first.network.state_dict().items(), again.network.state_dict().items()):
        assert torch.equal(a, b), f"{name}: the same seed trained other weights"
    cached = get_model(smoke, arch, seed=0, profile="smoke", progress=False, root=tmp_path / "a", filters=3)
    X = smoke.X[:20]
    np.testing.assert_array_equal(cached.predict_logit(X), first.predict_logit(X))
    assert 0.0 <= first.fidelity["test_auroc"] <= 1.0
    # the layout is part of the model: declaring another one is another key (and here fails the check)
    with pytest.raises(ModelFileError, match=r"ncl_cnn.py: the forward pass .*\(layout = 'NLC'\).*Check layout"):
        register_torch_architecture_file("mine", path, layout="NLC")
        get_model(smoke, arch, seed=0, profile="smoke", progress=False, root=tmp_path / "a", filters=3)


def test_builtin_twin_trains_deterministically_and_loads(tmp_path, smoke):
    first = get_model(smoke, "torch_shallow", seed=0, profile="smoke", progress=False, root=tmp_path / "a")
    again = get_model(smoke, "torch_shallow", seed=0, profile="smoke", progress=False, root=tmp_path / "b")
    assert first.key == again.key and first.fidelity == again.fidelity
    for (name, a), (_, b) in zip(first.network.state_dict().items(), again.network.state_dict().items()):
        assert torch.equal(a, b), name
    loaded = get_model(smoke, "torch_shallow", seed=0, profile="smoke", progress=False, root=tmp_path / "a")
    np.testing.assert_array_equal(loaded.predict_logit(smoke.X[:30]), first.predict_logit(smoke.X[:30]))
    assert loaded.path == first.path and (first.path / "model.pt").exists()


def test_pretrained_torchscript_is_explained_as_it_is(tmp_path, smoke):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv1d(4, 3, 5, padding=2), torch.nn.ReLU(), torch.nn.AdaptiveMaxPool1d(1),
                                 torch.nn.Flatten(), torch.nn.Linear(3, 2))
    torch.jit.save(torch.jit.script(module), tmp_path / "two_heads.pt")
    register_torch_pretrained("theirs", tmp_path / "two_heads.pt", layout="NCL", output=1)
    model = get_model(smoke, "theirs", seed=0, profile="smoke", progress=False)
    X = smoke.X[:16]
    with torch.no_grad():
        expected = module(torch.from_numpy(X).transpose(1, 2))[:, 1].numpy()
    np.testing.assert_allclose(model.predict_logit(X), expected, atol=1e-6, rtol=0)
    assert model.params["pretrained"] and model.fidelity["test_n"] == int(smoke.is_test.sum())
    assert attribute("integrated_gradients", model, X[:4], "zeros", {"steps": 10}).convergence_error < 0.2
    register_torch_pretrained("theirs", tmp_path / "two_heads.pt", layout="NCL", output=0)
    assert get_model(smoke, "theirs", seed=0, profile="smoke", progress=False).key != model.key  # output is part of the key


def test_pretrained_state_dict_with_its_builder(tmp_path, smoke):
    path = builder_file(tmp_path, "heads", """
    class TwoHeads(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.conv, self.relu = nn.Conv1d(4, width, 5, padding=2), nn.ReLU()
            self.pool, self.heads = nn.AdaptiveMaxPool1d(1), nn.Linear(width, 3)
        def forward(self, x):
            h = self.pool(self.relu(self.conv(x))).flatten(1)
            return {"profile": h, "counts": self.heads(h)}

    @ARCHITECTURES.register("two_heads_builder")
    def build(sequence_length, *, width=4):
        return TwoHeads(width)
    """)
    import importlib.util
    spec = importlib.util.spec_from_file_location("heads_for_test", path)
    heads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heads)  # as the researcher's own script would, to train and save the module
    __import__("baselines").ARCHITECTURES.remove("two_heads_builder")
    torch.manual_seed(1)
    module = heads.TwoHeads(6)
    torch.save(module.state_dict(), tmp_path / "weights.pt")
    register_torch_pretrained("dict_model", tmp_path / "weights.pt", layout="NCL", output=["counts", 2],
                              builder=path, params={"width": 6})
    model = get_model(smoke, "dict_model", seed=0, profile="smoke", progress=False)
    with torch.no_grad():
        expected = module(torch.from_numpy(smoke.X[:8]).transpose(1, 2))["counts"][:, 2].numpy()
    np.testing.assert_allclose(model.predict_logit(smoke.X[:8]), expected, atol=1e-6, rtol=0)
    assert "two_heads_builder" not in __import__("baselines").ARCHITECTURES  # the builder only builds this state dict
    result = attribute("deepshap", model, smoke.X[:4], "shuffle10")  # hookable: DeepSHAP runs, and sums to delta
    assert result.convergence_error < 1e-4
    with pytest.raises(ModelFileError, match=r"weights.pt: not a state dict of the builder's module .*size mismatch"):
        register_torch_pretrained("dict_model", tmp_path / "weights.pt", layout="NCL", output=["counts", 2],
                                  builder=path, params={"width": 5})
        get_model(smoke, "dict_model", seed=0, profile="smoke", progress=False)


# --------------------------------------------------------------------------- bad inputs

BAD = {
    "several_outputs": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            class Two(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Flatten(), nn.Linear(4 * sequence_length, 1))
                def forward(self, x):
                    out = self.body(x)
                    return out, out * 2
            return Two()
        """, r"{file}: the model returns a tuple of 2 items .*several outputs and no `output` field; .*output = 0"),
    "several_columns": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return nn.Sequential(nn.Flatten(), nn.Linear(4 * sequence_length, 3))
        """, r"{file}: the model gives 3 values per sequence \(output shape \(8, 3\)\); declare the explained column with output"),
    "profile_output": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return nn.Conv1d(sequence_length, 2, 1)
        """, r"{file}: the model gives 8 values per sequence .*one value per sequence; wrap the model"),
    "sigmoid_module": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return nn.Sequential(nn.Flatten(), nn.Linear(4 * sequence_length, 1), nn.Sigmoid())
        """, r"{file}: the model outputs probabilities \(every value in \[0, 1\], last operation SigmoidBackward0\); "
             r"methods explain the pre-sigmoid logit. Return the logit"),
    "sigmoid_functional": ("""
        class Net(nn.Module):
            def __init__(self, length):
                super().__init__()
                self.linear = nn.Linear(4 * length, 1)
            def forward(self, x):
                return torch.sigmoid(self.linear(x.flatten(1)))

        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return Net(sequence_length)
        """, r"{file}: the model outputs probabilities .*SigmoidBackward0"),
    "softmax_class": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return nn.Sequential(nn.Flatten(), nn.Linear(4 * sequence_length, 2), nn.Softmax(dim=1))
        """, r"{file}: the model outputs probabilities .*SoftmaxBackward0.*pre-softmax score with output = <class>", 1),
    "builder_raises": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length, *, width=0):
            return nn.Linear(4 * sequence_length // width, 1)
        """, r"{file}: the builder '\w+' raised ZeroDivisionError: .*sequence_length=100"),
    "not_a_module": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return "a model"
        """, r"{file}: the builder '\w+' returned a str, not a torch.nn.Module"),
    "wrong_length": ("""
        @ARCHITECTURES.register("{name}")
        def build(sequence_length):
            return nn.Sequential(nn.Flatten(), nn.Linear(4 * 80, 1))
        """, r"{file}: the forward pass on a random one-hot batch of shape \(8, 100, 4\) .*raised RuntimeError.*"
             r"takes 100 bp sequences"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_builder_files_fail_with_the_file_and_the_fix(case, tmp_path, smoke):
    body, message, *output = BAD[case]
    path = builder_file(tmp_path, case, body.format(name=f"bad_{case}"))
    arch = register_torch_architecture_file(case, path, layout="NLC", output=output[0] if output else None)
    with pytest.raises(ModelFileError, match=message.format(file=f"{case}.py")):
        get_model(smoke, arch, seed=0, profile="smoke", progress=False)


def test_a_linear_output_in_zero_one_is_a_logit_not_a_probability(tmp_path):
    from baselines.torch_byo import TorchLogit, check_torch_network

    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * L, 1))
    torch.nn.init.zeros_(linear[1].weight)
    torch.nn.init.constant_(linear[1].bias, 0.5)  # every output 0.5, in [0, 1], but no sigmoid made it
    check_torch_network(TorchLogit(linear), L, "zero_one.py")


def test_declarations_and_files_are_checked(tmp_path):
    from baselines.architectures import ARCHITECTURES
    from baselines.torch_byo import build_torch_network

    path = builder_file(tmp_path, "ok", NCL_CNN.format(name="ok_cnn"))
    with pytest.raises(ModelFileError, match=r"ok.py: layout = 'NLCX': use 'NLC' .* or 'NCL'"):
        register_torch_architecture_file("x", path, layout="NLCX")
    with pytest.raises(ModelFileError, match=r"ok.py: output must be an int, a str or a list of them, got 1.5"):
        register_torch_architecture_file("x", path, output=1.5)
    (tmp_path / "ok.txt").write_text("")
    with pytest.raises(ModelFileError, match=r"ok.txt: model 'x': a torch architecture file must be a .py file"):
        register_torch_architecture_file("x", tmp_path / "ok.txt")
    (tmp_path / "weights.pt").write_bytes(b"not a model")
    name = register_torch_pretrained("y", tmp_path / "weights.pt")
    with pytest.raises(ModelFileError, match=r"weights.pt: not a TorchScript file .*builder = 'my_model.py'"):
        ARCHITECTURES[name](L)
    register_torch_architecture_file("z", path, layout="NCL", output=5)
    with pytest.raises(ModelFileError, match=r"output = \[5\]: step 0 \(5\) does not apply to a tensor of shape \(8, 1\)"):
        build_torch_network("ok_cnn", L, {})


def test_untrained_torch_model_for_timing():
    from baselines.store import untrained_model

    model = untrained_model("torch_basset", L, profile="smoke", seed=0)
    X = random_onehot(4, L, seed=0)
    assert model.kind == "torch" and model.predict_logit(X).shape == (4,)
