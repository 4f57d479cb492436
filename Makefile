# netreach: two commands for a newcomer (`make run`, `make test`), plus `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/lesson

.PHONY: run test lint typecheck bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

## make run: create .venv, install, analyze the bundled lesson example.
run: install
	$(BIN)/netreach analyze $(EXAMPLE)
	@echo
	@echo "--- the lesson's key connections, with the reasons ---"
	$(BIN)/netreach check $(EXAMPLE) --from default/api --to default/db --port 5432/TCP
	$(BIN)/netreach check $(EXAMPLE) --from monitoring/agent --to default/db --port 9187/TCP
	$(BIN)/netreach check $(EXAMPLE) --from default/web --to default/db --port 5432/TCP
	$(BIN)/netreach check $(EXAMPLE) --from backend/api --to default/db --port 5432/TCP
	$(BIN)/netreach check $(EXAMPLE) --from default/api --to kube-system/coredns --port 53/UDP
	$(BIN)/netreach check $(EXAMPLE) --from default/web --to kube-system/coredns --port 53/UDP

## make test: install test extras, then ruff, mypy --strict and the whole pytest suite.
test: install-test lint typecheck
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check src tests bench

typecheck: install-test
	$(BIN)/mypy

## make bench: load / compile / map timings and peak RSS on synthetic clusters.
bench: install-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_dataplane.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache bench/out
