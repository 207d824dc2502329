"""The little HTTP/1.1 client the comparison runner needs of its own: readiness probes and
the idle-connection memory test send one GET and read one Content-Length framed answer;
bench/peers/check.py reads its peers' answers with it too."""
import socket


def get_request(path="/"):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()


def read_response(sock, buf=b""):
    """Reads one response with a Content-Length body from sock
    -> (status, headers with lowercase names, body, rest of the buffer)."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed before a complete response head")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    if length < 0:
        raise ValueError("no Content-Length: %r" % head)
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed inside the body")
        buf += data
    return int(lines[0].split()[1]), headers, buf[:length], buf[length:]


def probe(port, timeout=1.0):
    """True if 127.0.0.1:port accepts a connection and answers GET / with 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(get_request("/"))
            return read_response(s)[0] == 200
    except (OSError, ValueError):
        return False
