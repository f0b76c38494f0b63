#!/usr/bin/env python3
"""The chaos run: webhooks through hookspool while its dependencies fail.

  chaos.py run --store single|erasure --dir D --out RESULT.json
      Starts its own MinIO (one server, or a four-node erasure set on
      loopback), the handler (`--listen`, `--workers 4`), the continuous
      drain and a scripted destination, then sends a few hundred GitHub-signed
      webhooks over FastCGI (some of several hundred KiB, a tenth resent with
      the same delivery id, as providers do) while faults are injected on a
      fixed timeline:
        single:  MinIO SIGKILLed and restarted on its data dir and port,
                 later frozen (SIGSTOP) for a few seconds
        erasure: one node that is not the store's endpoint SIGKILLed, left down
        both:    the drain SIGKILLed and restarted four times, the handler
                 stopped gracefully (SIGTERM, while uploads are mid-body) and
                 started again, the destination answering 500 to a share of
                 attempts and hanging past its timeout on some.
      A refused request (503, or no connection while the handler restarts)
      is sent again after its Retry-After, as providers do. Then the faults
      stop, the destination turns healthy, the drain empties the spool and is
      stopped. The bucket is read with mc, never with hookspool's own code.
      RESULT.json holds the figures and the evidence for each check; the
      figures line `sent N, acked N, refused N, delivered N, duplicates N,
      lost N` is printed on stdout. CHAOS_SCALE (default 1, lower under the
      sanitizer build) scales the number of webhooks and the timeline.

  chaos.py dest --port P --log F --healthy-flag FILE --timeout-s S
      The destination: one JSON line per request in F (key, attempt, drain
      generation from the path, arrival and end times, answer, body SHA-256).
      While FILE does not exist, attempts 1-3 of a key get 500 (about 20 %)
      or hang past S (about 7 %, until the drain hangs up; nothing is
      answered); every other request gets 200, after 50 ms of "work".
      Whether a key's first attempt fails is a function of the key
      (first_attempt_fails), so the sender can aim resends at keys waiting
      in retry/.

Counting: sent is webhooks (distinct delivery ids), acked those answered
2xx at least once, refused the requests answered otherwise (or not at all),
delivered the keys the destination answered 200 at least once, duplicates
the 200s beyond the first per key, lost the acked keys never delivered. The
duplicate bound is kills x drain concurrency, where kills counts each drain
SIGKILL and each store fault (a kill or a freeze can fail the done/ write
after a 2xx: the second duplicate window DESIGN.md names).
"""
import argparse
import hashlib
import heapq
import hmac
import json
import os
import random
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOME = os.environ.get("HOME") or os.path.expanduser("~")
CACHE = os.environ.get("HOOKSPOOL_CACHE", os.path.join(HOME, ".cache", "hookspool"))
MINIO = os.path.join(CACHE, "bin", "minio")
MC = os.environ.get("HS_MC", os.path.join(CACHE, "bin", "mc"))
USER, PASSWORD, BUCKET = "chaos-test", "chaos-test-secret", "chaos"

SENDERS = 8                  # concurrent provider connections
CLIENT_TIMEOUT_S = 10        # GitHub's own delivery timeout
DRAIN_CONCURRENCY = 4
DEST_TIMEOUT_MS = 1500
STORE_TIMEOUT_MS = 3000      # the default
SCHEDULE_S = [0, 1, 1, 2, 2, 3, 3, 3, 3, 3]
FAIL_SHARE, HANG_SHARE = 0.20, 0.07
OK_LATENCY_S = 0.05          # a destination's own work before its 200
FAILING_ATTEMPTS = 3         # attempts after these always succeed
RETRY_AFTER_CAP_S = 3        # a provider's backoff, kept short to bound the run
BIG_SHARE, RESEND_SHARE = 0.10, 0.10
UPLOAD_CHUNK, UPLOAD_PAUSE_S = 32768, 0.01  # a large body's pace: 3 MiB/s


def unit(*parts):
    """A number in [0, 1) fixed by its arguments."""
    h = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def attempt_answer(key, attempt, nth):
    """What the destination does with a key's attempt (its nth arrival at that attempt)."""
    if attempt > FAILING_ATTEMPTS:
        return "ok"
    u = unit(key, attempt, nth)
    return "fail" if u < FAIL_SHARE else "hang" if u < FAIL_SHARE + HANG_SHARE else "ok"


def first_attempt_fails(key):
    return attempt_answer(key, 1, 0) != "ok"


