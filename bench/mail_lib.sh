# Shared by the alert e-mail benchmarks (alert_latency.sh, trap_latency.sh), sourced
# after `set -euo pipefail`: a scratch directory $T removed at exit together with every
# process listed in PIDS (kept with DCMON_BENCH_KEEP=1, for reading dcmond's log), free
# loopback ports, bounded waits, and the SMTP sink (tests/peers/smtp_sink.py) records.
PY=/usr/bin/python3
PIDS=()

# bench_init NAME: creates $T (/tmp/NAME.XXXXXX) and arranges the cleanup.
bench_init() {
  T=$(mktemp -d "/tmp/$1.XXXXXX")
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${DCMON_BENCH_KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
free_port() { # [tcp|udp]: a free port of 127.0.0.1
  $PY -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "${1:-tcp}"
}
wait_for() { # SECONDS CMD...: retries CMD every 50 ms, bounded in time
  local end=$((SECONDS + $1)); shift
  while [ $SECONDS -lt $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "timed out: $*" >&2; return 1
}
# start_sink DIR PORT: an SMTP sink recording every accepted message to DIR/msg-*.json.
start_sink() {
  mkdir -p "$1"
  $PY "$SRC/tests/peers/smtp_sink.py" --port "$2" --dir "$1" >"$1/sink.log" 2>&1 &
  PIDS+=($!)
  wait_for 15 test -e "$1/ready"
}
# has_after DIR SUBJECT-REGEX T0: a message matching was accepted after T0.
has_after() {
  compgen -G "$1/msg-*.json" >/dev/null || return 1
  cat "$1"/msg-*.json | jq -s -e --arg r "$2" --argjson t "$3" \
    '[.[] | select((.data | test($r)) and .ts >= $t)] | length > 0'
}
