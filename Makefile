# The two commands: `make demo` and `make test`. Both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_SOURCES := $(shell find js/src -type f) js/package.json js/package-lock.json
PORT ?= 8888

.PHONY: demo test bench lint typecheck pytest jstest browser thirdparty js docs dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs the package with its test and docs extras; pip runs the JS build (npm) through hatch-jupyter-builder.
$(STAMP): $(BIN)/python pyproject.toml $(JS_SOURCES)
	@command -v npm >/dev/null || { echo "npm is needed to build the front end: install Node.js 18+ (apt-get install -y nodejs npm)"; exit 1; }
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

js: $(STAMP)
	cd js && npm run build

# Debian's Chromium for the browser tests (Playwright's own download does not work here).
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "the browser tests need Chromium: run 'sudo apt-get install -y chromium' (or set IPYWEBSOCKETS_CHROMIUM to a Chromium binary)"; exit 1; \
	fi

# The third-party servers of tests/thirdparty (docs/third-party.md): Debian's libwebsockets test
# server, tinyproxy, microsocks and RabbitMQ (apt-get, as root), then python-lsp-server's own
# venv under .cache/thirdparty (pinned in tests/thirdparty/thirdparty_servers.py; made once,
# then reused).
# The tests start their own tinyproxy and RabbitMQ (Web-STOMP): the system services Debian starts
# (tinyproxy on 8888, rabbitmq-server where systemd runs) are disabled.
THIRDPARTY_DEBS := libwebsockets-test-server tinyproxy microsocks rabbitmq-server
thirdparty: $(STAMP)
	@if command -v libwebsockets-test-server >/dev/null && command -v tinyproxy >/dev/null \
		&& command -v microsocks >/dev/null && test -x /usr/lib/rabbitmq/bin/rabbitmq-server; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing $(THIRDPARTY_DEBS) with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 $(THIRDPARTY_DEBS) >/dev/null; \
		if command -v systemctl >/dev/null; then \
			systemctl disable --now tinyproxy rabbitmq-server >/dev/null 2>&1 || :; fi; \
	else \
		echo "the third-party server tests need Debian packages: run 'sudo apt-get install -y $(THIRDPARTY_DEBS)'"; exit 1; \
	fi
	$(BIN)/python tests/thirdparty/thirdparty_servers.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	cd js && npm run lint

typecheck: $(STAMP)
	$(BIN)/mypy
	cd js && npm run typecheck

# The front end's pure parts (rows, columns, formatting, thinning, requests) under node's test runner.
jstest: $(STAMP)
	cd js && npm test

pytest: $(STAMP) browser thirdparty
	$(BIN)/python -m pytest

# The documentation site (mkdocs.yml) into site/; --strict: any warning fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test: lint typecheck jstest docs pytest

demo: $(STAMP)
	@echo "Starting JupyterLab on notebooks/quickstart.ipynb (Ctrl-C to stop)"
	cd notebooks && ../$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root) quickstart.ipynb

# Benchmarks (not part of `make test`, which runs each at a tiny size): one table.
# SIZE=small for a quick pass; BENCH_LOCK=/tmp/iws-measure.lock runs each under flock.
SIZE ?= full
bench: $(STAMP) browser
	$(BIN)/python bench/run_all.py --size $(SIZE) $(if $(BENCH_LOCK),--lock $(BENCH_LOCK))

# The sdist and the wheel in dist/, as a release makes them: the sdist from the checkout, the
# wheel from the sdist (npm builds the front end into it); then the metadata PyPI checks.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) dist js/node_modules bench/node/node_modules src/ipywebsockets/static site .cache/mkdocs-jupyter .cache/thirdparty
