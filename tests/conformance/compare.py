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


def escaped(raw, limit=110):
    text = raw.decode("latin-1").encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return text if len(text) <= limit else text[:limit] + "..."


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
    known = set()
    with open(known_path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2:
                known.add((fields[0], fields[1]))

    print(f"{'parser':<8} {'cases':>6} {'agree':>6} {'disagree':>9} {'known':>6} {'new':>5}")
    report, new, seen = [], [], set()
    for run in runs:
        name, path = run.split("=", 1)
        results = load(path)
        agree = 0
        disagreements = []
        for cid, case in cases.items():
            zokio = {"outcome": case["zokio"], "method": case.get("method"),
                     "target": case.get("target")}
            other = results.get(cid, {"outcome": "missing", "reason": "no result"})
            same = other["outcome"] == zokio["outcome"]
            if same and zokio["outcome"] == "accept" and case["kind"] == "request":
                same = (other.get("method"), other.get("target")) == (zokio["method"],
                                                                        zokio["target"])
            if same:
                agree += 1
                continue
            if "target" not in other:
                zokio.pop("target")
            disagreements.append((cid, case, zokio, other))
        known_here = sum((name, cid) in known for cid, *_ in disagreements)
        unlisted = len(disagreements) - known_here
        print(f"{name:<8} {len(cases):>6} {agree:>6} {len(disagreements):>9} {known_here:>6} "
              f"{unlisted:>5}")
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
                f"{'' if listed else 'NEW '}{name} {cid} [{case['rfc'] or 'accepted'}]\n"
                f"    bytes: \"{escaped(raw)}\"\n"
                f"    zokio: {zokio_text}\n"
                f"    {name}: {describe(other)}"
                + (f" ({other['reason']})" if other.get("reason") else ""))

    print("\nDisagreements (NEW: not in known_differences.txt):")
    print("\n".join(report) if report else "    none")
    stale = sorted(known - seen)
    if stale:
        print("\nListed in known_differences.txt but agreeing now (remove them):")
        for name, cid in stale:
            print(f"    {name} {cid}")
    if new:
        print(f"\nFAIL: {len(new)} disagreement(s) not in {known_path}")
        return 1
    print("\nOK: every disagreement is a known difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
