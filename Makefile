# netreach: two commands for a newcomer (`make run`, `make test`), plus `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/lesson

.PHONY: run test lint typecheck bench install install-test clean vendor report-screenshot

# cytoscape.js for the HTML report's graph: fetched from npm at build time, never committed.
CYTOSCAPE := 3.35.0
VENDOR_JS := src/netreach/render/vendor/cytoscape.min.js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python vendor
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python vendor
	$(BIN)/pip install -q -e '.[test]'

## make vendor: fetch cytoscape.js (npm) for the HTML report. Without npm the report still
## works, with tables instead of the graph (and says so).
vendor:
	@if [ -f $(VENDOR_JS) ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(dir $(VENDOR_JS)) && cd $(dir $(VENDOR_JS)) \
	  && npm pack --silent cytoscape@$(CYTOSCAPE) >/dev/null \
	  && tar -xzf cytoscape-$(CYTOSCAPE).tgz --strip-components=2 package/dist/cytoscape.min.js \
	  && rm -f cytoscape-$(CYTOSCAPE).tgz; \
	else echo "note: npm not found; the HTML report will have no graph (see docs/report.md)"; fi

## make report-screenshot: regenerate docs/report-lesson.png through the browser tests.
report-screenshot: install-test
	NETREACH_DOCS_SCREENSHOT=docs/report-lesson.png $(BIN)/python -m pytest -q tests/report/test_report_browser.py -k screenshot

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
	$(BIN)/python bench/bench_generate.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache bench/out
