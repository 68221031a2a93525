# One-command set-up, tests and renders for the autograd lecture.
#
#   make test                          system packages + .venv + pytest (headless)
#   make video [QUALITY=low|medium|high|4k] [SCENES="A B"] [FRAME=1]
#   make frame [SCENES="A B"]          last frame of each scene as PNG, low quality
#   make lecture [QUALITY=...] [JOBS=N] render stale scenes, then one lecture video with
#                                      chapters, captions, posters and index.html
#   make slides [QUALITY=...] [JOBS=N]  make lecture, then slides/: one slide per narration
#                                      beat as reveal.js HTML (offline) and PowerPoint
#   make explain EXPR="tanh(x*w + b)" VALUES="x=2 w=-1.5 b=0.5" [QUALITY=...]
#                                      your own expression's graph and backward pass
#                                      as videos/explain/[<quality>/]<slug>.mp4
#   make clean                         remove rendered videos and build output (keeps .venv)
#
# A second `make test` skips apt and pip: system packages are only installed
# when scripts/system-deps.sh finds something missing, and pip only runs
# when pyproject.toml is newer than .venv/.installed.

SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
QUALITY ?= high
SCENES  ?=
FRAME   ?=
JOBS    ?=
EXPR    ?=
VALUES  ?=
PYTEST_ARGS ?=

# torch is a test oracle only: pin the CPU build. This machine's pip
# configuration serves torch==2.13.0 as a local CPU wheel; installing it
# before the dev extra keeps pip from ever resolving a CUDA build.
TORCH_VERSION := 2.13.0

# manimgl opens a pyglet display at import: without a display, use Xvfb
# with a 24-bit screen (xvfb-run's default is 8-bit).
ifeq ($(strip $(DISPLAY)),)
HEADLESS := xvfb-run -a -s "-screen 0 1920x1080x24"
else
HEADLESS :=
endif

.PHONY: test video frame lecture slides explain sysdeps venv clean

sysdeps:
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh

venv: $(STAMP)

$(STAMP): pyproject.toml | sysdeps
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip "setuptools<82" wheel
	$(VPY) -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(VPY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

test: $(STAMP)
	$(HEADLESS) $(VPY) -m pytest $(PYTEST_ARGS)

video: $(STAMP)
	$(VPY) scripts/render.py --quality $(QUALITY) $(if $(strip $(SCENES)),--scenes $(SCENES)) $(if $(strip $(FRAME)),--frame)

frame: $(STAMP)
	$(VPY) scripts/render.py --quality low --frame $(if $(strip $(SCENES)),--scenes $(SCENES))

lecture: $(STAMP)
	$(VPY) -m src.publish.build --quality $(QUALITY) $(if $(strip $(JOBS)),--jobs $(JOBS))

slides: $(STAMP)
	$(VPY) -m src.publish.slides --quality $(QUALITY) $(if $(strip $(JOBS)),--jobs $(JOBS))

explain: $(STAMP)
	@test -n "$(EXPR)" || { echo 'usage: make explain EXPR="tanh(x*w + b)" VALUES="x=2 w=-1.5 b=0.5" [QUALITY=low]' >&2; exit 2; }
	$(VPY) -m src.explain '$(EXPR)' $(VALUES) --quality $(QUALITY)

clean:
	rm -rf videos build dist *.egg-info .pytest_cache
