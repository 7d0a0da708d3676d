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
  errors="$(mktemp)"
  .venv/bin/python -m etl build 2>"$errors" || status=$?
  # Exit code 3: a source could not be downloaded (offline). Exit code 8: built, but some source is an older
  # copy (the summary and the pages say which): start the app. Any other failure is a real problem: stop.
  if [ "$status" = 3 ] && [ -d "$mirror" ]; then
    echo "Offline (the sources could not be downloaded): building from the local mirror at $mirror instead."
    rm -f "$errors"
    .venv/bin/python -m etl build --source-dir "$mirror"
  elif [ "$status" != 0 ] && [ "$status" != 8 ]; then
    cat "$errors" >&2
    rm -f "$errors"
    exit "$status"
  else
    cat "$errors" >&2
    rm -f "$errors"
  fi
fi
.venv/bin/python -m etl summary
# Share cards (link previews with a chart image) need Chromium; built in the background, skipped when up to date.
mkdir -p data
(.venv/bin/python -m send_pressure.share >data/share-cards.log 2>&1 &)
exec .venv/bin/streamlit run dashboard.py "$@"
