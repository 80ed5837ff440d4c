#!/usr/bin/env bash
# What the tests need beyond Python packages: Chromium (browser tier), PostgreSQL with
# PostGIS and HAProxy (the store's tests run on SQLite and PostGIS; the shared deployment's
# behind a balancer), and a Japanese font (tests/unit/test_japanese_pictures.py compares
# its glyphs; scripts/install_fonts.sh: Debian's fonts-ipafont-gothic). Debian's packages
# where we may install them; otherwise Playwright's own Chromium, and the server packages
# must be there already.
set -euo pipefail
PY=${1:-.venv/bin/python}
bash "$(dirname "$0")/install_server_deps.sh"
bash "$(dirname "$0")/install_fonts.sh"
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "no Debian chromium and no root: installing Playwright's own Chromium"
"$PY" -m playwright install chromium
