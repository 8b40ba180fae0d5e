#!/usr/bin/env python3
"""redis-py's Lock, which runs on Lua scripts (EVALSHA), across two clients (run by
tests/scripting_clients.rs against oxidis and against a real redis-server; the transcripts
must be equal).

Usage: redis_py_lock.py PORT. Prints one line per step; exits 2 when redis-py is missing.
"""
import sys
import time

try:
    import redis
    from redis.exceptions import LockError, LockNotOwnedError
except ImportError:
    print("redis-py is not installed", flush=True)
    sys.exit(2)


def main():
    port = int(sys.argv[1])
    a = redis.Redis(port=port)
    b = redis.Redis(port=port)
    a.flushall()
    a.script_flush()
    la = a.lock("res", timeout=5, thread_local=False)
    lb = b.lock("res", timeout=5, blocking_timeout=0.2, thread_local=False)
    print("a acquires:", la.acquire(blocking=False))
    print("b acquires while a holds it:", lb.acquire())
    print("a owns:", la.owned(), "b owns:", lb.owned())
    ttl = a.pttl("res")
    print("ttl set:", 0 < ttl <= 5000)
    print("a extends:", la.extend(10))
    print("ttl extended:", 5000 < a.pttl("res") <= 15000)
    print("a reacquire ttl:", la.reacquire())
    try:
        lb.release()
        print("b released a's lock")
    except LockError as e:
        print("b cannot release:", type(e).__name__)
    try:
        lb.local.token = b"forged"
        lb.extend(1)
        print("b extended a's lock")
    except LockNotOwnedError as e:
        print("b cannot extend:", type(e).__name__)
    lb.local.token = None
    la.release()
    print("a released, key gone:", a.exists("res") == 0)
    print("b acquires now:", lb.acquire())
    print("b owns:", lb.owned())
    lb.release()
    # A lock that expires is free for the other client.
    short = a.lock("exp", timeout=0.2, thread_local=False)
    print("short acquired:", short.acquire())
    time.sleep(0.4)
    other = b.lock("exp", timeout=1, thread_local=False)
    print("after expiry b acquires:", other.acquire(blocking=False))
    try:
        short.release()
        print("expired release passed")
    except LockNotOwnedError as e:
        print("expired release:", type(e).__name__)
    print("scripts cached:", a.script_exists(*[s.sha for s in (la.lua_release, la.lua_extend, la.lua_reacquire)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
