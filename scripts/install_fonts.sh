#!/usr/bin/env bash
# A Japanese font for the briefing picture's site names (exports/picture_text.py) and for the
# browser's charts (the Gantt chart names "IPAGothic" after its Latin fonts). Debian's
# fonts-ipafont-gothic (3.5 MB download, 12 MB installed) rather than fonts-noto-cjk (57 MB,
# 91 MB installed): the same kana, half-width kana and JIS kanji for a sixteenth of the size.
# Installed when missing and we are root with apt-get; otherwise one line says what to do.
# Without any of these fonts the app still runs: Japanese names are drawn as boxes, and the
# briefing pack's README says so.
set -euo pipefail
PACKAGE=fonts-ipafont-gothic
FONTS=(  # exports/picture_text.py FONT_FILES: any one of them will do
  /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
  /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf
  /usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf
  /usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf
)
for font in "${FONTS[@]}"; do
  if [ -f "$font" ]; then
    echo "Japanese font: $font"
    exit 0
  fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's $PACKAGE for Japanese names in pictures and charts"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
  exit 0
fi
echo "no Japanese font: Japanese names will be drawn as boxes; install Debian's $PACKAGE" \
     "as root (apt-get install $PACKAGE)." >&2
