# motifbench: two commands do everything.
#   make run   - build the default tasks, train the models, run every method, write leaderboard.md
#   make test  - the suite's own tests plus a smoke-profile run of the whole grid (what CI runs)
# Both create .venv and install the pinned dependencies first; the install is
# skipped when pyproject.toml and requirements.lock have not changed.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run replicate test test-fast bench clean-cache help

help:
	@echo "make run        default profile end to end -> results/, leaderboard.md, docs/figures/"
	@echo "make replicate  the default grid with seeds 3-5; findings over every 3-seed draw of 0-5, and side by side with the board's"
	@echo "make test       tests of the suite + smoke-profile benchmark (CI runs this)"
	@echo "make test-fast  tests without the slow tier"
	@echo "make bench      every method vs its floor -> docs/speed.json + docs/speed.md; model training times"
	@echo "make install    create .venv with the pinned dependencies"

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; motifbench needs Python 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# requirements.lock pins torch==2.13.0+cpu: the CPU wheel, never a multi-GB CUDA build of the same release
	$(PY) -m pip install --quiet -c requirements.lock -e .
	$(PY) -m pip install --quiet --no-deps janggu==0.10.2
	@echo "compiling the FIMO/TOMTOM kernels once (numba caches them in the venv; a few minutes on 2 cores)"
	$(VENV)/bin/motifbench tasks warmup
	@touch $(STAMP)

# The grid runs on 2 xdist workers, one model group per worker at a time (--dist loadgroup);
# cached cells (inputs unchanged) are skipped, so a re-run with nothing new does no work.
# The leaderboard is rendered at the end even when some cells failed (they are listed in it).
JOBS ?= 2

run: $(STAMP)
	$(PY) -m pytest benchmark -p no:randomly -p no:cacheprovider --profile default -n $(JOBS) --dist loadgroup -q -rfE

# A second draw of every model: prints each finding's verdicts over the 20 three-seed draws of
# seeds 0-5, then exits 1 if a firm verdict of the board (seeds 0-2) does not replicate on 3-5.
REPLICATION_RESULTS = $$($(PY) -c 'from benchmark.grid.session import default_results_dir as d; print(d("replication"))')
replicate: $(STAMP)
	$(PY) -m pytest benchmark -p no:randomly -p no:cacheprovider --profile replication -n $(JOBS) --dist loadgroup -q -rfE --no-leaderboard
	$(VENV)/bin/motifbench draws results "$(REPLICATION_RESULTS)"
	$(VENV)/bin/motifbench findings results:0,1,2 "$(REPLICATION_RESULTS):3,4,5"

# The suite's tests run on $(JOBS) xdist workers too (each TensorFlow process computes on one thread).
test: $(STAMP)
	$(PY) -m pytest tests -q -n $(JOBS)
	$(PY) -m pytest benchmark -q --profile smoke -p no:randomly
	$(VENV)/bin/motifbench board --check

test-fast: $(STAMP)
	$(PY) -m pytest tests -q -n $(JOBS) -m "not slow"

# Every registered method against its plain-TF floor -> docs/speed.json and the table in docs/speed.md;
# then training/loading times of every model (motifbench bench models).
bench: $(STAMP)
	$(VENV)/bin/motifbench bench methods
	$(VENV)/bin/motifbench bench models

clean-cache:
	rm -rf .cache
