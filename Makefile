# The README's two commands: `make demo` runs the product, `make test` runs every test.
# Both set everything up on a fresh machine: virtualenv, pinned packages, Kafka jars (and chromium for tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PINGBACK := $(VENV)/bin/pingback
STAMP := $(VENV)/.installed
KAFKA_PORT ?= 9092

.PHONY: setup test kafka kafka-stop demo bench constraints clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

setup: $(STAMP)
	$(PINGBACK) kafka install

test: setup
	$(PY) -m pytest

kafka: setup
	$(PINGBACK) kafka start --port $(KAFKA_PORT)

kafka-stop: $(STAMP)
	$(PINGBACK) kafka stop --port $(KAFKA_PORT)

# Re-pin after changing dependencies in pyproject.toml.
constraints: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^pingback-metrics' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
