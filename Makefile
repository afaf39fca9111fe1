# lithium-abm developer tasks (GNU make). `make` alone lists the targets.
SHELL := bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY = $(VENV)/bin/python
BIN = $(VENV)/bin
SRC = agents model experiments lithium_abm tests notebooks
PYTEST_ARGS ?=
# The same OpenBLAS kernels on every x86 CPU, so runs (and the golden files) match bit for bit
# across machines, and numpy's AVX-512 loops off (lithium_abm/__init__.py explains why).
export OPENBLAS_CORETYPE ?= Haswell
export NPY_DISABLE_CPU_FEATURES ?= X86_V4 AVX512_ICL AVX512_SPR
STAMP = $(VENV)/.installed

.PHONY: help venv run test lint format patterns bench dashboard validate clean

help: ## List the targets
	@echo "lithium-abm: make <target>   (VENV=$(VENV))"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create the venv (Python >= 3.12) and install the project with dev extras

# Rebuilt only when pyproject.toml or constraints.txt changes. constraints.txt pins every
# dependency to the versions the golden files (tests/golden/) were written with: numpy's
# summation order differs between releases in the last bit, and the golden test is exact.
# An existing venv is reused if its
# Python is new enough, otherwise it is recreated with the interpreter that
# scripts/find-python.sh picks ($$PYTHON, PATH, then pyenv versions). pip's messages (among
# them setuptools' standing notice on editable installs) go to $(VENV)/install.log and are
# shown only if the install fails.
$(STAMP): pyproject.toml constraints.txt
	@set -e; \
	if [ -x "$(PY)" ] && "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Reusing $(VENV) ($$("$(PY)" --version 2>&1))"; \
	else \
		py=$$(sh scripts/find-python.sh) || exit 1; \
		echo "Creating $(VENV) with $$py ($$("$$py" --version 2>&1))"; \
		rm -rf "$(VENV)"; \
		"$$py" -m venv "$(VENV)"; \
	fi
	@echo "Installing lithium-abm[dev] into $(VENV) (pip's messages: $(VENV)/install.log)"
	@{ $(PY) -m pip install --quiet --upgrade pip && \
		$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'; } >$(VENV)/install.log 2>&1 || \
		{ cat $(VENV)/install.log; echo "make: installing into $(VENV) failed (messages above)"; exit 1; }
	@touch $@

run: venv ## Run the baseline scenario (seed 1) into results/baseline
	$(BIN)/lithium-abm run --scenario baseline --seed 1 --out results/baseline

test: venv ## Run the test suite (extra pytest options: PYTEST_ARGS=...)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv ## ruff check + ruff format --check
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

format: venv ## ruff format + ruff check --fix
	$(BIN)/ruff format $(SRC)
	$(BIN)/ruff check --fix $(SRC)

patterns: venv ## Check the stylised facts over 10 seeds
	$(BIN)/lithium-abm patterns --seeds 10

bench: venv ## Time the model and sweeps (figures for docs/PERFORMANCE.md)
	$(BIN)/lithium-abm bench

dashboard: venv ## Start the classroom dashboard on http://127.0.0.1:8765
	$(BIN)/lithium-abm dashboard

validate: venv ## Regenerate docs/validation.md (model against targets over seeds)
	$(BIN)/lithium-abm validate --out docs

clean: ## Remove the venv, results, caches and build metadata
	rm -rf $(VENV) results build dist .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
