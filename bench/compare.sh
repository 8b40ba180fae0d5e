#!/usr/bin/env bash
# Throughput of oxidis next to a real redis-server, measured in the same run with
# redis-benchmark: SET, GET, INCR, MSET, LPUSH, LPOP, SADD, HSET, ZADD, LRANGE_100, SETBIT,
# BITCOUNT, PFADD, PFCOUNT, GEOSEARCH, XADD and XREADGROUP at pipeline depth 1 and 16, 50 clients. SETBIT sets bit
# 1000 of random keys (so each key is a 126-byte bitmap); BITCOUNT counts the bits of one 4 KiB
# random value, stored on both servers before the run. PFADD adds random elements to one
# HyperLogLog (dense after the first few thousand); PFCOUNT counts the union of that key and a
# missing one, which merges all 16384 registers on every call (a single-key PFCOUNT would only
# read the cache), with 1/20 of the requests. GEOSEARCH is a custom command (see custom_command)
# over 100000 points both servers are given first. XADD appends to one stream with
# server-made ids; XREADGROUP reads one new entry per call (see prepare_run). Tests whose command oxidis does not implement
# (COMMAND INFO) are skipped for oxidis and reported as "not implemented".
#
# usage: bench/compare.sh [--record] [-n REQUESTS_AT_P1] [--rounds R] [--quick] [--bin PATH]
#                         [--tests LIST]
#   --record   also write the table to bench/RESULTS.md (with date, machine, commit)
#   -n N       requests per test at -P 1 (default 200000; -P 16 runs 5x as many)
#   --rounds R run each test R times on both servers, back to back, and report medians (default 3)
#   --quick    tiny run (20000 requests) to check that the script works
#   --bin PATH benchmark this oxidis binary instead of building target/release/oxidis
#   --tests L  comma-separated redis-benchmark test names (default: all of the above)
#
# Both servers listen on free loopback ports with persistence off, run from a temp dir, and are
# stopped by PID when the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."

record=0
tests="set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100,setbit,bitcount,pfadd,pfcount,geosearch,evalsha,xadd,xreadgroup"
n1=200000
rounds=3
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=1 ;;
    --quick) n1=20000; rounds=1 ;;
    --rounds) shift; rounds="$1" ;;
    -n) shift; n1="$1" ;;
    --bin) shift; bin="$1" ;;
    --tests) shift; tests="$1" ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
n16=$((n1 * 5))
clients=50
keyspace=100000

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

if [ -n "$bin" ]; then
  oxidis=$(realpath "$bin")
else
  echo "building oxidis (release)..." >&2
  cargo build --release --quiet
  oxidis="$PWD/target/release/oxidis"
fi

# On a machine with 2+ cores, servers run on CPU 0 and redis-benchmark on CPU 1 so the two
# do not fight over one core; this makes run-to-run numbers much steadier.
pin_srv=() pin_cli=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_srv=(taskset -c 0) pin_cli=(taskset -c 1)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

wait_ready() {
  local port=$1 name=$2
  for _ in $(seq 1 200); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "$name did not start on port $port; log:" >&2
  cat "$work/$name.log" >&2 || true
  exit 1
}

ox_port=$(free_port)
mkdir -p "$work/oxidis" "$work/redis"
(cd "$work/oxidis" && exec "${pin_srv[@]}" "$oxidis" --port "$ox_port" --bind 127.0.0.1 --save "" >"$work/oxidis.log" 2>&1) &
pids+=($!)
wait_ready "$ox_port" oxidis

rd_port=$(free_port)
(cd "$work/redis" && exec "${pin_srv[@]}" redis-server --port "$rd_port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no --dir "$work/redis" >"$work/redis.log" 2>&1) &
pids+=($!)
wait_ready "$rd_port" redis

# The command line of the tests redis-benchmark has no built-in test for (empty for the others).
# __rand_int__ is zero-padded to 12 digits, which is no valid bit offset: only keys are random.
# The script EVALSHA runs (an INCR and an EXPIRE, as a rate limiter does); loaded on both
# servers before the run.
EVAL_SCRIPT="redis.call('incr', KEYS[1]) return redis.call('expire', KEYS[1], 100)"
EVAL_SHA=$(printf '%s' "$EVAL_SCRIPT" | sha1sum | cut -d' ' -f1)
custom_command() {
  case "$1" in
    evalsha) echo "EVALSHA $EVAL_SHA 1 counter:__rand_int__" ;;
    setbit) echo "SETBIT bitmap:__rand_int__ 1000 1" ;;
    bitcount) echo "BITCOUNT bitcount:4k" ;;
    pfadd) echo "pfadd hll:a __rand_int__" ;;
    pfcount) echo "pfcount hll:a hll:b" ;;
    geosearch) echo "GEOSEARCH bench:geo FROMMEMBER m:__rand_int__ BYRADIUS 20 km COUNT 10 ASC WITHDIST" ;;
    xadd) echo "XADD bench:s * f __rand_int__" ;;
    xreadgroup) echo "XREADGROUP GROUP g c COUNT 1 STREAMS bench:g >" ;;
  esac
}