# --- the destination -----------------------------------------------------------------

class Dest(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536
    disable_nagle_algorithm = True
    lock = threading.Lock()
    seen = {}
    log = None
    healthy_flag = None
    hang_cap_s = 10.0

    def log_message(self, fmt, *args):
        pass

    def write(self, doc):
        with self.lock:
            self.log.write(json.dumps(doc) + "\n")
            self.log.flush()

    def client_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0.05)
            return bool(r) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def do_POST(self):
        t0 = time.time()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length > 0 else b""
        key = self.headers.get("Idempotency-Key", "")
        attempt = int(self.headers.get("Hookspool-Attempt", "0") or 0)
        gen = self.path.strip("/").split("/")[0]
        with self.lock:
            nth = self.seen.get((key, attempt), 0)
            self.seen[(key, attempt)] = nth + 1
        answer = "ok" if os.path.exists(self.healthy_flag) else attempt_answer(key, attempt, nth)
        doc = {"key": key, "attempt": attempt, "gen": gen, "t0": t0, "answer": answer,
               "sha256": hashlib.sha256(body).hexdigest(), "len": len(body)}
        if answer == "hang":
            while time.time() - t0 < self.hang_cap_s and not self.client_gone():
                pass
            doc["t1"] = time.time()
            self.write(doc)
            self.close_connection = True
            return
        status = 200 if answer == "ok" else 500
        if status == 200:
            time.sleep(OK_LATENCY_S)
        doc["t1"] = time.time()
        self.write(doc)  # recorded before the answer: a 200 recorded is a webhook processed
        data = b"ok" if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def dest_main(args):
    Dest.log = open(args.log, "a")
    Dest.healthy_flag = args.healthy_flag
    Dest.hang_cap_s = args.timeout_s * 4
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Dest)
    server.daemon_threads = True
    server.serve_forever()


# --- a FastCGI client, as a web server talks to the handler --------------------------

FCGI_BEGIN, FCGI_END, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def fcgi_record(rtype, content, rid=1):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def fcgi_pair(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


class Outcome:
    def __init__(self, kind, status=0, headers=None, body=b""):
        self.kind, self.status, self.headers, self.body = kind, status, headers or {}, body


def fcgi_request(port, params, body, chunk, pause_s, on_body_start, on_body_end):
    """One request; Outcome kind: status | conn_refused | no_response | timeout."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S)
    except ConnectionRefusedError:
        return Outcome("conn_refused")
    except socket.timeout:
        return Outcome("timeout")
    except OSError as e:
        return Outcome("conn_refused" if e.errno in (111, 104) else "no_response")
    deadline = time.time() + CLIENT_TIMEOUT_S
    try:
        s.settimeout(CLIENT_TIMEOUT_S)
        p = b"".join(fcgi_pair(k.encode(), v.encode()) for k, v in params.items())
        head = fcgi_record(FCGI_BEGIN, struct.pack(">HB5x", 1, 0))
        for i in range(0, len(p), 65535):
            head += fcgi_record(FCGI_PARAMS, p[i:i + 65535])
        head += fcgi_record(FCGI_PARAMS, b"")
        try:
            s.sendall(head)
            on_body_start()
            try:
                for i in range(0, len(body), chunk):
                    s.sendall(fcgi_record(FCGI_STDIN, body[i:i + chunk]))
                    if pause_s and i + chunk < len(body):
                        time.sleep(pause_s)
            finally:
                on_body_end()
            s.sendall(fcgi_record(FCGI_STDIN, b""))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the handler may have answered early: read what it said
        out, buf, ended = b"", b"", False
        while not ended:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                break
            buf += data
            while len(buf) >= 8:
                _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                if rtype == FCGI_STDOUT:
                    out += buf[8:8 + clen]
                elif rtype == FCGI_END:
                    ended = True
                buf = buf[8 + clen + plen:]
        if not ended:
            return Outcome("no_response")
        head, _, rbody = out.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        status = int(headers.get("status", "200").split()[0])
        return Outcome("status", status, headers, rbody)
    except socket.timeout:
        return Outcome("timeout")
    finally:
        s.close()


# --- processes -----------------------------------------------------------------------

class Procs:
    """Every process the run starts, each in its own process group, killed at exit."""

    def __init__(self):
        self.started = []

    def start(self, argv, env, log):
        with open(log, "ab") as f:
            p = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--"] + argv, env=env,
                                 stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                                 start_new_session=True)
        self.started.append(p)
        return p

    def cleanup(self):
        for p in self.started:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except OSError:
                    pass
        for p in self.started:
            p.wait()  # reaped, so their CPU time counts in RUSAGE_CHILDREN


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


def wait_for(pred, timeout_s, step=0.1):
    end = time.time() + timeout_s
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Minio:
    """One server, or a four-node erasure set; node 0 is the store's endpoint."""

    def __init__(self, procs, base, nodes):
        self.procs, self.base = procs, base
        self.ports = [free_port() for _ in range(nodes)]
        self.consoles = [free_port() for _ in range(nodes)]
        self.dirs = [os.path.join(base, "minio%d" % i) for i in range(nodes)]
        self.p = [None] * nodes
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)
        self.endpoint = "127.0.0.1:%d" % self.ports[0]

    def env(self, i):
        e = dict(os.environ, MINIO_ROOT_USER=USER, MINIO_ROOT_PASSWORD=PASSWORD,
                 MINIO_BROWSER="off", MINIO_UPDATE="off")
        if len(self.ports) > 1:
            e.update(MINIO_CI_CD="1", _MINIO_SERVER_LOCAL="127.0.0.1:%d" % self.ports[i])
        return e

    def start(self, i):
        drives = ([self.dirs[0]] if len(self.ports) == 1 else
                  ["http://127.0.0.1:%d%s" % (p, d) for p, d in zip(self.ports, self.dirs)])
        self.p[i] = self.procs.start(
            [MINIO, "server", "--quiet", "--address", "127.0.0.1:%d" % self.ports[i],
             "--console-address", "127.0.0.1:%d" % self.consoles[i]] + drives,
            self.env(i), os.path.join(self.base, "minio%d.log" % i))

    def healthy(self):
        path = "/minio/health/live" if len(self.ports) == 1 else "/minio/health/cluster"
        return http_ok("http://%s%s" % (self.endpoint, path))

    def start_all(self):
        for i in range(len(self.ports)):
            self.start(i)
        return wait_for(self.healthy, 60, 0.2)

    def kill(self, i):
        self.p[i].kill()
        self.p[i].wait()


