#!/usr/bin/env bash
# Starts chatd and a real Prometheus scraping it on loopback, prints where to
# look, and runs until Ctrl-C (or --seconds N), then stops both.
#
#   scripts/monitor.sh [--build DIR] [--seconds N] [-- chatd flags...]
#
# Ports (environment): CHAT_PORT (7000), HTTP_PORT (7001), PROM_PORT (9090).
# Prometheus keeps its data and config under DIR/monitor/ and loads
# deploy/prometheus/alerts.yml. `make monitor` builds chatd and runs this.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
seconds=0
chatd_args=()
while (($#)); do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --) shift; chatd_args=("$@"); break ;;
    *) chatd_args+=("$1"); shift ;;
  esac
done
chat_port=${CHAT_PORT:-7000}
http_port=${HTTP_PORT:-7001}
prom_port=${PROM_PORT:-9090}

chatd="$build/chatd"
if [[ ! -x "$chatd" ]]; then
  echo "monitor: $chatd not found; run 'make build' (or make monitor)" >&2
  exit 1
fi
if ! command -v prometheus >/dev/null; then
  echo "monitor: prometheus not installed; run scripts/install-deps.sh --test" >&2
  exit 1
fi

dir="$build/monitor"
mkdir -p "$dir/data"
cat >"$dir/prometheus.yml" <<YAML
# Written by scripts/monitor.sh; deploy/prometheus/prometheus.yml is the template.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $root/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: chatd
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
YAML
promtool check config "$dir/prometheus.yml" >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$chatd" --listen "127.0.0.1:$chat_port" --http "127.0.0.1:$http_port" "${chatd_args[@]}" \
  2>"$dir/chatd.log" &
pids+=($!)
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$dir/prometheus.log" &
pids+=($!)

# Wait (at most 30 s) for both to answer.
ready() { curl -fsS -o /dev/null "$1" 2>/dev/null; }
for _ in $(seq 300); do
  if ready "http://127.0.0.1:$http_port/readyz" && ready "http://127.0.0.1:$prom_port/-/ready"; then
    break
  fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "monitor: a process exited early; logs:" >&2
      tail -n 20 "$dir/chatd.log" "$dir/prometheus.log" >&2
      exit 1
    fi
  done
  sleep 0.1
done
if ! ready "http://127.0.0.1:$prom_port/-/ready"; then
  echo "monitor: prometheus did not become ready; see $dir/prometheus.log" >&2
  exit 1
fi

cat <<TEXT
chatd and Prometheus are running (Ctrl-C stops both).

  chat clients      127.0.0.1:$chat_port          (e.g. $build/chat --server 127.0.0.1:$chat_port)
  metrics           http://127.0.0.1:$http_port/metrics
  figures as JSON   http://127.0.0.1:$http_port/stats
  health, ready     http://127.0.0.1:$http_port/healthz  http://127.0.0.1:$http_port/readyz
  Prometheus        http://127.0.0.1:$prom_port/graph?g0.expr=chatd_connections
  scrape targets    http://127.0.0.1:$prom_port/targets
  alerts            http://127.0.0.1:$prom_port/alerts   (rules: deploy/prometheus/alerts.yml)
  Grafana           import deploy/grafana/chatd.json, data source: http://127.0.0.1:$prom_port
  logs              $dir/chatd.log  $dir/prometheus.log
TEXT

if ((seconds > 0)); then
  sleep "$seconds"
else
  while :; do sleep 3600; done
fi
