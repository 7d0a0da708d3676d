#!/usr/bin/env bash
# Set up (dev requirements, Debian chromium and axe-core for the browser tests, nginx for the serving tests) and
# run lint + the tests (a developer's run leaves out the slow ones; CI=true or SEND_ALL_TESTS=1 runs all).
# Tests build from the mirror in $SEND_SOURCE_DIR (default ../shared/data/sources).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "warning: could not install chromium; browser tests will be skipped"
fi
# nginx for the serving tests (scripts/serve.sh); they are skipped without it.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null 2>&1 || echo "warning: could not install nginx-light; serving tests will be skipped"
  else
    echo "warning: nginx is not installed (apt-get install nginx-light); serving tests will be skipped"
  fi
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
