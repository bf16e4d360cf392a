#!/usr/bin/env bash
# The monthly mail within a relay's size limit (docs/REPORTS.md "Limits",
# daemon.reports.monthly_mail.max_message_kb): the NOC's report of 300 servers is more
# than the 16 KiB allowed here, so it goes without its graphs, without its HTML, and with
# its text cut where a line ends, the last line saying how to get it whole; one message,
# within the limit as the relay receives it.  Before, it went whole (a relay with a
# smaller limit refuses it).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp=$(free_port)
start_sink "$T/sink" "$smtp"
{
  daemon_yaml "reports:"
  cat <<YAML
    monthly_mail: {noc_route: noc, tenants: false, max_message_kb: 16}
$(smtp_block "$smtp")
teams:
  - {id: noc, email: [noc@dc.example]}
routes:
  - {name: noc, teams: [noc]}
YAML
  servers_yaml 300
} >"$T/dcmon.yaml"

# a first run: October is taken as mailed, November (known from now on) is due at
# December's first tick
use_faketime
step_to '2026-11-30 23:59:55'
start_dcmond "$T/dcmon.yaml"
wait_until 40 "the November report delivered" eval '[ "$(msgs "$T/sink" | jq length)" = 1 ]'
msgs "$T/sink" >"$T/all.json"
$PY - "$T/all.json" <<'PYEOF' || fail "the NOC's report mail: see above"
import email, email.policy, json, sys
m = json.load(open(sys.argv[1]))[0]
assert m["rcpt_tos"] == ["noc@dc.example"], m["rcpt_tos"]
size = len(m["data"].encode())
assert size <= 16 * 1024, size
msg = email.message_from_string(m["data"], policy=email.policy.default)
assert msg["Subject"].startswith("[dcmon] Availability report 2026-11: "), msg["Subject"]
assert msg.get_content_type() == "text/plain", msg.get_content_type()
text = msg.get_content().replace("\r\n", "\n")
assert text.startswith("Availability report 2026-11"), text[:100]
assert "srv-0 " in text, text[:2000]
last = text.rstrip("\n").split("\n")[-1]
assert last.startswith("[... cut at the mail size limit"), last
assert "`dcmon report availability --period 2026-11`" in last, last
assert "srv-299" not in text
print("message of %d bytes, %d lines of text" % (size, text.count("\n")))
PYEOF
pass "the NOC's report of 300 servers within 16 KiB: text only, cut, saying how to get it whole"
assert_eq "$(grep -c 'monthly report 2026-11: 1 message spooled' "$T/dcmond.log")" 1 "one message"
stop_dcmond
done_checks
