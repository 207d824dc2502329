#!/usr/bin/env bash
# Builds the peer servers of the benchmark comparison into build/peers/ (only what is missing
# or older than its source, so a second run takes well under a second):
#   build/peers/fixed_epoll     the C ceiling (cc -O2)
#   build/peers/go-hello        Go net/http (Debian golang-go)
#   build/peers/hyper-hello     Rust tokio + hyper, offline from Debian's crates
# nginx, h2o and node need no build; bench/peers/start.sh checks they are installed.
# Builds run with `nice -n 19` and one job: this must not slow down a build of Zokio itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=bench/peers
out=build/peers
mkdir -p "$out"

need() {  # need COMMAND PACKAGE: fail with the package to install
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "bench/peers/build.sh: '$1' not found; install the Debian package: apt-get install $2" >&2
    exit 1
  fi
}

stale() {  # stale TARGET SOURCE...: true if TARGET is missing or older than a source
  local target=$1
  shift
  [ -e "$target" ] || return 0
  local s
  for s in "$@"; do [ "$s" -nt "$target" ] && return 0; done
  return 1
}

# C ceiling.
need cc build-essential
if stale "$out/fixed_epoll" "$src/c/fixed_epoll.c"; then
  echo "peers: building fixed_epoll"
  nice -n 19 cc -O2 -Wall -o "$out/fixed_epoll" "$src/c/fixed_epoll.c"
fi

# Go: no dependencies, so the build is offline by construction (GOPROXY=off makes sure).
need go golang-go
if stale "$out/go-hello" "$src"/go/*.go "$src/go/go.mod"; then
  echo "peers: building go-hello"
  (cd "$src/go" && nice -n 19 env GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go build -p 1 -trimpath -o "$OLDPWD/$out/go-hello" .)
fi

# Rust: Debian's cargo and rustc (not a rustup toolchain, which a fresh machine lacks), with
# crates.io replaced by the crates Debian installs under /usr/share/cargo/registry. The
# package is copied into build/peers/hyper so Cargo.lock and target/ never land in the tree.
for tool in /usr/bin/cargo /usr/bin/rustc; do
  [ -x "$tool" ] || { echo "bench/peers/build.sh: $tool missing; apt-get install cargo rustc" >&2; exit 1; }
done
for crate in hyper tokio; do
  if ! compgen -G "/usr/share/cargo/registry/$crate-[0-9]*" >/dev/null; then
    echo "bench/peers/build.sh: crate $crate missing; apt-get install librust-$crate-dev" >&2
    exit 1
  fi
done
if stale "$out/hyper-hello" "$src/hyper/Cargo.toml" "$src/hyper/src/main.rs"; then
  echo "peers: building hyper-hello (cargo --offline, one job; first build takes minutes)"
  pkg=$out/hyper
  mkdir -p "$pkg/src" "$pkg/cargo-home"
  cp "$src/hyper/Cargo.toml" "$pkg/Cargo.toml"
  cp "$src/hyper/src/main.rs" "$pkg/src/main.rs"
  # Resolve afresh against the crates installed now: a lock from before an apt upgrade may
  # name versions Debian no longer ships.
  rm -f "$pkg/Cargo.lock"
  cat >"$pkg/cargo-home/config.toml" <<'EOF'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
EOF
  (cd "$pkg" && nice -n 19 env CARGO_HOME="$PWD/cargo-home" RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --release --offline -j 1 -q)
  cp "$pkg/target/release/hyper-hello" "$out/hyper-hello"
fi
