# Two commands do all the setup on a fresh machine: `make run` and `make test`.
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
# llama-cpp-python compiles from source (~7-13 min on 2 cores): the built wheel is kept here so
# every later setup (new clone, CI) installs it in seconds.
WHEELS  ?= $(HOME)/.cache/ipplan/wheels
LLAMA   := llama-cpp-python==0.3.36
STAMP   := $(VENV)/.installed

.PHONY: setup system run index test test-fast lint format eval bench load clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU wheel on disk; must come before sentence-transformers
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
	  (echo "Building llama-cpp-python once (several minutes; cached in $(WHEELS))"; \
	   CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip wheel --no-deps -w $(WHEELS) $(LLAMA))
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e ".[dev]"
	touch $(STAMP)

# What the tests need beyond the venv, so that none is skipped on a fresh machine: Debian's Chromium for
# the real-browser test (never `playwright install`) and LibreOffice Writer for the DOCX brief check.
SYSTEM_PKGS := chromium libreoffice-writer-nogui
system:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-writer-nogui"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	    else echo "Install $$missing (sudo apt-get install $$missing) for the browser and DOCX tests"; fi; \
	  fi

run: setup
	$(BIN)/python app.py $(ARGS)

index: setup
	$(BIN)/python -m index build

test: setup system
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: setup
	$(BIN)/python -m eval run --out out/eval

bench: setup
	$(BIN)/python -m eval bench --out out/bench

load: setup
	$(BIN)/python -m eval load

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out
