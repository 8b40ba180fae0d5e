#!/usr/bin/env python3
"""Sentinel failover benchmark: Redis (redis-server x3 + redis-sentinel x3) side by side with
oxidis (oxidis nodes x3 + sentinels x3), same settings: quorum 2, down-after-milliseconds 1000,
failover-timeout 10000, the master killed with SIGKILL, median of --runs runs.

For each run, from the SIGKILL of the master:

  * kill -> +odown          first `+odown` published by any sentinel (PSUBSCRIBE * on each)
  * kill -> +switch-master  first `+switch-master` published by any sentinel
  * kill -> first write     first successful `SET` through redis-py's Sentinel client
                            (`Sentinel(...).master_for(...)`) on the new master
  * acked writes lost       the same client does `SET bench:<i> <i>` + `WAIT 1 100` in a loop;
                            a write is acknowledged when WAIT reports a replica has it (or, on a
                            server without WAIT, when SET said OK: the table says which); after
                            the failover, acknowledged keys missing on the new master are lost

The oxidis column runs the oxidis sentinel with `--sentinel oxidis`; until that sentinel exists
(issue 6), `--sentinel redis` (the default) runs real redis-sentinel over the oxidis nodes and
the table says so.

Usage (from the repository root, after `cargo build --release`; needs redis-py):

    python3 bench/failover.py [--oxidis target/release/oxidis] [--sentinel redis|oxidis]
                              [--runs 5] [--out bench/FAILOVER.md]

The whole script stays under 5 minutes with the defaults (each run is bounded).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rdb import Resp, free_port  # noqa: E402  (the bench's shared RESP client)

try:
    from redis.exceptions import RedisError, ResponseError
    from redis.sentinel import Sentinel
except ImportError:
    sys.exit("redis-py is required (apt-get install python3-redis, or pip install redis)")

MASTER = "mymaster"
DOWN_AFTER_MS = 1000
RUN_TIMEOUT = 40.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def try_cmd(port, *args, timeout=2.0):
    try:
        c = Resp(port, timeout=timeout)
        try:
            return c.cmd(*args)
        finally:
            c.close()
    except (OSError, EOFError, ValueError):
        return None


def info_field(port, field):
    text = try_cmd(port, "INFO")
    if not isinstance(text, bytes):
        return None
    for line in text.decode().split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


def wait(secs, what, f):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if f():
            return
        time.sleep(0.05)
    raise TimeoutError(what)


class Proc:
    """A process started on a config file in its own directory."""

    def __init__(self, root, label, argv_prefix, conf_text, port, sentinel_flag=False):
        self.dir = os.path.join(root, label)
        os.makedirs(self.dir)
        self.port = port
        self.conf = os.path.join(self.dir, "server.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text.format(dir=self.dir))
        self.argv = argv_prefix + [self.conf] + (["--sentinel"] if sentinel_flag else [])
        self.proc = subprocess.Popen(self.argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(10, f"{label} answers PING", lambda: try_cmd(port, "PING") == "+PONG")

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def node_conf(port, master_port, redis):
    c = (f"port {port}\nbind 127.0.0.1\ndir \"{{dir}}\"\nlogfile \"{{dir}}/log\"\n"
         "save \"\"\nappendonly no\n")
    if redis:
        c += "repl-diskless-sync-delay 0\n"
    if master_port:
        c += f"replicaof 127.0.0.1 {master_port}\n"
    return c


def sentinel_conf(port, master_port):
    return (f"port {port}\nbind 127.0.0.1\ndir \"{{dir}}\"\nlogfile \"{{dir}}/log\"\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {master_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} 10000\n"
            f"sentinel parallel-syncs {MASTER} 1\n")


class Events(threading.Thread):
    """PSUBSCRIBE * on one sentinel; keeps the first arrival time of each event name."""

    def __init__(self, port, first):
        super().__init__(daemon=True)
        self.conn = Resp(port, timeout=None)
        self.conn.cmd("PSUBSCRIBE", "*")
        self.first = first
        self.start()

    def run(self):
        try:
            while True:
                msg = self.conn.read()
                if isinstance(msg, list) and len(msg) == 4:
                    name = msg[2].decode(errors="replace")
                    self.first.setdefault(name, time.monotonic())
        except (OSError, EOFError, ValueError):
            pass


class Writer(threading.Thread):
    """redis-py Sentinel client: SET + WAIT 1 100 in a loop, recording acknowledged writes
    and the first successful write sent after `dead_at` is set."""

    def __init__(self, sentinel_ports):
        super().__init__(daemon=True)
        self.sentinel = Sentinel([("127.0.0.1", p) for p in sentinel_ports],
                                 socket_timeout=0.5)
        self.master = self.sentinel.master_for(MASTER, socket_timeout=0.5,
                                               socket_connect_timeout=0.5)
        self.stop = False
        self.dead_at = None
        self.first_write_after_kill = None
        self.acked = []
        self.wait_supported = True
        self.count = 0
        self.start()

    def run(self):
        i = 0
        while not self.stop:
            i += 1
            started = time.monotonic()
            try:
                self.master.set(f"bench:{i}", i)
            except RedisError:
                time.sleep(0.01)
                continue
            now = time.monotonic()
            self.count += 1
            # Only a write sent once the master was dead counts (not one answered just
            # before the kill).
            dead = self.dead_at
            if dead is not None and started >= dead and self.first_write_after_kill is None:
                self.first_write_after_kill = now
            try:
                acked = self.master.execute_command("WAIT", 1, 100) >= 1
            except ResponseError:
                self.wait_supported = False
                acked = True
            except RedisError:
                acked = False
            if acked:
                self.acked.append(i)


def one_run(kind, oxidis, sentinel_bin, root):
    """One failover; returns a dict of measurements (seconds, count)."""
    node_cmd = ["redis-server"] if kind == "redis" else [oxidis]
    procs = []
    writer = None
    try:
        ports = [free_port() for _ in range(3)]
        for i, p in enumerate(ports):
            conf = node_conf(p, ports[0] if i else None, kind == "redis")
            procs.append(Proc(root, f"node{i}", node_cmd, conf, p))
        wait(30, "replicas in sync", lambda: all(
            info_field(p, "master_link_status") == "up" for p in ports[1:]))
        sports = [free_port() for _ in range(3)]
        for i, p in enumerate(sports):
            procs.append(Proc(root, f"sentinel{i}", sentinel_bin, sentinel_conf(p, ports[0]), p,
                              sentinel_flag=sentinel_bin[-1].endswith("oxidis")))

        def discovered():
            for p in sports:
                r = try_cmd(p, "SENTINEL", "REPLICAS", MASTER)
                s = try_cmd(p, "SENTINEL", "SENTINELS", MASTER)
                if not (isinstance(r, list) and len(r) == 2 and isinstance(s, list)
                        and len(s) == 2):
                    return False
            return True
        wait(30, "sentinel discovery", discovered)
        first = {}
        for p in sports:
            Events(p, first)
        writer = Writer(sports)
        wait(10, "writes before the kill", lambda: len(writer.acked) >= 50)
        kill_at = time.monotonic()
        procs[0].kill9()
        writer.dead_at = time.monotonic()

        def new_master():
            addrs = {tuple(a) if isinstance(a, list) else None
                     for a in (try_cmd(p, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
                               for p in sports)}
            if len(addrs) != 1:
                return None
            (a,) = addrs
            return int(a[1]) if a and int(a[1]) != ports[0] else None
        wait(RUN_TIMEOUT, "failover", lambda: new_master() is not None
             and writer.first_write_after_kill is not None and "+switch-master" in first)
        time.sleep(0.5)
        writer.stop = True
        writer.join(5)
        new_port = new_master()
        acked = list(writer.acked)
        c = Resp(new_port, timeout=10)
        lost = 0
        for k in range(0, len(acked), 1000):
            chunk = acked[k:k + 1000]
            lost += len(chunk) - c.cmd("EXISTS", *[f"bench:{i}" for i in chunk])
        c.close()
        return {
            "odown": first.get("+odown", float("nan")) - kill_at,
            "switch": first["+switch-master"] - kill_at,
            "write": writer.first_write_after_kill - kill_at,
            "lost": lost,
            "acked": len(acked),
            "wait": writer.wait_supported,
        }
    finally:
        if writer is not None:
            writer.stop = True
        for p in procs:
            p.kill9()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--oxidis", default="target/release/oxidis")
    ap.add_argument("--sentinel", choices=["redis", "oxidis"], default="redis",
                    help="sentinel binary of the oxidis column")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default="bench/FAILOVER.md")
    a = ap.parse_args()
    oxidis = os.path.abspath(a.oxidis)
    setups = [
        ("redis", "Redis (redis-server + redis-sentinel)", ["redis-sentinel"]),
        ("oxidis",
         "oxidis (oxidis nodes + oxidis sentinel)" if a.sentinel == "oxidis"
         else "oxidis nodes + redis-sentinel",
         [oxidis] if a.sentinel == "oxidis" else ["redis-sentinel"]),
    ]
    started = time.monotonic()
    results = {}
    for kind, _, sbin in setups:
        results[kind] = []
        for r in range(a.runs):
            root = tempfile.mkdtemp(prefix=f"failover-{kind}-")
            try:
                m = one_run(kind, oxidis, sbin, root)
            except TimeoutError as e:
                log(f"{kind} run {r + 1}: timed out waiting for {e}")
                continue
            finally:
                shutil.rmtree(root, ignore_errors=True)
            results[kind].append(m)
            log(f"{kind} run {r + 1}: odown {m['odown']:.2f} s, switch-master "
                f"{m['switch']:.2f} s, first write {m['write']:.2f} s, "
                f"lost {m['lost']}/{m['acked']} acked")
    med = {}
    for kind, _, _ in setups:
        rs = results[kind]
        if not rs:
            sys.exit(f"no successful {kind} run")
        med[kind] = {k: statistics.median(m[k] for m in rs)
                     for k in ("odown", "switch", "write")}
        med[kind]["lost"] = max(m["lost"] for m in rs)
        med[kind]["acked"] = sum(m["acked"] for m in rs)
        med[kind]["wait"] = all(m["wait"] for m in rs)
        med[kind]["n"] = len(rs)
    rk, ok = med["redis"], med["oxidis"]
    ack_note = {True: "WAIT 1 100 >= 1", False: "SET OK (no WAIT on this server)"}
    lines = [
        "# Sentinel failover: Redis vs oxidis",
        "",
        f"Generated by `python3 bench/failover.py --runs {a.runs} --sentinel {a.sentinel}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} ({os.cpu_count()} CPUs). "
        "Three data nodes and three sentinels on one host, quorum 2, "
        f"down-after-milliseconds {DOWN_AFTER_MS}, failover-timeout 10000, parallel-syncs 1; "
        "the master is killed with SIGKILL while a redis-py `Sentinel.master_for` client "
        "writes. Times are medians of the runs, from the kill; lost writes are the worst run. "
        "Ratio = oxidis / redis (below 1.0: oxidis is faster).",
        "",
        f"| metric | {setups[0][1]} | {setups[1][1]} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for key, name in (("odown", "kill → +odown"), ("switch", "kill → +switch-master"),
                      ("write", "kill → first write via redis-py Sentinel")):
        lines.append(f"| {name} | {rk[key]:.2f} s | {ok[key]:.2f} s | "
                     f"{ok[key] / rk[key]:.2f} |")
    lines.append(f"| acknowledged writes lost (worst run) | {rk['lost']} of {rk['acked']} "
                 f"| {ok['lost']} of {ok['acked']} | |")
    lines.append(f"| write acknowledged when | {ack_note[rk['wait']]} | "
                 f"{ack_note[ok['wait']]} | |")
    lines.append(f"| runs completed | {rk['n']} of {a.runs} | {ok['n']} of {a.runs} | |")
    if a.sentinel == "redis":
        lines += ["", "The oxidis column runs real redis-sentinel 7.0 over oxidis nodes: the "
                  "oxidis sentinel (issue 6) does not exist yet, so this measures how fast the "
                  "oxidis data nodes let Redis Sentinel fail over. Re-run with "
                  "`--sentinel oxidis` once it does."]
    text = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    log(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
