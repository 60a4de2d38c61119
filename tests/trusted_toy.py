"""The trusted verifier on the toy session, in a fresh process (``python [-P] -m tests.trusted_toy CANDIDATE BASE``).

Prints the verdict as one JSON line. Run with the working directory set to a
pull request's checkout, it shows whose code the verifier imports: with ``-P``
this repository's, without it the checkout's (whose methods/ may patch the verifier).
"""

import dataclasses
import json
import sys
from pathlib import Path

from benchmark.grid.trusted import verify_candidate
from tests.test_benchmark_cell import ToySession, _cell

METHODS_OF_THE_BOARD = ("gradient", "grad_x_input")


def main(candidate: str, base: str) -> None:
    session = ToySession(Path(candidate))
    session.verify = True
    cells = {str(_cell(m).relpath()): _cell(m) for m in METHODS_OF_THE_BOARD}
    verdict = verify_candidate(Path(candidate), Path(base), session, cells, own="list")
    print(json.dumps({**dataclasses.asdict(verdict), "ok": verdict.ok}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
