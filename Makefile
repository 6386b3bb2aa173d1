# Two commands for a newcomer: `make run` and `make test`. Needs only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHILDREN ?= 2000

.PHONY: run test install migrate demo serve lint deploy-check browser bench backup clean

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

test: install lint deploy-check browser
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run -v 0
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -n 2 $(PYTEST_ARGS)
	@echo "端到端测试截图（每个流程的最后一页）：$(CURDIR)/var/e2e-screenshots"

# Production settings must pass Django's deployment checks (with throwaway secrets).
deploy-check: install
	@DJANGO_SETTINGS_MODULE=config.settings.prod ALLOWED_HOSTS=liudong.example.org \
	SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	FIELD_ENCRYPTION_KEY=$$($(PY) -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
	$(PY) manage.py check --deploy --fail-level WARNING

# End-to-end tests drive Debian's chromium; install it when missing (needs root and apt).
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
		echo "安装 chromium 和中文字体（端到端测试用）…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

# Benchmarks (not part of `make test`): see README "Benchmarks". Splink lives in the bench group.
bench: install
	$(UV) sync --locked --group bench
	$(PY) -m bench.run

backup: install
	$(PY) manage.py backup

clean:
	rm -rf $(VENV) var
