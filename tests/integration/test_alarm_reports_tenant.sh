#!/usr/bin/env bash
# Each tenant's alarm reports (issue 19 item 6, docs/EVENTS.md "Alarm reports"): its own
# events only, to its own address, its day cut at its own midnight.  acme lives in
# Pacific/Pago_Pago (UTC-11), globex in the site's zone (UTC).  On a wall clock the test
# moves (libfaketime), real syslog lines of both tenants' servers are stored at times
# that tell the two cuts apart: 2026-12-02 10:00 UTC is acme's December 1 (23:00) and
# UTC's December 2; 2026-12-03 10:00 UTC is acme's December 2 (23:00) and UTC's
# December 3.  acme's December 2 report counts the lines of [Dec 2 11:00, Dec 3 11:00)
# UTC, which a UTC day would not; globex's counts its line of the UTC day.  A zone the
# system does not have, and a report kind tenants cannot get, are refused at their
# line and column, and so is a team's time zone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

export TZ=UTC # the site's zone: dcmond's (globex has none of its own)
start_syslog_sink "$T/sink"
{
  syslog_daemon_block "$SMTP" "$TCP"
  cat <<YAML
    udp_port: 0
    default_rules: false
  events:
    alarm_reports: {tenants: [daily]}
tenants:
  - {id: acme, email: [noc@acme.example], timezone: Pacific/Pago_Pago}
  - {id: globex, email: [noc@globex.example]}
teams:
  - {id: ops, email: [ops@dc.example]}
devices:
  - {id: acme-web, kind: server, host: 127.0.0.2, tenant: acme}
  - {id: globex-db, kind: server, host: 127.0.1.2, tenant: globex}
YAML
} >"$T/dcmon.yaml"

line() { syslog_tcp "<11>Dec  2 12:00:00 $1 app: $2"; } # HOST TEXT: RFC 3164 user.err
subjects() { msgs "$T/sink" | jq -r '.[] | .data' | grep -o '^Subject: \[dcmon\] Daily alarm report [^:]*' || true; }
n_mails() { [ "$(subjects | grep -c .)" = "$1" ]; }

config_refused 's|Pacific/Pago_Pago|Mars/Olympus_Mons|' Mars/ "timezone: unknown time zone 'Mars/Olympus_Mons'"
config_refused 's|Pacific/Pago_Pago|../../etc/passwd|' ../ "timezone: unknown time zone '../../etc/passwd'"
config_refused 's|tenants: \[daily\]|tenants: [hourly]|' hourly "tenants: expected daily or weekly, got 'hourly'"
config_refused 's|\[ops@dc.example\]}|[ops@dc.example], timezone: UTC}|' 'UTC}' "timezone: only a tenant has a time zone"

# check_report TENANT PERIOD RCPT EVENTS SOURCE: the tenant's report of PERIOD, once, to
# RCPT only, counting EVENTS events all from SOURCE, naming no other tenant's device
check_report() {
  msgs "$T/sink" >"$T/all.json"
  $PY - "$T/all.json" "$@" <<'PYEOF' || fail "$1's report of $2: see above"
import email, email.policy, json, re, sys
_, path, tenant, period, rcpt, events, source = sys.argv
raw = json.load(open(path))
mine = [(m, email.message_from_string(m["data"], policy=email.policy.default)) for m in raw]
mine = [(r, m) for r, m in mine if re.match(r"\[dcmon\] Daily alarm report %s for %s\b" % (period, tenant), m["Subject"])]
assert len(mine) == 1, [m["Subject"] for _, m in mine]
r, m = mine[0]
assert r["rcpt_tos"] == [rcpt], r["rcpt_tos"]
text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
print(m["Subject"]); print(text)
assert re.search(r"^Events: %s$" % events, text, re.M), text
srcs = re.findall(r"^  (\S+) +(\d+)  worst \S+$", text.split("By source:")[1].split("Alerts fired")[0], re.M)
assert srcs == [(source, events)], srcs
for other in ["acme-web", "globex-db"]:
    if other != source:
        assert other not in m["Subject"] + text + m.get_body(("html",)).get_content(), other
PYEOF
  pass "$1's report of $2: $4 events of $5, to $3 only"
}

use_faketime
step_to '2026-12-02 10:00:00'
start_dcmond "$T/dcmon.yaml"
wait_until 20 "dcmond's clock on December 2" grep -q 'ts=2026-12-02T10:' "$T/dcmond.log"
line acme-web "acme E1 at 23:00 of its December 1 marker"
line globex-db "globex G1 of its December 2 marker"
wait_until 15 "the two lines stored" eval '[ "$(events_with marker)" = 2 ]'

step_to '2026-12-02 10:59:58' # acme's midnight: its December 1 is over
wait_until 30 "acme's report of December 1" n_mails 1
check_report acme 2026-12-01 noc@acme.example 1 acme-web
assert_eq "$(subjects)" "Subject: [dcmon] Daily alarm report 2026-12-01 for acme (Pacific/Pago_Pago)" \
  "the report names the tenant and its zone; globex's day is not over"

step_to '2026-12-02 12:00:00'
line acme-web "acme E2 at 01:00 of its December 2 marker"
wait_until 15 "E2 stored" eval '[ "$(events_with marker)" = 3 ]'
step_to '2026-12-03 10:00:00' # UTC's December 3, acme's December 2 at 23:00
line acme-web "acme E3 at 23:00 of its December 2 marker"
wait_until 15 "E3 stored" eval '[ "$(events_with marker)" = 4 ]'
wait_until 30 "globex's report of December 2 (UTC)" n_mails 2
check_report globex 2026-12-02 noc@globex.example 1 globex-db

step_to '2026-12-03 10:59:58'
wait_until 30 "acme's report of December 2" n_mails 3
# a UTC day would have counted E1 and E2; acme's day holds E2 and E3
check_report acme 2026-12-02 noc@acme.example 2 acme-web
sleep 2
assert_eq "$(subjects | sort | uniq -d)" "" "no report mailed twice"
stop_dcmond
done_checks
