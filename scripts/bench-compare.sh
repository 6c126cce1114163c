#!/usr/bin/env bash
# Runs one chatbench scenario against chatd, Redis, Mosquitto (MQTT) and NATS
# in turn, each started here on 127.0.0.1 with the settings below, and prints
# one markdown table. With --standard, runs the standard set (what `make bench`
# runs) and regenerates docs/benchmarks.md with charts.
#
#   scripts/bench-compare.sh [--build DIR] [--targets chat,cluster,redis,mqtt,nats] [--out DIR]
#                            SCENARIO [chatbench options...]
#   scripts/bench-compare.sh [--build DIR] --standard [--quick] [--doc FILE]
#
# Every server is started fresh for each run and stopped by the PID this
# script got when it started it; nothing else is touched. Servers and
# chatbench only ever talk over loopback.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="build"
TARGETS="chat,cluster,redis,mqtt,nats"
OUT=""
STANDARD=0
QUICK=0
DOC="docs/benchmarks.md"
# The whole standard set must finish within this many seconds.
BUDGET_S=1200

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD="$2"; shift 2 ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --standard) STANDARD=1; shift ;;
    --quick) QUICK=1; shift ;;
    --doc) DOC="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
[[ "$DOC" = /* ]] || DOC="$ROOT/$DOC"
CHATBENCH="$BUILD/chatbench"
CHATD="$BUILD/chatd"
for bin in "$CHATBENCH" "$CHATD"; do
  [[ -x "$bin" ]] || { echo "bench-compare: $bin not built (make build BUILD=${BUILD#$ROOT/})" >&2; exit 2; }
done

# ---------------------------------------------------------------------------
# Install what is missing (Debian packages).
need=(redis-server mosquitto nats-server python3)
((STANDARD)) && need+=(gnuplot-nox)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "bench-compare: installing ${missing[*]}" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# Servers and chatbench may hold ~20,000 descriptors each.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK="$(mktemp -d /tmp/bench-compare.XXXXXX)"
SERVER_PID=""     # the server (for the cluster: its first node)
SERVER_PIDS=()    # every process of the target (the cluster: its nodes and Redis)
SERVER_ADDRS=""   # --server for chatbench: HOST:PORT[,HOST:PORT...]
stop_server() {
  ((${#SERVER_PIDS[@]})) || return 0
  local p
  for p in "${SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  SERVER_PID=""
  SERVER_PIDS=()
  SERVER_ADDRS=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_listening() {  # PORT [PID]
  local pid="${2:-$SERVER_PID}"
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# The cluster target: one Redis and CLUSTER_NODES chatd nodes on it (one loop
# each), chatbench spreading its users over the nodes.
CLUSTER_NODES=3
start_cluster() {
  local rport node port pids=() addrs=""
  rport="$(free_port)"
  redis-server --port "$rport" --bind 127.0.0.1 --protected-mode no --save "" \
    --appendonly no >"$WORK/cluster-redis.log" 2>&1 &
  SERVER_PIDS+=($!)
  wait_listening "$rport" "$!" || return 1
  for node in $(seq "$CLUSTER_NODES"); do
    port="$(free_port)"
    "$CHATD" --listen "127.0.0.1:$port" --threads 1 --rate 1000000 --burst 1000000 --lobby "" \
      --http "" --web "" --cluster "redis://127.0.0.1:$rport" --node-id "bench$node" \
      >"$WORK/cluster-node$node.log" 2>&1 &
    pids+=($!)
    SERVER_PIDS+=($!)
    wait_listening "$port" "$!" || return 1
    addrs+="${addrs:+,}127.0.0.1:$port"
  done
  SERVER_PID="${pids[0]}"
  SERVER_ADDRS="$addrs"
  sleep 1  # the nodes' loops reach Redis just after they listen
}

# The settings each server runs with; quoted into the docs as they are.
CHATD_ARGS='--threads 2 --rate 1000000 --burst 1000000 --lobby ""'
REDIS_ARGS='--bind 127.0.0.1 --protected-mode no --save "" --appendonly no --maxclients 19960'
MOSQUITTO_CONF='listener PORT 127.0.0.1 / allow_anonymous true / persistence false / max_connections -1 / set_tcp_nodelay true'
NATS_ARGS='-a 127.0.0.1'

start_server() {  # TARGET -> sets SERVER_PID(S), SERVER_ADDRS
  PORT="$(free_port)"
  local log="$WORK/$1.log"
  if [[ "$1" == cluster ]]; then
    if ! start_cluster; then
      echo "bench-compare: the cluster did not start; its logs:" >&2
      tail -5 "$WORK"/cluster-*.log >&2
      stop_server
      return 1
    fi
    return 0
  fi
  case "$1" in
    chat)
      "$CHATD" --listen "127.0.0.1:$PORT" --threads 2 --rate 1000000 --burst 1000000 --lobby "" \
        >"$log" 2>&1 &
      ;;
    redis)
      redis-server --port "$PORT" --bind 127.0.0.1 --protected-mode no --save "" \
        --appendonly no --maxclients 19960 >"$log" 2>&1 &
      ;;
    mqtt)
      printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\nset_tcp_nodelay true\n' \
        "$PORT" >"$WORK/mosquitto.conf"
      mosquitto -c "$WORK/mosquitto.conf" >"$log" 2>&1 &
      ;;
    nats)
      nats-server -a 127.0.0.1 -p "$PORT" >"$log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  SERVER_PIDS=("$SERVER_PID")
  SERVER_ADDRS="127.0.0.1:$PORT"
  if ! wait_listening "$PORT"; then
    echo "bench-compare: $1 did not start; its log:" >&2
    tail -20 "$log" >&2
    stop_server
    return 1
  fi
}

server_version() {
  case "$1" in
    chat | cluster) "$CHATD" --version 2>/dev/null | awk '{print $NF}' ;;
    redis) redis-server --version | awk '{sub("v=", "", $3); print $3}' ;;
    mqtt) dpkg-query -W -f='${Version}' mosquitto ;;
    nats) nats-server --version 2>/dev/null | awk '{print $2}' ;;
  esac
}

# run_one NAME TARGET TIMEOUT_S ARGS... -> $OUTDIR/NAME-TARGET.json
run_one() {
  local name="$1" target="$2" limit="$3"
  shift 3
  local json="$OUTDIR/$name-$target.json"
  rm -f "$json"
  if ! start_server "$target"; then
    echo "{\"target\":\"$target\",\"error\":\"server did not start\"}" >"$json"
    return 0
  fi
  local bench_target="$target" pids
  [[ "$target" == cluster ]] && bench_target=chat
  pids="$(IFS=,; echo "${SERVER_PIDS[*]}")"
  echo "bench-compare: $name on $target: chatbench $* --target $bench_target" >&2
  local rc=0
  timeout --kill-after=10 "$limit" "$CHATBENCH" "$@" --target "$bench_target" \
    --server "$SERVER_ADDRS" --server-pid "$pids" --json "$json" \
    >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  if [[ ! -s "$json" ]]; then
    echo "{\"target\":\"$target\",\"error\":\"chatbench exit $rc\"}" >"$json"
    tail -5 "$WORK/err.txt" >&2 || true
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "bench-compare: $target died during the run; its log:" >&2
    tail -20 "$WORK/$target.log" "$WORK"/cluster-*.log >&2 2>/dev/null || true
  fi
  stop_server
}

table() {  # JSON files... -> markdown table on stdout
  python3 "$ROOT/scripts/bench_report.py" table "$@"
}

if ((!STANDARD)); then
  [[ $# -ge 1 ]] || { echo "usage: $0 SCENARIO [chatbench options]  (or --standard)" >&2; exit 2; }
  OUTDIR="${OUT:-$WORK}"
  mkdir -p "$OUTDIR"
  files=()
  IFS=',' read -ra targets <<<"$TARGETS"
  for t in "${targets[@]}"; do
    run_one "$1" "$t" 900 "$@"
    files+=("$OUTDIR/$1-$t.json")
  done
  table "${files[@]}"
  exit 0
fi

# ---------------------------------------------------------------------------
# The standard set. Each line: NAME|TIMEOUT_S|chatbench arguments.
SRC="--procs 2 --source 127.0.0.1-127.0.0.64"
if ((QUICK)); then
  RUNS=(
    "idle|120|connect --conns 2000 --rate 5000 --hold 2 $SRC"
    "fanout-max|120|fanout --subs 500 --pubs 1 --duration 3 $SRC"
    "fanout-rate|120|fanout --subs 200 --pubs 10 --rate 500 --duration 3 $SRC"
    "pairs|120|pairs --conns 1000 --rate 2000 --duration 3 $SRC"
    "steps|180|steps --steps 50,200,500 --step-seconds 3 --user-rate 1 --room-size 50 $SRC"
  )
else
  RUNS=(
    "idle|180|connect --conns 19000 --rate 5000 --hold 5 $SRC"
    "fanout-max|150|fanout --subs 5000 --pubs 1 --duration 10 $SRC"
    "fanout-rate|150|fanout --subs 1000 --pubs 10 --rate 2000 --duration 10 $SRC"
    "pairs|150|pairs --conns 10000 --rate 20000 --duration 10 $SRC"
    "steps|240|steps --steps 50,500,1000,5000 --step-seconds 10 --user-rate 1 --room-size 50 $SRC"
  )
fi

OUTDIR="${OUT:-$BUILD/bench-results}"
mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/*.json
start=$(date +%s)
IFS=',' read -ra targets <<<"$TARGETS"
: >"$OUTDIR/commands.txt"
for run in "${RUNS[@]}"; do
  IFS='|' read -r name limit args <<<"$run"
  echo "$name|chatbench $args" >>"$OUTDIR/commands.txt"
  for t in "${targets[@]}"; do
    left=$((BUDGET_S - ($(date +%s) - start)))
    if ((left < limit)); then
      echo "bench-compare: skipping $name on $t: the $BUDGET_S s budget is nearly spent" >&2
      echo "{\"target\":\"$t\",\"error\":\"skipped: time budget\"}" >"$OUTDIR/$name-$t.json"
      continue
    fi
    # shellcheck disable=SC2086
    run_one "$name" "$t" "$limit" $args
  done
done
elapsed=$(($(date +%s) - start))

{
  echo "cores=$(nproc)"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "kernel=$(uname -sr)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "elapsed=$elapsed"
  echo "quick=$QUICK"
  for t in "${targets[@]}"; do echo "version_$t=$(server_version "$t")"; done
  echo "chatd_args=$CHATD_ARGS"
  echo "redis_args=$REDIS_ARGS"
  echo "mosquitto_conf=$MOSQUITTO_CONF"
  echo "nats_args=$NATS_ARGS"
} >"$OUTDIR/machine.txt"

python3 "$ROOT/scripts/bench_report.py" doc "$OUTDIR" "$DOC"
echo "bench-compare: wrote $DOC (in ${elapsed}s)" >&2
