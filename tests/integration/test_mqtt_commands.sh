#!/usr/bin/env bash
# Commands from the hub to its sites (issue 18, federation; docs/MQTT.md "Commands"):
# two site dcmonds, each on its own mosquitto bridged to a hub mosquitto (events out,
# the site's commands topic in), and a hub dcmond.  An ack issued at the hub reaches
# site1's alert (seen through site1's API) and is audited at both ends; a silence too;
# site2's config gives the hub's account the wall role, so the same ack is refused
# there (authz_check) and audited; a command a client without the shared key publishes
# straight on site1's command topic is refused and audited, and so is one sealed with
# the key but naming another hub; test mode; a command issued while the hub broker is down
# (by `dcmon ack --site`) is sent once it is back (nothing lost).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

# the commands section's keys are checked at their line:col
printf 'sekrit\n' >"$T/cmd.key"
chmod 600 "$T/cmd.key"
check_config() { # YAML-LINES... : the --check-config error of a daemon.mqtt section
  { daemon_yaml; printf '  mqtt:\n    host: 127.0.0.1\n'; for l in "$@"; do printf '    %s\n' "$l"; done
    echo "devices: []"; } >"$T/bad.yaml"
  "$DCMOND" -c "$T/bad.yaml" --check-config 2>&1 | grep error
}
assert_eq "$(check_config 'publish: {prefix: s1}' "commands: {key_file: $T/cmd.key, hub: hub}")" \
  "$T/bad.yaml:9:64: error: mqtt: commands: hub needs account too (the hub's client_id, the account it acts as, that account's role)" \
  "a site's commands without account"
chmod 644 "$T/cmd.key"
assert_eq "$(check_config 'role: hub' "commands: {key_file: $T/cmd.key}")" \
  "$T/bad.yaml:9:26: error: mqtt: commands: key_file $T/cmd.key can be read by its group or others (mode 0644): chmod 600 it" \
  "a key_file others can read"
chmod 600 "$T/cmd.key"
assert_eq "$(check_config "commands: {key_file: $T/cmd.key, hub: hub, account: a, role: wall}")" \
  "$T/bad.yaml:8:15: error: mqtt: commands: a site takes commands on <publish.prefix>/_commands: add publish:" \
  "a site's commands without publish"

start_federation site1 site2
declare -A ROLE=([site1]=noc-operator [site2]=wall)
for s in site1 site2; do
  { fed_yaml "$s" "${SITE_PORT[$s]}" \
      'subscriptions: [{topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}]' \
      "publish: {prefix: $s, kinds: [alerts], heartbeat: 1s}" \
      "commands: {key_file: $T/cmd.key, hub: hub, account: hub-noc, role: ${ROLE[$s]}}"
    printf 'rules:\n  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}\n'
    printf 'devices:\n  - {id: %s-d1, kind: env, mqtt: true}\n  - {id: %s-d2, kind: env, mqtt: true}\n' "$s" "$s"
  } >"$T/$s/dcmon.yaml"
  fed_run "$s"
done
fed_yaml hub "$HUB_PORT" "role: hub" "commands: {key_file: $T/cmd.key}" >"$T/hub/dcmon.yaml"
echo "devices: []" >>"$T/hub/dcmon.yaml"
fed_run hub
wait_until 10 "the hub's subscription to the replies" grep -q "hub 1 +/_replies" "$T/broker-1.log"

api() { curl -sf --unix-socket "$T/$1/dcmon.sock" "http://dcmond$2"; }
command() { # SITE JSON: posts a command at the hub; prints the HTTP code and body
  curl -s -o "$T/cmd.out" -w '%{http_code}' --unix-socket "$T/hub/dcmon.sock" \
    -X POST -H 'Content-Type: application/json' -d "$2" "http://dcmond/api/v1/sites/$1/commands"
  printf ' %s' "$(cat "$T/cmd.out")"
}
hub_alert_id() { # SITE DEVICE: the site's id of DEVICE's alert, as the hub shows it
  api hub "/api/v1/sites/$1/alerts" | jq -r ".alerts[] | select(.device == \"$2\") | .id"
}
for s in site1 site2; do
  MQTT_PORT=${SITE_PORT[$s]} pub "sensors/$s-d1/temperature" 35
  wait_until 30 "$s's alert at the hub" eval '[ -n "$(hub_alert_id '"$s $s"'-d1)" ]'
