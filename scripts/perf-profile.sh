#!/usr/bin/env bash
# Profiles chatd under one standard chatbench scenario with perf (Debian
# linux-perf) and draws the flame graph:
#
#   scripts/perf-profile.sh [--build DIR] [--out DIR] [--seconds N] SCENARIO
#
# SCENARIO is one of the standard `make bench` runs: fanout-max, fanout-rate,
# pairs, idle. Writes OUT/SCENARIO.svg (flame graph), OUT/SCENARIO.txt (top
# functions by self time) and OUT/SCENARIO.json (chatbench's report of the
# profiled run); OUT defaults to docs/perf. The folded stacks are kept in
# BUILD/perf/SCENARIO.folded for diffing two runs. chatd is started here on 127.0.0.1 and stopped by its PID.
#
# The machine has no hardware counters, so perf samples the cpu-clock
# software event; stacks come from DWARF unwinding (the RelWithDebInfo build
# has no frame pointers).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build"
OUT="$ROOT/docs/perf"
SECONDS_TO_SAMPLE=6
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD="$(cd "$2" && pwd)"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --seconds) SECONDS_TO_SAMPLE="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
SCENARIO="${1:?usage: scripts/perf-profile.sh [--build DIR] [--out DIR] SCENARIO}"
mkdir -p "$OUT" "$BUILD/perf"

if ! command -v perf >/dev/null; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends linux-perf >&2
fi

SRC="--procs 2 --source 127.0.0.1-127.0.0.64"
case "$SCENARIO" in
  fanout-max) LOAD="fanout --subs 5000 --pubs 1 --duration 10 $SRC" ;;
  fanout-rate) LOAD="fanout --subs 1000 --pubs 10 --rate 2000 --duration 10 $SRC" ;;
  pairs) LOAD="pairs --conns 10000 --rate 20000 --duration 10 $SRC" ;;
  idle) LOAD="connect --conns 19000 --rate 5000 --hold 5 $SRC" ;;
  *) echo "perf-profile: unknown scenario '$SCENARIO'" >&2; exit 2 ;;
esac

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
chatd_pid=""
bench_pid=""
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  [[ -n "$chatd_pid" ]] && kill "$chatd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$BUILD/chatd" --listen "127.0.0.1:$port" --http "" --threads 2 --rate 1000000 \
  --burst 1000000 --lobby "" --log-level warn &
chatd_pid=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.1
done

# shellcheck disable=SC2086
"$BUILD/chatbench" $LOAD --server "127.0.0.1:$port" --server-pid "$chatd_pid" \
  --json "$OUT/$SCENARIO.json" >"$work/bench.txt" 2>&1 &
bench_pid=$!
sleep 3  # past the ramp: profile the steady state
perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$chatd_pid" -o "$work/perf.data" \
  -- sleep "$SECONDS_TO_SAMPLE" >/dev/null 2>&1
wait "$bench_pid" || true
bench_pid=""

perf script -i "$work/perf.data" 2>/dev/null |
  python3 "$ROOT/scripts/flamegraph.py" --title "chatd: $SCENARIO ($LOAD)" \
    --save-folded "$BUILD/perf/$SCENARIO.folded" --top 25 >"$OUT/$SCENARIO.svg" 2>"$OUT/$SCENARIO.txt"
echo "perf-profile: $OUT/$SCENARIO.svg"
cat "$OUT/$SCENARIO.txt"
