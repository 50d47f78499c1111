# Two commands: `make run` serves the product, `make test` runs the checks.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= kith.duckdb
PORT ?= 8501
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark

.PHONY: run test lint bench chromium java clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(DB): | $(STAMP)
	$(BIN)/kith demo --db $(DB) --profiles 5000 --days 90 --seed 7

run: $(STAMP) $(DB)
	$(BIN)/kith serve --db $(DB) --port $(PORT)

# The tests also run on Spark's local mode: the optional extra and a Java runtime.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) $(SPARK_STAMP) chromium java lint
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache tests/artifacts
