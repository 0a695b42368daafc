#!/usr/bin/env bash
# Takes resources/screenshots/main-window.png: the real window under Xvfb, on the demo market,
# after a short headless session has placed a few orders (so positions, orders and fills show).
# Needs Xvfb (Debian: apt-get install -y xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$PY" -m uv run main.py --data-dir "$data" demo --seconds 6 --demo-orders --speed 60 \
    --order-interval 0.3 > /dev/null
xvfb-run -a -s "-screen 0 1920x1080x24" \
    "$PY" -m uv run main.py --data-dir "$data" --smoke-test 8 \
    --screenshot resources/screenshots/main-window.png
echo "saved resources/screenshots/main-window.png"
