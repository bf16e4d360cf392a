#!/usr/bin/env bash
# Files and privileges.  Each dcmond runs in a network namespace of its own (lo up,
# net.ipv4.ping_group_range set per case, HTTP on port 80 without colliding with
# anything), reached through its Unix socket and nsenter.
#  1. a root start with daemon.user: nobody after an earlier version left 0644 state
#     files in a 0755 root-owned directory: the tree is given to nobody, modes closed to
#     others (logged); dcmond then runs as nobody with CAP_NET_RAW alone on the loop
#     thread (no ICMP datagram sockets for its group) and none elsewhere, still pings,
#     serves HTTP on port 80 and the API, and new state files are 0640;
#  2. the same with nogroup in ping_group_range: no capability at all, ping still works;
#  3. started directly as nobody (setpriv) without ping rights: works, a startup
#     warning and the ping check's reason say how to grant them;
#  4. started as nobody with CAP_NET_RAW as an ambient capability: ping works.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (setpriv, unshare, chown)"; exit 1; }
nobody_gid=$(id -g nobody)
cat >"$T/netns.sh" <<'SH'
#!/bin/sh
# netns.sh LOW HIGH CMD...: CMD in this (new) network namespace with lo up and
# net.ipv4.ping_group_range = LOW HIGH.
ip link set lo up && echo "$1 $2" >/proc/sys/net/ipv4/ping_group_range || exit 1
shift 2
exec "$@"
SH
as_nobody="setpriv --reuid=nobody --regid=$nobody_gid --clear-groups"

write_config() { # $1 = user key ("" for none)
  { daemon_yaml "socket: $T/run/dcmon.sock" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" \
      "archive_flush: 200ms" ${1:+"$1"} "http: {listen: 127.0.0.1, port: 80}"
    cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - {id: box, kind: server, host: 127.0.0.1, checks: {ping: {count: 2, spacing: 50ms}}}
YAML
}
# start_in_netns LOW HIGH [PREFIX]: dcmond in a new network namespace.
start_in_netns() {
  DCMOND_PREFIX="unshare --net sh $T/netns.sh $1 $2 ${3:-}" start_dcmond "$T/dcmon.yaml"
}
# status_field DIR KEY: the first value of KEY in DIR/status (DIR: /proc/PID or a task).
status_field() { awk -v k="$2:" '$1 == k {print $2}' "$1/status"; }
mode_of() { stat -c '%a %U' "$1"; }
ping_ok() { metric_is box ping_rtt_avg_seconds "" '.quality == "ok" and .value > 0'; }
http_health() {
  nsenter --net="/proc/$DCMOND_PID/ns/net" curl -s -o /dev/null -w '%{http_code}' \
    http://127.0.0.1:80/api/v1/health
}
# caps_of_threads PID: "CapPrm/CapEff" of every thread but the first (the loop thread).
caps_of_threads() {
  local t
  for t in /proc/"$1"/task/*; do
    [ "${t##*/}" = "$1" ] && continue
    echo "$(status_field "$t" CapPrm)/$(status_field "$t" CapEff)"
  done | sort -u
}

# a user that does not exist: an error at its line
write_config "user: no-such-user-$$"
rc=0; "$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null 2>"$T/check.err" || rc=$?
assert_eq "$rc" 1 "check-config exit code with an unknown user"
grep -q "dcmon.yaml:$(grep -n '^  user:' "$T/dcmon.yaml" | cut -d: -f1):[0-9]*: error: daemon: user: no such user 'no-such-user-$$'" "$T/check.err" \
  || fail "no positioned error: $(cat "$T/check.err")"
pass "unknown user: $(cat "$T/check.err")"

# 0. what an earlier version left: root-owned, 0644 files in a 0755 directory
write_config "user: root"
start_in_netns 1 0
wait_until 10 "an RRD file" compgen -G "$T/data/box/*.rrd"
stop_dcmond
chmod 0755 "$T/data"; chmod 0644 "$T/data"/alerts.db* "$T/data"/notify.db*
old_rrd=$(compgen -G "$T/data/box/*.rrd" | head -1)
touch "$T/data/not-dcmons.txt" # something else in the directory: never given away
assert_eq "$(mode_of "$T/data/alerts.db")" "644 root" "alerts.db before (as an earlier version left it)"

