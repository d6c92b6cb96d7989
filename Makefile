# The two commands of the README, plus the pieces they are made of.
# Everything sets itself up: the virtual environment is (re)built when pyproject.toml or constraints.txt change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PROXY_VENV := .venv-proxy
PROXY_STAMP := $(PROXY_VENV)/.installed
NODE_STAMP := node_modules/.installed
RESULTS := reports/allure-results
REPORT := reports/allure-report
# Extra pytest options for the suite, e.g. QA_ARGS='--tenants wire --faker-seed 123'.
QA_ARGS ?=

.PHONY: test lint format types unit harness-tests qa sandbox soak mutation lock lock-proxy proxy-env clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## mitmproxy, the engine of `harness proxy`, in a virtual environment of its own: the release that runs on the
## harness's Python pins an h11 and a cryptography older than the harness's HTTP client needs (docs/architecture.md).
$(PROXY_STAMP): constraints-proxy.txt
	test -x $(PROXY_VENV)/bin/python || $(PYTHON) -m venv $(PROXY_VENV)
	$(PROXY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints-proxy.txt mitmproxy
	touch $(PROXY_STAMP)

proxy-env: $(PROXY_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## The main job: the checklist suite on the embedded fakes, then `harness report`: the sign-off, and the Allure
## report named after its verdict with the sign-off on its first screen. Both are written whatever the outcome; the exit
## status is the suite's, or 1 when the sign-off finds a checklist row or contract rule unproven.
## Two workers, except for an external sync, which picks its own (--external-workers); a -n in QA_ARGS wins.
QA_WORKERS ?= $(if $(findstring external,$(QA_ARGS)),,-n 2)
## Hypothesis's pytest plugin serves the harness's own tests; each worker of the suite would load it for nothing.
SUITE_PLUGINS := -p no:cacheprovider -p no:hypothesispytest
qa: $(STAMP) $(NODE_STAMP)
	@rm -rf $(RESULTS) $(REPORT) reports/signoff.md reports/junit.xml
	@suite=0; $(BIN)/pytest $(SUITE_PLUGINS) $(QA_WORKERS) steps --alluredir $(RESULTS) \
	  --junitxml reports/junit.xml $(QA_ARGS) || suite=$$?; \
	$(BIN)/harness report --results $(RESULTS) --report $(REPORT) --out reports/signoff.md --suite-exit $$suite

## The suite in sandbox mode against `harness serve` fakes standing in for real sandboxes: once with the reference
## sync, once with `harness sync --watch` as the external sync product; each run must leave no record behind.
sandbox: $(STAMP) $(PROXY_STAMP)
	scripts/sandbox-on-fakes.sh reference -q
	scripts/sandbox-on-fakes.sh external -q

## Random histories of user actions on `harness serve` fakes while `harness sync --watch` syncs them as the product
## behind `harness proxy`, with the nemesis's trouble at the proxy, checked against the contract (`harness soak`);
## a failure is shrunk and printed as a Gherkin scenario.
SOAK_SEEDS ?= 1 2
soak: $(STAMP) $(PROXY_STAMP)
	rm -rf reports/soak-results
	OPERATIONS=$${OPERATIONS:-200} SOAK_ARGS="--alluredir reports/soak-results $${SOAK_ARGS:-}" \
	  scripts/soak-on-fakes.sh $(SOAK_SEEDS)

## All the tests: lint, format, types, the harness's own tests, the main job, the sandbox modes and the soak.
test: lint types harness-tests qa sandbox soak

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Rewrites the files: the lint's fixable findings, then the formatter (.pre-commit-config.yaml runs the same).
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

types: $(STAMP)
	$(BIN)/mypy --strict harness

## The fast loop: the harness's own tests without those that run the whole suite in a subprocess (marked slow).
## Three workers on two cores: many of these tests wait on processes they start.
unit: $(STAMP) $(NODE_STAMP) $(PROXY_STAMP)
	$(BIN)/pytest -n 3 -p no:cacheprovider -m "not slow" tests

## All the harness's own tests, the slow ones included, in one run (make test).
harness-tests: $(STAMP) $(NODE_STAMP) $(PROXY_STAMP)
	$(BIN)/pytest -n 3 -p no:cacheprovider tests

## Mutation testing of the reference sync with the checklist suite as the oracle (not part of `make test`: each
## mutant is a suite run). MUTANTS=40 SEED=1 by default; MUTANTS=0 runs every site. Writes reports/mutation.json.
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py

## Re-pin constraints.txt from a fresh resolve of pyproject.toml.
lock:
	rm -rf /tmp/harness-lock && $(PYTHON) -m venv /tmp/harness-lock
	/tmp/harness-lock/bin/pip install --quiet -e '.[dev]'
	{ echo '# Exact versions the harness is tested with; `make` installs with `-c constraints.txt`.'; \
	  echo '# Regenerate after changing pyproject.toml: make lock'; \
	  /tmp/harness-lock/bin/pip freeze --exclude-editable | grep -v '^crmoffice-businesscentral-qa'; } > constraints.txt

lock-proxy:
	rm -rf /tmp/harness-lock-proxy && $(PYTHON) -m venv /tmp/harness-lock-proxy
	/tmp/harness-lock-proxy/bin/pip install --quiet mitmproxy
	{ echo '# mitmproxy for `harness proxy`, in its own virtual environment (.venv-proxy): see docs/architecture.md.'; \
	  echo '# Exact versions; `make proxy-env` installs with -c constraints-proxy.txt. Regenerate: make lock-proxy'; \
	  /tmp/harness-lock-proxy/bin/pip freeze; } > constraints-proxy.txt

clean:
	rm -rf $(VENV) $(PROXY_VENV) node_modules $(RESULTS) $(REPORT) reports/signoff.md .mypy_cache .ruff_cache
