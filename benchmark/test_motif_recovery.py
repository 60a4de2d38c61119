"""The benchmark: one test per cell of the grid (parametrised by the root conftest.py).

Run ``pytest benchmark/`` (``--profile smoke|default|paper``, ``-k deeplift``,
``-n 2 --dist loadgroup``, ``--shard 1/4``). Each test computes, or finds up
to date, one result file under the results directory; a failing method, a NaN
or a missing model makes its cell fail with the message, stored in the result
and shown on the leaderboard, and the session goes on.
"""

import pytest

from benchmark.grid.runner import run_or_load


def test_motif_recovery(cell, motifbench_session, record_property):
    record, how = run_or_load(motifbench_session, cell)
    failed = record["status"] == "failed"
    record_property("motifbench", "failed" if failed else how)
    record_property("motifbench_healed", record.get("_healed", []))  # damaged caches this cell rebuilt
    record_property("motifbench_models", dict(motifbench_session.models_used))  # the models this process used
    if failed:
        note = " (stored failure; --retry-failed recomputes it)" if how == "cached" else ""
        pytest.fail(f"{cell.id}: {record.get('error', 'failed')}{note}", pytrace=False)
