# The two commands a user needs: `make run` and `make test`.
# Both create or refresh .venv from pyproject.toml, so a machine with only
# Python 3.11+ needs no other set-up.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint bench clean venv lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "amlpilot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes; the stamp records what was installed.
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . -c constraints.txt
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' -c constraints.txt
	@touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/amlpilot $(ARGS)

test: $(VENV)/.installed-test
	@if $(BIN)/python -m pip list 2>/dev/null | grep -i '^nvidia-'; then echo "CUDA packages found in .venv; see README (no nvidia-* allowed)"; exit 1; fi
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)
	$(BIN)/python -m evals --model offline --min-pass 0.928

lint: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check --select F,E9 --ignore F811 agent tools workspace prompts tests

# Record the versions in .venv (after `make test` passes) as the constraints fresh installs use.
lock: $(VENV)/.installed-test
	@{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^nvidia-'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
