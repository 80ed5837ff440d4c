#!/usr/bin/env bash
# What the shared deployment (and the store's PostGIS tests) need beyond Python packages:
# PostgreSQL's server programs with PostGIS, HAProxy, and a font for the briefing picture.
# Debian's packages where we may install them; otherwise say what to install.
set -euo pipefail
missing=()
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
major=15
if [ -n "$initdb" ]; then
  major=$(basename "$(dirname "$(dirname "$initdb")")")
else
  missing+=("postgresql-$major")
fi
ls /usr/share/postgresql/"$major"/extension/postgis.control >/dev/null 2>&1 \
  || missing+=("postgresql-$major-postgis-3")
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
# the briefing picture's labels: accents and dashes (exports/picture_text.py)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for PostGIS and the balancer: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing: ${missing[*]}. Install these Debian packages as root (apt-get install" \
     "${missing[*]}), then run the command again." >&2
exit 1
