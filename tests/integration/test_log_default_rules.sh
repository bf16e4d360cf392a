#!/usr/bin/env bash
# The shipped log rules on real lines sent by logger(1) over TCP as the kernel, sshd,
# apcupsd and NUT's upsmon write them: kernel OOM, disk I/O errors, sshd failures, a
# UPS on battery (both daemons) and its battery low each count for the device and fire
# the default engine rule on the count (etc/profiles/defaults.yaml); the same words
# from another program count for nothing; the UPS daemons' own "back on mains" lines
# resolve their alerts; `default_rules: false` turns the shipped rules off.
. "$(dirname "$0")/lib.sh"

TCP=$(free_port)
HOST=$(hostname)
config() { # DEFAULT_RULES
  daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"
  cat <<EOF
  syslog: {listen: 127.0.0.1, udp_port: 0, tcp_port: $TCP, default_rules: $1,
           rules: [{name: any-oom, match: Out of memory}]}
devices:
  - {id: $HOST, kind: server, host: 192.0.2.10}
EOF
}
config true >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

send() { logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t "$1" -p "$2" "$3"; }
count() { api_get "/api/v1/metrics?device=$HOST&name=log_matches_count&inst=$1" | jq -r '.metrics[0].value'; }
count_is() { [ "$(count "$1")" = "$2" ]; }
firing() { alert_is "$1" ".state == \"firing\" and .metric == \"log_matches_count@$2\" and .value == $3"; }

send kernel kern.err "Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:7012345kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:14000kB oom_score_adj:0"
send kernel kern.err "blk_update_request: I/O error, dev sdb, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"
send kernel kern.err "Buffer I/O error on dev sdb1, logical block 15432, async page read"
for i in 1 2 3 4 5; do
  send sshd authpriv.info "Failed password for invalid user admin from 10.1.1.$i port 5002$i ssh2"
done
send sshd authpriv.info "Accepted publickey for bob from 10.1.1.9 port 50100 ssh2: ED25519 SHA256:abc"
send apcupsd daemon.alert "Power failure."
send apcupsd daemon.alert "Running on UPS batteries."
send upsmon daemon.alert "UPS ups@localhost on battery"
send upsmon daemon.alert "UPS ups@localhost battery is low"
send myapp user.info "Out of memory: not the kernel, so not kernel-oom"

wait_until 15 "kernel-oom firing" firing kernel-oom kernel-oom 1
wait_until 15 "disk-io-errors firing" firing disk-io-errors disk-io-error 2
wait_until 15 "sshd-failures firing" firing sshd-failures sshd-failures 5
wait_until 15 "ups-battery-low-log firing" firing ups-battery-low-log ups-battery-low-nut 1
assert_eq "$(alerts_json --all | jq -r '[.alerts[] | select(.rule == "ups-on-battery-log") | "\(.metric)=\(.value)/\(.state)/\(.severity)"] | sort | join(",")')" \
  "log_matches_count@ups-on-battery-apcupsd=2/firing/critical,log_matches_count@ups-on-battery-nut=1/firing/critical" "UPS on battery from apcupsd and from upsmon"
assert_eq "$(alerts_json --all | jq -r '[.alerts[] | select(.rule == "kernel-oom" or .rule == "disk-io-errors" or .rule == "sshd-failures") | "\(.rule)=\(.severity)"] | sort | join(",")')" \
  "disk-io-errors=critical,kernel-oom=critical,sshd-failures=warning" "severities of the default rules"
assert_eq "$(count kernel-oom)/$(count any-oom)" "1/2" "'Out of memory' from another program: not kernel-oom, but a config rule without program"
assert_eq "$(count ups-battery-low-apcupsd)" null "no apcupsd battery-low line: no count"
pass "kernel OOM, disk I/O errors, sshd failures, UPS on battery and battery low fire their default rules"

send apcupsd daemon.alert "Power is back. UPS running on mains."
send upsmon daemon.alert "UPS ups@localhost on line power"
wait_until 15 "apcupsd count cleared" count_is ups-on-battery-apcupsd 0
wait_until 15 "upsmon count cleared" count_is ups-on-battery-nut 0
wait_until 15 "UPS alerts resolved" alert_is ups-battery-low-log '.state == "resolved"'
assert_eq "$(alerts_json --all | jq -r '[.alerts[] | select(.rule == "ups-on-battery-log") | .state] | join(",")')" \
  "resolved,resolved" "the UPS daemons' mains lines resolve the on-battery alerts"

# default_rules: false: the shipped rules count no more, the config's still do
config false >"$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 10 "reload" grep -q "reloaded" "$T/dcmond.log"
# a reload starts the counts anew: with the shipped rules kernel-oom would be 2 as well
send kernel kern.err "Out of memory: Killed process 4343 (php) total-vm:1234kB"
send kernel kern.err "Out of memory: Killed process 4344 (php) total-vm:1234kB"
wait_until 15 "any-oom counts the new lines" count_is any-oom 2
assert_eq "$(count kernel-oom)" 1 "default_rules: false: kernel-oom counts nothing more"

stop_dcmond
done_checks
