#!/usr/bin/env bash
# Check (and if possible install) the Debian packages the lecture needs:
# ffmpeg (video encoding), Xvfb (manimgl opens a pyglet display at import),
# Mesa software GL/EGL, LaTeX + dvisvgm (Tex mobjects), pango headers and a
# C compiler (manimpango is built from source by pip); for tests only,
# Chromium (tests/test_lecture_page.py opens the lecture's index.html in
# headless Chromium to check that its videos, captions and chapters work).
#
#   scripts/system-deps.sh          check; install what is missing
#   scripts/system-deps.sh --check  check only; exit 1 if anything is missing
#   scripts/system-deps.sh --office also LibreOffice Impress and poppler-utils, which
#                                   only `make check` needs: its slow test opens
#                                   slides/lecture.pptx in Impress and prints it to PDF
#
# Installs with apt-get when root, via sudo when available, otherwise prints
# the exact command and exits 1. Fast (no apt call) when nothing is missing.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
CHECK_ONLY=""
OFFICE=""
for arg in "$@"; do
    case "$arg" in
        --check) CHECK_ONLY=1 ;;
        --office) OFFICE=1 ;;
        *) echo "usage: $0 [--check] [--office]" >&2; exit 2 ;;
    esac
done

APT_PACKAGES=(
    ffmpeg xvfb xauth libgl1-mesa-dri libegl1 libpango1.0-dev pkg-config
    texlive-latex-base texlive-latex-recommended texlive-latex-extra
    texlive-fonts-recommended dvisvgm
    # Test only: a real browser for the lecture page (the page test drives it
    # over the DevTools pipe; nothing is downloaded from a CDN).
    chromium
)

missing=()   # human-readable names of what is missing
extra=()     # packages beyond APT_PACKAGES that are needed on this machine

# `make check` only: the deck in LibreOffice Impress (soffice), its PDF as pictures (pdftoppm).
OFFICE_PACKAGES=(libreoffice-impress poppler-utils)

have() { command -v "$1" >/dev/null 2>&1; }
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || [ -e "/usr/lib/x86_64-linux-gnu/$1" ] || [ -e "/lib/x86_64-linux-gnu/$1" ]; }

have ffmpeg    || missing+=("ffmpeg")
have xvfb-run  || missing+=("xvfb-run")
have xauth     || missing+=("xauth")
have latex     || missing+=("latex")
have dvisvgm   || missing+=("dvisvgm")
have pkg-config || missing+=("pkg-config")
have chromium  || missing+=("chromium (test only: the lecture page test)")
if have pkg-config && ! pkg-config --exists pangocairo 2>/dev/null; then
    missing+=("pango development files (pangocairo.pc)")
fi
have_lib libGL.so.1  || missing+=("libGL.so.1")
have_lib libEGL.so.1 || missing+=("libEGL.so.1")
if ! ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1; then
    missing+=("Mesa software rasteriser (swrast_dri.so)")
fi
# Every LaTeX package that the "basic" TeX template (custom_config.yml) uses.
if have kpsewhich; then
    for sty in amsmath.sty amssymb.sty xcolor.sty babel.sty; do
        kpsewhich "$sty" >/dev/null 2>&1 || missing+=("LaTeX $sty")
    done
fi

# Building manimpango from source needs a C compiler and Python's headers;
# `python -m venv` needs ensurepip (Debian ships it separately).
if ! have cc && ! have gcc; then
    missing+=("C compiler"); extra+=(gcc libc6-dev)
fi
if have "$PYTHON"; then
    if ! "$PYTHON" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
        missing+=("Python.h for $PYTHON"); extra+=(python3-dev)
    fi
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=("python venv/ensurepip"); extra+=(python3-venv)
    fi
else
    missing+=("$PYTHON"); extra+=(python3 python3-venv python3-dev)
fi

if [ -n "$OFFICE" ]; then
    if ! have soffice || ! have pdftoppm; then
        have soffice  || missing+=("LibreOffice Impress (make check only: the PowerPoint deck test)")
        have pdftoppm || missing+=("pdftoppm (make check only: the deck's PDF as pictures)")
        extra+=("${OFFICE_PACKAGES[@]}")
    fi
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${APT_PACKAGES[*]}${extra:+ ${extra[*]}}"
echo "Missing system dependencies:" >&2
for m in "${missing[@]}"; do echo "  - $m" >&2; done

if [ -n "$CHECK_ONLY" ]; then
    echo "Install them with:" >&2
    if [ "$(id -u)" -eq 0 ]; then
        echo "  $cmd" >&2
    else
        echo "  sudo sh -c '$cmd'" >&2
    fi
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing: $cmd" >&2
    sh -c "$cmd"
elif have sudo; then
    echo "Installing with sudo: $cmd" >&2
    sudo DEBIAN_FRONTEND=noninteractive sh -c "$cmd"
else
    echo "Not root and no sudo. As root, run:" >&2
    echo "  $cmd" >&2
    exit 1
fi

# Re-check: fail loudly if apt did not deliver.
exec "$0" --check ${OFFICE:+--office}
