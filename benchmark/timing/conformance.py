"""The DeepLIFT/DeepSHAP conformance page: ``motifbench bench conformance`` writes docs/conformance.md.

Each implementation (deeplift, shap, tangermeme, captum) explains the same small
networks, with the same weights, built with the layer patterns that break rules
(`methods.conformance`); the page shows how far each misses summation-to-delta.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.cache import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "conformance.md"


def page(table: str, command: str) -> str:
    """The markdown page around the rendered table."""
    return "\n".join([
        "# DeepLIFT and DeepSHAP implementations: summation-to-delta by layer pattern", "",
        f"Written by `{command}`; do not edit by hand.", "",
        "Each cell is the convergence error the board reports per cell (how far the contributions miss "
        "f(x) - f(reference), relative; `methods.registry.convergence_error`) on 8 random sequences with 10 "
        "dinucleotide shuffles each, one small network per pattern, the same weights in every implementation "
        "(Keras for deeplift and shap, its PyTorch twin for tangermeme and captum). Bold: above "
        "1e-3, the rule does not sum to delta there. `raises`: the implementation cannot explain that network. "
        "deeplift and captum both use the gradient at a ReLU that feeds a max-pool, which is why they miss on every "
        "max-pooling pattern by the same amount; shap and tangermeme apply the Rescale rule through the pool.", "",
        table, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motifbench bench conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=PAGE, help="page to write (default: docs/conformance.md)")
    parser.add_argument("--seed", type=int, default=0, help="weights and sequences seed (default: %(default)s)")
    args = parser.parse_args(argv)
    from methods.conformance import conformance_table, markdown  # noqa: PLC0415 (imports TensorFlow and torch)

    rows = conformance_table(length=60, n=8, seed=args.seed)
    command = "motifbench bench conformance" + (f" --seed {args.seed}" if args.seed else "")
    args.output.write_text(page(markdown(rows), command))
    print(f"wrote {args.output}")
    return 0
