# brawl-league: set up, run, test, benchmark.
# The venv is rebuilt only when pyproject.toml changes (stamp file .venv/.stamp).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp

.PHONY: venv run test bench

venv: $(STAMP)

# torch is installed first and pinned to the CPU wheel (found in /opt/wheels through pip's config),
# so that nothing later pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

# The main job: a short training run of the smoke preset (small model, CPU-friendly) into runs/.
run: venv
	$(BIN)/brawl-league train --preset smoke --set run.total_steps=65536

# pytest's exit code is passed through unchanged (5 = no tests collected also fails).
test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/brawl-league bench env
