#!/usr/bin/env bash
# The container's entrypoint: get the read-only database, then run the dashboard (or the ETL, or a command).
#
#   entrypoint.sh serve          the dashboard on $SEND_ADDRESS:$SEND_PORT (0.0.0.0:8501) [the default]
#   entrypoint.sh build [ARGS]   the ETL: python -m etl build --db $SEND_DB ARGS (a scheduled job)
#   entrypoint.sh CMD [ARGS]     any command, once the database is there (e.g. python -m etl summary)
#
# The database file is $SEND_DB (default /data/send.duckdb). Two ways to deliver it to a replica:
#   - a shared volume: the file appears there (the ETL job writes it and swaps it in atomically); the
#     entrypoint waits up to $SEND_DB_WAIT seconds (default 600) for it;
#   - $SEND_DB_URL: downloaded at start (to a temporary file beside $SEND_DB, checked to be a dashboard
#     database, then renamed over it, so a reader never sees half a file), and again every
#     $SEND_DB_REFRESH seconds (0 = never, the default) when the published file has changed.
# Either way the running app picks up a replaced file at the next page load, without a restart.
set -euo pipefail
app_dir="${SEND_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
python="${SEND_PYTHON:-python}"
export SEND_DB="${SEND_DB:-/data/send.duckdb}"
cd "$app_dir"

fetch() {
  "$python" "$app_dir/deploy/fetch_db.py" "$SEND_DB_URL" "$SEND_DB"
}

ensure_db() {
  if [ -n "${SEND_DB_URL:-}" ]; then
    fetch
    refresh="${SEND_DB_REFRESH:-0}"
    if [ "$refresh" != 0 ]; then
      # Runs beside the app for the container's life; a failed download keeps the current file.
      (while sleep "$refresh"; do fetch || echo "entrypoint: refresh failed; keeping the current database" >&2; done) &
    fi
    return
  fi
  wait_s="${SEND_DB_WAIT:-600}"
  waited=0
  until [ -f "$SEND_DB" ]; do
    if [ "$waited" -ge "$wait_s" ]; then
      echo "entrypoint: no database at $SEND_DB after ${wait_s}s (run the ETL job, or set SEND_DB_URL)" >&2
      exit 3
    fi
    [ "$waited" = 0 ] && echo "entrypoint: waiting for the database at $SEND_DB ..." >&2
    sleep 2
    waited=$((waited + 2))
  done
}

mode="${1:-serve}"
[ $# -gt 0 ] && shift
case "$mode" in
  serve)
    ensure_db
    exec "$python" -m send_pressure.server dashboard.py --server.address "${SEND_ADDRESS:-0.0.0.0}" \
      --server.port "${SEND_PORT:-8501}" \
      --server.headless true "$@"
    ;;
  build)
    mkdir -p "$(dirname "$SEND_DB")"
    exec "$python" -m etl build --db "$SEND_DB" "$@"
    ;;
  *)
    ensure_db
    exec "$mode" "$@"
    ;;
esac
