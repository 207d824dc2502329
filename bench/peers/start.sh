#!/usr/bin/env bash
# Starts one peer server of the benchmark comparison in the foreground, listening on
# 127.0.0.1:PORT with WORKERS workers (1 = one thread or process), until it gets SIGTERM.
#
#   bench/peers/start.sh NAME PORT WORKERS      NAME: nginx h2o node go hyper c-epoll
#
# The server replaces this shell (exec), so the pid the caller sees is the server's, and a
# `taskset -c 0 bench/peers/start.sh ...` pins it and every process it forks. Generated
# configuration and anything a server writes goes to build/peers/run/NAME-PORT/.
# Run bench/peers/build.sh first for go, hyper and c-epoll.
# PEER_WRAP, if set, is a command put in front of the server (split on spaces), e.g.
#   PEER_WRAP="valgrind --tool=callgrind" bench/peers/start.sh nginx 8080 1
# which wraps the server itself, not this shell.
# As root, nginx and h2o switch their workers to PEER_USER (default nobody).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: bench/peers/start.sh nginx|h2o|node|go|hyper|c-epoll PORT WORKERS" >&2
  exit 2
fi
name=$1 port=$2 workers=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
peers=$root/bench/peers
bin=$root/build/peers
run=$root/build/peers/run/$name-$port
read -r -a wrap <<<"${PEER_WRAP:-}"
run_as=${PEER_USER:-nobody}

need() {  # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || {
    echo "bench/peers/start.sh: '$1' not found; install the Debian package: apt-get install $2" >&2
    exit 1
  }
}
built() {
  [ -x "$bin/$1" ] || { echo "bench/peers/start.sh: $bin/$1 missing; run bench/peers/build.sh" >&2; exit 1; }
}
# render TEMPLATE USER_LINE > config: fills in the @...@ placeholders of a template.
render() {
  sed -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" -e "s|@RUN@|$run|g" -e "s|@USER@|$2|g" "$1"
}

rm -rf "$run"
mkdir -p "$run"
case $name in
  nginx)
    need nginx nginx
    # As root nginx's workers would run as the compiled-in user; say which one explicitly.
    user=""
    [ "$(id -u)" -eq 0 ] && user="user $run_as $(id -gn "$run_as");"
    render "$peers/conf/nginx.conf.in" "$user" >"$run/nginx.conf"
    exec "${wrap[@]}" nginx -p "$run" -e "$run/error.log" -c "$run/nginx.conf"
    ;;
  h2o)
    need h2o h2o
    # h2o refuses to run as root without a user to switch to; the files it serves must be
    # readable by that user.
    user=""
    [ "$(id -u)" -eq 0 ] && user="user: $run_as"
    printf 'Hello, World!' >"$run/hello.txt"
    printf '{"message":"Hello, World!"}' >"$run/json.json"
    chmod 755 "$run"
    chmod 644 "$run/hello.txt" "$run/json.json"
    render "$peers/conf/h2o.conf.in" "$user" >"$run/h2o.conf"
    exec "${wrap[@]}" h2o -m worker -c "$run/h2o.conf"
    ;;
  node)
    need node nodejs
    exec "${wrap[@]}" node "$peers/node/server.js" "$port" "$workers"
    ;;
  go)
    built go-hello
    exec "${wrap[@]}" "$bin/go-hello" "$port" "$workers"
    ;;
  hyper)
    built hyper-hello
    exec "${wrap[@]}" "$bin/hyper-hello" "$port" "$workers"
    ;;
  c-epoll)
    built fixed_epoll
    exec "${wrap[@]}" "$bin/fixed_epoll" "$port" "$workers"
    ;;
  *)
    echo "bench/peers/start.sh: unknown peer '$name' (nginx h2o node go hyper c-epoll)" >&2
    exit 2
    ;;
esac
