# Two commands for a newcomer: `make run` and `make test`. Needs only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHILDREN ?= 2000

.PHONY: run test install migrate demo serve lint e2e-browser bench backup clean

install: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		{ echo "安装 uv（依赖管理工具）…"; $(PYTHON) -m pip install --user --quiet uv || $(PYTHON) -m pip install --quiet uv; }
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py seed_demo --children $(CHILDREN)

serve:
	$(PY) manage.py runserver $(HOST):$(PORT)

run: demo
	@echo ""
	@echo "打开 http://$(HOST):$(PORT)/ ，用上面列出的任一演示账号登录。"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run -v 0
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(PY) -m bench.run

backup: install
	$(PY) manage.py backup

clean:
	rm -rf $(VENV) var
