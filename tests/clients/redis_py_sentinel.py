#!/usr/bin/env python3
"""redis-py's Sentinel client writing across a failover (run by tests/sentinel_failover.rs).

Usage: redis_py_sentinel.py MASTER_NAME SENTINEL_PORT... Resolves the master through the
sentinels, writes `py:<i> = <i>` in a loop through a Lua script (redis-py's `register_script`:
EVALSHA, and EVAL when the server answers NOSCRIPT, as a new master does, since script
caches are not replicated), prints "ready <host> <port>" once a write
succeeded (the test then kills the master), and exits 0 only when, after errors caused by the
kill, writes succeed again on a master at a different address (the new master) and read back.
Exits 1 after 90 s, 2 when redis-py is missing.
"""
import sys
import time

try:
    from redis.exceptions import RedisError
    from redis.sentinel import Sentinel
except ImportError:
    print("redis-py is not installed", flush=True)
    sys.exit(2)


def main():
    name = sys.argv[1]
    ports = [int(p) for p in sys.argv[2:]]
    sentinel = Sentinel([("127.0.0.1", p) for p in ports], socket_timeout=0.5)
    master = sentinel.master_for(name, socket_timeout=0.5, socket_connect_timeout=0.5)
    first = sentinel.discover_master(name)
    write = master.register_script(
        "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', KEYS[2])")
    deadline = time.monotonic() + 90
    i = 0
    errors = 0
    ok_after = 0
    ready = False
    while time.monotonic() < deadline:
        i += 1
        try:
            write(keys=[f"py:{i}", "py:count"], args=[i])
        except RedisError as e:
            errors += 1
            if errors == 1:
                print(f"first error after {i - 1} writes: {e!r}", flush=True)
            time.sleep(0.05)
            continue
        if not ready:
            print(f"ready {first[0]} {first[1]}", flush=True)
            ready = True
        if errors:
            ok_after += 1
            if ok_after >= 20:
                now = sentinel.discover_master(name)
                back = master.get(f"py:{i}")
                if now != first and back == str(i).encode():
                    print(f"writes continue on {now[0]} {now[1]} "
                          f"({i} attempts, {errors} errors)", flush=True)
                    return 0
        time.sleep(0.01)
    print(f"deadline: {i} attempts, {errors} errors, {ok_after} writes after the first error",
          flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
