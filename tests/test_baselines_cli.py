"""``motifbench models list | train | show`` (in-process, smoke task and profile)."""

from __future__ import annotations

import re

from baselines.cli import main


def test_list_shows_architectures_profiles_and_tasks(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("basset", "beluga", "shallow", "gkmsvm", "[gkmsvm]", "kernel_width=19", "smoke", "default", "paper", "nystrom"):
        assert word in out


def test_train_then_show_writes_the_learning_curve(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTIFBENCH_CACHE", str(tmp_path))
    assert main(["show", "smoke", "shallow", "--profile", "smoke", "--set", "epochs=2"]) == 1
    assert "run: motifbench models train smoke shallow --seed 0 --profile smoke --set epochs=2" in capsys.readouterr().err
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
    from benchmark.timing.bench_models import main as bench_models  # noqa: PLC0415

    assert bench_models(["--profile", "smoke", "--tasks", "smoke", "--archs", "shallow,gkmsvm", "--cold", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "| smoke  | shallow | trained" in out and "| smoke  | gkmsvm  | trained" in out
    assert "first calls" in out and "cached loads" in out


def test_check_help_explains_the_bar(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    for words in ("--tasks", "--seeds", "--archs", "gkm-SVM", "stress", "SD <= 0.02"):
        assert words in out


def test_check_trains_every_seed_and_prints_the_table(tmp_path, capsys):
    report = tmp_path / "check.md"
    code = main(["check", "--profile", "smoke", "--tasks", "smoke", "--archs", "shallow,gkmsvm", "--seeds", "0,1",
                 "--gkm-seeds", "0", "--set", "epochs=2", "--cold", "--markdown", str(report)])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "| smoke | shallow | 2 |" in out and "test auROC mean" in out
    shallow_row = next(line for line in out.splitlines() if line.startswith("| smoke | shallow |"))
    assert re.search(r"\| [+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\] \|$", shallow_row)  # gap to gkm-SVM
    written = report.read_text()
    assert written.startswith("Written by `motifbench models check --tasks smoke --seeds 0,1 --profile smoke "
                              "--archs shallow,gkmsvm --gkm-seeds 0 --set epochs=2`")  # every option that changes the table
    assert "| smoke | shallow | 2 |" in written


def test_check_rejects_a_misspelt_setting_before_building_any_task(capsys, monkeypatch):
    import tasks

    def no_build(*args, **kwargs):
        raise AssertionError("a task was built before the settings were checked")

    monkeypatch.setattr(tasks, "build", no_build)
    assert main(["check", "--profile", "smoke", "--tasks", "smoke", "--archs", "shallow,gkmsvm", "--set", "weight_decy=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown parameter 'weight_decy'") and "weight_decay" in err


def test_check_verdicts():
    from baselines.check import Row, failures, format_table

    rows = [Row("oct4", "basset", [0.90, 0.91, 0.89], [1, 1, 1], [5, 5, 5], [0, 1, 0]),
            Row("oct4", "beluga", [0.80, 0.86, 0.90], [1, 1, 1], [5, 5, 5]),
            Row("stress_oct4_500", "basset", [0.70, 0.71, 0.72], [1, 1, 1], [5, 5, 5]),
            Row("oct4", "gkmsvm", [0.88, 0.89, 0.90], [1, 1, 1], [0, 0, 0]),
            Row("stress_oct4_500", "gkmsvm", [0.80, 0.80, 0.80], [1, 1, 1], [0, 0, 0])]
    table = format_table(rows)
    assert "| oct4 | basset | 3 | 0.900 | 0.010 | 0.890 | - | - | 5/5/5 | 0/1/0 |" in table and table.count("| ok |") == 1
    assert "SD > 0.02" in table and "< 0.75; < gkm-0.02" in table
    assert [(r.task, r.arch) for r in failures(rows)] == [("oct4", "beluga"), ("stress_oct4_500", "basset")]


def test_check_figure_draws_every_seed(tmp_path):
    from baselines.check import Row
    from baselines.plots import check_figure

    rows = [Row("oct4", "basset", [0.90, 0.91, 0.89], ceiling=0.9, kmer=0.8), Row("oct4", "gkmsvm", [0.88]),
            Row("stress_oct4_500", "beluga", [0.5, 0.6])]
    path = check_figure(rows, tmp_path / "check.png")
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


def test_draws_meeting_bar_counts_the_three_seed_draws_that_would_pass():
    from baselines.check import Row, draws_meeting_bar

    # stress task, bar = 0.86 - 0.02: only the draw without the 0.70 seed passes
    stress = Row("stress_oct4_500", "basset", [0.85, 0.85, 0.85, 0.70])
    assert draws_meeting_bar(stress, 0.86, default_task=False) == (0.25, 4)
    # a default task also needs SD <= 0.02: a draw holding the 0.95 seed has SD 0.029 and fails
    default = Row("oct4", "basset", [0.90, 0.90, 0.90, 0.95])
    assert draws_meeting_bar(default, 0.85, default_task=True) == (0.25, 4)
    assert draws_meeting_bar(default, 0.85, default_task=False) == (1.0, 4)
    assert draws_meeting_bar(Row("oct4", "basset", [0.9, 0.9, 0.9]), 0.85, True) is None  # one draw only
    assert draws_meeting_bar(Row("oct4", "gkmsvm", [0.9] * 5), 0.9, True) is None


def test_check_table_adds_the_draws_column_only_with_more_than_three_seeds():
    from baselines.check import Row, format_table

    gkm = Row("stress_oct4_500", "gkmsvm", [0.86, 0.86, 0.86], [1] * 3, [0] * 3)
    three = format_table([Row("stress_oct4_500", "basset", [0.85, 0.85, 0.85], [1] * 3, [5] * 3), gkm], gaps={})
    assert "draws meeting the bar" not in three
    four = format_table([Row("stress_oct4_500", "basset", [0.85, 0.85, 0.85, 0.70], [1] * 4, [5] * 4), gkm], gaps={})
    header, rule, basset, gkm_row = four.splitlines()
    assert header.endswith("| 3-seed draws meeting the bar |") and rule.count("---") == header.count("|") - 1
    assert basset.endswith("| 25% of 4 |") and gkm_row.endswith("| - |")


def test_seed_lists_take_ranges_and_reject_what_they_cannot_read():
    import pytest

    from baselines.cli import _seed_list

    assert _seed_list("0-3,7", "--seeds") == [0, 1, 2, 3, 7]
    assert _seed_list("0,1,2", "--seeds") == [0, 1, 2]
    for bad in ("3-1", "a", "1,1", "", "-2", "0-"):
        with pytest.raises(ValueError, match="--seeds"):
            _seed_list(bad, "--seeds")
