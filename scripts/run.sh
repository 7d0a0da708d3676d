#!/usr/bin/env bash
# Set up, build the database (downloading the official files, cached) and start the dashboard.
# Offline with a mirror at ../shared/data/sources beside the checkout: builds from the mirror and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
mirror="$(cd .. && pwd)/shared/data/sources"
if [ -n "${SEND_SOURCE_DIR:-}" ]; then
  .venv/bin/python -m etl build --source-dir "$SEND_SOURCE_DIR"
elif ! .venv/bin/python -m etl build; then
  if [ -d "$mirror" ]; then
    echo "Could not download the sources (offline?). Using the local mirror at $mirror instead."
    .venv/bin/python -m etl build --source-dir "$mirror"
  else
    exit 1
  fi
fi
.venv/bin/python -m etl summary
exec .venv/bin/streamlit run dashboard.py --server.headless true "$@"
