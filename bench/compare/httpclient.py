"""The little HTTP/1.1 client the comparison runner needs of its own: readiness probes and
the idle-connection memory test send one GET and read one Content-Length framed answer."""
import socket


def get_request(path="/"):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()


def read_response(sock, buf=b""):
    """Reads one response with a Content-Length body from sock -> (status, rest of buffer)."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed before a complete response head")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed inside the body")
        buf += data
    return int(lines[0].split()[1]), buf[length:]


def probe(port, timeout=1.0):
    """True if 127.0.0.1:port accepts a connection and answers GET / with 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(get_request("/"))
            return read_response(s)[0] == 200
    except (OSError, ValueError):
        return False
