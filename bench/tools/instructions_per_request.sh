#!/usr/bin/env bash
# Instructions per request of hello_http under callgrind (user-space instructions): one run
# serving N keep-alive requests, minus an idle start and stop, divided by N. Repeatable to
# within 0.5% on an idle machine; under other load the server's loop runs differently and the
# count moves (up to 25% seen), so compare builds back to back on a quiet machine.
#
#   bench/tools/instructions_per_request.sh [BINARY] [N] [BATCH]
#     BINARY  default build/release/examples/hello_http
#     N       requests, default 5000
#     BATCH   requests per round trip (1: plain keep-alive, >1: pipelined), default 1
# Uses the epoll driver (ZOKIO_IO=epoll): valgrind 3.19 does not deliver signals to a thread
# blocked in io_uring_enter, and the server exits on SIGINT.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/release/examples/hello_http}
n=${2:-5000}
batch=${3:-1}
port=18191
out=$(mktemp -d)

run() {  # run <requests> -> instructions collected
  local reqs=$1
  ZOKIO_IO=epoll valgrind --tool=callgrind --callgrind-out-file="$out/cg.$reqs" \
    "$bin" 127.0.0.1:$port 1 >/dev/null 2>"$out/vg.$reqs" &
  local pid=$!
  for _ in $(seq 100); do  # wait until it listens
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" \
      2>/dev/null && break
    sleep 0.1
  done
  if [ "$reqs" -gt 0 ]; then python3 bench/tools/http_load.py $port "$reqs" "$batch" >&2; fi
  kill -INT "$pid"
  wait "$pid" || true
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/vg.$reqs"
}

idle=$(run 0)
busy=$(run "$n")
echo "binary=$bin requests=$n batch=$batch idle=$idle busy=$busy"
echo "instructions per request: $(( (busy - idle) / n ))"
rm -rf "$out"
