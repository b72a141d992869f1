# X8 Network: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test install install-dev services migrate demo lint bench messages clean

run: install services migrate demo
	@echo ""
	@echo "  X8 Network is starting:"
	@echo "    public site      http://localhost:8000/"
	@echo "    demo business    http://demo.localhost:8000/   (demo@example.com / demo-pass-2026)"
	@echo "    platform admin   http://localhost:8000/admin/  (admin@example.com / admin-pass-2026)"
	@echo "    managers         http://localhost:8000/admin/  (manager1@example.com, manager2@example.com / manager-pass-2026)"
	@echo "    more businesses  harbor-bakery, nord-fitness, blue-lagoon-spa .localhost:8000  (bakery@, fitness@, spa@example.com / demo-pass-2026)"
	@echo "    API docs         http://localhost:8000/api/docs/"
	@echo "    health           http://localhost:8000/healthz"
	@echo "    WhatsApp phone   http://localhost:3000/phone   (WAHA simulator)"
	@echo "    Stripe simulator http://localhost:12111/       (used when STRIPE_API_BASE points at it; see README)"
	@echo "  Sign-up codes and other e-mails are printed below by the web process."
	@echo ""
	@mkdir -p var
	$(VENV)/bin/honcho start -f Procfile.dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { echo "python3-venv is missing: apt-get install -y python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

services:
	bash config/scripts/services.sh

migrate: install services
	$(PY) manage.py migrate_schemas --noinput -v 0

demo: migrate
	$(PY) manage.py load_demo

test: install-dev
	bash config/scripts/services.sh --browser
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest --create-db -q $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

bench: install-dev services migrate
	$(PY) bench/tenant_provision.py
	$(PY) bench/kb_import.py
	$(PY) bench/webhook_ingest.py
	$(PY) bench/live_fanout.py
	$(PY) bench/assistant_eval.py
	$(PY) bench/billing_dashboard.py

messages: install
	$(PY) manage.py makemessages -l ru --no-location --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages -l ru --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .test-media
