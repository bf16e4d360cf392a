#!/usr/bin/env bash
# The event store's retention and disk bound on a controllable clock: dcmond runs under
# libfaketime (its offset re-read from a file) and is moved forward day by day while
# messages arrive; each day gets its partition, a partition past `retention` goes, the
# warning at warn_percent comes before the bound removes anything within retention,
# and nothing within retention is lost while under the bound.
. "$(dirname "$0")/lib.sh"
SEND="$PY $DCMON_SOURCE_DIR/tests/peers/syslog_send.py"
use_faketime

TCP=$(free_port)
{
  daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"
  cat <<EOF
  syslog:
    listen: 127.0.0.1
    udp_port: 0
    tcp_port: $TCP
    source_rate: 100000
  events:
    dir: $T/events
    retention: 3d
    max_mb: 28
    warn_percent: 54
devices: []
EOF
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

search() { api_get "/api/v1/events/search?$1" | jq -r "$2"; }
parts() { ls "$T/events" | grep -c '^events-[0-9]*\.db$' || true; }
stored_n() { [ "$(events_with "$1")" -ge "$2" ]; }
# day N [COUNT]: the clock N days on; COUNT (3000) messages of 1 KiB tagged dayN (a
# partition of 3000 takes about 4.4 MiB).  The WAL of the partition being written counts
# against the bound and, during a burst, grows well past its checkpoint size (2.5 MB
# seen at max_mb 16): the writer's transactions and the test's own searches hold it.  So
# every step keeps a whole day's burst of room from the line it must not cross: days
# 0-1 (8.8 MiB, up to 13.2 with that WAL) below the warning at 54 % of 28 (15.1), days
# 0-2 (17.6 MiB, up to 26.4) above it and below the bound.
day() {
  step "+$1d"
  $SEND tburst "$TCP" "${2:-3000}" "day$1 $(printf 'y%.0s' $(seq 1 1000))"
  wait_until 20 "day $1 stored" stored_n "day$1" "${2:-3000}"
}

day 0
day 1
assert_eq "$(parts)" 2 "one partition per day"
assert_eq "$(log_count 'event store at')" 0 "no warning below warn_percent"
day 2 6000
wait_until 10 "warning at warn_percent" grep -q "event store at [0-9]*% of max_mb 28" "$T/dcmond.log"
pass "warned at warn_percent before the bound"
wait_until 20 "alert events-store-near-bound firing" alert_is events-store-near-bound '.state == "firing"'
pass "alert events-store-near-bound fires before the bound"
assert_eq "$(alerts_json --all | jq '[.alerts[] | select(.rule == "events-evicted-within-retention")] | length')" 0 \
  "no eviction alert yet"
day 3 300
assert_eq "$(log_count 'disk bound reached')" 0 "nothing within retention removed under the bound"
assert_eq "$(events_with day0)" 3000 "day 0 whole within retention (3 days)"
day 4 300
# day 0 is now past retention: it goes as expired, not as evicted
wait_until 10 "day 0 expired" grep -q "partition events-.*db removed: past retention" "$T/dcmond.log"
assert_eq "$(events_with day0)" 0 "day 0 gone past retention"
assert_eq "$(events_with day1)" 3000 "day 1 whole within retention"
assert_eq "$(log_count 'disk bound reached')" 0 "retention alone kept the bound"
day 5 10000
day 6 10000
# days 3 to 6 are within retention and exceed 28 MiB (~30): the oldest go, each a warning
wait_until 15 "disk bound eviction" grep -q "disk bound reached (max_mb 28): partition" "$T/dcmond.log"
first_warn=$(grep -n "event store at" "$T/dcmond.log" | head -1 | cut -d: -f1)
first_evict=$(grep -n "disk bound reached" "$T/dcmond.log" | head -1 | cut -d: -f1)
[ "$first_warn" -lt "$first_evict" ] || fail "the eviction came before its warning"
pass "the warning came before anything within retention was removed"
wait_until 20 "alert events-evicted-within-retention firing" \
  alert_is events-evicted-within-retention '.state == "firing" and .severity == "critical"'
pass "alert events-evicted-within-retention fires once the bound removed a partition"
assert_eq "$(events_with day6)" 10000 "the newest day is whole"
kb=$(du -sk "$T/events" | cut -f1)
[ "$kb" -le $((28 * 1024 + 1024)) ] || fail "events dir is ${kb} KiB, bound 28 MiB"
pass "events dir within its bound (${kb} KiB)"
stop_dcmond
done_checks
