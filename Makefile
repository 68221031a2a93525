# One-command set-up, tests and renders for the autograd lecture.
#
#   make test                          system packages + .venv + the fast tests (a few minutes)
#   make check                         everything `make test` runs, plus the slow end-to-end
#                                      checks: README commands as written at full size (CI)
#   make video [QUALITY=low|medium|high|4k] [SCENES="A B"] [FRAME=1]
#   make frame [SCENES="A B"]          last frame of each scene as PNG, low quality
#   make lecture [QUALITY=...] [JOBS=N] render stale scenes, then one lecture video with
#                                      chapters, captions, posters and index.html
#   make slides [QUALITY=...] [JOBS=N]  make lecture, then slides/: one slide per narration
#                                      beat as reveal.js HTML (offline) and PowerPoint
#   make explain EXPR="tanh(x*w + b)" VALUES="x=2 w=-1.5 b=0.5" [QUALITY=...]
#                                      your own expression's graph and backward pass
#                                      as videos/explain/[<quality>/]<slug>.mp4
#   make explorer [QUALITY=...]        the explorer: a web page running the engine in the browser
#                                      (Pyodide), in videos/[<quality>/]explorer/
#   make serve [QUALITY=...] [PORT=8000]  make explorer, then serve that lecture folder on
#                                      http://127.0.0.1:PORT/ (Ctrl-C stops it)
#   make lock                          resolve pyproject.toml again into requirements.lock
#   make clean                         remove rendered videos and build output (keeps .venv)
#
# A second `make test` skips apt and the Python install: system packages are
# only installed when scripts/system-deps.sh finds something missing, and the
# environment is synced again only when requirements.lock, pyproject.toml or
# this Makefile is newer than .venv/.installed.

SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
UV      := $(VENV)/bin/uv
STAMP   := $(VENV)/.installed
LOCK    := requirements.lock
QUALITY ?= high
SCENES  ?=
FRAME   ?=
JOBS    ?=
EXPR    ?=
VALUES  ?=
PORT    ?= 8000
PYTEST_ARGS ?=

# Every Python package is pinned, with its hashes, in requirements.lock
# (resolved from pyproject.toml by `make lock`) and installed by uv, a fast
# installer. uv itself is pinned in the lock too; pip only bootstraps it.
# uv compiles the packages to bytecode as it installs them: without that,
# wherever Python may not write __pycache__ (PYTHONDONTWRITEBYTECODE=1, a
# read-only .venv), every process compiles manimlib, numpy, torch... from
# source again: `import manimlib` took 8.2-9.6 s instead of 3.8-3.9 s here,
# and the tests start dozens of Python processes.
UV_VERSION := 0.13.9
# torch is a test oracle only, pinned as its CPU build (torch==2.13.0+cpu),
# which is not on PyPI: uv finds the wheel in the folders pip is configured
# to look in (`pip config get global.find-links`; this machine keeps it in
# /opt/wheels). Elsewhere, point FIND_LINKS at a folder holding that wheel.
FIND_LINKS ?= $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
# expanded only where used (the install and lock recipes): asking pip costs ~1 s
UV_SOURCES = $(foreach f,$(FIND_LINKS),--find-links $(f))

# Python may cache compiled project files (src/, tests/: __pycache__ is
# git-ignored) even where the environment says not to: without the cache
# every test worker and every render process compiled the project again,
# and pytest rewrote every test module's asserts again (~10 s of the ~15 s
# a worker takes to collect the tests).
unexport PYTHONDONTWRITEBYTECODE

# Tests run on every core, one lecture scene per worker (see conftest.py).
PYTEST := $(VPY) -m pytest -n auto --dist loadgroup

# manimgl opens a pyglet display at import: without a display, use Xvfb
# with a 24-bit screen (xvfb-run's default is 8-bit).
ifeq ($(strip $(DISPLAY)),)
HEADLESS := xvfb-run -a -s "-screen 0 1920x1080x24"
else
HEADLESS :=
endif

.PHONY: test check video frame lecture slides explain explorer serve sysdeps venv lock clean

sysdeps:
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh

venv: $(STAMP)

$(STAMP): $(LOCK) pyproject.toml Makefile | sysdeps
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(VPY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip sync --quiet --python $(VPY) --require-hashes --compile-bytecode $(UV_SOURCES) $(LOCK)
	$(UV) pip install --quiet --python $(VPY) --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# The explorer's one JavaScript package, Pyodide, pinned in package-lock.json
# and installed from the npm registry by `npm ci` (again only when the lock changes).
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing (the explorer needs it): apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

lock: $(STAMP)
	$(UV) pip compile --quiet pyproject.toml --extra dev --generate-hashes \
	    --python-version 3.11 $(UV_SOURCES) --no-header -o $(LOCK)

# The fast tests: engine against torch, the kit, every scene in-process at every
# checkpoint, captions, publishing on small inputs, the page and deck in
# Chromium, the README's snippets. The slow end-to-end ones are `make check`'s.
test: $(STAMP) $(NODE_STAMP)
	$(HEADLESS) $(PYTEST) -m "not slow" $(PYTEST_ARGS)

# check also installs LibreOffice Impress for the slow test that opens the PowerPoint deck.
check: $(STAMP) $(NODE_STAMP)
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh --office
	EXPLAIN_EXAMPLES=$${EXPLAIN_EXAMPLES:-10} $(HEADLESS) $(PYTEST) $(PYTEST_ARGS)

video: $(STAMP)
	$(VPY) -m src.cli.video --quality $(QUALITY) $(if $(strip $(SCENES)),--scenes $(SCENES)) $(if $(strip $(FRAME)),--frame)

frame: $(STAMP)
	$(VPY) -m src.cli.video --quality low --frame $(if $(strip $(SCENES)),--scenes $(SCENES))

lecture: $(STAMP) $(NODE_STAMP)
	$(VPY) -m src.cli.lecture --quality $(QUALITY) $(if $(strip $(JOBS)),--jobs $(JOBS))

slides: $(STAMP) $(NODE_STAMP)
	$(VPY) -m src.cli.slides --quality $(QUALITY) $(if $(strip $(JOBS)),--jobs $(JOBS))

explain: $(STAMP)
	@test -n "$(EXPR)" || { echo 'usage: make explain EXPR="tanh(x*w + b)" VALUES="x=2 w=-1.5 b=0.5" [QUALITY=low]' >&2; exit 2; }
	$(VPY) -m src.cli.explain '$(EXPR)' $(VALUES) --quality $(QUALITY)

explorer: $(STAMP) $(NODE_STAMP)
	$(VPY) -m src.cli.explorer --quality $(QUALITY)

serve: $(STAMP) $(NODE_STAMP)
	$(VPY) -m src.cli.explorer --quality $(QUALITY) --serve --port $(PORT)

clean:
	rm -rf videos build dist *.egg-info .pytest_cache
