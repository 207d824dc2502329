#!/usr/bin/env bash
# Differential conformance test of Zokio's HTTP/1.1 parser against Python's h11 and Node's
# llhttp (docs/http-conformance.md): builds dump_corpus, writes the parser test tables as a
# corpus with Zokio's outcomes, runs both other parsers on it and compares. Exits 0 only if every
# disagreement is listed in tests/conformance/known_differences.txt. A parser whose runtime is
# missing is skipped, with a "skipped:" line.
set -euo pipefail
cd "$(dirname "$0")/../.."

here=tests/conformance
out=build/conformance
corpus=$out/corpus

if ! command -v python3 >/dev/null; then
  echo "skipped: conformance test needs python3 (apt-get install python3 python3-h11 nodejs)"
  exit 0
fi

# Debian's python3-h11 lives in /usr/bin/python3's path; a python3 earlier in PATH may lack it.
h11_python=""
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import h11' 2>/dev/null; then
    h11_python=$py
    break
  fi
done

runs=()
[ -n "$h11_python" ] && runs+=(h11) || echo "skipped: h11 (python3-h11 is not installed)"
command -v node >/dev/null && runs+=(node) || echo "skipped: node (node is not installed)"
if [ ${#runs[@]} -eq 0 ]; then
  exit 0
fi

mkdir -p "$out"
echo "conformance: building $out/dump_corpus"
g++ -std=c++20 -O1 -Iinclude -Isrc $here/dump_corpus.cpp src/http/parser/*.cpp \
  -o "$out/dump_corpus"

rm -rf "$corpus"
mkdir -p "$corpus"
"$out/dump_corpus" "$corpus"

results=()
for parser in "${runs[@]}"; do
  case $parser in
    h11) "$h11_python" $here/h11_check.py "$corpus" >"$out/h11.jsonl" ;;
    node) node $here/node_check.js "$corpus" >"$out/node.jsonl" ;;
  esac
  results+=("$parser=$out/$parser.jsonl")
done

node_version=$(node -p 'process.version + " (llhttp " + process.versions.llhttp + ")"' \
  2>/dev/null || echo -)
h11_version=$([ -n "$h11_python" ] && "$h11_python" -c 'import h11; print(h11.__version__)' ||
  echo -)
echo "conformance: $(date -u +%F), node $node_version, h11 $h11_version"
python3 $here/compare.py "$corpus" $here/known_differences.txt "${results[@]}" |
  tee "$out/report.txt"