done

# ---- an ack at the hub reaches site1, audited at both ends ---------------------------
id1=$(hub_alert_id site1 site1-d1)
out=$(command site1 "{\"kind\":\"ack\",\"target\":$id1,\"body\":{\"comment\":\"seen at the NOC\"}}")
[ "${out%% *}" = 202 ] || fail "the hub's ack command: $out"
site_acked() { # SITE ID: the site's own alert ID is acknowledged
  api "$1" "/api/v1/alerts/$2" | json_check '.alert.acked == true' 2>/dev/null ||
    api "$1" "/api/v1/alerts/$2" | json_check '.acked == true'
}
wait_until 20 "the ack at site1" site_acked site1 "$id1"
assert_eq "$(api site1 "/api/v1/alerts/$id1" | jq -r '(.alert // .) | .ack | "\(.by) | \(.comment)"')" \
  "hub-noc (as root@hub) | seen at the NOC" "site1's alert acknowledged by the hub's account"
assert_eq "$(api site1 '/api/v1/audit?action=hub-command' | jq -r '.entries[] | "\(.who) \(.origin) \(.target) \(.detail)"')" \
  "hub-noc mqtt:hub command:hub/1 ack $id1 by root as hub-noc (noc-operator): 200" "site1's audit of the command"
api site1 '/api/v1/audit?action=ack' | json_check "[.entries[] | select(.target == \"alert:$id1\" and (.who | startswith(\"hub-noc\")))] | length == 1" ||
  fail "site1's audit of the ack itself: $(api site1 '/api/v1/audit?action=ack')"
wait_until 20 "site1's reply at the hub" eval 'api hub /api/v1/sites/site1/commands | json_check ".commands[0].status == 200"'
assert_eq "$(api hub '/api/v1/audit?action=site-command' | jq -r '.entries[] | "\(.who) \(.target)"')" \
  "root site:site1/command:1" "the hub's audit of the command it sent"
api hub '/api/v1/audit?action=site-command-reply' | json_check '.entries[0].detail == "status 200"' ||
  fail "the hub's audit of site1's reply"
pass "an ack issued at the hub acknowledged site1's alert, audited at the hub and at site1"

# ---- a silence too ---------------------------------------------------------------------
out=$(command site1 '{"kind":"silence","body":{"match":{"device":"site1-d2"},"reason":"hub maintenance","for":"1h"}}')
[ "${out%% *}" = 202 ] || fail "the hub's silence command: $out"
wait_until 20 "the silence at site1" eval 'api site1 /api/v1/silences | json_check "[.silences[] | select(.reason == \"hub maintenance\")] | length == 1"'
pass "a silence issued at the hub is in force at site1"
out=$(command site1 '{"kind":"test_mode","body":{"device":"site1-d1","for":"30m","reason":"hub test"}}')
[ "${out%% *}" = 202 ] || fail "the hub's test-mode command: $out"
wait_until 20 "site1's test window" eval 'api hub /api/v1/sites/site1/commands | json_check ".commands[-1].status == 201"'
tm=$(api hub /api/v1/sites/site1/commands | jq '.commands[-1].reply.body.silence')
api site1 /api/v1/silences | json_check "[.silences[] | select(.id == $tm and .match.device == \"site1-d1\")] | length == 1" ||
  fail "site1's test window (silence $tm): $(api site1 /api/v1/silences)"
pass "test mode started at the hub opened site1's test window (silence $tm)"

