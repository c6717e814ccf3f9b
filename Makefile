# Set-up is two commands: `make demo` and `make test`. Both create .venv and install into it,
# torch pinned first (an unpinned torch would pull a CUDA build of several GB).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TORCH := torch==2.13.0

.PHONY: install demo test lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	# Byte-compile the package and its dependencies: where PYTHONDONTWRITEBYTECODE is set, pip leaves
	# no .pyc files and every command would compile numpy, typer, onnxruntime... again (measured: a cold
	# search 0.45 s with them compiled, 0.9 s without). About 45 s, once. A few files shipped inside
	# dependencies (templates, test data) are not Python and fail to compile: that is expected.
	$(PY) -m compileall -q src
	$(PY) -m compileall -q -j 2 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') >/dev/null 2>&1 || true
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/parallax index
	$(BIN)/parallax search "Vilnius summit agenda" -k 5
	$(BIN)/parallax search "Will Japan become a member of NATO?" -k 3

# ruff (style, complexity), mypy (types), import-linter (the layers in pyproject.toml: a wrong-way import fails),
# and the links and anchors of README.md and docs/.
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(PY) docs/check_links.py

# Headless Chromium (Debian's package) for the HTML page tests. Opt-in: it installs system packages (as
# root), so `make test` never runs it; without Chromium those tests are skipped and pytest's header says so.
# CI (.ci/run) installs it before `make test`.
browser:
	command -v chromium >/dev/null || (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) || echo "chromium not installed: HTML browser tests will be skipped"

# Changes nothing outside the project folder: .venv, the tests' temporary folders.
test: lint
	$(BIN)/pytest -q

# Retrieval benchmarks: the seeds' labelled queries (about a minute) and SciFact tuned on train,
# reported on test (measured: 11.5 minutes to index 5,183 abstracts as 10,118 chunks and 49,955 sentence
# vectors on 2 cores with the ONNX encoder, then about 14 minutes of tuning and testing; 75 minutes of
# indexing before issue 15, with the sentence-transformers encoder at batches of 64).
bench: install
	$(BIN)/parallax bench seeds --out benchmarks/results
	$(PY) benchmarks/scifact.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
