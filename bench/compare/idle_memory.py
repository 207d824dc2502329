"""Memory per idle keep-alive connection of a running server: open N connections, each sends
one GET / and reads the answer, then stays open; the growth of the server's resident memory
(VmRSS summed over its processes) divided by N is the cost of one idle connection.
"""
import resource
import socket
import time

import httpclient
import procfs

BATCH = 200  # connections opened before their answers are read: stays within listen backlogs


def raise_fd_limit(wanted):
    """Raises RLIMIT_NOFILE (soft, up to hard) for this process and the servers it starts.
    Returns the number of connections that fit, with room for the runner's own files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted + 256
    if soft < target:
        new = target if hard == resource.RLIM_INFINITY else min(target, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return max(0, min(wanted, soft - 256))


def measure(server, connections):
    """-> dict with connections opened, RSS before and after (KiB) and bytes per connection."""
    pids = procfs.tree(server.proc.pid)
    time.sleep(0.5)  # let start-up allocations settle before the baseline
    before = procfs.memory_kib(pids, "VmRSS")
    socks, failed = [], 0
    request = httpclient.get_request("/")
    try:
        while len(socks) + failed < connections:
            batch = []
            for _ in range(min(BATCH, connections - len(socks) - failed)):
                try:
                    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                    s.sendall(request)
                    batch.append(s)
                except OSError:
                    failed += 1
            for s in batch:
                try:
                    httpclient.read_response(s)
                    socks.append(s)
                except (OSError, ValueError):
                    failed += 1
                    s.close()
        time.sleep(1.0)  # the server may finish per-connection work after answering
        pids = procfs.tree(server.proc.pid)
        after = procfs.memory_kib(pids, "VmRSS")
        # Connections the server dropped while we waited do not count as held.
        held = sum(1 for s in socks if _still_open(s))
    finally:
        for s in socks:
            s.close()
    per_conn = (after - before) * 1024 / held if held else None
    return {"connections": held, "failed": failed + len(socks) - held, "rss_before_kib": before,
            "rss_after_kib": after, "bytes_per_connection": per_conn}


def _still_open(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # data would be unexpected, but the socket is open
    except BlockingIOError:
        return True
    except OSError:
        return False