# ---- site2 gives the hub's account the wall role: refused and audited ------------------
id2=$(hub_alert_id site2 site2-d1)
out=$(command site2 "{\"kind\":\"ack\",\"target\":$id2}")
[ "${out%% *}" = 202 ] || fail "the hub's ack command to site2: $out"
wait_until 20 "site2's reply at the hub" eval 'api hub /api/v1/sites/site2/commands | json_check ".commands[0].status == 403"'
api site2 "/api/v1/alerts/$id2" | json_check '(.alert // .) | .acked == false' || fail "site2's alert acknowledged"
assert_eq "$(api site2 '/api/v1/audit?action=hub-command-refused' | jq -r '.entries[] | "\(.who) \(.detail)"')" \
  "hub-noc ack $id2 by root as hub-noc (wall): 403" "site2's audit of the refused ack"
pass "site2, where the hub's account is a wall, refused the hub's ack (403) and audited it"

# ---- dcmon status --site at the hub: a federated site's state ----------------------------
hub_status() { # SITE: prints `dcmon status --site SITE` at the hub, then its exit code
  local out rc=0
  out=$(DCMON_SOCKET=$T/hub/dcmon.sock "$DCMON" status --site "$1") || rc=$?
  printf '%s\nexit %s\n' "$out" "$rc"
}
out=$(hub_status site2)
[[ $(head -1 <<<"$out") =~ ^site\ site2\ \(through\ this\ hub\):\ reachable,\ last\ heard\ .+\ ago,\ 1\ open\ alert$ ]] ||
  fail "dcmon status --site site2 at the hub: $out"
grep -qE '^site2-d1 +hot +warning +firing' <<<"$out" || fail "site2's alert not listed: $out"
assert_eq "$(tail -1 <<<"$out")" "exit 1" "dcmon status --site site2's exit code (its worst alert: warning)"
pass "dcmon status --site at the hub shows site2 reachable with its warning alert (exit 1)"

# ---- a client without the key, or a sealed command naming another hub ------------------
n_before=$(api site1 '/api/v1/audit?action=hub-command-refused' | jq '.entries | length')
cmd="{\"from\":\"hub\",\"site\":\"site1\",\"id\":99,\"kind\":\"ack\",\"target\":$id1,\"by\":\"mallory\"}"
mac=$(printf %s "$cmd" | openssl dgst -sha256 -hmac wrong-key | awk '{print $NF}')
MQTT_PORT=${SITE_PORT[site1]} pub site1/_commands "$(jq -cn --arg c "$cmd" --arg m "$mac" '{cmd: $c, mac: $m}')" -i intruder
cmd2="{\"from\":\"intruder\",\"site\":\"site1\",\"id\":100,\"kind\":\"unsilence\",\"target\":1,\"by\":\"mallory\"}"
mac2=$(printf %s "$cmd2" | openssl dgst -sha256 -hmac sekrit | awk '{print $NF}')
MQTT_PORT=${SITE_PORT[site1]} pub site1/_commands "$(jq -cn --arg c "$cmd2" --arg m "$mac2" '{cmd: $c, mac: $m}')" -i intruder
wait_until 20 "the two refusals audited at site1" \
  eval '[ "$(api site1 "/api/v1/audit?action=hub-command-refused" | jq ".entries | length")" = $((n_before + 2)) ]'
assert_eq "$(api site1 '/api/v1/audit?action=hub-command-refused' | jq -r '.entries[-2:][] | "\(.who) \(.target) \(.detail)"')" \
  "$(printf '%s\n%s' "unknown command:? bad seal (not made with the shared key_file)" \
    "intruder command:intruder/100 unsilence by mallory: not from the hub this site takes commands from (commands.hub)")" \
  "site1's audit of the refused commands"
api site1 /api/v1/silences | json_check '[.silences[] | select(.reason == "hub maintenance" and .active)] | length == 1' ||
  fail "the intruder's unsilence ended the hub's silence"
pass "a command without the shared key, and one naming another hub, are refused and audited"