# Requests for test $1 given the default $2 (slow tests run fewer).
test_requests() {
  case "$1" in
    pfcount) echo $(($2 / 20)) ;;
    *) echo "$2" ;;
  esac
}

# The name redis-benchmark prints for test $1 (a custom test's command line), and the command
# it needs.
test_title() {
  if [ -n "$(custom_command "$1")" ]; then
    custom_command "$1"
    return
  fi
  case "$1" in
    mset) echo "MSET (10 keys)" ;;
    lrange_100) echo "LRANGE_100 (first 100 elements)" ;;
    *) if [ -n "$(custom_command "$1")" ]; then custom_command "$1"; else echo "$1" | tr '[:lower:]' '[:upper:]'; fi ;;
  esac
}

# The row label of test $1 in the table.
test_label() {
  case "$1" in
    setbit) echo "SETBIT (random keys, bit 1000)" ;;
    bitcount) echo "BITCOUNT (4 KiB value)" ;;
    evalsha) echo "EVALSHA (INCR + EXPIRE script)" ;;
    xadd) echo "XADD (one growing stream, * ids)" ;;
    xreadgroup) echo "XREADGROUP COUNT 1 > (one new entry each, PEL grows)" ;;
    *) test_title "$1" ;;
  esac
}

# The value BITCOUNT counts: the same random bytes on both servers.
head -c 4096 /dev/urandom >"$work/bitcount.bin"
for port in "$ox_port" "$rd_port"; do
  redis-cli -p "$port" -x SET bitcount:4k <"$work/bitcount.bin" >/dev/null
done
test_command() {
  case "$1" in
    lrange_100) echo lrange ;;
    *) echo "$1" ;;
  esac
}

# Tests that are not built into redis-benchmark: the command line they send (their title too).
# GEOSEARCH: the 10 nearest of the ~50 points within 20 km of a random member, with distances.
# The data set the custom tests read, as redis-cli commands: $keyspace points m:<12 digits>
# (the names __rand_int__ gives) spread pseudo-randomly over lon -10..10, lat 40..55.
geo_points() {
  awk -v n="$keyspace" 'BEGIN {
    srand(42)
    for (i = 0; i < n; i++) {
      if (i % 100 == 0) printf "%sGEOADD bench:geo", (i ? "\n" : "")
      printf " %.6f %.6f m:%012d", -10 + 20 * rand(), 40 + 15 * rand(), i
    }
    print ""
  }'
}

# Does the server on port $1 implement command $2? (redis-benchmark stops at the first error
# reply, so unimplemented tests must not be sent at all.)
implements() {
  [ -n "$(redis-cli -p "$1" command info "$2" 2>/dev/null | head -1)" ]
}

ox_tests=""
IFS=, read -r -a test_list <<<"$tests"
for t in "${test_list[@]}"; do
  if implements "$ox_port" "$(test_command "$t")"; then
    ox_tests+="${ox_tests:+,}$t"
  else
    echo "oxidis does not implement $(test_command "$t"): skipping test $t for oxidis" >&2
  fi
done

for port in "$rd_port" "$ox_port"; do
  if implements "$port" evalsha; then
    redis-cli -p "$port" SCRIPT LOAD "$EVAL_SCRIPT" >/dev/null
  fi
done

case ",$tests," in *,geosearch,*)
  echo "loading $keyspace geo points into both servers..." >&2
  geo_points >"$work/geo.txt"
  for port in "$rd_port" "$ox_port"; do
    if implements "$port" geoadd; then
      redis-cli -p "$port" <"$work/geo.txt" >/dev/null
    fi
  done
  ;;
esac

# XREADGROUP reads new entries of bench:g, a stream of $n16 + 1000 entries (enough for the
# largest run) given to both servers first; every run starts from a freshly created group g
# at id 0, so each call delivers one entry and adds it to the group's pending list (no XACK:
# redis-benchmark sends one fixed command, so this is the read-and-track half of a consumer).
case ",$tests," in *,xreadgroup,*)
  echo "loading $((n16 + 1000)) stream entries into both servers..." >&2
  awk -v n="$((n16 + 1000))" 'BEGIN { for (i = 1; i <= n; i++) printf "XADD bench:g %d-0 f v%d\n", i, i }' >"$work/stream.txt"
  for port in "$rd_port" "$ox_port"; do
    if implements "$port" xreadgroup; then
      redis-cli -p "$port" <"$work/stream.txt" >/dev/null
    fi
  done
  ;;
esac

# State a test needs afresh before each run on the server on port $1.
prepare_run() {
  case "$2" in
    xreadgroup)
      redis-cli -p "$1" XGROUP DESTROY bench:g g >/dev/null
      redis-cli -p "$1" XGROUP CREATE bench:g g 0 >/dev/null
      ;;
  esac
}

