# netreach: two commands for a newcomer (`make run`, `make test`), plus `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/lesson

.PHONY: run test test-slow lint typecheck bench install install-test clean vendor-update report-screenshot fuzz krew

# cytoscape.js for the HTML report's graph is vendored (src/netreach/render/vendor/README.md);
# `make vendor-update` is only for moving to another release (needs npm).
CYTOSCAPE ?= 3.35.0
VENDOR := src/netreach/render/vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

## make vendor-update CYTOSCAPE=3.x.y: replace the vendored cytoscape.js and its license from
## npm, and print the sha256 to record in vendor/README.md and render/vendor.py.
vendor-update:
	cd $(VENDOR) && npm pack --silent cytoscape@$(CYTOSCAPE) >/dev/null \
	  && tar -xzf cytoscape-$(CYTOSCAPE).tgz --strip-components=2 package/dist/cytoscape.min.js \
	  && tar -xzf cytoscape-$(CYTOSCAPE).tgz --strip-components=1 package/LICENSE \
	  && mv LICENSE cytoscape.LICENSE && rm -f cytoscape-$(CYTOSCAPE).tgz \
	  && sha256sum cytoscape.min.js

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
	@echo
	@echo "--- the lesson's promises, checked as CI would ---"
	$(BIN)/netreach test $(EXAMPLE) --expect examples/lesson-expectations.yaml

## make test: install test extras, then ruff, mypy --strict and the whole pytest suite, on
## every core (pytest-xdist; tests/conftest.py says what stays on one worker), property tests
## sampled.
PYTEST_PARALLEL ?= -n auto --dist loadscope
test: install-test lint typecheck
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

## make test-slow: the slow and property tests in full (hypothesis's thorough profile), as a
## nightly CI job would run them.
test-slow: install-test
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m slow --hypothesis-profile thorough

lint: install-test
	$(BIN)/ruff check src tests bench fuzz krew

typecheck: install-test
	$(BIN)/mypy

## make bench: load / compile / map timings and peak RSS on synthetic clusters.
bench: install-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_dataplane.py
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_diff.py

## make fuzz: 100,000 atheris inputs through the loader, validator and engine.
fuzz: install-test
	$(BIN)/pip install -q atheris
	$(BIN)/python fuzz/fuzz_load.py -runs=100000 -max_len=8192

## make krew REPO=owner/netreach: the krew plugin's archives (one per platform) and manifest,
## in dist/krew/, for a GitHub release of this version (docs/ci.md).
krew: install-test
	$(BIN)/python krew/build.py --version $$($(BIN)/python -c 'import netreach; print(netreach.__version__)') --repo $(REPO) --out dist/krew

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache bench/out
