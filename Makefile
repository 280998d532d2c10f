# Home Visit Toolkit. The two commands: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
# The virtualenv's interpreter: Debian's own python3 (3.11 on Debian 12) when it is 3.11 or newer, else the
# first python3 on PATH. Debian builds its interpreter with profile-guided and link-time optimisation; a
# self-built one that comes first on PATH (pyenv's default build, say) renders a visit record about a tenth
# slower. `make PYTHON=/path/to/python3.12 ...` chooses another (delete .venv first to switch).
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := chromium poppler-utils libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
	fonts-liberation sqlite3 python3 python3-venv
HOST ?= 127.0.0.1
PORT ?= 5000
export HOMEVISIT_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: setup run test test-long bench lint system-packages assets demo serve

setup: system-packages $(VENV)/.installed static/vendor/.built

# System packages from Debian, installed only when missing (needs root, as on the target machine).
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

$(VENV)/.installed: pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "Python 3.11 or newer is needed: install python3 (Debian 12 has 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

static/vendor/.built: package.json static/scss/govuk.scss
	npm install --no-audit --no-fund --no-package-lock --loglevel=error
	mkdir -p static/vendor/govuk-frontend static/vendor/signature_pad static/vendor/axe-core
	node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		--silence-deprecation=import static/scss/govuk.scss static/vendor/govuk-frontend/govuk-frontend.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/vendor/govuk-frontend/
	rm -rf static/vendor/govuk-frontend/assets && mkdir -p static/vendor/govuk-frontend/assets
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images static/vendor/govuk-frontend/assets/
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js static/vendor/signature_pad/
	cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
	touch $@

# A demo instance (signing key, team, users, children with months of visits, the earlier ones signed)
# when none exists.
demo: setup
	@mkdir -p "$(HOMEVISIT_INSTANCE_PATH)"
	$(VENV)/bin/flask --app app init-db
	@[ -f "$(HOMEVISIT_INSTANCE_PATH)/signing/signing.p12" ] || $(VENV)/bin/flask --app app init-signing
	$(VENV)/bin/flask --app app seed-demo --if-empty

run: demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	HOMEVISIT_SESSION_COOKIE_SECURE=false $(VENV)/bin/flask --app app run --host $(HOST) --port $(PORT)

# Production-style serving (see README: behind a TLS proxy).
serve: demo
	$(VENV)/bin/gunicorn --config gunicorn.conf.py "app:create_app()"

# The browser tests run in their own process: Playwright's sync API keeps an event loop running for the
# whole session, and pyHanko (PDF signing) starts its own with asyncio.run.
test: setup
	$(PY) -m pytest -q -p no:cacheprovider --ignore=tests/browser
	$(PY) -m pytest -q -p no:cacheprovider tests/browser

test-long: setup
	$(PY) -m pytest -q -p no:cacheprovider -m long --run-long

lint: setup
	$(VENV)/bin/ruff check homevisit forms app.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy homevisit

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
