#!/usr/bin/env bash
# Alert e-mail end to end against a real SMTP server (aiosmtpd): recipients and content
# of each message, de-duplication over several routes, tenant isolation (tenant A never
# receives B's alerts), recovery notices, `dcmon test-email`, and a recipient refused
# with 5xx recorded as failed for that recipient only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

start_sink_and_two_ports

cat >"$T/dcmon.yaml" <<YAML
$(daemon_block "$smtp_port")
sites:
  - id: tokyo-1
    rooms: [{id: hall-a, racks: [{id: r07}]}]
tenants:
  - {id: acme, email: [ops@acme.example]}
  - {id: globex, email: [noc@globex.example]}
teams:
  - {id: facility, email: [facility@dc.example]}
devices:
  - id: web-acme
    kind: server
    host: 127.0.0.1
    tenant: acme
    location: {site: tokyo-1, room: hall-a, rack: r07}
    checks: {tcp: [$pa]}
  - id: web-globex
    kind: server
    host: 127.0.0.1
    tenant: globex
    location: {site: tokyo-1, room: hall-a}
    checks: {tcp: [$pb]}
rules:
$(port_closed_rule)
routes:
  - name: tenants
    tenant: true
    group_wait: 2s
  - name: facility
    teams: [facility]
    # a tenant address named on a shared route still only gets its tenant's alerts
    email: [oncall@dc.example, ops@acme.example]
    group_wait: 2s
YAML
start_dcmond "$T/dcmon.yaml"
wait_until 15 "ports up" metric_is web-acme tcp_port_up "$pa" '.value == 1'
wait_until 15 "ports up" metric_is web-globex tcp_port_up "$pb" '.value == 1'

kill "$ports_a"; wait "$ports_a" 2>/dev/null || true
wait_until 20 "acme alert mailed to the facility team" count_is "$T/mail" facility@dc.example 1
wait_until 10 "acme alert mailed to acme" count_is "$T/mail" ops@acme.example 1
wait_until 10 "acme alert mailed to on-call" count_is "$T/mail" oncall@dc.example 1
pass "port closed on web-acme: one message each to acme, facility, on-call"
sleep 3 # the grouping window: nothing more may follow
assert_eq "$(count_to "$T/mail" ops@acme.example)" 1 "messages to ops@acme.example (two routes matched, one message)"
assert_eq "$(count_to "$T/mail" noc@globex.example)" 0 "messages to globex about acme"

m=$(msgs "$T/mail" | jq -r '[.[] | select(.rcpt_tos | index("ops@acme.example"))][0].data')
subject=$(printf '%s\n' "$m" | grep -m1 '^Subject:' | tr -d '\r')
assert_eq "$subject" "Subject: [dcmon] CRITICAL web-acme: TCP port does not accept connections (tcp_port_up{$pa} = down (0)) at tokyo-1" "subject"
for want in "Value:      down (0)" "Location:   site tokyo-1, room hall-a, rack r07" \
            "Tenant:     acme" "Dashboard:  http://dash.example/devices/web-acme" \
            "Ack:        not acknowledged" "Silence:    not silenced" "Suppressed downstream alerts:" \
            "Threshold:  rule port-closed" "Recent:     " "Device:     web-acme (server)"; do
  grep -qF -- "$want" <<<"$m" || fail "body lacks '$want': $m"
done
pass "body: value, location, tenant, dashboard link, ack/silence state, recent values"
grep -qE '^Message-ID: <dcmon\.[0-9]+\.[0-9]+@' <<<"$m" || fail "no Message-ID"
[ "$(printf '%s\n' "$m" | grep -c '^Message-ID:')" = 1 ] || fail "Message-ID header not unique"
pass "one stable Message-ID header"
assert_eq "$(msgs "$T/mail" | jq -r '.[0].mail_from')" "dcmon@dc.example" "envelope sender"

kill "$ports_b"; wait "$ports_b" 2>/dev/null || true
wait_until 20 "globex alert mailed to globex" count_is "$T/mail" noc@globex.example 1
wait_until 10 "globex alert to facility" count_is "$T/mail" facility@dc.example 2
sleep 3
assert_eq "$(count_to "$T/mail" ops@acme.example '.data | test("web-globex")')" 0 \
  "acme messages about globex (tenant isolation)"
assert_eq "$(count_to "$T/mail" noc@globex.example '.data | test("web-acme")')" 0 \
  "globex messages about acme (tenant isolation)"
assert_eq "$(count_to "$T/mail" oncall@dc.example)" 2 "on-call got both alerts"

# recovery notice
start_ports "$pa"
wait_until 20 "acme recovery notice" count_is "$T/mail" ops@acme.example 1 '.data | test("Subject: \\[dcmon\\] RESOLVED web-acme")'
pass "recovery notice to acme"

# test-email through the real path, with one recipient refused (5xx)
echo "reject oncall@dc.example" >"$T/mail/control"
out=$("$DCMON" test-email --route facility)
assert_eq "$out" "test message for route facility queued to 2 recipient(s); see \`dcmon notifications\`" "test-email output"
wait_until 15 "test message to facility" count_is "$T/mail" facility@dc.example 1 '.data | test("TEST message for route facility")'
wait_until 15 "refused recipient failed" notif_check '[.notifications[] | select(.state == "failed")] | length == 1'
doc=$(notif_json --state failed)
assert_eq "$(printf '%s' "$doc" | jq -r '.notifications[0].rcpt')" oncall@dc.example "failed recipient"
printf '%s' "$doc" | jq -e '.notifications[0].last_error | test("^550 ")' >/dev/null || fail "no 550 in the error"
pass "5xx recorded as failed for oncall@dc.example only"
assert_eq "$(count_to "$T/mail" ops@acme.example '.data | test("TEST message")')" 0 \
  "a tenant address on the route gets no test message (it is about no tenant)"
notif_check '.delivery_failing == false and .counts.pending == 0' || fail "delivery reported failing"
pass "delivery not failing; nothing pending"
stop_dcmond
done_checks
