#!/bin/sh
# Regenerate docs/topics.png and docs/compare.png: the HTML pages of `parallax topics` and
# `parallax compare` on the seeds, with the real model, shot in headless Chromium at 1400x2000.
#   PARALLAX_HOME=/tmp/phome docs/screenshot.sh     (the seeds index is built on first use)
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
CHROMIUM=${CHROMIUM:-chromium}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/parallax-shots.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

shoot() {  # page.html image.png
    "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
        --user-data-dir="$OUT/profile" "--host-resolver-rules=MAP * ~NOTFOUND" \
        --window-size=1400,2000 --screenshot="$2" "file://$1" 2>/dev/null
}

"$BIN/parallax" topics --html "$OUT/topics.html"
"$BIN/parallax" compare "South Korea and arms for Ukraine" --html "$OUT/compare.html"
shoot "$OUT/topics.html" docs/topics.png
shoot "$OUT/compare.html" docs/compare.png
