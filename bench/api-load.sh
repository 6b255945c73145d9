#!/usr/bin/env bash
# API load scenarios against `mock-api --release` on loopback (BENCHMARKS.md, "API load").
#
#   bench/api-load.sh [DURATION_SECONDS [SCENARIO...]]   # default 15 s, every scenario
#
# Scenarios: start confirm charge (charge and usage) memory flood (not in the default set:
# 1,000,000 starts and a 60 s soak against the default caps; FLOOD_STARTS, SOAK_SECONDS).
# Needs `wrk` (Debian: apt-get install wrk). Each scenario starts its own mock-api with the
# flags it needs, prepares fixtures outside the timed window, runs wrk with 64 connections
# on 2 threads, and reads the server's peak RSS (VmHWM) from /proc. Only processes this
# script started are stopped, by their PID.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
shift || true
SCENARIOS=" ${*:-start confirm charge memory} "
wanted() { [[ "$SCENARIOS" == *" $1 "* ]]; }
THREADS=2
CONNECTIONS=64
PORT=${PORT:-18402}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
export WRK_DIR="$PWD/bench/wrk" WRK_THREADS=$THREADS

cargo build --release --locked -p mock-api -p liveauth-bench --bin api-fixtures >&2
MOCK="$TARGET/release/mock-api"
FIXTURES_BIN="$TARGET/release/api-fixtures"

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

start_server() {
  RUST_LOG=warn "$MOCK" --listen "127.0.0.1:$PORT" "$@" >/dev/null &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "mock-api did not start" >&2
  exit 1
}

hwm() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# Prints one table row from wrk's output: requests/s, p50, p99, errors, peak RSS.
run_wrk() {
  local name=$1 script=$2
  local out="$WORK/$name.txt"
  wrk -t$THREADS -c$CONNECTIONS -d"${DURATION}s" --latency -s "$script" "$BASE" >"$out"
  cat "$out" >&2
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$out")
  printf '| %s | %s | %s | %s | %s | %s MiB |\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$(hwm)"
}

echo "| scenario | requests/s | p50 | p99 | non-2xx | server VmHWM |"
echo "|---|---:|---:|---:|---:|---:|"

# Throughput scenarios measure speed, not the caps: room for everything they make.
ROOMY=(--max-quotes 10000000/10000000 --max-sessions 10000000/10000000)

# start: a signed PoW quote per request.
if wanted start; then
  start_server --difficulty-bits 18 "${ROOMY[@]}"
  run_wrk start bench/wrk/start.lua
  stop_server
fi

# confirm: pre-solved 8-bit quotes, each redeemed once (a session, a JWT, a refresh token).
if wanted confirm; then
  start_server --difficulty-bits 8 "${ROOMY[@]}"
  "$FIXTURES_BIN" confirm-bodies "$BASE" "${CONFIRM_BODIES:-200000}" "$WORK/confirm.jsonl"
  FIXTURES="$WORK/confirm.jsonl" run_wrk confirm bench/wrk/confirm.lua
  stop_server
fi

# charge and usage: 64 sessions, budgets too large to deny.
if wanted charge; then
  start_server --difficulty-bits 8 --max-calls-per-minute 4000000000 --max-sats-per-day 1000000000000
  "$FIXTURES_BIN" tokens "$BASE" 64 "$WORK/tokens.txt"
  FIXTURES="$WORK/tokens.txt" run_wrk charge bench/wrk/charge.lua
  FIXTURES="$WORK/tokens.txt" run_wrk usage bench/wrk/usage.lua
  stop_server
fi

# Memory: 100,000 quotes, expired and purged, three times over.
if wanted memory; then
  echo
  start_server --manual-clock
  "$FIXTURES_BIN" churn "$BASE" "$SERVER_PID" "${CHURN_ROUNDS:-3}" "${CHURN_QUOTES:-100000}"
  stop_server
fi

# Flood: the default caps against 1,000,000 starts at full speed, then a 60 s soak on a
# fresh server (RSS every 5 s). Run it by name: bench/api-load.sh 0 flood
if wanted flood; then
  echo
  start_server
  "$FIXTURES_BIN" flood "$BASE" "$SERVER_PID" "${FLOOD_STARTS:-1000000}"
  stop_server
  echo
  start_server
  "$FIXTURES_BIN" soak "$BASE" "$SERVER_PID" "${SOAK_SECONDS:-60}"
  stop_server
fi
