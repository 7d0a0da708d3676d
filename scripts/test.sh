#!/usr/bin/env bash
# Set up (dev requirements, Debian chromium and axe-core for the browser tests) and run lint + the whole test suite.
# Tests build from the mirror in $SEND_SOURCE_DIR (default ../shared/data/sources).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "warning: could not install chromium; browser tests will be skipped"
fi
# axe-core for the accessibility tests, pinned by package-lock.json.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq npm) >/dev/null 2>&1 || true
fi
if command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || echo "warning: npm ci failed; accessibility tests will be skipped"
else
  echo "warning: npm is missing; accessibility tests will be skipped"
fi
export SEND_SOURCE_DIR="${SEND_SOURCE_DIR:-$(cd .. && pwd)/shared/data/sources}"
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
