#!/usr/bin/env python3
"""Memory per key of oxidis next to a real redis-server, for many small keys.

usage: bench/memory_hash.py [--keys N] [--type hash|string|set] [--fields F] [--bin PATH] [--header]

Starts both servers on free loopback ports (persistence off, from a temp dir), loads N keys
`key:<i>` into each with pipelined raw RESP (hash: `HSET key:<i> field value`, string:
`SET key:<i> value`, set: `SADD key:<i> member`; `--fields F` makes each hash
`HSET key:<i> field0 value0 ... field<F-1> value<F-1>`), then reads VmRSS from /proc/PID/status before
and after loading. Prints one markdown table row:

| type | keys | oxidis RSS MB | redis RSS MB | oxidis B/key | redis B/key | ratio (RSS) |

`--header` also prints the table header. Servers are stopped by PID when the script exits.
Only the standard library is used.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def command_for(kind, i, fields=1):
    key = b"key:%d" % i
    if kind == "hash" and fields > 1:
        pairs = []
        for f in range(fields):
            pairs += [b"field%d" % f, b"value%d" % f]
        return resp(b"HSET", key, *pairs)
    if kind == "hash":
        return resp(b"HSET", key, b"field", b"value")
    if kind == "set":
        return resp(b"SADD", key, b"member")
    return resp(b"SET", key, b"value")


def wait_ready(port, proc):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server on port {port} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(resp(b"PING"))
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server on port {port} did not answer PING")


def load(port, kind, n, fields, batch=10000):
    """Send n commands in pipelined batches; count the replies by their line ends."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        i = 0
        while i < n:
            m = min(batch, n - i)
            s.sendall(b"".join(command_for(kind, j, fields) for j in range(i, i + m)))
            got, buf = 0, b""
            while got < m:
                chunk = s.recv(1 << 16)
                if not chunk:
                    sys.exit("connection closed while loading")
                buf += chunk
                lines = buf.split(b"\r\n")
                buf = lines.pop()
                for line in lines:
                    if line.startswith(b"-"):
                        sys.exit(f"error while loading: {line!r}")
                    got += 1
            i += m
        s.sendall(resp(b"DBSIZE"))
        return s.recv(64).strip()


def measure(argv, port, kind, n, fields, workdir):
    proc = subprocess.Popen(
        argv, cwd=workdir, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        before = rss_kb(proc.pid)
        dbsize = load(port, kind, n, fields)
        time.sleep(0.5)
        after = rss_kb(proc.pid)
        if dbsize != b":%d" % n:
            sys.exit(f"unexpected DBSIZE reply {dbsize!r}")
        return before, after
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--type", choices=["hash", "string", "set"], default="hash")
    ap.add_argument("--fields", type=int, default=1, help="fields per hash (hash only)")
    ap.add_argument("--bin", default=None, help="oxidis binary (default: build release)")
    ap.add_argument("--header", action="store_true")
    o = ap.parse_args()

    if o.bin:
        oxidis = os.path.abspath(o.bin)
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        oxidis = os.path.join(ROOT, "target", "release", "oxidis")
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("redis-server not found")

    with tempfile.TemporaryDirectory() as work:
        p = free_port()
        ox = measure([oxidis, "--port", str(p), "--save", ""],
                     p, o.type, o.keys, o.fields, work)
        p = free_port()
        rd = measure([redis, "--port", str(p), "--save", "", "--appendonly", "no"],
                     p, o.type, o.keys, o.fields, work)

    def per_key(b):
        return (b[1] - b[0]) * 1024 / o.keys

    if o.header:
        print("| type | keys | oxidis RSS MB | redis RSS MB | oxidis B/key | redis B/key | ratio (RSS) |")
        print("|---|---|---|---|---|---|---|")
    kind = o.type if o.fields == 1 or o.type != "hash" else f"hash ({o.fields} fields)"
    print(f"| {kind} | {o.keys} | {ox[1] / 1024:.1f} | {rd[1] / 1024:.1f} | "
          f"{per_key(ox):.1f} | {per_key(rd):.1f} | {ox[1] / rd[1]:.2f} |")


if __name__ == "__main__":
    main()
