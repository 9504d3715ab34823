# Two front doors: `make demo` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
LOCAL := .local
VENV := .venv
PY := $(VENV)/bin/python
UV := $(LOCAL)/bootstrap/bin/uv
export AIRFLOW_HOME ?= $(CURDIR)/$(LOCAL)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
AIRFLOW_UI_PORT ?= 8080

.PHONY: install install-dev demo ui system-packages test lint typecheck unit local-up local-down local-status local-reset airflow-db lock bench clean

install: $(VENV)/.installed
# The test-only clients (SageMaker Python SDK v3, AWS CLI) on top of the runtime set.
install-dev: $(VENV)/.installed-dev

# uv resolves and installs the pinned set in seconds; it is itself pinned and bootstrapped by pip.
$(UV):
	$(PYTHON) -m venv $(LOCAL)/bootstrap
	$(LOCAL)/bootstrap/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements.txt pyproject.toml | $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(UV) pip install --quiet -r requirements.txt
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(UV) pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(UV) pip install --quiet -r requirements-dev.txt
	touch $@

# Both sets are resolved together (requirements-dev.in includes requirements.in), so they agree.
lock: | $(UV)
	$(UV) pip compile requirements-dev.in -o requirements-dev.txt --python-version 3.11
	$(UV) pip compile requirements.in -c requirements-dev.txt -o requirements.txt --python-version 3.11

local-up: install
	$(PY) -m local_sagemaker.stack up

local-down:
	@test -x $(PY) && $(PY) -m local_sagemaker.stack down || true

local-status: install
	$(PY) -m local_sagemaker.stack status

# Wipes the local stack's S3, Logs and SageMaker state on purpose, and says what it removed.
local-reset: install
	$(PY) -m local_sagemaker.stack reset

$(AIRFLOW_HOME)/airflow.db: | install
	$(VENV)/bin/airflow db migrate > $(LOCAL)/airflow-db-migrate.log 2>&1 || (cat $(LOCAL)/airflow-db-migrate.log; exit 1)

airflow-db: $(AIRFLOW_HOME)/airflow.db

demo: local-up airflow-db
	@bash scripts/apt_install.sh $(LOCAL)/apt.log bubblewrap
	source $(LOCAL)/env && $(PY) scripts/demo.py

# A real Airflow UI (api-server, scheduler, dag-processor, triggerer) on the local stack; Ctrl-C stops it.
ui: local-up airflow-db
	source $(LOCAL)/env && AIRFLOW_UI_PORT=$(AIRFLOW_UI_PORT) $(PY) scripts/airflow_ui.py --home $(AIRFLOW_HOME)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy --cache-dir $(LOCAL)/mypy-cache local_sagemaker include plugins scripts bench $(wildcard dags)

# Debian packages, where apt-get can install them (elsewhere the tests that need one skip, saying so):
# bubblewrap runs job code with /opt/ml in its own mount namespace; chromium serves the browser test;
# postgresql and redis-server the Celery cluster test. The demo needs only bubblewrap.
SYSTEM_PACKAGES ?= bubblewrap chromium postgresql redis-server
system-packages:
	@bash scripts/apt_install.sh $(LOCAL)/apt.log $(SYSTEM_PACKAGES)

test: lint typecheck system-packages
	$(PY) -m pytest

bench: install
	$(PY) -m bench

clean: local-down
	rm -rf $(LOCAL)
