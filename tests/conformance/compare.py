#!/usr/bin/env python3
# Differential conformance test, step 3: compares Zokio's outcomes (the corpus index) with each
# other parser's (h11_check.py, node_check.js) and prints the summary table.
#
# Usage: compare.py CORPUS_DIR KNOWN_DIFFERENCES NAME=RESULTS.jsonl...
# A disagreement is a different outcome (accept/reject/incomplete) or, when both accept a
# request, a different method or target. Exits 1 if a disagreement is not listed in
# KNOWN_DIFFERENCES, whose lines are "<parser> <id> <reason>" ('#' starts a comment).
import json
import os
import sys


CHUNKED_HEAD = b"POST /chunked HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"


def escaped(raw):
    prefix = ""
    if raw.startswith(CHUNKED_HEAD):  # a chunked case: show the body after its fixed head
        prefix, raw = "<chunked POST head> + ", raw[len(CHUNKED_HEAD):]
    text = raw.decode("latin-1").encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'{prefix}"{text}"'


def describe(result):
    text = result["outcome"]
    if result["outcome"] == "accept" and "target" in result:
        text += f" {result['method']} {result['target']}"
    return text


def load(path):
    with open(path) as f:
        return {r["id"]: r for r in map(json.loads, filter(str.strip, f))}


def main():
    corpus, known_path, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
    cases = load(os.path.join(corpus, "index.jsonl"))
    known = {}  # (parser, id) -> reason
    with open(known_path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split(None, 2)
            if len(fields) >= 2:
                known[(fields[0], fields[1])] = fields[2].strip() if len(fields) > 2 else ""

    table = [f"{'parser':<8} {'cases':>6} {'agree':>6} {'disagree':>9} {'known':>6} {'new':>5}"
             f"   agree by kind: {'request':>9} {'response':>9} {'chunked':>9}"]
    report, new, seen, names = [], [], set(), []
    for run in runs:
        name, path = run.split("=", 1)
        names.append(name)
        results = load(path)
        agree = 0
        by_kind = {kind: [0, 0] for kind in ("request", "response", "chunked")}  # agree, total
        disagreements = []
        for cid, case in cases.items():
            zokio = {"outcome": case["zokio"]}
            if "target" in case:  # an accepted request
                zokio.update(method=case["method"], target=case["target"])
            other = results.get(cid, {"outcome": "missing", "reason": "no result"})
            same = other["outcome"] == zokio["outcome"]
            if same and "target" in zokio:
                same = (other.get("method"), other.get("target")) == (zokio["method"],
                                                                        zokio["target"])
            by_kind[case["kind"]][1] += 1
            if same:
                agree += 1
                by_kind[case["kind"]][0] += 1
                continue
            disagreements.append((cid, case, zokio, other))
        known_here = sum((name, cid) in known for cid, *_ in disagreements)
        unlisted = len(disagreements) - known_here
        kinds = " ".join(f"{f'{a}/{t}':>9}" for a, t in by_kind.values())
        table.append(f"{name:<8} {len(cases):>6} {agree:>6} {len(disagreements):>9} "
                     f"{known_here:>6} {unlisted:>5}{'':>18}{kinds}")
        for cid, case, zokio, other in disagreements:
            seen.add((name, cid))
            listed = (name, cid) in known
            if not listed:
                new.append((name, cid))
            with open(os.path.join(corpus, cid + ".bin"), "rb") as f:
                raw = f.read()
            zokio_text = describe(zokio) + (f" ({case['error']})" if case["error"] != "kNone"
                                            else "")
            report.append(
                f"{'known' if listed else 'NEW'} {name} {cid} [{case['rfc'] or 'no error'}]\n"
                f"    bytes: {escaped(raw)}\n"
                f"    zokio: {zokio_text}\n"
                f"    {name}: {describe(other)}"
                + (f" ({other['reason']})" if other.get("reason") else "")
                + (f"\n    why: {known[(name, cid)]}" if listed else ""))

    print("Disagreements (NEW: not in known_differences.txt):")
    print("\n".join(report) if report else "    none")
    print("\nSummary:")
    print("\n".join(table))
    stale = sorted(k for k in set(known) - seen if k[0] in names)
    if stale:
        print("\nListed in known_differences.txt but no longer disagreeing (remove them):")
        for name, cid in stale:
            print(f"    {name} {cid}")
    if new:
        print(f"\nFAIL: {len(new)} disagreement(s) not in {known_path}")
        return 1
    print("\nOK: every disagreement is a known difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
