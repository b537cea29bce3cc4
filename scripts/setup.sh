#!/usr/bin/env bash
# Set up IDP Desk on a Debian machine: system packages (apt), uv, and the locked Python environment.
# Safe to run again: a second run checks, finds everything in place, and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core xvfb xauth
)
STAMP=.venv/.idp-setup-ok

fail() {
  echo "setup failed at step: $1" >&2
  echo "  $2" >&2
  exit 1
}

# 1. System packages ----------------------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  command -v tesseract >/dev/null 2>&1 || fail "system packages" \
    "this is not a Debian system: install Tesseract 5 with English, German and French data and the Qt 6 xcb libraries by hand"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages with apt: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "system packages" "not root and no sudo: run 'apt-get install ${missing[*]}' as root"
    SUDO="sudo"
  fi
  command -v apt-get >/dev/null 2>&1 || fail "system packages" "apt-get not found: install ${missing[*]} with your package manager"
  $SUDO apt-get update -qq || fail "apt-get update" "check the network connection to the Debian mirror"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install" "could not install ${missing[*]}; run the command by hand to see why"
fi

# 2. uv -----------------------------------------------------------------------------------------
if ! command -v uv >/dev/null 2>&1; then
  export PATH="$HOME/.local/bin:$PATH"
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv with pip"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv \
    || fail "install uv" "pip could not install uv: check the connection to the Python package index"
  hash -r
  command -v uv >/dev/null 2>&1 || fail "install uv" "uv was installed but is not on PATH; add ~/.local/bin to PATH"
fi

[ "${SKIP_PYTHON_ENV:-0}" = "1" ] && exit 0

# 3. Python environment from the lock file -------------------------------------------------------
want="$(cat uv.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x .venv/bin/idp ]; then
  exit 0
fi
rm -f "$STAMP"
echo "setup: creating the Python environment from uv.lock"
# Installed packages are compiled to bytecode once here: where Python may not write it (read-only installs,
# PYTHONDONTWRITEBYTECODE) every start and every worker process would otherwise compile them again.
uv sync --frozen --quiet --compile-bytecode || fail "uv sync" "could not install the locked Python packages; check the connection to the package index and run 'uv sync --frozen'"
.venv/bin/python -c "import cv2, PySide6, layoutparser, pytesseract, pdfplumber, sqlalchemy" \
  || fail "check the environment" "a required Python package does not import; remove .venv and run again"
echo "$want" > "$STAMP"
echo "setup: ready"
