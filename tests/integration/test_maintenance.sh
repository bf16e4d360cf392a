#!/usr/bin/env bash
# Maintenance entries (issue 19 item 5, docs/ACCOUNTS.md "Maintenance"): a window of
# work on a server asked by one account (root over the CLI) and approved by another
# holding the approval (a noc-admin's token); never by the account that asked, nor by a
# noc-operator.  While it is pending a login on the server (a real logger(1) line to the
# syslog receiver) alerts; once approved the same login is quiet, and the silence, the
# entry and the audit log name both accounts; ended, a login alerts again.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon as root over the socket)"; exit 1; }
HOST=$(hostname)   # logger(1) sends this HOSTNAME: the server is the device of this id
TCP=$(free_port); hport=$(free_port)
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" \
    "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}" "events: {retention: 30d}"
  cat <<EOF2
  syslog:
    listen: 127.0.0.1
    tcp_port: $TCP
    udp_port: 0
    default_rules: false
    logins: {window: 10m}
devices:
  - {id: $HOST, kind: server, host: 192.0.2.10}
EOF2
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$hport"
echo "approver-password-1" | "$DCMON" user add u-approver --role noc-admin >/dev/null
echo "operator-password-1" | "$DCMON" user add u-operator --role noc-operator >/dev/null
APPROVER=$("$DCMON" user token u-approver | head -1)
OPERATOR=$("$DCMON" user token u-operator | head -1)

send() { logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t "$1" -p authpriv.notice "$2"; }
stored() { [ "$(api_get "/api/v1/events/search?text=$1&limit=10" | jq '.events | length')" -ge 1 ]; }
count_of() { local v; v=$(metric_field "$HOST" log_matches_count "$1" value); echo "${v:-none}"; }
login() { send sshd "Accepted publickey for alice from 10.9.9.5 port 5002$1 ssh2: ED25519 SHA256:abc marker$1"; }

# ---- asked by root over the CLI: pending, not a window yet ------------------------------
"$DCMON" maintenance request "$HOST" --for 1h --reason "kernel patching, CHG-42" >"$T/req.out"
assert_eq "$(cat "$T/req.out")" "maintenance 1 requested: another account approves it (dcmon maintenance approve ID)" \
  "dcmon maintenance request"
assert_eq "$("$DCMON" maintenance list --json | jq -c '.maintenance[0] | [.id, .state, .device, .requested_by, .active]')" \
  "[1,\"pending\",\"$HOST\",\"root\",false]" "the entry is pending, asked by root"
login 1
wait_until 15 "a login during the pending request alerts" \
  metric_is "$HOST" log_matches_count login-outside-window '.value == 1'
pass "a pending maintenance entry is no approved window: the login counts"

# ---- not approved by the account that asked, nor by a noc-operator -----------------------
rc=0; "$DCMON" maintenance approve 1 >"$T/self.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "root approving its own request: refused"
grep -q "maintenance 1 was requested by root: another account must approve it" "$T/self.out" ||
  fail "self-approval message: $(cat "$T/self.out")"
out=$(token_req "$OPERATOR" POST "$base/api/v1/maintenance/1/approve" '{}')
assert_eq "${out%% *}" 403 "a noc-operator may not approve"
assert_eq "$("$DCMON" maintenance list --json | jq -r '.maintenance[0].state')" pending "still pending"
pass "the requester and a noc-operator cannot approve"

# ---- approved by the noc-admin: the login is quiet, both accounts on record ---------------
out=$(token_req "$APPROVER" POST "$base/api/v1/maintenance/1/approve" '{}')
assert_eq "${out%% *}" 200 "u-approver approves"
assert_eq "$(cut -d' ' -f2- <<<"$out" | jq -c '[.state, .active, .requested_by, .decided_by]')" \
  '["approved",true,"root","u-approver"]' "the approved entry names both accounts"
login 2
wait_until 10 "the login in the window stored" stored marker2
assert_eq "$(count_of login-outside-window)" 1 "the login inside the approved window counts nothing"
assert_eq "$(api_get /api/v1/silences | jq -r '.silences[0] | [.created_by, .reason] | join("|")')" \
  "u-approver|maintenance 1: kernel patching, CHG-42 (requested by root, approved by u-approver)" \
  "the window's silence is the approver's and names both"
"$DCMON" maintenance list >"$T/list.out"
grep -qE "^1 +approved \(active\) +$HOST .* root +u-approver +kernel patching, CHG-42$" "$T/list.out" ||
  fail "dcmon maintenance list: $(cat "$T/list.out")"
assert_eq "$(audit_json | jq -c '[.entries[] | select(.action | startswith("maintenance")) | [.action, .who, .target, .detail]]')" \
  "[[\"maintenance-request\",\"root\",\"maintenance:1\",\"device=$HOST for 3600 s: kernel patching, CHG-42\"],[\"maintenance-approve\",\"u-approver\",\"maintenance:1\",\"requested by root, silence 1\"]]" \
  "the audit log: the request by root, the approval by u-approver"
assert_eq "$(api_get "/api/v1/audit?action=maintenance-approve" | jq -r '[.entries[] | .who] | join(",")')" \
  u-approver "the audit API's action filter finds the approval"
pass "an approved maintenance window: logins quiet, the approver on record"

# ---- ended: a login alerts again ---------------------------------------------------------
"$DCMON" maintenance end 1 >"$T/end.out"
assert_eq "$(cat "$T/end.out")" "maintenance 1 ended" "dcmon maintenance end"
assert_eq "$(api_get /api/v1/silences | jq '[.silences[] | select(.active)] | length')" 0 "its silence ended"
login 3
wait_until 15 "a login after the window counts" \
  metric_is "$HOST" log_matches_count login-outside-window '.value == 2'
assert_eq "$("$DCMON" maintenance list --json | jq -c '.maintenance[0] | [.state, .ended_by, .decided_by]')" \
  '["ended","root","u-approver"]' "ended by root, approved by u-approver"

# a rejection needs a reason and is the other account's too
"$DCMON" maintenance request "$HOST" --for 30m --reason "firmware" >/dev/null
rc=0; "$DCMON" maintenance reject 2 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 3 "reject without --reason: a usage error"
out=$(token_req "$APPROVER" POST "$base/api/v1/maintenance/2/reject" '{"reason":"not this week"}')
assert_eq "$(cut -d' ' -f2- <<<"$out" | jq -c '[.state, .decided_by, .note]')" '["rejected","u-approver","not this week"]' \
  "rejected with its reason"
pass "ending and rejecting"

stop_dcmond
done_checks