# 1. root start, user nobody, no ICMP datagram sockets for nogroup
write_config "user: nobody"
start_in_netns 1 0
pid=$DCMOND_PID
wait_until 15 "ping ok as nobody with CAP_NET_RAW" ping_ok
pass "ping 127.0.0.1 from the unprivileged daemon"
assert_eq "$(awk '$1 == "Uid:" {print $2,$3,$4,$5}' "/proc/$pid/status")" "65534 65534 65534 65534" "real, effective, saved, fs uid"
assert_eq "$(awk '$1 == "Gid:" {print $2,$3,$4,$5}' "/proc/$pid/status")" "$nobody_gid $nobody_gid $nobody_gid $nobody_gid" "gids"
assert_eq "$(status_field "/proc/$pid" CapEff)" 0000000000002000 "loop thread CapEff (CAP_NET_RAW only)"
assert_eq "$(status_field "/proc/$pid" CapPrm)" 0000000000002000 "loop thread CapPrm"
assert_eq "$(caps_of_threads "$pid")" 0000000000000000/0000000000000000 "other threads' CapPrm/CapEff"
assert_eq "$(http_health)" 200 "HTTP on port 80 opened before the drop"
grep -q 'msg="running as nobody (uid 65534' "$T/dcmond.log" || fail "no 'running as nobody' line"
pass "logged: $(grep -o 'running as nobody[^"]*' "$T/dcmond.log")"
grep -q "data_dir $T/data: [0-9]* files now owned by nobody" "$T/dcmond.log" || fail "no ownership line"
grep -q "$T/data/alerts.db: mode 0644 -> 0640 (closed to others)" "$T/dcmond.log" || fail "alerts.db not tightened"
grep -q "$T/data: mode 0755 -> 0750 (closed to others)" "$T/dcmond.log" || fail "data_dir not tightened"
pass "tightened and handed over, logged"
assert_eq "$(stat -c %U "$old_rrd")" nobody "owner of an RRD file of the earlier start"
assert_eq "$(stat -c %U "$T/data/not-dcmons.txt")" root "owner of a file dcmond did not write"
wait_until 10 "an RRD file" compgen -G "$T/data/box/*.rrd"
for f in "$T/data" "$T/data/box"; do assert_eq "$(mode_of "$f")" "750 nobody" "mode of ${f#$T/}"; done
for f in "$T/data/alerts.db" "$T/data/alerts.db-wal" "$T/data/notify.db" "$T/data/notify.db-wal" \
         "$(compgen -G "$T/data/box/*.rrd" | head -1)"; do
  assert_eq "$(mode_of "$f")" "640 nobody" "mode of ${f#$T/}"
done
# every part's database, whichever parts there are (the root start made them root's)
dbs=("$T"/data/*.db)
[ "${#dbs[@]}" -ge 6 ] || fail "only ${#dbs[@]} databases in data: ${dbs[*]}"
for f in "${dbs[@]}"; do assert_eq "$(stat -c %U "$f")" nobody "owner of ${f#$T/}"; done
pass "the ${#dbs[@]} databases of the state directory handed over"
stop_dcmond

# 2. nogroup may open ICMP datagram sockets: nothing is kept
start_in_netns "$nobody_gid" "$nobody_gid"
wait_until 15 "ping ok as nobody without capabilities" ping_ok
assert_eq "$(status_field "/proc/$DCMOND_PID" CapPrm)/$(status_field "/proc/$DCMOND_PID" CapEff)" \
  0000000000000000/0000000000000000 "loop thread CapPrm/CapEff with ICMP datagram sockets"
stop_dcmond

# 3. started as nobody, no ping rights: it runs, and says how to grant them (no port 80:
#    nobody may not bind it)
write_config ""
sed -i '/^  http:/d' "$T/dcmon.yaml"
start_in_netns 1 0 "$as_nobody"
assert_eq "$(status_field "/proc/$DCMOND_PID" Uid)" 65534 "uid of a dcmond started as nobody"
wait_until 15 "ping check refused" metric_is box ping_rtt_avg_seconds "" '.quality == "error"'
reason=$(metric_field box ping_rtt_avg_seconds "" reason)
case $reason in
  *"net.ipv4.ping_group_range"*CAP_NET_RAW*) pass "check reason: $reason" ;;
  *) fail "ping reason does not say how to grant it: $reason" ;;
esac
grep -q 'level=warn sub=icmp msg="ping checks will fail: uid 65534.*ping_group_range.*CAP_NET_RAW' "$T/dcmond.log" \
  || fail "no startup warning: $(grep 'sub=icmp' "$T/dcmond.log")"
pass "startup warning says how to grant ping rights"
stop_dcmond

# 4. started as nobody with CAP_NET_RAW (ambient, as systemd's AmbientCapabilities)
start_in_netns 1 0 "$as_nobody --inh-caps=+net_raw --ambient-caps=+net_raw"
wait_until 15 "ping ok as nobody with an ambient CAP_NET_RAW" ping_ok
pass "ping with an ambient CAP_NET_RAW"
stop_dcmond
done_checks
