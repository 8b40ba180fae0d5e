# Shell helpers shared by the bench scripts (sourced, not run).

# A loopback port nobody answers on (and not one of the Debian service ports).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# Wait until the server on `port` answers PING (at most 10 s); false if it never does.
wait_ping() {
  local port=$1
  for _ in $(seq 1 200); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}
