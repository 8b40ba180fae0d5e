#!/usr/bin/env python3
"""Memory per key of plain strings: oxidis next to a real redis-server.

usage: bench/memory_strings.py [-n KEYS] [--rounds R] [--bin PATH] [--header]
  -n KEYS     keys to load (default 1000000)
  --rounds R  measure each server R times (fresh process each time), report the median
              (default 3; Redis's RSS growth varies by a few bytes per key between runs)
  --bin PATH  oxidis binary (default target/release/oxidis; build it first)
  --header    print the markdown table header before the row

Both servers start on free loopback ports with persistence off, in temp dirs. The script
loads `SET key:<i> value:<i>` for i in 0..KEYS as pipelined raw RESP (batches of 1000, all
replies read before the next batch) and reports the growth of VmRSS (from /proc/PID/status)
per key for each server, and oxidis/redis, as one markdown table row. Python stdlib only.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BATCH = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def connect(port, proc):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            if s.recv(64).startswith(b"+PONG"):
                return s
            s.close()
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_replies(sock, count):
    """Read `count` simple-string replies (+OK); fail on anything else."""
    buf = b""
    seen = 0
    while seen < count:
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
        lines = buf.split(b"\r\n")
        buf = lines.pop()
        for line in lines:
            if line != b"+OK":
                raise RuntimeError(f"unexpected reply {line!r}")
            seen += 1


def load(sock, n):
    for start in range(0, n, BATCH):
        end = min(start + BATCH, n)
        payload = b"".join(
            cmd(b"SET", b"key:%d" % i, b"value:%d" % i) for i in range(start, end)
        )
        sock.sendall(payload)
        read_replies(sock, end - start)


def measure(argv, port, n):
    """Start a server with `argv`, load `n` keys, return RSS growth in bytes per key."""
    work = tempfile.mkdtemp(prefix="memstr-")
    proc = subprocess.Popen(
        argv, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        sock = connect(port, proc)
        time.sleep(0.2)
        before = rss_bytes(proc.pid)
        load(sock, n)
        # Let incremental rehashing and the cron settle before reading RSS.
        time.sleep(1.0)
        after = rss_bytes(proc.pid)
        sock.close()
        return (after - before) / n
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--header", action="store_true")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    oxidis = os.path.abspath(args.bin or os.path.join(root, "target/release/oxidis"))
    if not os.path.exists(oxidis):
        sys.exit(f"{oxidis} not found (cargo build --release)")
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("redis-server not found")

    ox_argv = [oxidis, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    rd_argv = [redis, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--daemonize", "no"]
    ox_runs, rd_runs = [], []
    for _ in range(max(1, args.rounds)):
        for argv, runs in ((ox_argv, ox_runs), (rd_argv, rd_runs)):
            p = free_port()
            runs.append(measure(argv + ["--port", str(p)], p, args.n))
    ox = statistics.median(ox_runs)
    rd = statistics.median(rd_runs)
    if args.header:
        print("| keys | oxidis B/key | redis B/key | oxidis/redis |")
        print("|---|---|---|---|")
    print(f"| {args.n} | {ox:.1f} | {rd:.1f} | {ox / rd:.2f} |")


if __name__ == "__main__":
    main()
