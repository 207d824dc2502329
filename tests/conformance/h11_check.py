#!/usr/bin/env python3
# Differential conformance test, step 2a: runs every corpus case through Python's h11.
#
# Usage: h11_check.py CORPUS_DIR (as written by dump_corpus). Prints one JSON line per case:
# {"id", "outcome": accept|reject|incomplete, "reason", and for accepted requests "method",
# "target"}. Requests are parsed server side; responses client side, after sending the GET (or
# HEAD) they answer; chunked cases must reach the end of the message to be accepted. All the
# input is given at once and never followed by EOF, so "needs more data" means incomplete.
import json
import os
import sys

import h11


def check(case, raw):
    if case["kind"] == "response":
        conn = h11.Connection(h11.CLIENT)
        method = "HEAD" if case.get("head_request") else "GET"
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "example.com")]))
        conn.send(h11.EndOfMessage())
        wanted = (h11.Response, h11.InformationalResponse)
    else:
        conn = h11.Connection(h11.SERVER)
        wanted = (h11.EndOfMessage,) if case["kind"] == "chunked" else (h11.Request,)
    if raw:
        conn.receive_data(raw)  # b"" would mean EOF
    result = {"outcome": "incomplete", "reason": ""}
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Request):
                result["method"] = event.method.decode("latin-1")
                result["target"] = event.target.decode("latin-1")
            if isinstance(event, wanted):
                result["outcome"] = "accept"
            if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event, h11.EndOfMessage):
                break
    except h11.RemoteProtocolError as e:
        # An error in the bytes after an accepted head would belong to the body: none of the
        # head cases has one, so any error is a rejection.
        result = {"outcome": "reject", "reason": f"{e} (status {e.error_status_hint})"}
    if result["outcome"] != "accept" or case["kind"] != "request":
        result.pop("method", None)
        result.pop("target", None)
    return result


def main():
    corpus = sys.argv[1]
    with open(os.path.join(corpus, "index.jsonl")) as index:
        for line in index:
            case = json.loads(line)
            with open(os.path.join(corpus, case["id"] + ".bin"), "rb") as f:
                raw = f.read()
            print(json.dumps({"id": case["id"], **check(case, raw)}))


if __name__ == "__main__":
    main()
