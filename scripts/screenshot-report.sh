#!/usr/bin/env bash
# The Allure report's first screen as a PNG, taken in headless Chromium (Debian: apt-get install chromium):
#   scripts/screenshot-report.sh [REPORT_DIR [OUT.png]]   defaults: reports/allure-report, reports/first-screen.png
# docs/images/report-*.png were taken this way (docs/report.md).
set -euo pipefail
report=${1:-reports/allure-report}
out=${2:-reports/first-screen.png}
[ -f "$report/index.html" ] || { echo "$report/index.html: no report; run make qa first" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no Chromium found: install it (Debian: apt-get install chromium)" >&2; exit 2; }
# --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,1000 \
  --virtual-time-budget=10000 --screenshot="$out" "file://$(realpath "$report/index.html")" 2>/dev/null
echo "$out"
