"""``python -m baselines list | train | show`` (in-process, smoke task and profile)."""

from __future__ import annotations

from baselines.cli import main


def test_list_shows_architectures_profiles_and_tasks(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("basset", "beluga", "shallow", "gkmsvm", "[gkmsvm]", "kernel_width=19", "smoke", "default", "paper", "nystrom"):
        assert word in out


def test_train_then_show_writes_the_learning_curve(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    assert main(["show", "smoke", "shallow", "--profile", "smoke", "--set", "epochs=2"]) == 1
    assert "run: python -m baselines train smoke shallow --seed 0 --profile smoke --set epochs=2" in capsys.readouterr().err
    assert main(["train", "smoke", "shallow", "--profile", "smoke", "--set", "epochs=2"]) == 0
    assert "test auROC" in capsys.readouterr().out
    png = tmp_path / "curve.png"
    assert main(["show", "smoke", "shallow", "--profile", "smoke", "--set", "epochs=2", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "test auROC" in out and "conv layers conv1, conv2" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_errors_are_one_line(capsys):
    assert main(["train", "smoke", "resnet", "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown architecture 'resnet'") and "basset" in err
    assert main(["train", "smoke", "basset", "--profile", "huge"]) == 2
    assert "unknown profile 'huge'" in capsys.readouterr().err
    assert main(["train", "smoke", "basset", "--profile", "smoke", "--set", "kernel=3"]) == 2
    assert "valid parameters" in capsys.readouterr().err


def test_bench_reports_cold_and_cached_times(capsys):
    assert main(["bench", "--profile", "smoke", "--tasks", "smoke", "--archs", "shallow,gkmsvm", "--cold", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "| smoke  | shallow | trained" in out and "| smoke  | gkmsvm  | trained" in out
    assert "first calls" in out and "cached loads" in out
