#!/usr/bin/env bash
# Serve the dashboard to the public on one machine: N Streamlit processes on loopback behind nginx on PORT.
#
#   scripts/serve.sh PORT
#
# N is three times the number of CPU cores (SEND_WORKERS=N overrides it): one Python process uses at most one core,
# and with three per core a page run waits less for its process's interpreter lock (docs/operations.md, "Serving").
# Each process takes 0.3-0.4 GB of memory.
# The app processes listen on 127.0.0.1:PORT+1 .. PORT+N; nginx listens on SEND_LISTEN_ADDRESS (default
# 0.0.0.0, every interface) port PORT, passes websockets through, keeps each browser on one process (a
# cookie: deploy/nginx/send.conf.template, docs/operations.md "Serving") and answers /_stcore/health from
# an app process. The database
# ($SEND_DB, default data/send.duckdb) must be built first (scripts/run.sh or python -m etl build); a
# rebuilt file is picked up by the running processes. Ctrl-C or SIGTERM stops nginx and every process.
# nginx comes from Debian (nginx-light); as root it is installed when missing, otherwise the script says how.
set -euo pipefail
cd "$(dirname "$0")/.."

if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  echo "scripts/serve.sh needs bash 5.1 or later (it is a Linux server script); this is bash $BASH_VERSION" >&2
  exit 2
fi
port="${1:-}"
# At most 5 digits and no leading zero: bash wraps longer numbers around (and its test errs, which an if takes as
# false), and reads a leading zero as octal.
if ! [[ "$port" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$port" -gt 65535 ]; then
  echo "usage: scripts/serve.sh PORT   (e.g. scripts/serve.sh 8080)" >&2
  exit 2
fi
workers="${SEND_WORKERS:-$((3 * $(nproc 2>/dev/null || echo 1)))}"
if ! [[ "$workers" =~ ^[1-9][0-9]{0,4}$ ]] || [ $((port + workers)) -gt 65535 ]; then
  echo "SEND_WORKERS must be a whole number from 1, with PORT+SEND_WORKERS <= 65535 (got '$workers')" >&2
  exit 2
fi
listen="${SEND_LISTEN_ADDRESS:-0.0.0.0}"
db="${SEND_DB:-$PWD/data/send.duckdb}"

nginx_bin="$(command -v nginx || true)"
[ -z "$nginx_bin" ] && [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx
if [ -z "$nginx_bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing nginx (Debian package nginx-light)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null 2>&1 || true
    nginx_bin="$(command -v nginx || true)"
    [ -z "$nginx_bin" ] && [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx
  fi
  if [ -z "$nginx_bin" ]; then
    echo "nginx is needed: install it with 'sudo apt-get install nginx-light' (Debian/Ubuntu)," >&2
    echo "'sudo dnf install nginx' (Fedora/RHEL) or 'brew install nginx' (macOS), then run this again." >&2
    exit 3
  fi
fi

scripts/setup.sh requirements.txt
if [ ! -f "$db" ]; then
  echo "No database at $db: build it first with scripts/run.sh or '.venv/bin/python -m etl build'." >&2
  exit 4
fi

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/send-serve.XXXXXX")"
pids=()
stop() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Streamlit and nginx stop within a second or two; anything still there after 10 s is killed.
    for _ in $(seq 20); do
      alive=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.5
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  rm -rf "$run_dir"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

servers=""
names=""
for i in $(seq "$workers"); do
  p=$((port + i))
  names+="    127.0.0.1:$p app-$i;"$'\n'
  # send_pressure.server: `streamlit run` with TCP_NODELAY on its connections (no 40 ms Nagle wait per page).
  SEND_DB="$db" .venv/bin/python -m send_pressure.server dashboard.py \
    --server.address 127.0.0.1 --server.port "$p" --server.headless true \
    >"$run_dir/app-$p.log" 2>&1 &
  pids+=("$!")
  servers+="    server 127.0.0.1:$p max_fails=3 fail_timeout=10s;"$'\n'
done

# Wait until every process answers its health check (or one of them exits: then show its log and stop).
for i in $(seq "$workers"); do
  p=$((port + i))
  for _ in $(seq 120); do
    if .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$p/_stcore/health" 2>/dev/null; then
      continue 2
    fi
    if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "The app process on 127.0.0.1:$p did not start:" >&2
  tail -20 "$run_dir/app-$p.log" >&2
  exit 1
done

user_line=""
if [ "$(id -u)" = 0 ]; then
  # nginx's workers drop root; www-data is Debian's web user (nobody elsewhere).
  web_user=www-data
  id "$web_user" >/dev/null 2>&1 || web_user=nobody
  user_line="user $web_user;"
fi
mkdir -p "$run_dir/temp"
if [ -n "$user_line" ]; then
  chmod 711 "$run_dir"
  chown "$web_user" "$run_dir/temp"
fi
# The proxy rules live in deploy/nginx/send.conf.template (shared with the Compose deployment).
tpl="$(cat deploy/nginx/send.conf.template)"
tpl="${tpl//'${SEND_UPSTREAM}'/$servers}"
tpl="${tpl//'${SEND_LISTEN}'/$listen:$port}"
tpl="${tpl//'${SEND_SERVED_BY_MAP}'/$names}"
printf '%s\n' "$tpl" >"$run_dir/send.conf"
cat >"$run_dir/nginx.conf" <<EOF
# Written by scripts/serve.sh for this run.
$user_line
worker_processes 1;
pid $run_dir/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $run_dir/temp/body;
    proxy_temp_path $run_dir/temp/proxy;
    fastcgi_temp_path $run_dir/temp/fastcgi;
    uwsgi_temp_path $run_dir/temp/uwsgi;
    scgi_temp_path $run_dir/temp/scgi;
    include $run_dir/send.conf;
}
EOF
"$nginx_bin" -t -q -p "$run_dir" -e stderr -c "$run_dir/nginx.conf"
"$nginx_bin" -p "$run_dir" -e stderr -c "$run_dir/nginx.conf" -g "daemon off;" &
pids+=("$!")

echo "Serving the dashboard on http://$listen:$port/ ($workers app processes on 127.0.0.1:$((port + 1))-$((port + workers)), database $db). Ctrl-C stops."
# Any process that exits takes the others down with it: a supervisor (systemd, a container runtime)
# restarts the whole set, which is simpler and safer than half a pool.
set +e
wait -n "${pids[@]}"
status=$?
echo "A served process exited (status $status); stopping the others." >&2
exit 1
