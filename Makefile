# brawl-league: set up, run, test, benchmark.
# The venv is rebuilt only when pyproject.toml changes (stamp file .venv/.stamp).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp

.PHONY: venv run test bench browser

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

# The report's browser test (tests/brawl_league/test_report_browser.py) drives Debian's chromium through chromedriver.
# Installed only when missing; apt-get update only if the first install fails; sudo only when not root.
# BRAWL_SKIP_BROWSER=1 skips both the install and the browser test.
BROWSER_PKGS := chromium chromium-driver
browser:
	@if [ "$$BRAWL_SKIP_BROWSER" = 1 ] || { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "make: the browser test needs $(BROWSER_PKGS) (apt-get, as root); install them or set BRAWL_SKIP_BROWSER=1" >&2; exit 1; fi; \
	echo "installing $(BROWSER_PKGS) for the browser test"; \
	install="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PKGS)"; \
	$$install || { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update && $$install; }

# Lint first (the small rule set of pyproject.toml's [tool.ruff.lint], and the formatting `ruff format`
# gives at its 110 columns: run `.venv/bin/ruff format .` before committing), then the tests; pytest's exit code
# is passed through unchanged (5 = no tests collected also fails).
test: venv browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/brawl-league bench env
