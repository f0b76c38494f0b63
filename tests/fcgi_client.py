#!/usr/bin/env python3
"""A FastCGI client for tests: well-behaved requests and hostile peers.

    fcgi_client.py ADDR request PATH BODY [NAME=VALUE...]
    fcgi_client.py ADDR SCENARIO [ARG]

ADDR is HOST:PORT. Each run prints one line of `key=value` facts, e.g.
`status=202 seconds=0.01` or `closed=1 seconds=1.00`. Scenarios (FastCGI 1.0):

    pin N              N connections send only a BEGIN_REQUEST and stall while one
                       normal request is made; then how long until each was closed
    partial-header     4 bytes of a record header, then nothing
    stalled-body       a request whose body stops halfway
    role ROLE          a BEGIN_REQUEST for role ROLE (2 AUTHORIZER, 3 FILTER)
    unknown-management a management record of type 99 opens the connection
    foreign-empty-stdin  an empty STDIN record of another request id before the body
    stop-mid-body PID  sends half the body, SIGTERMs PID, then sends the rest
    keep-idle PATH BODY ID  one request on a kept connection, then silence: how long
                       until the handler closes it
    held-open PATH BODY [NAME=VALUE...]  one request answered, its connection left
                       open on this side (as a busy web server may leave it for a
                       while), then a second request on a new connection: its status
                       and how long it took; one process must not wait for the first
                       connection's close before it serves the next
    keep-alive PATH BODY ID...  one kept connection (FCGI_KEEP_CONN), as nginx
                       keeps them: a request per ID, and between them one to an
                       unknown path whose body is never read; all statuses
"""
import os
import signal
import socket
import struct
import sys
import time

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6


def record(rtype, rid, content=b"", padding=0):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), padding, 0) + content + b"\0" * padding


def begin(rid, role=1, keep=0):
    return record(BEGIN, rid, struct.pack(">HB5x", role, keep))


def name_value(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


def params(rid, env):
    data = b"".join(name_value(k, v) for k, v in env.items())
    return record(PARAMS, rid, data) + record(PARAMS, rid)


def cgi_env(path, body_len, extra):
    env = {"REQUEST_METHOD": "POST", "SCRIPT_NAME": path, "REQUEST_URI": path,
           "QUERY_STRING": "", "CONTENT_LENGTH": str(body_len),
           "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1"}
    for kv in extra:
        k, v = kv.split("=", 1)
        env[k] = v
    return env


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=30)
    return s


def recv_or_reset(s):
    """What the peer sent next; b"" once it closed, reset included."""
    try:
        return s.recv(65536)
    except ConnectionResetError:
        return b""


def read_answer(s):
    """Records until END_REQUEST or the close: (status or None, protocolStatus or None)."""
    buf, out = b"", b""
    while True:
        while len(buf) < 8:
            chunk = recv_or_reset(s)
            if not chunk:
                return parse_status(out), None
            buf += chunk
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        while len(buf) < 8 + clen + plen:
            chunk = recv_or_reset(s)
            if not chunk:
                return parse_status(out), None
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            return parse_status(out), content[4]


def parse_status(out):
    for line in out.decode("latin-1").split("\r\n"):
        if line.startswith("Status: "):
            return int(line.split()[1])
    return 200 if out else None


def wait_closed(s, limit=30):
    """Seconds until the peer closed the connection (reading whatever it sent)."""
    start = time.monotonic()
    s.settimeout(limit)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        return None
    except OSError:
        pass
    return time.monotonic() - start


def request(addr, path, body, extra):
    start = time.monotonic()
    s = connect(addr)
    s.sendall(begin(1) + params(1, cgi_env(path, len(body), extra)) +
              (record(STDIN, 1, body) if body else b"") + record(STDIN, 1))
    status, proto = read_answer(s)
    s.close()
    return "status=%s protocol_status=%s seconds=%.2f" % (status, proto, time.monotonic() - start)


