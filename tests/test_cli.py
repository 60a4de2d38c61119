"""The one command line: every job is a subcommand of `motifbench`, each with its own --help."""

import pytest

from benchmark import cli


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in ("run", "runs", *cli.FORWARDED, "bench"):
        assert f"    {name}" in out


@pytest.mark.parametrize("name", ["tasks", "board", "findings", "draws", "redraw"])
def test_forwarded_subcommands_answer_help_under_their_own_name(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: motifbench {name}" in capsys.readouterr().out


def test_bench_without_a_target_lists_the_measurements(capsys):
    assert cli.main(["bench"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in cli.BENCH)


def test_runs_lists_the_built_in_run_files_and_describes_one(capsys):
    assert cli.main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "smoke" in out and "default" in out
    assert cli.main(["runs", "smoke"]) == 0
    assert "tasks: smoke" in capsys.readouterr().out


def test_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["trian"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_conformance_page_wraps_the_table_and_names_its_command():
    from benchmark.timing.conformance import page

    text = page("| pattern | deeplift |", "motifbench bench conformance")
    assert text.startswith("# DeepLIFT and DeepSHAP implementations") and "Written by `motifbench bench conformance`" in text
    assert "| pattern | deeplift |" in text and "conformance" in cli.BENCH
