#!/usr/bin/env bash
# Install IDP Desk for the current user on a Debian-like desktop:
# the system packages, the application in its own environment (uv tool), a menu entry and an icon.
#
#   packaging/install-linux.sh            # from a source checkout
#   packaging/install-linux.sh dist/idp_desk-0.1.0-py3-none-any.whl
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${1:-$root}"

# System packages (Tesseract with English, German and French; Qt's xcb libraries) and uv.
SKIP_PYTHON_ENV=1 "$root/scripts/setup.sh"

uv tool install --force --python 3.11 "$target" \
  --with-requirements <(cd "$root" && uv export --frozen --no-dev --no-hashes --no-emit-project --quiet)

data="${XDG_DATA_HOME:-$HOME/.local/share}"
install -Dm644 "$here/linux/idp-desk.desktop" "$data/applications/idp-desk.desktop"
install -Dm644 "$root/resources/icons/idp-desk.svg" "$data/icons/hicolor/scalable/apps/idp-desk.svg"
echo "IDP Desk installed: run 'idp-desk' or find it in the Office menu; 'idp --help' for the command line."
