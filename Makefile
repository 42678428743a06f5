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

.PHONY: dev test lint bench install compose-tool cjk-font postgres lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(STAMP)

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

# Options pass through: make dev DEV_ARGS="--port 9000 --data-dir /tmp/shenpi"
DEV_ARGS ?=

dev: $(STAMP)
	$(BIN)/shenpi dev $(DEV_ARGS)

test: $(STAMP) compose-tool $(CJK_FONT) postgres
	PATH=$(CURDIR)/$(COMPOSE_VENV)/bin:$$PATH $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP) $(CJK_FONT)
	$(BIN)/python -m bench.run

lock:
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(COMPOSE_VENV) .pytest_cache .mypy_cache .ruff_cache
