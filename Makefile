# Every target installs what it needs: a fresh clone runs `make dev` or `make test` directly.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COMPOSE_VENV := .venv-compose
STAMP := $(VENV)/.installed-stamp
# A CJK font from Debian: the OCR tests and benchmark draw invoices and receipts with it.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

# Debian's PostgreSQL server binaries: the app-database tests run a real server (tests/db).
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

.PHONY: dev test lint bench install native optional-native compose-tool cjk-font postgres console console-schema \
	console-screenshots lock clean
# The web console (console/): built with npm from its lock file, served by the API at /ui/.
NPM ?= npm
CONSOLE_SOURCES := $(shell find console/src -type f ! -name schema.d.ts 2>/dev/null) console/index.html \
	console/vite.config.ts console/tsconfig.json console/openapi.json
CONSOLE_DIST := console/dist/index.html
# The browser of the console's end-to-end tests (driven by Playwright; never downloaded by it).
CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

# The compiler's modules compiled by mypyc (docs/architecture.md §7). Always asked: the script
# itself tells whether the build matches the sources and the installed packages (a time-stamp
# rule would miss a deleted source or a copy that kept its old times), and rebuilds if not.
native: $(STAMP)
	command -v cc >/dev/null || apt-get install -y -q gcc libc6-dev || \
		(apt-get update -q && apt-get install -y -q gcc libc6-dev)
	$(BIN)/python -c 'import pathlib, sys, sysconfig; \
		sys.exit(not pathlib.Path(sysconfig.get_paths()["include"], "Python.h").is_file())' || \
		apt-get install -y -q python3-dev || (apt-get update -q && apt-get install -y -q python3-dev)
	$(BIN)/python deploy/build_native.py --unless-current

# For running Shenpi the build is a speed-up: where it cannot be made, the sources run.
optional-native: $(STAMP)
	$(MAKE) --no-print-directory native || \
		echo "make: the compiled compiler was not built; its Python sources run (docs/architecture.md §7)"

install: $(STAMP) optional-native

$(COMPOSE_VENV)/bin/docker-compose: requirements-compose.txt constraints-compose.txt
	test -x $(COMPOSE_VENV)/bin/python || $(PYTHON) -m venv $(COMPOSE_VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints-compose.txt $(COMPOSE_VENV)/bin/pip install -q \
		--disable-pip-version-check -r requirements-compose.txt
	touch $@

compose-tool: $(COMPOSE_VENV)/bin/docker-compose

$(CJK_FONT):
	apt-get install -y -q fonts-wqy-microhei || \
		(apt-get update -q && apt-get install -y -q fonts-wqy-microhei)

cjk-font: $(CJK_FONT)

postgres:
ifeq ($(PG_INITDB),)
	apt-get install -y -q postgresql || (apt-get update -q && apt-get install -y -q postgresql)
endif

$(CHROMIUM):
	apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)

console/node_modules/.installed: console/package.json console/package-lock.json
	command -v $(NPM) >/dev/null || apt-get install -y -q nodejs npm || \
		(apt-get update -q && apt-get install -y -q nodejs npm)
	cd console && $(NPM) ci --no-audit --no-fund
	touch $@

$(CONSOLE_DIST): console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && $(NPM) run build

console: $(CONSOLE_DIST)

# The API schema the console's client is typed against (tests/console checks it is current).
console-schema: $(STAMP)
	$(BIN)/python -c 'import json; from api.main import create_app; from shenpi.settings import \
		Settings; print(json.dumps(create_app(Settings(env="test", jwt_secret="x" * 32)).openapi(), \
		indent=1, sort_keys=True, ensure_ascii=False))' > console/openapi.json

# The pictures in docs/console.md, taken by the end-to-end tests.
console-screenshots: $(STAMP) $(CONSOLE_DIST) $(CHROMIUM)
	SHENPI_CONSOLE_SCREENSHOTS=docs/console $(BIN)/pytest tests/console -q

# Options pass through: make dev DEV_ARGS="--port 9000 --data-dir /tmp/shenpi"
DEV_ARGS ?=

dev: $(STAMP) optional-native $(CONSOLE_DIST)
	$(BIN)/shenpi dev $(DEV_ARGS)

# Everything runs on the compiled compiler (a test fails if it is not the one running), then the
# compiler's own tests again on its Python sources, which run wherever no build is current.
test: $(STAMP) native compose-tool $(CJK_FONT) postgres $(CONSOLE_DIST) $(CHROMIUM)
	cd console && $(NPM) test
	SHENPI_EXPECT_COMPILED=1 PATH=$(CURDIR)/$(COMPOSE_VENV)/bin:$$PATH $(BIN)/pytest
	SHENPI_PURE_COMPILER=1 $(BIN)/pytest -q tests/compiler

lint: $(STAMP) console/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache
	cd console && $(NPM) run --silent typegen >/dev/null && npx tsc

bench: $(STAMP) native $(CJK_FONT)
	$(BIN)/python -m bench.run

lock:
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(COMPOSE_VENV) build .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
