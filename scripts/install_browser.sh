#!/usr/bin/env bash
# Chromium for the browser tests: Debian's package where we may install it, else Playwright's.
set -euo pipefail
PY=${1:-.venv/bin/python}
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "no Debian chromium and no root: trying Playwright's own Chromium"
"$PY" -m playwright install chromium
