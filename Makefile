# The two commands a newcomer needs: `make demo` and `make test`. Both set up the
# virtualenv themselves on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= generated
# `make demo` runs `indicator-kit demo` in a fresh workspace here (made again on every run).
DEMO ?= $(OUT)/demo

.PHONY: setup test lint demo clean bench robustness wheel faults

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check indicator_kit tests benchmarks examples
	$(BIN)/ruff format --check indicator_kit tests benchmarks examples

demo: $(STAMP)
	rm -rf "$(DEMO)"
	$(BIN)/indicator-kit demo "$(DEMO)"

# The file the officer installs with pipx (README, "Cài đặt trên Windows").
wheel: $(STAMP)
	rm -rf build  # a stale build/lib would put deleted files into the wheel
	$(BIN)/pip wheel --quiet --no-deps -w dist .

clean:
	rm -rf "$(DEMO)"

robustness: $(STAMP)
	$(BIN)/python -m tests.hostile

# Fault injection (kill -9, full disk, no rights, damaged ledgers): prints the table and writes it
# into docs/ROBUSTNESS.md; FAULTS_ARGS=--no-write only prints (CI). Needs root for the tmpfs and
# the unprivileged-user scenarios; elsewhere they are skipped with the reason.
faults: $(STAMP)
	$(BIN)/python -m tests.faults $(FAULTS_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
