#!/usr/bin/env python3
"""A scripted loopback webhook destination for the drain tests and `make run`.

  dest.py serve --port P [--dir D] [--print]
      Listens on 127.0.0.1:P. The first path segment picks the answer:
        /ok       200
        /flaky    500 on the first request of each Idempotency-Key, then 200
        /fail     500, always
        /gone     410
        /slow429  429 with Retry-After: 2
        /hang     sleeps 30 s (past any test timeout), then 200
        /slow     sleeps 0.3 s, then 200
        anything else: 200
      --dir D records every request (method, path, headers, body bytes) as
      one JSON file in D, written when the request arrives. --print writes
      each webhook to stdout (method, path, the hookspool headers, body), for
      watching a demo.

  dest.py count D [--key K] [--path P]   requests recorded (for a key, a path)
  dest.py keys D                         one line per request: KEY ATTEMPT PATH
  dest.py body D KEY                     the body of KEY's last request, raw
  dest.py header D KEY NAME              a header of KEY's last request
  dest.py verify D KEY SECRET            exit 0 when KEY's last request carries
                                         a valid Standard Webhooks signature
                                         under SECRET (whsec_...)
"""
import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHOWN_HEADERS = ("content-type", "idempotency-key", "hookspool-source", "hookspool-destination",
                 "hookspool-attempt",
                 "webhook-id", "webhook-timestamp")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real destinations do
    # One send per answer and no Nagle: else headers and body leave in two
    # segments and the client's delayed ACK adds 40 ms to every request.
    wbufsize = 65536
    disable_nagle_algorithm = True
    seen = {}                       # Idempotency-Key -> requests, for /flaky
    lock = threading.Lock()
    counter = itertools.count()
    record_dir = None
    print_mode = False

    def log_message(self, fmt, *args):  # quiet: tests read the records instead
        pass

    def record(self, body):
        if self.record_dir is None:
            return
        doc = {"method": self.command, "path": self.path, "at": time.time(),
               "headers": [[k, v] for k, v in self.headers.items()],
               "body_b64": base64.b64encode(body).decode()}
        name = "%d-%06d-%d.json" % (time.time_ns(), next(self.counter), os.getpid())
        tmp = os.path.join(self.record_dir, "." + name)
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.rename(tmp, os.path.join(self.record_dir, name))

    def show(self, body):
        lines = ["%s %s" % (self.command, self.path)]
        for k, v in self.headers.items():
            if k.lower() in SHOWN_HEADERS:
                lines.append("  %s: %s" % (k, v))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = "(%d bytes, not UTF-8)" % len(body)
        lines.append("  " + text)
        print("\n".join(lines), flush=True)

    def answer(self, status, text, extra=()):
        data = text.encode()
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length > 0 else b""
        self.record(body)
        if self.print_mode:
            self.show(body)
        kind = self.path.split("?")[0].strip("/").split("/")[0]
        key = self.headers.get("Idempotency-Key", "")
        if kind == "flaky":
            with self.lock:
                n = self.seen.get(key, 0)
                self.seen[key] = n + 1
            if n == 0:
                return self.answer(500, "flaky: first try fails")
            return self.answer(200, "ok")
        if kind == "fail":
            return self.answer(500, "boom")
        if kind == "gone":
            return self.answer(410, "gone")
        if kind == "slow429":
            return self.answer(429, "slow down", [("Retry-After", "2")])
        if kind == "hang":
            time.sleep(30)
        if kind == "slow":
            time.sleep(0.3)
        return self.answer(200, "ok")

    do_PUT = do_POST


def serve(args):
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    Handler.record_dir = args.dir
    Handler.print_mode = args.print
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def records(directory):
    out = []
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name)) as f:
            doc = json.load(f)
        doc["hdr"] = {k.lower(): v for k, v in doc["headers"]}
        doc["key"] = doc["hdr"].get("idempotency-key", "")
        out.append(doc)
    return out


def last_of(directory, key):
    found = [r for r in records(directory) if r["key"] == key]
    if not found:
        sys.exit("no request recorded for key %r" % key)
    return found[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--dir")
    s.add_argument("--print", action="store_true")
    c = sub.add_parser("count")
    c.add_argument("dir")
    c.add_argument("--key")
    c.add_argument("--path")
    k = sub.add_parser("keys")
    k.add_argument("dir")
    b = sub.add_parser("body")
    b.add_argument("dir")
    b.add_argument("key")
    h = sub.add_parser("header")
    h.add_argument("dir")
    h.add_argument("key")
    h.add_argument("name")
    v = sub.add_parser("verify")
    v.add_argument("dir")
    v.add_argument("key")
    v.add_argument("secret")
    args = p.parse_args()

    if args.cmd == "serve":
        serve(args)
    elif args.cmd == "count":
        print(sum(1 for r in records(args.dir)
                  if (args.key is None or r["key"] == args.key)
                  and (args.path is None or r["path"] == args.path)))
    elif args.cmd == "keys":
        for r in records(args.dir):
            print(r["key"], r["hdr"].get("hookspool-attempt", ""), r["path"])
    elif args.cmd == "body":
        sys.stdout.buffer.write(base64.b64decode(last_of(args.dir, args.key)["body_b64"]))
    elif args.cmd == "header":
        print(last_of(args.dir, args.key)["hdr"].get(args.name.lower(), ""))
    elif args.cmd == "verify":
        r = last_of(args.dir, args.key)
        msg_id, ts = r["hdr"]["webhook-id"], r["hdr"]["webhook-timestamp"]
        secret = base64.b64decode(args.secret[len("whsec_"):])
        signed = msg_id.encode() + b"." + ts.encode() + b"." + base64.b64decode(r["body_b64"])
        want = "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()
        got = r["hdr"]["webhook-signature"].split(" ")
        sys.exit(0 if want in got and abs(time.time() - int(ts)) < 300 else 1)


if __name__ == "__main__":
    main()
