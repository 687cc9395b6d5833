# The README's two commands: `make demo` runs the product, `make test` runs every test.
# Both set everything up on a fresh machine: virtualenv, pinned packages, Kafka jars (and chromium for tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PINGBACK := $(VENV)/bin/pingback
STAMP := $(VENV)/.installed
KAFKA_PORT ?= 9092
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
# Debian packages need root: use sudo when not already root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup lint test test-under-load kafka kafka-stop demo bench mutation constraints clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

setup: $(STAMP)
	$(PINGBACK) kafka install

# Debian packages for tests and benchmarks: chromium for the wallboard's browser test (never a
# browser download), wrk for load.
$(CHROMIUM) $(WRK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium wrk

# Formatting, lint and types (ruff, mypy; configured in pyproject.toml): zero findings.
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: setup $(CHROMIUM) $(WRK) lint
	$(PY) -m pytest

# The timing-sensitive tests with one busy process per core beside them: a test that passes only on
# an idle machine fails here. The hogs are killed however pytest ends.
UNDER_LOAD := tests/test_stream*.py tests/test_wallboard.py \
	tests/test_wallboard_kafka.py::test_the_stream_pushes_new_figures_when_events_arrive \
	tests/test_api_kafka.py tests/test_freeze_kafka.py tests/test_connection_limits*.py
test-under-load: setup
	hogs=(); trap 'kill "$${hogs[@]}"' EXIT; \
	for _ in $$(seq "$$(nproc)"); do $(PYTHON) -c 'while True: pass' & hogs+=($$!); done; \
	$(PY) -m pytest $(UNDER_LOAD)

# Every benchmark (bench/README.md): one throwaway Kafka broker, results in bench/results/*.json,
# and the summary table printed at the end.
bench: setup $(WRK)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,bench]'
	$(PY) -m bench.decode_bench
	$(PY) -m bench

# Mutation testing of analytics/ and events/ before a release (not part of `make test`): mutmut,
# configured in pyproject.toml's [tool.mutmut]; results in bench/results/mutation.json.
mutation: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,mutation]'
	$(PY) bench/mutation.py

# Kafka, a worker with the API, a demo key and simulated traffic; Ctrl-C stops it all.
demo: setup
	$(PINGBACK) demo $(DEMO_ARGS)

kafka: setup
	$(PINGBACK) kafka start --port $(KAFKA_PORT)

kafka-stop: $(STAMP)
	$(PINGBACK) kafka stop --port $(KAFKA_PORT)

# Re-pin after changing dependencies in pyproject.toml.
constraints: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^pingback-metrics' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis mutants
