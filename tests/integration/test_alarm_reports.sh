#!/usr/bin/env bash
# Alarm reports (issue 19 item 6, docs/EVENTS.md "Alarm reports") on a wall clock the
# test moves (libfaketime): real syslog lines sent to dcmond's receiver on Wednesday
# 2026-12-02, one of them raising a log alert; at the first tick of December 3 the daily
# report of December 2 goes to the route that asks for it, once, as HTML with its text,
# its counts by severity, kind, source and rule those of the events stored that day; a
# restart mails it no second time; dcmond stopped across two due days (December 3 and 4)
# mails both when it is back, oldest first, each once; at the first tick of Monday
# December 7 the weekly report of 2026-W49 goes (and the daily ones of December 5, the
# day before the clock's jump, and 6).  Stopped then for 44 days and 6 weeks, dcmond
# mails the newest 31 days and 5 weeks (the catch-up limits), oldest first, and names
# the older ones in one log line and one audit record each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

export TZ=UTC # the site's zone, whose days the NOC's reports cover: dcmond's
start_syslog_sink "$T/sink"
{
  syslog_daemon_block "$SMTP" "$TCP"
  cat <<YAML
    udp_port: 0
    default_rules: false
    rules:
      - {name: panic, match: PANIC}
  events:
    alarm_reports: {daily: [noc], weekly: [noc]}
devices:
  - {id: acme-web, kind: server, host: 127.0.0.2}
rules:
  - {name: panic-seen, match: {metric: log_matches_count, inst: panic}, above: {crit: 0},
     summary: a panic line}
teams:
  - {id: noc, email: [noc@dc.example]}
routes:
  - {name: noc, teams: [noc], group_wait: 1s}
YAML
} >"$T/dcmon.yaml"

# to FAKE-TIME: the faketime offset that puts dcmond's wall clock there now
to() { local off=$(( $(date -u -d "$1" +%s) - $(date -u +%s) )); step "$( ((off >= 0)) && echo +)$off"; }
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
line() { syslog_tcp "<$1>Dec  2 12:00:00 $2 $3: $4"; } # PRI HOST PROGRAM TEXT (RFC 3164)
reports() { # KIND: the alarm reports of the sink whose subject says KIND, one a line
  msgs "$T/sink" | jq -r '.[] | .data' | grep -o "^Subject: \[dcmon\] $1 alarm report [^:]*" || true
}
n_reports() { [ "$(reports "$1" | grep -c .)" = "$2" ]; }

config_refused 's/weekly: \[noc\]/weekly: [nco]/' nco "weekly: unknown route 'nco'"
config_refused 's/{daily: \[noc\], weekly: \[noc\]}/{}/' '{}' "alarm_reports: nothing to mail"
config_refused '/^  smtp:/,/^    retry_max/d' '{daily' "alarm_reports: no e-mail to send them by"

use_faketime
to '2026-12-02 12:00:00'
start_dcmond "$T/dcmon.yaml"
wait_until 20 "dcmond's clock on December 2" grep -q 'ts=2026-12-02T12:' "$T/dcmond.log"
# <11> user.err, <12> user.warning, <14> user.info
line 11 acme-web nginx "upstream timed out marker"
line 11 acme-web kernel "PANIC marker: not syncing"
line 11 acme-web nginx "upstream timed out marker again"
line 12 acme-web kernel "eth0 link flapping marker"
line 14 stranger cron "job done marker"
wait_until 15 "the five lines stored" eval '[ "$(events_with marker)" = 5 ]'
wait_until 15 "panic-seen firing" alert_is panic-seen '.state == "firing"'
sleep 2 # ticks of December 2: nothing is due
assert_eq "$(reports '[A-Za-z]*')" "" "no report before the day is over (the alert's own mail went)"
assert_eq "$(cat "$T/data/events/alarm_reports.sent")" $'daily 2026-12-01\nweekly 2026-W48' \
  "a first run starts counting: the periods before it taken as mailed"

