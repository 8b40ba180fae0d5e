#!/usr/bin/env python3
"""RDB persistence benchmark: oxidis side by side with the real redis-server.

For each dataset (1,000,000 strings from DEBUG POPULATE; 100,000 hashes of 10 fields) and
each server, on a fresh process in a fresh directory:

  * SAVE time      (round trip of SAVE, best of --runs)
  * BGSAVE time    (BGSAVE sent until INFO rdb_bgsave_in_progress is 0 again, best of --runs)
  * file size      (dump.rdb after SAVE)
  * load time      (process start until PING answers +PONG and DBSIZE is complete, best of
                    --runs)
  * write stall    (longest gap between replies of a client doing SETs during one BGSAVE)

and writes a markdown table with the ratios oxidis/redis (below 1.0: oxidis is faster or
smaller) to bench/RDB.md (or --out).

Usage (from the repository root, after `cargo build --release`):

    python3 bench/rdb.py [--oxidis target/release/oxidis] [--redis-server redis-server]
                         [--runs 3] [--out bench/RDB.md] [--scale 1.0]

Only the Python standard library is used.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Resp:
    """A minimal blocking RESP2 client."""

    def __init__(self, port, timeout=600.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t + rest).decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(f"bad reply {line!r}")

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def cmd(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.read()

    def pipeline(self, cmds):
        self.sock.sendall(b"".join(self.encode(*c) for c in cmds))
        return [self.read() for _ in cmds]

    def close(self):
        self.sock.close()


def info_field(conn, field):
    text = conn.cmd("INFO", "persistence")
    if isinstance(text, bytes):
        text = text.decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


class Server:
    def __init__(self, name, binary, workdir):
        self.name, self.binary, self.dir = name, binary, workdir
        self.proc = None
        self.port = None

    def start(self):
        """Start in self.dir; returns seconds until PING answers +PONG."""
        self.port = free_port()
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--enable-debug-command", "yes", "--logfile", "server.log"]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + 600
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                c = Resp(self.port, timeout=600)
            except OSError:
                time.sleep(0.002)
                continue
            try:
                while time.perf_counter() < deadline:
                    if c.cmd("PING") == "+PONG":
                        return time.perf_counter() - t0
                    time.sleep(0.002)
            finally:
                c.close()
        raise RuntimeError(f"{self.name} did not answer PING")

    def conn(self):
        return Resp(self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                c = self.conn()
                c.sock.sendall(Resp.encode("SHUTDOWN", "NOSAVE"))
                c.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def populate_strings(c, n):
    assert c.cmd("DEBUG", "POPULATE", n) == "+OK"


def populate_hashes(c, n, fields=10, batch=1000):
    for start in range(0, n, batch):
        cmds = []
        for i in range(start, min(n, start + batch)):
            args = ["HSET", f"hash:{i}"]
            for j in range(fields):
                args += [f"field:{j}", f"value:{i}:{j}"]
            cmds.append(args)
        for r in c.pipeline(cmds):
            assert r == fields, r


DATASETS = [
    ("{n:,} strings (DEBUG POPULATE)", "strings", 1_000_000),
    ("{n:,} hashes of 10 fields", "hashes", 100_000),
]


def measure(name, binary, kind, n, runs):
    """All four numbers for one server and dataset."""
    with tempfile.TemporaryDirectory(prefix=f"rdbbench-{name}-") as d:
        srv = Server(name, binary, d)
        srv.start()
        try:
            c = srv.conn()
            if kind == "strings":
                populate_strings(c, n)
            else:
                populate_hashes(c, n)
            keys = c.cmd("DBSIZE")
            save = []
            for _ in range(runs):
                t0 = time.perf_counter()
                r = c.cmd("SAVE")
                save.append(time.perf_counter() - t0)
                assert r == "+OK", r
            size = os.path.getsize(os.path.join(d, "dump.rdb"))
            bgsave = []
            for _ in range(runs):
                t0 = time.perf_counter()
                r = c.cmd("BGSAVE")
                assert r.startswith("+Background saving started"), r
                while info_field(c, "rdb_bgsave_in_progress") != "0":
                    time.sleep(0.005)
                bgsave.append(time.perf_counter() - t0)
                assert info_field(c, "rdb_last_bgsave_status") == "ok"
            stall = measure_stall(srv, c, "key" if kind == "strings" else "hash")
            c.close()
        finally:
            srv.stop()
        load = []
        for _ in range(runs):
            t = srv.start()
            try:
                c = srv.conn()
                got = c.cmd("DBSIZE")
                c.close()
                if got != keys:
                    raise RuntimeError(f"{name}: loaded {got} keys of {keys}")
                load.append(t)
            finally:
                srv.stop()
    return {"save": min(save), "bgsave": min(bgsave), "size": size, "load": min(load),
            "stall": stall, "keys": keys}


def measure_stall(srv, c, prefix):
    """Longest gap in seconds between the replies of a client doing SETs during a BGSAVE.
    The SETs overwrite existing keys (`prefix:N`), so the key count stays the same."""
    stop = threading.Event()
    times = []

    def writer():
        w = srv.conn()
        i = 0
        while not stop.is_set():
            w.cmd("SET", f"{prefix}:{i % 1000}", "x")
            times.append(time.perf_counter())
            i += 1
        w.close()

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.2)
    assert c.cmd("BGSAVE").startswith("+Background saving started")
    while info_field(c, "rdb_bgsave_in_progress") != "0":
        time.sleep(0.01)
    time.sleep(0.1)
    stop.set()
    t.join()
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def fmt_secs(s):
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def fmt_size(b):
    return f"{b / (1024 * 1024):.1f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--oxidis", default="target/release/oxidis")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply dataset sizes (e.g. 0.01 for a quick smoke run)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "RDB.md"))
    a = ap.parse_args()
    oxidis = os.path.abspath(a.oxidis)
    rows = []
    for label, kind, n in DATASETS:
        n = max(1, int(n * a.scale))
        label = label.format(n=n)
        print(f"== {label} (n={n})", file=sys.stderr)
        r = measure("redis", a.redis_server, kind, n, a.runs)
        print(f"   redis  {r}", file=sys.stderr)
        o = measure("oxidis", oxidis, kind, n, a.runs)
        print(f"   oxidis {o}", file=sys.stderr)
        rows.append((label, n, r, o))
    lines = [
        "# RDB persistence: oxidis vs redis-server 7.0",
        "",
        f"Generated by `python3 bench/rdb.py --runs {a.runs}"
        + (f" --scale {a.scale}" if a.scale != 1.0 else "") + "` on "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        + f" ({os.cpu_count()} CPUs). Times are the best of {a.runs} runs; load time is "
        "process start to PING answered with every key loaded (DBSIZE checked). "
        "Ratio = oxidis / redis: at most 1.0 means oxidis is as fast (or as small).",
        "",
        "| dataset | metric | redis | oxidis | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for label, n, r, o in rows:
        for key, name, f in [("save", "SAVE", fmt_secs), ("bgsave", "BGSAVE", fmt_secs),
                             ("size", "file size", fmt_size),
                             ("load", "load at startup", fmt_secs),
                             ("stall", "longest write stall during BGSAVE", fmt_secs)]:
            ratio = o[key] / r[key] if r[key] else float("nan")
            lines.append(f"| {label} | {name} | {f(r[key])} | {f(o[key])} | {ratio:.2f} |")
    text = "\n".join(lines) + "\n"
    with open(a.out, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