# Requests per second of each test in list $4 (built-in tests, or one custom test), as
# "TEST RPS" lines.
bench() {
  local port=$1 pipeline=$2 n=$3 list=$4
  [ -n "$list" ] || return 0
  prepare_run "$port" "$list"
  local what=(-t "$list") custom
  custom=$(custom_command "$list")
  if [ -n "$custom" ]; then
    read -r -a what <<<"$custom"
    n=$(test_requests "$list" "$n")
  fi
  timeout 600 "${pin_cli[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -q --csv -c "$clients" \
    -n "$n" -r "$keyspace" -P "$pipeline" "${what[@]}" 2>/dev/null |
    awk -F'","' 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2); print $1, $2 }' || true
}

# Median of the numbers on standard input.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The rate of test $2 in a block of "TEST RPS" lines $1.
rate_of() {
  printf '%s\n' "$1" | awk -v t="$2" '{ r = $NF; $NF = ""; sub(/ $/, ""); if ($0 == t) print r }'
}

rows=()
for pipeline in 1 16; do
  if [ "$pipeline" = 1 ]; then n=$n1; else n=$n16; fi
  for id in "${test_list[@]}"; do
    t=$(test_title "$id")
    implemented=0
    case ",$ox_tests," in *",$id,"*) implemented=1 ;; esac
    # Each round runs the test on both servers back to back (alternating which goes first), so
    # the machine's slow drifts hit both sides of a pair alike; the ratio is the median of the
    # per-round ratios.
    ox_rates="" rd_rates="" ratios=""
    for round in $(seq 1 "$rounds"); do
      echo "pipeline $pipeline, $t, round $round/$rounds" >&2
      o="" r=""
      if [ $((round % 2)) = 1 ]; then
        [ "$implemented" = 1 ] && o=$(rate_of "$(bench "$ox_port" "$pipeline" "$n" "$id")" "$t")
        r=$(rate_of "$(bench "$rd_port" "$pipeline" "$n" "$id")" "$t")
      else
        r=$(rate_of "$(bench "$rd_port" "$pipeline" "$n" "$id")" "$t")
        [ "$implemented" = 1 ] && o=$(rate_of "$(bench "$ox_port" "$pipeline" "$n" "$id")" "$t")
      fi
      [ -n "$o" ] && ox_rates+="$o"$'\n'
      [ -n "$r" ] && rd_rates+="$r"$'\n'
      if [ -n "$o" ] && [ -n "$r" ]; then
        ratios+=$(awk -v o="$o" -v r="$r" 'BEGIN { if (r > 0) printf "%.4f", o / r }')$'\n'
      fi
    done
    o=$(printf '%s' "$ox_rates" | median)
    r=$(printf '%s' "$rd_rates" | median)
    ratio=$(printf '%s' "$ratios" | median)
    ratio=$(awk -v x="${ratio:-}" 'BEGIN { if (x == "") print "n/a"; else printf "%.2f", x }')
    o_cell=${o:-failed}
    [ "$implemented" = 1 ] || o_cell="not implemented"
    rows+=("| $(test_label "$id") | $pipeline | $o_cell | ${r:-failed} | $ratio |")
  done
done

table=$(
  echo "| test | pipeline | oxidis ops/s | redis ops/s | oxidis/redis |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
echo
echo "$table"

if [ "$record" = 1 ]; then
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  {
    echo "# Benchmark results"
    echo
    echo "Produced by \`bench/compare.sh --record\`: redis-benchmark against oxidis and a real"
    echo "redis-server started side by side on loopback (persistence off), $clients clients,"
    echo "random keys over a keyspace of $keyspace (\`-r\`), $n1 requests per test at pipeline 1"
    echo "and $n16 at pipeline 16. Each test runs $rounds times on both servers back to back (which"
    echo "goes first alternates); ops/s cells are medians, the ratio is the median of the per-round"
    echo "ratios. Servers are pinned to CPU 0 and redis-benchmark to CPU 1 when taskset and 2 cores"
    echo "are there. Compare the ratio column, measured in one run on the same machine."
    echo "\"failed\" means redis-benchmark reported no result for that test; \"not implemented\" that"
    echo "oxidis lacks the command. LRANGE_100 reads the first 100 elements of a list that"
    echo "redis-benchmark fills with LPUSH first. PFADD adds random elements to one HyperLogLog;"
    echo "PFCOUNT counts the union of it and a missing key (a full register merge per call), with"
    echo "1/20 of the requests."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores${cpu:+, $cpu}, $(uname -sm)"
    echo "- redis: $(redis-server --version | awk '{ print $3 }')"
    if [ -n "$bin" ]; then
      echo "- oxidis: binary $bin ($("$oxidis" --version 2>/dev/null | head -1 || true))"
    else
      echo "- oxidis: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (branch $(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown))"
    fi
    echo
    echo "$table"
  } >bench/RESULTS.md
  echo "wrote bench/RESULTS.md" >&2
fi
