# The two commands of the README, plus the pieces they are made of.
# Everything sets itself up: the virtual environment is (re)built when pyproject.toml or constraints.txt change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint types unit qa lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## The main job: the checklist suite on the embedded fakes, the Allure report and the sign-off (issue 5).
qa: $(STAMP)
	@echo "make qa: the checklist suite, Allure report and sign-off are not built yet (issue 5)." >&2
	@exit 2

## All the tests: lint, format, types, the harness's own tests.
test: lint types unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy --strict harness

unit: $(STAMP)
	$(BIN)/pytest -n 2 -p no:cacheprovider tests

## Re-pin constraints.txt from a fresh resolve of pyproject.toml.
lock:
	rm -rf /tmp/harness-lock && $(PYTHON) -m venv /tmp/harness-lock
	/tmp/harness-lock/bin/pip install --quiet -e '.[dev]'
	{ echo '# Exact versions the harness is tested with; `make` installs with `-c constraints.txt`.'; \
	  echo '# Regenerate after changing pyproject.toml: make lock'; \
	  /tmp/harness-lock/bin/pip freeze --exclude-editable | grep -v '^crmoffice-businesscentral-qa'; } > constraints.txt

clean:
	rm -rf $(VENV) reports/allure-results reports/allure-report .mypy_cache .ruff_cache
