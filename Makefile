# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOME_DIR ?= .socialcare
PORT   ?= 8080
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint bench chaos clean browser

$(STAMP): pyproject.toml classify/_kernels.c socialcare/stream/_terms.c  # the install builds the C loops
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the project's bytecode, written ahead: a process started with PYTHONDONTWRITEBYTECODE set (as
# in the workplace these figures come from) otherwise compiles every module it imports from
# source, each time (0.1 s of each `socialcare` start-up); up-to-date files are skipped
install: $(STAMP)
	$(BIN)/python -m compileall -q socialcare classify ingest route

## run: the whole pipeline on the embedded default, demo source, desk on http://127.0.0.1:$(PORT)/
run: install
	$(BIN)/socialcare run --source demo --home $(HOME_DIR) --port $(PORT)

## browser: Debian's chromium for the browser tests (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

## test: lint + the whole test suite
test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

## chaos: the long chaos run (many random SIGKILLs); `make test` runs a short one
chaos: install
	SOCIALCARE_CHAOS_KILLS=$${SOCIALCARE_CHAOS_KILLS:-40} \
	SOCIALCARE_CHAOS_KAFKA_ROUNDS=$${SOCIALCARE_CHAOS_KAFKA_ROUNDS:-20} $(BIN)/pytest tests/chaos -v

## bench: throughput figures, printed and saved under bench-results/
bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache .ruff_cache test-output
