#!/usr/bin/env bash
# Set up, build the database (downloading the official files, cached in data/cache) and start the dashboard.
# Offline with a mirror at ../shared/data/sources beside the checkout: builds from the mirror and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
mirror="$(cd .. && pwd)/shared/data/sources"
if [ -n "${SEND_SOURCE_DIR:-}" ]; then
  .venv/bin/python -m etl build --source-dir "$SEND_SOURCE_DIR" || [ $? = 8 ]
else
  status=0
  output="$(mktemp)"
  echo "Downloading the official files (cached in data/cache) and building the database..."
  .venv/bin/python -m etl build >"$output" 2>&1 || status=$?
  # Exit code 3: a source could not be downloaded and has no copy (offline). Exit code 8: built, but some source
  # is an older copy (the summary and the pages say which): start the app. Any other failure: stop.
  if [ "$status" = 3 ] && [ -d "$mirror" ]; then
    echo "Offline (the sources could not be downloaded): building from the local mirror at $mirror instead."
    rm -f "$output"
    .venv/bin/python -m etl build --source-dir "$mirror"
  else
    cat "$output"
    rm -f "$output"
    if [ "$status" != 0 ] && [ "$status" != 8 ]; then
      exit "$status"
    fi
  fi
fi
.venv/bin/python -m etl summary
# Share cards (link previews with a chart image) need Chromium; built in the background while the app runs
# (skipped when up to date) and stopped with it.
mkdir -p data
.venv/bin/python -m send_pressure.share >data/share-cards.log 2>&1 &
share=$!
trap 'kill "$share" 2>/dev/null || true' EXIT
# `streamlit run dashboard.py`, with TCP_NODELAY on its connections (send_pressure/server.py).
.venv/bin/python -m send_pressure.server dashboard.py "$@"
