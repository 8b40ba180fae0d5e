#!/usr/bin/env bash
# Instructions a fixed command load costs, counted by callgrind: repeatable for the same binary
# and load whatever else the machine does, so two builds can be compared where ops/s is noisy.
#
# usage: bench/instructions.sh BIN [BIN ...]
#   For each server binary (oxidis, or redis-server for the same load side by side): start it under `valgrind --tool=callgrind` on a free loopback port
#   (no persistence), run `redis-benchmark -t set,get,incr,lpush,lpop,sadd,hset -n 20000 -c 10`
#   against it, shut it down, and print the total instruction count (startup included).
# The servers run in temp dirs and are stopped with SHUTDOWN NOSAVE, then by PID.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
for tool in valgrind redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
for bin in "$@"; do
  # An absolute path, symlinks kept: Debian's redis-server is a link that dispatches on argv[0].
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
  work=$(mktemp -d)
  port=$(free_port)
  (cd "$work" && exec valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" --port "$port" --save '' --appendonly no >"$work/log" 2>&1) &
  pid=$!
  # valgrind starts slowly: up to 60 s.
  up=0
  for _ in $(seq 1 6); do
    wait_ping "$port" && { up=1; break; }
  done
  if [ "$up" = 0 ]; then
    echo "$bin did not start; its output:" >&2
    cat "$work/log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  redis-benchmark -p "$port" -t set,get,incr,lpush,lpop,sadd,hset -n 20000 -c 10 -q >/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  total=$(sed -n 's/^summary: //p' "$work/cg.out")
  printf '%s\t%s instructions for 140000 commands\n' "$bin" "$total"
  rm -rf "$work"
done
