# IDP Desk. `make run` opens the app on a demo inbox; `make test` runs every check.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV_RUN := uv run --frozen --no-sync

.PHONY: setup run test lint typecheck contracts pytest bench clean

setup:
	@scripts/setup.sh

run: setup
	@$(UV_RUN) idp demo

lint: setup
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .

typecheck: setup
	$(UV_RUN) mypy

contracts: setup
	$(UV_RUN) lint-imports

pytest: setup
	QT_QPA_PLATFORM=offscreen OMP_THREAD_LIMIT=1 $(UV_RUN) pytest $(PYTEST_ARGS)

test: setup lint typecheck contracts pytest

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
