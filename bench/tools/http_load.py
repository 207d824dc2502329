#!/usr/bin/env python3
"""Sends exactly TOTAL keep-alive "GET /" requests to 127.0.0.1:PORT over one connection,
BATCH at a time (1 = one request per round trip, more = pipelined), and checks every response
(13-byte body, as hello_http's "Hello, World!"). Used to count instructions per request under
callgrind, where an exact request count matters more than speed.

usage: http_load.py PORT TOTAL [BATCH]
"""
import socket
import sys


def main():
    port, total = int(sys.argv[1]), int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", port))
    done, buf = 0, b""
    while done < total:
        n = min(batch, total - done)
        s.sendall(req * n)
        got = 0
        while got < n:
            data = s.recv(65536)
            if not data:
                sys.exit(f"http_load: connection closed after {done + got} responses")
            buf += data
            while True:
                head_end = buf.find(b"\r\n\r\n")
                if head_end < 0 or len(buf) < head_end + 4 + 13:
                    break
                if not buf.startswith(b"HTTP/1.1 200 "):
                    sys.exit("http_load: unexpected response: %r" % buf[:80])
                buf = buf[head_end + 4 + 13:]
                got += 1
        done += n
    print(f"http_load: {done} responses")


if __name__ == "__main__":
    main()
