"""``python -m benchmark`` is the ``motifbench`` command (see `benchmark.cli`)."""

import sys

from benchmark.cli import main

sys.exit(main())