# ---- nothing lost: a command issued while the hub broker is away -----------------------
kill -TERM "$HUB_BROKER"; wait "$HUB_BROKER" 2>/dev/null || true
MQTT_PORT=${SITE_PORT[site1]} pub sensors/site1-d2/temperature 36
wait_until 20 "site1-d2's alert at site1" eval 'api site1 /api/v1/alerts | json_check "[.alerts[] | select(.device == \"site1-d2\" and .state == \"firing\")] | length == 1"'
id3=$(api site1 /api/v1/alerts | jq -r '.alerts[] | select(.device == "site1-d2") | .id')
assert_eq "$(DCMON_SOCKET=$T/hub/dcmon.sock "$DCMON" ack "$id3" --comment "during the cut" --site site1)" \
  "sent the ack of alert $id3 to site site1 (command 5; its answer: GET /api/v1/sites/site1/commands)" \
  "dcmon ack --site at the hub during the cut"
api hub /api/v1/sites/site1/commands | json_check '.commands[-1].status == null' || fail "a reply during the cut"
start_broker "$HUB_PORT" "${HUB_LINES[@]}"
wait_until 30 "the ack sent during the cut at site1" site_acked site1 "$id3"
wait_until 20 "its reply at the hub" eval 'api hub /api/v1/sites/site1/commands | json_check ".commands[-1].status == 200"'
assert_eq "$(api site1 '/api/v1/audit?action=hub-command' | jq '[.entries[] | select(.target == "command:hub/5")] | length')" 1 \
  "the command sent during the cut applied once at site1"
pass "a command issued while the hub broker was down was applied once it came back"

# ---- the CLI's --site form of silence, unsilence and test-mode --------------------------
hubcli() { DCMON_SOCKET=$T/hub/dcmon.sock "$DCMON" "$@"; }
active_cli_silences() { # REASON: site1's active silences with that reason
  api site1 /api/v1/silences | jq --arg r "$1" '[.silences[] | select(.reason == $r and .active)] | length'
}
out=$(hubcli silence device=site1-d2 --for 2h --reason "cli at the hub" --site site1)
[[ $out =~ ^sent\ the\ silence\ to\ site\ site1\ \(command\ [0-9]+\;\ its\ answer:\ GET\ /api/v1/sites/site1/commands\)$ ]] ||
  fail "dcmon silence --site: $out"
