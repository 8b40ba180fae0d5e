#!/usr/bin/env python3
"""Memory use of oxidis next to a real redis-server for the same data set.

For each data type, a fresh pair of servers is started (loopback, free ports, persistence
off), the empty-server resident set size is taken as the baseline, N keys are loaded with a
pipelined raw-RESP loader, and the growth of VmRSS (/proc/PID/status) is reported per key:

  strings: SET key:<i> value:<i>
  hashes:  HSET key:<i> f v

A type whose command oxidis does not implement (COMMAND INFO) is skipped with a message. The
result is a markdown table on stdout (progress goes to stderr).

Usage (from the repository root):

    python3 bench/memory.py [--keys N] [--types strings,hashes] [--bin PATH]

Without --bin, target/release/oxidis is built first. Only the Python standard library is used.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

TYPES = {
    # name: (command oxidis must implement, argument builder)
    "strings": ("set", lambda i: [b"SET", b"key:%d" % i, b"value:%d" % i]),
    "hashes": ("hset", lambda i: [b"HSET", b"key:%d" % i, b"f", b"v"]),
}
BATCH = 10000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A minimal RESP client: enough for one-line replies and bulk strings."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2 :]
            return data
        if line[:1] == b"*":
            return [self.reply() for _ in range(int(line[1:]))]
        return line

    def cmd(self, *args):
        self.sock.sendall(encode([a if isinstance(a, bytes) else a.encode() for a in args]))
        return self.reply()

    def load(self, n, build):
        """Send n commands in pipelined batches; every reply must be a non-error line."""
        for start in range(0, n, BATCH):
            end = min(n, start + BATCH)
            self.sock.sendall(b"".join(encode(build(i)) for i in range(start, end)))
            for _ in range(start, end):
                r = self._line()
                if r[:1] == b"-":
                    raise RuntimeError("error reply while loading: %r" % r)


class Server:
    def __init__(self, argv, name):
        self.name = name
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="oxidis-mem-")
        self.log = open(os.path.join(self.dir.name, "server.log"), "w")
        full = argv + ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.proc = subprocess.Popen(
            full, cwd=self.dir.name, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log
        )
        deadline = time.time() + 10
        while True:
            try:
                self.conn = Conn(self.port)
                if self.conn.cmd("PING") == b"+PONG":
                    break
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("%s did not start on port %d" % (name, self.port))
            time.sleep(0.05)

    def rss(self):
        """Resident set size in bytes, after letting the allocator settle."""
        time.sleep(0.5)
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS for pid %d" % self.proc.pid)

    def implements(self, command):
        r = self.conn.cmd("COMMAND", "INFO", command)
        return isinstance(r, list) and len(r) == 1 and r[0] is not None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.dir.cleanup()


def measure(argv, name, n, build):
    """(baseline RSS, RSS growth) of a fresh server after loading n keys."""
    s = Server(argv, name)
    try:
        base = s.rss()
        t = time.time()
        s.conn.load(n, build)
        size = int(s.conn.cmd("DBSIZE")[1:])
        if size != n:
            raise RuntimeError("%s holds %d keys, expected %d" % (name, size, n))
        grown = s.rss() - base
        log("  %s: %d keys in %.1fs, RSS +%.1f MB" % (name, n, time.time() - t, grown / 2**20))
        return base, grown
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--types", default="strings,hashes")
    ap.add_argument("--bin", default="")
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if args.bin:
        oxidis = os.path.abspath(args.bin)
    else:
        log("building oxidis (release)...")
        subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
        oxidis = os.path.abspath("target/release/oxidis")
    redis = ["redis-server", "--appendonly", "no", "--daemonize", "no"]

    rows = []
    for t in [x.strip() for x in args.types.split(",") if x.strip()]:
        if t not in TYPES:
            sys.exit("unknown type %r (known: %s)" % (t, ", ".join(TYPES)))
        command, build = TYPES[t]
        probe = Server([oxidis], "oxidis")
        try:
            supported = probe.implements(command)
        finally:
            probe.stop()
        if not supported:
            log("oxidis does not implement %s: skipping %s" % (command.upper(), t))
            rows.append("| %s | %d | not implemented | | | | n/a |" % (t, args.keys))
            continue
        log("%s: loading %d keys" % (t, args.keys))
        ob, og = measure([oxidis], "oxidis", args.keys, build)
        rb, rg = measure(redis, "redis", args.keys, build)
        ratio = "%.2f" % (og / rg) if rg > 0 else "n/a"
        rows.append(
            "| %s | %d | %.1f | %.1f | %.1f | %.1f | %s |"
            % (t, args.keys, og / 2**20, rg / 2**20, og / args.keys, rg / args.keys, ratio)
        )
        log("  baselines: oxidis %.1f MB, redis %.1f MB" % (ob / 2**20, rb / 2**20))

    print("| data | keys | oxidis MB | redis MB | oxidis B/key | redis B/key | oxidis/redis |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
