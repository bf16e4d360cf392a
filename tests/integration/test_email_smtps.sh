#!/usr/bin/env bash
# SMTPS (TLS on connect, `tls: true`) with AUTH against the sink in implicit-TLS mode,
# with a CA and server certificates the test makes: the message arrives over TLS,
# authenticated, with SNI = the relay's host name, and says what was sent; a server
# certificate from another CA, or for another host, is refused with a certificate error
# in `dcmon notifications` and nothing is sent; alerts raised while the server is down
# reach every recipient exactly once when it is back; a relay that never answers the
# handshake is a timeout; starttls with tls: true is a config error at its line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

# cert NAME SUBJECT SAN [CA]: NAME.pem / NAME-key.pem, signed by CA (self-signed without)
cert() {
  local name=$1 subj=$2 san=$3 ca=${4:-}
  if [ -z "$ca" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "$subj" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
      -keyout "$T/$name-key.pem" -out "$T/$name.pem" 2>/dev/null
    return
  fi
  openssl req -new -newkey rsa:2048 -nodes -subj "$subj" \
    -keyout "$T/$name-key.pem" -out "$T/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$san" >"$T/$name.ext"
  openssl x509 -req -in "$T/$name.csr" -CA "$T/$ca.pem" -CAkey "$T/$ca-key.pem" \
    -CAcreateserial -days 2 -extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null
}
cert ca "/CN=dcmon test CA" ""
cert other "/CN=another CA" ""
cert server "/CN=localhost" "DNS:localhost,IP:127.0.0.1" ca
cert stranger "/CN=localhost" "DNS:localhost,IP:127.0.0.1" other
cert elsewhere "/CN=mail.elsewhere.example" "DNS:mail.elsewhere.example" ca
printf 's3cret-pass\n' >"$T/smtp.pass"; chmod 600 "$T/smtp.pass"

smtp_port=$(free_port); p1=$(free_port)
sink_smtps() { start_sink "$T/mail" "$smtp_port" --smtps --tls-cert "$T/$1.pem" --tls-key "$T/$1-key.pem" --auth dcmon:s3cret-pass; }
sink_smtps server
start_ports "$p1"
email_config "$smtp_port" 1s "$p1" "    tls: true
    ca_file: $T/ca.pem
    user: dcmon
    password_file: $T/smtp.pass"
# the relay by name (SNI, DNS name in the certificate), TLS on connect: no starttls key
# (the smtp: block only: box, the device, keeps 127.0.0.1, where its port listens, and
# "localhost" is also ::1 on a machine whose /etc/hosts says so, as Debian's does)
sed -i -e '/^  smtp:/,/^[a-z]/ s/^    host: 127.0.0.1/    host: localhost/' -e '/^    starttls: off/d' "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "valid SMTPS config rejected"

# 1. delivery over SMTPS with AUTH, content asserted at the sink
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up" metric_is box tcp_port_up "$p1" '.value == 1'
"$DCMON" test-email --route facility >/dev/null
wait_until 20 "test message over SMTPS with AUTH" count_is "$T/mail" facility@dc.example 1
m=$(msgs "$T/mail" | jq '.[0]')
assert_eq "$(jq -r .tls <<<"$m")" true "message came over TLS"
assert_eq "$(jq -r .auth <<<"$m")" true "session was authenticated"
assert_eq "$(jq -r .sni <<<"$m")" localhost "SNI is the relay host name"
assert_eq "$(jq -r .mail_from <<<"$m")" dcmon@dc.example "envelope sender"
assert_eq "$(jq -r '.rcpt_tos | join(",")' <<<"$m")" facility@dc.example "envelope recipients"
data=$(jq -r .data <<<"$m")
grep -q '^Subject: \[dcmon\] TEST message for route facility' <<<"$data" || fail "subject: $data"
grep -q '^To: <facility@dc.example>' <<<"$data" || fail "To header: $data"
grep -q "This is a test message of dcmon's alert e-mail, route facility" <<<"$data" || fail "body: $data"
wait_until 10 "marked sent" notif_check '[.notifications[] | select(.state == "sent")] | length == 1'
mid=$(notif_json --state sent | jq -r '.notifications[0].message_id')
grep -qF "Message-ID: $mid" <<<"$data" || fail "Message-ID $mid not in the message"
pass "message content: subject, To, body, Message-ID $mid"

# 2. the server down while an alert fires, then back: delivered exactly once each
stop_sink
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true
wait_until 20 "alert kept pending while the relay is down" notif_check \
  '[.notifications[] | select(.state == "pending" and .attempts >= 1)] | length == 2'
doc=$(notif_json --state pending)
printf '%s' "$doc" | jq -e '[.notifications[].last_error | test("refused"; "i")] | all' >/dev/null \
  || fail "pending error does not say refused: $(printf '%s' "$doc" | jq -c '[.notifications[].last_error]')"
pass "relay down: $(printf '%s' "$doc" | jq -r '.notifications[0].last_error')"
sink_smtps server
wait_until 20 "alert delivered to acme" count_is "$T/mail" ops@acme.example 1
wait_until 20 "alert delivered to facility" count_is "$T/mail" facility@dc.example 2
wait_until 10 "spool drained" notif_check '.counts.pending == 0 and .counts.sent == 3'
for a in ops@acme.example facility@dc.example; do
  assert_eq "$(count_to "$T/mail" "$a" ".data | test(\"tcp_port_up[{]$p1[}]\")")" 1 "alert messages to $a"
  assert_eq "$(count_to "$T/mail" "$a" '.tls and .auth')" "$(count_to "$T/mail" "$a")" "messages to $a over TLS with AUTH"
done
stop_dcmond

# 3. a certificate from another CA, then one for another host: refused, nothing sent
bad_cert() { # CERT PATTERN: the sink shows CERT; a test message stays pending with PATTERN
  local before pend
  stop_sink; rm -f "$T/mail"/msg-*.json
  sink_smtps "$1"
  start_dcmond "$T/dcmon.yaml"
  before=$(notif_json | jq '.counts.sent')
  pend=$(notif_json | jq '.counts.pending')
  "$DCMON" test-email --route facility >/dev/null
  wait_until 20 "certificate refused ($1)" notif_check \
    "[.notifications[] | select(.state == \"pending\")] | length == $((pend + 1)) and all(.attempts >= 1)"
  err=$(notif_json --state pending | jq -r '.notifications | max_by(.id) | .last_error')
  grep -Eq "$2" <<<"$err" || fail "error does not name the certificate problem: $err"
  pass "$1 certificate: $err"
  assert_eq "$(msgs "$T/mail" | jq length)" 0 "messages accepted with the $1 certificate"
  assert_eq "$(notif_json | jq '.counts.sent')" "$before" "messages marked sent with the $1 certificate"
  stop_dcmond
}
bad_cert stranger 'server certificate of localhost:[0-9]+ does not verify: (unable to get local issuer certificate|self.signed)'
bad_cert elsewhere 'server certificate of localhost:[0-9]+ does not verify: hostname mismatch'

# 4. a server that accepts and never answers the handshake: a timeout, kept pending
stop_sink; sed -i 's/^    timeout: 10s$/    timeout: 1s/' "$T/dcmon.yaml"
grep -q '^    timeout: 1s$' "$T/dcmon.yaml" || fail "the smtp timeout line moved"
start_sink "$T/mail" "$smtp_port" --hang
start_dcmond "$T/dcmon.yaml"
"$DCMON" test-email --route facility >/dev/null
wait_until 20 "handshake timeout recorded" notif_check \
  '[.notifications[] | select(.state == "pending" and (.last_error // "" | test("TLS handshake with localhost:[0-9]+ timed out")))] | length >= 1'
pass "hung relay: $(notif_json --state pending | jq -r '.notifications | max_by(.id) | .last_error')"
stop_dcmond

# 5. starttls with tls: true contradicts: an error at its line
sed -i 's/^    tls: true/    tls: true\n    starttls: required/' "$T/dcmon.yaml"
config_error_at starttls "smtp: starttls: required contradicts tls: true"
done_checks