def main():
    addr, what = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if what == "request":
        path, body_file = args[0], args[1]
        print(request(addr, path, open(body_file, "rb").read(), args[2:]))
    elif what == "pin":
        held = []
        for _ in range(int(args[0])):
            s = connect(addr)
            s.sendall(begin(1))
            held.append((s, time.monotonic()))
        time.sleep(0.2)
        answer = request(addr, args[1], open(args[2], "rb").read(), args[3:])
        closed = []
        for s, opened in held:
            wait_closed(s)
            closed.append("%.2f" % (time.monotonic() - opened))
        print("%s pinned_closed_after=%s" % (answer, ",".join(closed)))
    elif what == "partial-header":
        s = connect(addr)
        s.sendall(record(BEGIN, 1, struct.pack(">HB5x", 1, 0))[:4])
        took = wait_closed(s)
        print("closed=%d seconds=%.2f" % (took is not None, took or 0))
    elif what == "stalled-body":
        path, body = args[0], open(args[1], "rb").read()
        s = connect(addr)
        s.sendall(begin(1) + params(1, cgi_env(path, len(body), args[2:])) +
                  record(STDIN, 1, body[:len(body) // 2]))
        start = time.monotonic()
        status, _ = read_answer(s)
        print("status=%s closed=1 seconds=%.2f" % (status, time.monotonic() - start))
    elif what == "role":
        s = connect(addr)
        s.sendall(begin(1, role=int(args[0])) + params(1, cgi_env("/x", 0, [])) + record(STDIN, 1))
        status, proto = read_answer(s)
        print("status=%s protocol_status=%s" % (status, proto))
    elif what == "unknown-management":
        s = connect(addr)
        s.sendall(record(99, 0, b"12345678"))
        s.settimeout(5)
        try:
            reply = s.recv(65536)
        except socket.timeout:
            reply = None
        except ConnectionResetError:
            reply = b""  # closed with the record unread
        print("closed=%d reply_bytes=%d" % (reply == b"", len(reply or b"")))
    elif what == "foreign-empty-stdin":
        path, body = args[0], open(args[1], "rb").read()
        s = connect(addr)
        s.sendall(begin(1) + params(1, cgi_env(path, len(body), args[2:])) +
                  record(STDIN, 2) + record(STDIN, 1, body) + record(STDIN, 1))
        status, proto = read_answer(s)
        print("status=%s protocol_status=%s" % (status, proto))
    elif what == "stop-mid-body":
        pid, path, body = int(args[0]), args[1], open(args[2], "rb").read()
        start = time.monotonic()
        s = connect(addr)
        half = len(body) // 2
        s.sendall(begin(1) + params(1, cgi_env(path, len(body), args[3:])) +
                  record(STDIN, 1, body[:half]))
        time.sleep(0.3)
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.3)
        s.sendall(record(STDIN, 1, body[half:]) + record(STDIN, 1))
        status, proto = read_answer(s)
        print("status=%s protocol_status=%s seconds=%.2f" % (status, proto, time.monotonic() - start))
    elif what == "keep-idle":
        path, body = args[0], open(args[1], "rb").read()
        s = connect(addr)
        s.sendall(begin(1, keep=1) + params(1, cgi_env(path, len(body), args[2:])) +
                  record(STDIN, 1, body) + record(STDIN, 1))
        status, _ = read_answer(s)
        took = wait_closed(s)
        print("status=%s closed=%d seconds=%.2f" % (status, took is not None, took or 0))
    elif what == "held-open":
        path, body = args[0], open(args[1], "rb").read()
        held = connect(addr)
        held.sendall(begin(1) + params(1, cgi_env(path, len(body), args[2:] + ["HTTP_X_ID=held-1"])) +
                     record(STDIN, 1, body) + record(STDIN, 1))
        first, _ = read_answer(held)
        second = request(addr, path, body, args[2:] + ["HTTP_X_ID=held-2"])
        held.close()
        print("first=%s %s" % (first, second))
    elif what == "keep-alive":
        path, body = args[0], open(args[1], "rb").read()
        start = time.monotonic()
        s = connect(addr)
        statuses = []
        for i, key in enumerate(args[2:]):
            for p, extra in ((path, ["HTTP_X_TOKEN=t0ken", "HTTP_X_ID=" + key]), ("/nope", [])):
                rid = 2 * i + 1 + (p == "/nope")
                s.sendall(begin(rid, keep=1) + params(rid, cgi_env(p, len(body), extra)) +
                          record(STDIN, rid, body) + record(STDIN, rid))
                status, _ = read_answer(s)
                statuses.append(str(status))
        print("statuses=%s seconds=%.2f" % (",".join(statuses), time.monotonic() - start))
    else:
        sys.exit("unknown scenario " + what)


if __name__ == "__main__":
    main()
