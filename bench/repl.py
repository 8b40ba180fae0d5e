#!/usr/bin/env python3
"""Replication benchmark: oxidis side by side with the real redis-server.

For each server (a master and two replicas of the same kind, loopback, free ports,
persistence off, repl-diskless-sync-delay 0):

  * write throughput with 0 replicas (`redis-benchmark -t set -P 16 -n N -q` on a fresh
    master holding the data set, before any replica ever attached)
  * full sync time, disk   (replica 1 started -> master_link_status:up and equal DBSIZE,
                            master with repl-diskless-sync no)
  * full sync time, diskless (replica 2 started likewise, repl-diskless-sync yes)
  * write throughput with the 2 replicas attached (same redis-benchmark run)
  * replication lag during that run: INFO replication on the master sampled every 50 ms,
    master_repl_offset minus each replica's acknowledged offset; max and median in bytes
    (replicas acknowledge once a second, so this includes up to a second of writes)

The two servers alternate for --rounds rounds (default 2); the best time and throughput and
the median lag of the rounds are reported, which damps the noise of a shared machine.

The data set is `DEBUG POPULATE <keys>` (1,000,000 by default) on each master. The result is
a markdown table with the ratios oxidis/redis on stdout (bench/REPL.md records it); progress
goes to stderr. Every wait is bounded; the whole run takes one to two minutes. Not part of
`cargo test`.

Usage (from the repository root, after `cargo build --release`):

    python3 bench/repl.py [--oxidis target/release/oxidis] [--redis-server redis-server]
                          [--keys 1000000] [--requests 1000000] [--out FILE]

Only the Python standard library is used (plus the redis-benchmark binary).
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A minimal blocking RESP client."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("closed")
        t, body = line[:1], line[1:-2]
        if t in (b"+", b":"):
            return body.decode()
        if t == b"-":
            return RuntimeError(body.decode())
        if t == b"$":
            n = int(body)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2].decode(errors="replace")
        if t == b"*":
            return [self.read() for _ in range(int(body))]
        raise ValueError(line)

    def info(self, section):
        text = self.cmd("INFO", section)
        return dict(
            l.split(":", 1) for l in text.splitlines() if ":" in l and not l.startswith("#")
        )

    def close(self):
        self.s.close()


class Server:
    def __init__(self, binary, port, args):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="replbench-")
        cmd = [binary, "--port", str(port), "--save", "", "--dir", self.dir,
               "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]
        if os.path.basename(binary).startswith("redis"):
            cmd += ["--appendonly", "no", "--bind", "127.0.0.1"]
        cmd += args
        cmd[0] = os.path.abspath(binary) if os.sep in binary else binary
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  cwd=self.dir)
        self.started = time.time()

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                c = Client(self.port)
                c.cmd("INFO", "server")
                return c
            except OSError:
                time.sleep(0.01)
        raise TimeoutError("server on port %d not ready" % self.port)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_synced(replica_port, dbsize, timeout=120):
    """Seconds until the replica reports link up with `dbsize` keys."""
    deadline = time.time() + timeout
    c = None
    while time.time() < deadline:
        try:
            c = c or Client(replica_port)
            i = c.info("replication")
            if i.get("master_link_status") == "up" and int(c.cmd("DBSIZE")) == dbsize:
                c.close()
                return True
        except (OSError, ValueError, TypeError):
            c = None
        time.sleep(0.005)
    raise TimeoutError("replica on port %d did not sync" % replica_port)


def benchmark(port, requests):
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", "set", "-P", "16", "-n", str(requests), "-q"],
        capture_output=True, text=True, timeout=240).stdout
    m = re.findall(r"SET: ([\d.]+) requests per second", out.replace("\r", "\n"))
    if not m:
        raise RuntimeError("redis-benchmark output: %r" % out)
    return float(m[-1])


def sample_lag(port, stop, samples):
    c = Client(port)
    while not stop.is_set():
        i = c.info("replication")
        moff = int(i.get("master_repl_offset", 0))
        for k, v in i.items():
            if k.startswith("slave") and k[5:].isdigit():
                fields = dict(x.split("=", 1) for x in v.split(","))
                samples.append(moff - int(fields["offset"]))
        time.sleep(0.05)
    c.close()


def run(binary, keys, requests):
    res = {}
    servers = []
    try:
        mport = free_port()
        master = Server(binary, mport, [])
        servers.append(master)
        m = master.wait_ready()
        m.cmd("DEBUG", "POPULATE", keys)
        log("  populated %d keys" % keys)
        res["tput0"] = benchmark(mport, requests)
        dbsize = int(m.cmd("DBSIZE"))
        for name, mode in (("sync_disk", "no"), ("sync_diskless", "yes")):
            m.cmd("CONFIG", "SET", "repl-diskless-sync", mode)
            rport = free_port()
            r = Server(binary, rport, ["--replicaof", "127.0.0.1", str(mport)])
            servers.append(r)
            wait_synced(rport, dbsize)
            res[name] = time.time() - r.started
            log("  %s: %.2f s" % (name, res[name]))
        samples = []
        stop = threading.Event()
        t = threading.Thread(target=sample_lag, args=(mport, stop, samples))
        t.start()
        try:
            res["tput2"] = benchmark(mport, requests)
        finally:
            stop.set()
            t.join()
        res["lag_max"] = max(samples) if samples else 0
        res["lag_median"] = statistics.median(samples) if samples else 0
        m.close()
    finally:
        for s in servers:
            s.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oxidis", default="target/release/oxidis")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2,
                    help="alternate oxidis and redis this many times; best result kept")
    ap.add_argument("--out", default=None, help="also write the table to this file")
    a = ap.parse_args()
    runs = {"oxidis": [], "redis": []}
    for i in range(a.rounds):
        for name, binary in (("oxidis", a.oxidis), ("redis", a.redis_server)):
            log("%s (round %d):" % (name, i + 1))
            runs[name].append(run(binary, a.keys, a.requests))
    # The machine may be shared: the best time / throughput of the rounds, the median lag.
    def best(rs):
        return {
            "sync_disk": min(x["sync_disk"] for x in rs),
            "sync_diskless": min(x["sync_diskless"] for x in rs),
            "tput0": max(x["tput0"] for x in rs),
            "tput2": max(x["tput2"] for x in rs),
            "lag_max": statistics.median(x["lag_max"] for x in rs),
            "lag_median": statistics.median(x["lag_median"] for x in rs),
        }
    o, r = best(runs["oxidis"]), best(runs["redis"])
    rows = [
        ("full sync, disk (s)", "sync_disk", "%.2f"),
        ("full sync, diskless (s)", "sync_diskless", "%.2f"),
        ("SET -P 16, 0 replicas (req/s)", "tput0", "%.0f"),
        ("SET -P 16, 2 replicas (req/s)", "tput2", "%.0f"),
        ("lag under load, max (bytes)", "lag_max", "%.0f"),
        ("lag under load, median (bytes)", "lag_median", "%.0f"),
    ]
    lines = [
        "| measure | oxidis | redis 7.0 | oxidis/redis |",
        "|---|---:|---:|---:|",
    ]
    for label, key, fmt in rows:
        ratio = o[key] / r[key] if r[key] else float("nan")
        lines.append("| %s | %s | %s | %.2f |" % (label, fmt % o[key], fmt % r[key], ratio))
    table = "\n".join(lines)
    print(table)
    if a.out:
        with open(a.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