# want FROM TO: what the store holds of [FROM, TO), as a report must count it: want_sev
# (the "By severity:" line) and want_src (source count, sorted, comma-separated)
want() {
  local evs
  evs=$(api_get "/api/v1/events/search?from=$(ms "$1")&to=$(ms "$2")&limit=1000")
  want_sev=$(jq -r '[.events[] | .severity // "none"] as $s | ["emerg","alert","crit","err","warning","notice","info","debug","none"]
    | map(. as $n | "\($n) \([$s[] | select(. == $n)] | length)") | join(" ")' <<<"$evs")
  want_src=$(jq -r '[.events[] | .device // "\(.host // .source // "?") (no device)"] | group_by(.)
    | map("\(.[0]) \(length)") | sort | join(",")' <<<"$evs")
}

to '2026-12-02 23:59:50' # 10 s for the alert's resolution (its window passed) to be stored
wait_until 30 "the daily report of December 2 delivered" n_reports Daily 1
assert_eq "$(reports Daily)" "Subject: [dcmon] Daily alarm report 2026-12-02" "the daily report's subject"
assert_eq "$(cat "$T/data/events/alarm_reports.sent")" $'daily 2026-12-02\nweekly 2026-W48' \
  "December 2 kept as mailed"

# check_report KIND PERIOD SEVERITIES SOURCES: the report's text and HTML say the counts
check_report() {
  msgs "$T/sink" >"$T/all.json"
  $PY - "$T/all.json" "$@" <<'PYEOF' || fail "the $1 report: see above"
import email, email.policy, json, re, sys
_, path, kind, period, sev, src = sys.argv
msgs = [email.message_from_string(m["data"], policy=email.policy.default) for m in json.load(open(path))]
mine = [m for m in msgs if m["Subject"].startswith("[dcmon] %s alarm report %s:" % (kind, period))]
assert len(mine) == 1, [m["Subject"] for m in msgs]
m = mine[0]
assert m["X-Dcmon-Kind"] == "alarm_report", m["X-Dcmon-Kind"]
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
html = m.get_body(("html",)).get_content()
print(text)
line = re.search(r"^By severity: (.*)$", text, re.M).group(1)
assert line == sev, (line, sev)
assert re.search(r"^By kind: syslog 5 trap 0 alert \d+ audit \d+$", text, re.M), text
got = sorted("%s %s" % (m_.group(1).strip(), m_.group(2))
             for m_ in re.finditer(r"^  (\S+(?: \(no device\))?) +(\d+)  worst \S+$",
                                   text.split("Alerts fired by rule:")[0], re.M))
assert ",".join(got) == src, (got, src)
rules = text.split("Alerts fired by rule:")[1]
assert re.search(r"^  panic-seen +1  worst crit$", rules, re.M), rules
assert "[dcmon] %s alarm report %s: " % (kind, period) in m["Subject"]
assert re.search(r"1 alert fired$", m["Subject"]), m["Subject"]
for word in ["acme-web", "stranger (no device)", "panic-seen", "By severity"]:
    assert word in html, word
assert "<td>acme-web</td>" in html, html
PYEOF
  pass "the $1 report $2: counts by severity, kind, source and rule as stored"
}
want 2026-12-02 2026-12-03
check_report Daily 2026-12-02 "$want_sev" "$want_src"

stop_dcmond
# as a crash between the spool's commit and the file's rename leaves it: December 2 is
# marked mailed in notify.db, in the spool's own transaction, and so not mailed again
printf 'daily 2026-12-01\nweekly 2026-W48\n' >"$T/data/events/alarm_reports.sent"
start_dcmond "$T/dcmon.yaml"
sleep 2 # ticks of December 3 after the restart: the day is not mailed again
assert_eq "$(reports Daily | grep -c .)" 1 "the daily report mailed once across a restart"
assert_eq "$(grep -c 'daily alarm report 2026-12-02' "$T/dcmond.log")" 1 "the day built once"

# ---- stopped across two due days: both are mailed at the return, oldest first, once
stop_dcmond
to '2026-12-05 12:00:00'
start_dcmond "$T/dcmon.yaml"
wait_until 30 "the daily reports of December 3 and 4 delivered" n_reports Daily 3
sleep 2 # ticks after: nothing mailed twice
assert_eq "$(reports Daily | sed 's/.* //' | sort | paste -sd ' ')" "2026-12-02 2026-12-03 2026-12-04" \
  "the days mailed: December 2, then 3 and 4, which ended while dcmond was stopped, once each"
assert_eq "$(grep -o 'daily alarm report 2026-12-0[34]: [0-9]* message' "$T/dcmond.log" | paste -sd ,)" \
  "daily alarm report 2026-12-03: 1 message,daily alarm report 2026-12-04: 1 message" \
  "the missed days spooled oldest first, each once"

to '2026-12-06 23:59:58'
wait_until 30 "the weekly report of 2026-W49 delivered" n_reports Weekly 1
wait_until 30 "the daily reports of December 5 and 6 delivered" n_reports Daily 5
assert_eq "$(reports Daily | sed 's/.* //' | sort | paste -sd ' ')" \
  "2026-12-02 2026-12-03 2026-12-04 2026-12-05 2026-12-06" "every day mailed once"
assert_eq "$(reports Weekly)" "Subject: [dcmon] Weekly alarm report 2026-W49" "the weekly report's subject"
want 2026-11-30 2026-12-07
check_report Weekly 2026-W49 "$want_sev" "$want_src"
assert_eq "$(msgs "$T/sink" | jq -r '.[].rcpt_tos[]' | sort -u)" noc@dc.example "every report to the route's team"

# ---- stopped past the catch-up limits: Dec 7 .. Jan 19 (44 days), W50 .. 2027-W02 -----
stop_dcmond
to '2027-01-20 12:00:00'
start_dcmond "$T/dcmon.yaml"
wait_until 120 "31 more daily reports" n_reports Daily 36
wait_until 60 "5 more weekly reports" n_reports Weekly 6
sleep 2 # ticks after: nothing more
assert_eq "$(reports Daily | sed 's/.* //' | sort | sed -n '6p;36p' | paste -sd ' ')" "2026-12-20 2027-01-19" \
  "the newest 31 days mailed: December 20 to January 19"
assert_eq "$(reports Weekly | sed 's/.* //' | sort | paste -sd ' ')" \
  "2026-W49 2026-W51 2026-W52 2026-W53 2027-W01 2027-W02" "the newest 5 weeks mailed"
assert_eq "$(reports '[A-Za-z]*' | sort | uniq -d)" "" "no report mailed twice"
assert_eq "$(grep -o 'daily alarm report 202[67]-[0-9-]*: [0-9]* message' "$T/dcmond.log" | tail -31 | sed -n '1p;31p' | paste -sd ,)" \
  "daily alarm report 2026-12-20: 1 message,daily alarm report 2027-01-19: 1 message" "oldest first"
assert_eq "$(grep -o 'alarm report: [0-9]* periods* missed while dcmond was down.*not mailed' "$T/dcmond.log")" \
  "$(printf '%s\n' "alarm report: 13 periods missed while dcmond was down, 2026-12-07 to 2026-12-19, beyond the catch-up limit of 31: not mailed" \
     "alarm report: 1 period missed while dcmond was down, 2026-W50 to 2026-W50, beyond the catch-up limit of 5: not mailed")" \
  "the days and the week past the limits named in one log line each"
assert_eq "$(api_get "/api/v1/audit?action=report-skipped" | jq -r '.entries[] | "\(.who) \(.target) \(.detail | split(",")[1])"' | sort)" \
  "$(printf '%s\n' "dcmond alarm-daily  2026-12-07 to 2026-12-19" "dcmond alarm-weekly  2026-W50 to 2026-W50")" \
  "and in one audit record each"
stop_dcmond
done_checks
