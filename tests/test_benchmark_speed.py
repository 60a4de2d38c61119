"""The speed tools: which passes a method's floor counts, and bench_deeplift's split of DeepLIFT's time.

No timing is asserted: these check what is timed, not how fast.
"""

from benchmark.timing import bench, bench_deeplift
from methods import METHODS


def test_the_floor_counts_the_passes_each_method_cannot_avoid():
    n, length = 10, 200
    assert bench.floor_passes(METHODS["random"], {}, n, length, n_refs=0) == (0, False)
    assert bench.floor_passes(METHODS["ism"], {}, n, length, n_refs=0) == (n * 3 * length, False)
    assert bench.floor_passes(METHODS["grad_x_input"], {}, n, length, n_refs=0) == (n, True)
    assert bench.floor_passes(METHODS["deeplift_rescale"], {}, n, length, n_refs=20) == (n * 20, True)
    # integrated gradients: every reference times every interpolation step
    assert bench.floor_passes(METHODS["integrated_gradients"], {"steps": 20}, n, length, n_refs=20) == (n * 20 * 20, True)


def test_bench_deeplift_times_deeplifts_forward_alone(capsys):
    bench_deeplift.main(["--n", "3", "--length", "60", "--models", "toy", "--methods", "deeplift_rescale"])
    out = capsys.readouterr().out
    for row in ("floor (tf GradientTape)", "forward, 2 x pairs (compiled)",
                "forward, 2 x pairs (deeplift's graph)", "deeplift_rescale"):
        assert row in out, row
    assert "shap's batch" not in out  # only printed when deepshap is benched