class Mc:
    def __init__(self, base, endpoint):
        self.env = dict(os.environ, MC_CONFIG_DIR=os.path.join(base, "mc"),
                        MC_HOST_t="http://%s:%s@%s" % (USER, PASSWORD, endpoint))
        self.errors = []

    def run(self, *args):
        return subprocess.run([MC, "--quiet"] + list(args), env=self.env, capture_output=True,
                              text=True, timeout=60)

    def ls(self, prefix):
        """Object keys under PREFIX (relative to it); None when mc failed three times."""
        for _ in range(3):
            r = self.run("ls", "--recursive", "t/%s/%s" % (BUCKET, prefix))
            if r.returncode == 0 or "Object does not exist" in r.stderr:
                return sorted(line.split()[-1] for line in r.stdout.splitlines() if line.strip())
            self.errors.append("ls %s: exit %d: %s" % (prefix, r.returncode, r.stderr[-300:]))
            time.sleep(1)
        return None


# --- the run -------------------------------------------------------------------------

class Webhook:
    def __init__(self, seq, big, rng):
        self.key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        size = rng.randint(200, 600) * 1024 if big else rng.randint(300, 4000)
        pad = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(64))
        pad = (pad * (size // 64 + 1))[:size]
        self.body = json.dumps({"seq": seq, "action": "opened", "zen": "caf\u00e9",
                                "pad": pad}).encode()
        self.big = big
        self.sha256 = hashlib.sha256(self.body).hexdigest()
        self.acked = False
        self.resend = None  # "aimed" (at the retry/ window) or "later"


class Run:
    def __init__(self, args):
        self.args = args
        self.base = os.path.abspath(args.dir)
        self.scale = float(os.environ.get("CHAOS_SCALE", "1") or 1)
        self.window_s = 60 * self.scale
        self.n = max(60, int(300 * self.scale)) if args.store == "single" else \
            max(50, int(240 * self.scale))
        self.rng = random.Random(args.seed)
        self.procs = Procs()
        self.secret = "chaos-%016x" % self.rng.getrandbits(64)
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.jobs = []
        self.seq = 0
        self.results = []          # one dict per request
        self.events = []           # (time, what)
        self.restart_windows = []  # [start, end] while the handler is down
        self.in_body = 0           # uploads mid-body right now
        self.sending_closed = False
        self.stop_senders = False
        self.drain_gen = 0
        self.drain = None
        self.drain_self_exits = []
        self.kills = 0
        self.busy = 0
        self.start_t = None

    # -- logging and helpers
    def note(self, what):
        t = time.time() - (self.start_t or time.time())
        self.events.append([round(t, 2), what])
        print("# %6.1fs %s" % (t, what), file=sys.stderr, flush=True)

    def penv(self):
        return dict(os.environ, S3_ACCESS_KEY=USER, S3_SECRET_KEY=PASSWORD,
                    GITHUB_SECRET=self.secret)

    def write_config(self, path, dest_url):
        cfg = {
            "store": {"url": "s3://%s?endpoint=%s&tls=0" % (BUCKET, self.minio.endpoint),
                      "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY",
                      "timeout_ms": STORE_TIMEOUT_MS},
            "sources": [{
                "name": "github", "path": "/hooks/github",
                "verify": {"scheme": "github", "secrets": ["env:GITHUB_SECRET"]},
                "idempotency": {"header": "X-GitHub-Delivery"},
                "destination": {"url": dest_url, "timeout_ms": DEST_TIMEOUT_MS,
                                "connect_timeout_ms": 1000, "breaker_pause_s": 2}}],
            "drain": {"concurrency": DRAIN_CONCURRENCY, "poll_ms": 200,
                      "schedule_s": SCHEDULE_S}}
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)

    # -- components
    def start_handler(self):
        self.handler = self.procs.start(
            [self.args.handler, "--listen", "127.0.0.1:%d" % self.handler_port,
             "--workers", "4"],
            dict(self.penv(), HOOKSPOOL_CONFIG=self.handler_cfg),
            os.path.join(self.base, "handler.log"))
        return wait_for(lambda: port_open(self.handler_port), 20)

    def start_drain(self):
        self.drain_gen += 1
        cfg = os.path.join(self.base, "drain-g%d.json" % self.drain_gen)
        # Each drain process delivers under its own path, so the destination
        # knows which process sent what.
        self.write_config(cfg, "http://127.0.0.1:%d/g%d/github" % (self.dest_port,
                                                                   self.drain_gen))
        self.drain = self.procs.start([self.args.drain, "--config", cfg], self.penv(),
                                      os.path.join(self.base, "drain-g%d.log" % self.drain_gen))

    def check_drain(self):
        rc = self.drain.poll()
        if rc is not None:
            self.drain_self_exits.append(rc)
            self.note("drain g%d exited by itself (%s); restarted" % (self.drain_gen, rc))
            time.sleep(1)  # as systemd's RestartSec would
            self.start_drain()

    # -- the provider side
    def schedule(self, due, wh, kind):
        with self.cv:
            self.seq += 1
            heapq.heappush(self.jobs, (due, self.seq, wh, kind))
            self.cv.notify()

    def body_start(self):
        with self.lock:
            self.in_body += 1

    def body_end(self):
        with self.lock:
            self.in_body -= 1

    def send(self, wh, kind):
        sig = hmac.new(self.secret.encode(), wh.body, hashlib.sha256).hexdigest()
        params = {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/hooks/github",
                  "REQUEST_URI": "/hooks/github", "QUERY_STRING": "",
                  "CONTENT_LENGTH": str(len(wh.body)), "CONTENT_TYPE": "application/json",
                  "REMOTE_ADDR": "192.0.2.10", "SERVER_PROTOCOL": "HTTP/1.1",
                  "GATEWAY_INTERFACE": "CGI/1.1", "HTTP_USER_AGENT": "GitHub-Hookshot/chaos",
                  "HTTP_X_GITHUB_EVENT": "issues", "HTTP_X_GITHUB_DELIVERY": wh.key,
                  "HTTP_X_HUB_SIGNATURE_256": "sha256=" + sig}
        # A large body arrives over a slow link, as from a distant provider.
        pause = UPLOAD_PAUSE_S if wh.big else 0
        t0 = time.time()
        o = fcgi_request(self.handler_port, params, wh.body, UPLOAD_CHUNK, pause,
                         self.body_start, self.body_end)
        code = ""
        if o.kind == "status" and o.status >= 300:
            try:
                code = json.loads(o.body.decode()).get("code", "")
            except Exception:
                code = o.body[:200].decode("latin-1")
        r = {"t0": t0 - self.start_t, "t1": time.time() - self.start_t, "key": wh.key,
             "kind": kind, "outcome": o.kind, "status": o.status, "code": code,
             "retry_after": o.headers.get("retry-after", ""), "big": wh.big}
        with self.lock:
            self.results.append(r)
        return o

    def watch_deliveries(self):
        """Aims the resends of "aimed" keys, from the destination's records.

        Half the resent keys are ones whose first attempt fails. Their resend
        lands while the key waits in retry/, just before it is due (DUE is in
        whole seconds: the first whole second after the failed attempt), so
        that the next pass finds the key in retry/ and in pending/ at once:
        what happens at scale when providers resend a webhook whose delivery
        is being retried.
        """
        seen = set()
        with open(self.dest_log) as f:
            buf = ""
            while not self.stop_senders:
                chunk = f.read()
                if not chunk:
                    time.sleep(0.05)
                    continue
                buf += chunk
                *lines, buf = buf.split("\n")
                for line in lines:
                    d = json.loads(line)
                    wh = self.aimed.get(d["key"])
                    if wh is None or d["attempt"] != 1 or d["answer"] == "ok" or wh in seen:
                        continue
                    seen.add(wh)
                    due = int(d["t1"]) + 1  # whole seconds, as retry/DUE/ names it
                    self.schedule(max(time.time(), due - self.upload_s(wh)), wh, "resend")

    @staticmethod
    def upload_s(wh):
        """About how long a request takes, to land just before a moment."""
        return 0.03 + (UPLOAD_PAUSE_S * (len(wh.body) // UPLOAD_CHUNK) if wh.big else 0)

    def sender(self):
        while True:
            with self.cv:
                while True:
                    if self.stop_senders or (self.sending_closed and not self.jobs and
                                             not self.busy):
                        self.cv.notify_all()
                        return
                    now = time.time()
                    if self.jobs and self.jobs[0][0] <= now:
                        _, _, wh, kind = heapq.heappop(self.jobs)
                        self.busy += 1
                        break
                    self.cv.wait(min(0.2, self.jobs[0][0] - now) if self.jobs else 0.2)
            o = self.send(wh, kind)
            now = time.time()
            if o.kind == "status" and 200 <= o.status < 300:
                first_ack = not wh.acked
                wh.acked = True
                if first_ack and wh.resend == "later":
                    self.schedule(now + self.rng.uniform(1, 10), wh, "resend")
            elif o.kind == "status" and o.status != 503:
                pass  # a provider does not retry a 4xx: recorded, and the check fails
            else:
                try:
                    delay = float(o.headers.get("retry-after", "1"))
                except ValueError:
                    delay = 1
                self.schedule(now + min(max(delay, 0.5), RETRY_AFTER_CAP_S), wh,
                              "retry" if kind == "first" else kind)
            with self.cv:
                self.busy -= 1
                self.cv.notify_all()

    # -- faults
    def kill_drain(self):
        self.check_drain()
        self.drain.kill()
        self.drain.wait()
        self.kills += 1
        self.note("drain g%d SIGKILLed" % self.drain_gen)
        time.sleep(0.5)
        self.start_drain()

    def restart_handler(self):
        # Uploads in the middle of their body: the case a stop must not turn
        # into a refusal.
        for wh in self.held_for_restart:
            self.schedule(time.time(), wh, "first")
        wait_for(lambda: self.in_body > 0, 5, 0.005)
        t0 = time.time()
        mid = self.in_body
        self.handler.send_signal(signal.SIGTERM)
        try:
            rc = self.handler.wait(30)
        except subprocess.TimeoutExpired:
            rc = "still running after 30 s"
        self.note("handler SIGTERMed with %d uploads mid-body; exited %s after %.1fs" %
                  (mid, rc, time.time() - t0))
        self.handler_stop_rc = rc
        self.handler_stop_mid_body = mid
        up = self.start_handler()
        t1 = time.time()
        self.note("handler restarted, listening: %s" % up)
        self.restart_windows.append([t0 - self.start_t, t1 - self.start_t + 0.5])

    def kill_minio(self, i, restart_after):
        self.minio.kill(i)
        self.note("minio node %d SIGKILLed" % i)
        if restart_after is None:
            return
        time.sleep(restart_after)
        self.minio.start(i)
        up = wait_for(self.minio.healthy, 30, 0.1)
        self.note("minio node %d restarted, healthy: %s" % (i, up))

    def freeze_minio(self, seconds):
        self.minio.p[0].send_signal(signal.SIGSTOP)
        self.note("minio SIGSTOPped for %ss" % seconds)
        time.sleep(seconds)
        self.minio.p[0].send_signal(signal.SIGCONT)
        self.note("minio SIGCONTinued")

    # -- the whole run
    def main(self):
        os.makedirs(self.base, exist_ok=True)
        self.start_t = time.time()
        erasure = self.args.store == "erasure"
        self.minio = Minio(self.procs, self.base, 4 if erasure else 1)
        if not self.minio.start_all():
            raise RuntimeError("minio did not become healthy")
        self.mc = Mc(self.base, self.minio.endpoint)
        r = self.mc.run("mb", "t/" + BUCKET)
        if r.returncode != 0:
            raise RuntimeError("mc mb: " + r.stderr)
        self.note("minio up (%s, endpoint %s)" % (self.args.store, self.minio.endpoint))

        self.dest_port = free_port()
        self.dest_log = os.path.join(self.base, "deliveries.jsonl")
        self.healthy_flag = os.path.join(self.base, "dest-healthy")
        self.procs.start([sys.executable, os.path.abspath(__file__), "dest",
                          "--port", str(self.dest_port), "--log", self.dest_log,
                          "--healthy-flag", self.healthy_flag,
                          "--timeout-s", str(DEST_TIMEOUT_MS / 1000)],
                         dict(os.environ), os.path.join(self.base, "dest.log"))
        if not wait_for(lambda: port_open(self.dest_port), 10):
            raise RuntimeError("destination did not start")

        self.handler_port = free_port()
        self.handler_cfg = os.path.join(self.base, "handler.json")
        self.write_config(self.handler_cfg, "http://127.0.0.1:%d/unused" % self.dest_port)
        if not self.start_handler():
            raise RuntimeError("handler did not start")
        self.start_drain()

        hooks = [Webhook(i, self.rng.random() < BIG_SHARE, self.rng) for i in range(self.n)]
        n_resend = max(2, int(self.n * RESEND_SHARE))
        failing = [wh for wh in hooks if first_attempt_fails(wh.key)]
        for wh in self.rng.sample(failing, min(len(failing), n_resend // 2)):
            wh.resend = "aimed"
        self.aimed = {wh.key: wh for wh in hooks if wh.resend}
        others = [wh for wh in hooks if not wh.resend]
        for wh in self.rng.sample(others, n_resend - len(self.aimed)):
            wh.resend = "later"
        # A few large uploads are held for the handler's restart, so its stop
        # signal finds uploads in the middle of their body.
        self.held_for_restart = [wh for wh in hooks if wh.big and not wh.resend][:3]
        self.start_t = time.time()
        self.events = []
        self.note("sending %d webhooks over %.0fs" % (self.n, self.window_s))
        for wh in hooks:
            if wh not in self.held_for_restart:
                self.schedule(self.start_t + self.rng.uniform(0, self.window_s), wh, "first")
        threads = [threading.Thread(target=self.sender, daemon=True) for _ in range(SENDERS)]
        for t in threads:
            t.start()
        threading.Thread(target=self.watch_deliveries, daemon=True).start()

        w = self.window_s
        if erasure:
            faults = [(0.10, self.kill_drain),
                      (0.25, lambda: self.kill_minio(2, None)),
                      (0.35, self.kill_drain),
                      (0.50, self.restart_handler),
                      (0.65, self.kill_drain),
                      (0.85, self.kill_drain)]
            self.store_faults = 1
        else:
            faults = [(0.10, self.kill_drain),
                      (0.20, lambda: self.kill_minio(0, 3)),
                      (0.35, self.kill_drain),
                      (0.45, self.restart_handler),
                      (0.60, self.kill_drain),
                      (0.70, lambda: self.freeze_minio(4)),
                      (0.85, self.kill_drain)]
            self.store_faults = 2
        self.handler_stop_rc, self.handler_stop_mid_body = None, None
        for at, fault in faults:
            while time.time() < self.start_t + at * w:
                self.check_drain()
                time.sleep(0.1)
            fault()
        while time.time() < self.start_t + w:
            self.check_drain()
            time.sleep(0.1)
        if erasure:
            self.cluster_healthy_degraded = self.minio.healthy()
            self.note("cluster health with a node down: %s" % self.cluster_healthy_degraded)
        self.note("faults over; new webhooks end")
        with self.cv:
            self.sending_closed = True
            self.cv.notify_all()
        # Refused requests and resends go on until every webhook is acked, bounded.
        ack_deadline = time.time() + 25
        while time.time() < ack_deadline and any(t.is_alive() for t in threads):
            self.check_drain()
            time.sleep(0.2)
        with self.cv:
            self.stop_senders = True
            self.cv.notify_all()
        for t in threads:
            t.join(CLIENT_TIMEOUT_S + 5)
        self.note("sending done")

        # The final phase: a healthy destination; the drain empties the spool.
        open(self.healthy_flag, "w").close()
        drain_deadline = time.time() + 45
        left = None
        while time.time() < drain_deadline:
            self.check_drain()
            pending, retry = self.mc.ls("pending/"), self.mc.ls("retry/")
            if pending is not None and retry is not None:
                left = len(pending) + len(retry)
                if left == 0:
                    break
            time.sleep(1)
        self.note("spool drained (objects left in pending/ and retry/: %s)" % left)
        self.drain.send_signal(signal.SIGTERM)
        try:
            self.drain_stop_rc = self.drain.wait(20)
        except subprocess.TimeoutExpired:
            self.drain_stop_rc = "still running after 20 s"
        self.handler.send_signal(signal.SIGTERM)
        try:
            self.handler.wait(20)
        except subprocess.TimeoutExpired:
            pass
        return self.report(hooks)

    def report(self, hooks):
        by_key = {wh.key: wh for wh in hooks}
        res = self.results
        acked = {r["key"] for r in res if r["outcome"] == "status" and 200 <= r["status"] < 300}
        refusals = [r for r in res if not (r["outcome"] == "status" and 200 <= r["status"] < 300)]

        def in_restart(r):
            return any(a - 0.2 <= r["t0"] <= b or a <= r["t1"] <= b
                       for a, b in self.restart_windows)
        not_503 = [r for r in refusals if r["outcome"] == "status" and r["status"] != 503]
        no_retry_after = [r for r in refusals if r["outcome"] == "status" and r["status"] == 503
                          and not r["retry_after"]]
        no_conn_stray = [r for r in refusals if r["outcome"] in ("conn_refused", "no_response")
                         and not in_restart(r)]
        timeouts = [r for r in refusals if r["outcome"] == "timeout"]

        deliveries = []
        with open(self.dest_log) as f:
            for line in f:
                deliveries.append(json.loads(line))
        ok = [d for d in deliveries if d["answer"] == "ok"]
        ok_by_key = {}
        for d in ok:
            ok_by_key.setdefault(d["key"], []).append(d)
        delivered = set(ok_by_key)
        duplicates = sum(len(v) - 1 for v in ok_by_key.values())
        dup_same_gen = sum(len(v) - len({d["gen"] for d in v}) for v in ok_by_key.values())
        lost = sorted(acked - delivered)
        corrupt = [d for d in ok if d["key"] in by_key and d["sha256"] != by_key[d["key"]].sha256]
        unknown = sorted({d["key"] for d in deliveries} - set(by_key))
        # A drain process never has one key in flight twice.
        overlaps = []
        spans = {}
        for d in deliveries:
            spans.setdefault((d["gen"], d["key"]), []).append((d["t0"], d["t1"], d["attempt"]))
        for (gen, key), v in spans.items():
            v.sort()
            for a, b in zip(v, v[1:]):
                if b[0] < a[1]:
                    overlaps.append({"gen": gen, "key": key, "first": a, "second": b})

        # One key, one delivery per pass: the drain logs one line per delivery
        # attempt and one "pass" line when a pass has finished.
        twice_in_a_pass = []
        for gen in range(1, self.drain_gen + 1):
            with open(os.path.join(self.base, "drain-g%d.log" % gen)) as f:
                lines = [json.loads(x) for x in f if x.startswith("{")]
            in_pass = {}
            for x in lines:
                if x.get("event") == "pass":
                    in_pass = {}
                elif x.get("event") == "delivery":
                    before = in_pass.setdefault(x.get("key"), [])
                    before.append([x["time"], x.get("object"), x.get("status")])
                    if len(before) == 2:
                        twice_in_a_pass.append({"gen": gen, "key": x.get("key"),
                                                "deliveries": before})
        done = self.mc.ls("done/github/")
        pending, retry, dead = (self.mc.ls(p) for p in ("pending/", "retry/", "dead/"))
        # A key the listing lacks is looked up on its own: is the listing short,
        # or the object missing?
        unlisted = sorted(acked - set(done or []))
        missing_done = [k for k in unlisted if done is None or
                        self.mc.run("stat", "t/%s/done/github/%s" % (BUCKET, k)).returncode != 0]
        kills = self.kills + self.store_faults
        with open(os.path.join(self.base, "handler.log")) as f:
            hlog = [json.loads(x) for x in f if x.startswith("{")]
        worker_deaths = [x for x in hlog if x.get("event") == "worker_exited"
                         and x.get("level") != "info"]
        summary = {
            "store": self.args.store, "scale": self.scale,
            "sent": len(hooks), "requests": len(res),
            "resends": sum(1 for r in res if r["kind"] == "resend"),
            "big": sum(1 for wh in hooks if wh.big),
            "acked": len(acked), "refused": len(refusals),
            "refused_503": sum(1 for r in refusals if r["status"] == 503),
            "refused_no_connection": sum(1 for r in refusals
                                         if r["outcome"] in ("conn_refused", "no_response")),
            "delivered": len(delivered), "attempts": len(deliveries),
            "duplicates": duplicates, "duplicates_in_one_drain": dup_same_gen,
            "lost": len(lost), "lost_keys": lost[:20],
            "kills": kills, "drain_kills": self.kills, "store_faults": self.store_faults,
            "concurrency": DRAIN_CONCURRENCY, "duplicate_bound": kills * DRAIN_CONCURRENCY,
            "not_503": not_503[:20], "not_503_n": len(not_503),
            "no_retry_after": no_retry_after[:20], "no_retry_after_n": len(no_retry_after),
            "no_connection_outside_restart": no_conn_stray[:20],
            "no_connection_outside_restart_n": len(no_conn_stray),
            "timeouts": timeouts[:20], "timeouts_n": len(timeouts),
            "unacked": len(hooks) - len(acked & set(by_key)),
            "corrupt_n": len(corrupt), "unknown_keys": unknown[:20],
            "overlaps": overlaps[:20], "overlaps_n": len(overlaps),
            "twice_in_a_pass": twice_in_a_pass[:20], "twice_in_a_pass_n": len(twice_in_a_pass),
            "left_pending": pending, "left_retry": retry, "left_dead": dead,
            "done_listed": done is not None, "missing_done": missing_done[:20],
            "missing_done_n": len(missing_done),
            "unlisted_done": [k for k in unlisted if k not in missing_done][:20],
            "mc_errors": self.mc.errors[-5:],
            "drain_self_exits": self.drain_self_exits, "drain_stop_rc": self.drain_stop_rc,
            "handler_stop_rc": self.handler_stop_rc,
            "handler_stop_mid_body": self.handler_stop_mid_body,
            "restart_windows": self.restart_windows,
            "worker_deaths": len(worker_deaths),
            "cluster_healthy_degraded": getattr(self, "cluster_healthy_degraded", None),
            "events": self.events,
            "elapsed_s": round(time.time() - self.start_t, 1),
        }
        summary["figures"] = ("sent %d, acked %d, refused %d, delivered %d, duplicates %d, lost %d"
                              % (summary["sent"], summary["acked"], summary["refused"],
                                 summary["delivered"], summary["duplicates"], summary["lost"]))
        return summary


DETAILS = ("requests %(requests)d (resends %(resends)d, bodies of 200-600 KiB %(big)d); "
           "refused: 503 %(refused_503)d, no connection %(refused_no_connection)d; "
           "attempts at the destination %(attempts)d; "
           "duplicates in one drain process %(duplicates_in_one_drain)d; "
           "kills %(kills)d (drain %(drain_kills)d, store %(store_faults)d) "
           "x concurrency %(concurrency)d; %(elapsed_s)ss, cpu seconds %(cpu_s)s")


def run_main(args):
    run = Run(args)

    def on_term(sig, frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_term)
    try:
        summary = run.main()
    finally:
        run.procs.cleanup()
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    summary["cpu_s"] = {"driver": round(own.ru_utime + own.ru_stime, 1),
                        "servers": round(kids.ru_utime + kids.ru_stime, 1)}
    summary["details"] = DETAILS % summary
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=1)
    print(summary["figures"], flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--store", choices=["single", "erasure"], required=True)
    r.add_argument("--dir", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--handler", required=True)
    r.add_argument("--drain", required=True)
    r.add_argument("--seed", type=int, default=6)
    d = sub.add_parser("dest")
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--log", required=True)
    d.add_argument("--healthy-flag", required=True)
    d.add_argument("--timeout-s", type=float, required=True)
    args = p.parse_args()
    if args.cmd == "run":
        run_main(args)
    else:
        dest_main(args)


if __name__ == "__main__":
    main()
