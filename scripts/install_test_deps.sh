#!/usr/bin/env bash
# What the tests need beyond Python packages: Chromium (browser tier) and a PostgreSQL server
# (the store's tests run on SQLite and PostgreSQL). Debian's packages where we may install
# them; otherwise Playwright's own Chromium, and PostgreSQL must be there already.
set -euo pipefail
PY=${1:-.venv/bin/python}
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
  || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
if [[ " ${missing[*]} " == *" chromium "* ]]; then
  echo "no Debian chromium and no root: installing Playwright's own Chromium"
  "$PY" -m playwright install chromium
fi
if [[ " ${missing[*]} " == *" postgresql "* ]] && [ -z "${PERMITMAP_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL server programs are missing: install postgresql, or set" \
       "PERMITMAP_TEST_POSTGRES_URL to a server the tests may create databases on" >&2
  exit 1
fi
