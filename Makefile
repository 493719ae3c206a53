# Two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
MANAGE := $(PY) example_site/manage.py
# Where the example site keeps its SQLite database, media and private attachments.
export EXAMPLE_SITE_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test install check-migrations pytest messages wheel-check install-check clean screenshots bench tick-bench load mailbench

# The test suite runs the smoke versions of `make bench` and `make load`, so a checkout installs both extras;
# `pip install "wagtail-support[test]"` alone stays free of Locust and matplotlib.
$(VENV)/.installed: setup.py pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@touch $@

install: $(VENV)/.installed

# PORT reaches the settings too: the agents' links (WAGTAILADMIN_BASE_URL) and the Site's port follow it.
# Two sites: English at /en/ and French at /fr/ on PORT, and a second site (Acme Hardware) on PORT + 1; both
# servers stop with Ctrl-C (scripts/demo_servers.sh).
demo: install
	$(MANAGE) migrate --noinput
	PORT=$(PORT) $(MANAGE) support_demo
	PORT=$(PORT) PYTHON=$(PY) bash scripts/demo_servers.sh

check-migrations: install
	DJANGO_SETTINGS_MODULE=example_site.settings.test $(MANAGE) makemigrations --check --dry-run

pytest: install
	$(PY) -m pytest $(PYTEST_ARGS)

test: check-migrations pytest

# The benchmark at 100,000 tickets and the load test with faults (benchmarks/README.md); both need a
# running PostgreSQL (DATABASE_URL, else a database of their own on 127.0.0.1 is created).
# Options: make bench BENCH_ARGS="--tickets 1000000"; make load LOAD_ARGS="--run-time 60".
bench: install
	$(PY) -m benchmarks.bench $(BENCH_ARGS)
	$(PY) -m benchmarks.tick_bench $(TICK_BENCH_ARGS)

# support_tick alone over 100,000 open tickets (benchmarks/tick_bench.py); also the end of `make bench`.
tick-bench: install
	$(PY) -m benchmarks.tick_bench $(TICK_BENCH_ARGS)

load: install
	$(PY) -m benchmarks.load $(LOAD_ARGS)

# How well inbound mail is read (benchmarks/mailbench/): the reply cutter on tests/reply_corpus/, next to the
# reply-parsing libraries that are installed, timed on pathological bodies; no database needed.
# Options: make mailbench MAILBENCH_ARGS="--no-speed --no-libraries".
mailbench: install
	$(PY) -m benchmarks.mailbench $(MAILBENCH_ARGS)

# Retake the pictures of the README (docs/screenshots/) with the browser tests; needs /usr/bin/chromium
# (bash scripts/install_chromium.sh).
screenshots: install
	@test -x /usr/bin/chromium || { echo "No /usr/bin/chromium: run bash scripts/install_chromium.sh first." >&2; exit 1; }
	SAVE_SCREENSHOTS=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(PY) -m pytest tests/test_browser.py tests/test_browser_agent.py tests/test_browser_inbox.py tests/test_browser_reports.py

# Refresh the French catalogue after changing strings (needs GNU gettext), then compile it.
messages: install
	cd wagtail_support && ../$(PY) ../example_site/manage.py makemessages -l fr --no-obsolete
	cd wagtail_support && ../$(PY) ../example_site/manage.py compilemessages -l fr

# Build the wheel and the sdist, check what they hold, install the wheel in a clean virtual environment
# and run `check`.
wheel-check: install
	PYTHON=$(PY) bash scripts/check_wheel.sh

# The README's install steps applied to a fresh `wagtail start` site with the built wheel: a ticket
# submitted and resolved, its mail's sender and links checked (scripts/check_install.sh).
install-check: install
	PYTHON=$(PY) bash scripts/check_install.sh

clean:
	rm -rf build dist *.egg-info var