wait_until 20 "the CLI's silence at site1" eval '[ "$(active_cli_silences "cli at the hub")" = 1 ]'
sid=$(api site1 /api/v1/silences | jq '.silences[] | select(.reason == "cli at the hub") | .id')
out=$(hubcli unsilence "$sid" --site site1)
[[ $out =~ ^sent\ the\ end\ of\ silence\ $sid\ to\ site\ site1\ \(command\ [0-9]+ ]] || fail "dcmon unsilence --site: $out"
wait_until 20 "the CLI's unsilence at site1" eval '[ "$(active_cli_silences "cli at the hub")" = 0 ]'
out=$(hubcli test-mode site1-d2 --for 15m --reason "cli test" --site site1 --json)
tcid=$(jq '.id' <<<"$out")
wait_until 20 "site1's answer to the CLI's test mode" \
  eval 'api hub /api/v1/sites/site1/commands | json_check "[.commands[] | select(.id == '"$tcid"')][0].status == 201"'
tm2=$(api hub /api/v1/sites/site1/commands | jq "[.commands[] | select(.id == $tcid)][0].reply.body.silence")
api site1 /api/v1/silences | json_check "[.silences[] | select(.id == $tm2 and .match.device == \"site1-d2\" and .active)] | length == 1" ||
  fail "site1's test window from the CLI (silence $tm2): $(api site1 /api/v1/silences)"
pass "dcmon silence, unsilence and test-mode with --site at the hub applied at site1"

# ---- replies are sealed; a restart of site1 forgets no applied command ----------------
kill -TERM "$PID_site1"; wait "$PID_site1" || fail "site1's dcmond exited with $?"
wait_until 20 "site1 unreachable at the hub" eval 'api hub /api/v1/sites | json_check "[.sites[] | select(.id == \"site1\")][0].unreachable"'
out=$(hub_status site1)
[[ $(head -1 <<<"$out") =~ ^site\ site1\ \(through\ this\ hub\):\ UNREACHABLE, ]] || fail "dcmon status --site site1 while it is down: $out"
assert_eq "$(tail -1 <<<"$out")" "exit 3" "dcmon status --site site1's exit code while it is down"
# while site1 is down a command waits at the hub for its reply; a reply forged without
# the key (by anyone who may publish on the hub's broker) must not mark it answered
out=$(command site1 '{"kind":"silence","body":{"match":{"device":"site1-d1"},"reason":"after the restart","for":"1h"}}')
[ "${out%% *}" = 202 ] || fail "the hub's silence command while site1 is down: $out"
cid=$(jq '.id' <<<"${out#* }")
MQTT_PORT=$HUB_PORT pub site1/_replies "{\"origin\":\"site1\",\"from\":\"hub\",\"id\":$cid,\"status\":200,\"body\":{}}" -i forger
wait_until 20 "the forged reply refused at the hub" \
  eval 'api hub "/api/v1/audit?action=site-command-reply-refused" | json_check ".entries | length == 1"'
assert_eq "$(api hub '/api/v1/audit?action=site-command-reply-refused' | jq -r '.entries[0] | "\(.who) \(.detail)"')" \
  'unknown on site1/_replies: not a sealed command ({"cmd", "mac"})' "the hub's audit of the forged reply"
api hub /api/v1/sites/site1/commands | json_check "[.commands[] | select(.id == $cid)][0].status == null" ||
  fail "a forged reply marked command $cid answered: $(api hub /api/v1/sites/site1/commands)"
fed_run site1
wait_until 30 "the command sent while site1 was down applied" \
  eval 'api site1 /api/v1/silences | json_check "[.silences[] | select(.reason == \"after the restart\")] | length == 1"'
wait_until 20 "site1's sealed reply at the hub" \
  eval 'api hub /api/v1/sites/site1/commands | json_check "[.commands[] | select(.id == '"$cid"')][0].status == 201"'
pass "a forged reply was refused and audited; the command was answered by site1's sealed reply"
# the silence (command 2) sealed with the key and published again, as a resend after a
# lost reply or whoever recorded the message would: site1 applied it before its restart
n_before=$(api site1 '/api/v1/audit?action=hub-command-refused' | jq '.entries | length')
cmd='{"from":"hub","site":"site1","id":2,"kind":"silence","body":{"match":{"device":"site1-d2"},"reason":"replayed","for":"1h"},"by":"root"}'
mac=$(printf %s "$cmd" | openssl dgst -sha256 -hmac sekrit | awk '{print $NF}')
MQTT_PORT=${SITE_PORT[site1]} pub site1/_commands "$(jq -cn --arg c "$cmd" --arg m "$mac" '{cmd: $c, mac: $m}')" -i replayer
wait_until 20 "the replayed command refused at site1" \
  eval '[ "$(api site1 "/api/v1/audit?action=hub-command-refused" | jq ".entries | length")" = $((n_before + 1)) ]'
assert_eq "$(api site1 '/api/v1/audit?action=hub-command-refused' | jq -r '.entries[-1] | "\(.target) \(.detail)"')" \
  "command:hub/2 silence by root: already applied" "site1's audit of the replayed command"
api site1 /api/v1/silences | json_check '[.silences[] | select(.reason == "replayed")] | length == 0' ||
  fail "a command applied before the restart was applied again"
pass "after a restart site1 still knew command 2 was applied (mqtt_commands.db)"

for p in "$PID_site1" "$PID_site2" "$PID_hub"; do kill -TERM "$p"; wait "$p" || fail "a dcmond exited with $?"; done
done_checks
