#!/usr/bin/env bash
# STARTTLS (required) with AUTH against the sink, with a certificate the test makes;
# a server certificate that does not verify is refused (kept pending, never sent in
# clear); config errors with file:line for bad addresses and a readable password file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1" \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
  -keyout "$T/other-key.pem" -out "$T/other.pem" 2>/dev/null
printf 's3cret-pass\n' >"$T/smtp.pass"; chmod 600 "$T/smtp.pass"

smtp_port=$(free_port); p1=$(free_port)
start_sink "$T/mail" "$smtp_port" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --auth dcmon:s3cret-pass
start_ports "$p1"
tls_keys="    ca_file: $T/cert.pem
    user: dcmon
    password_file: $T/smtp.pass"
email_config "$smtp_port" 1s "$p1" "$tls_keys"
sed -i 's/^    starttls: off/    starttls: required/' "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "valid TLS config rejected"
start_dcmond "$T/dcmon.yaml"
"$DCMON" test-email --route facility >/dev/null
wait_until 40 "test message over STARTTLS with AUTH" count_is "$T/mail" facility@dc.example 1
assert_eq "$(msgs "$T/mail" | jq -r '.[0].tls')" true "message came over TLS"
assert_eq "$(msgs "$T/mail" | jq -r '.[0].auth')" true "session was authenticated"
# STARTTLS goes through libesmtp, which TLS 1.3's post-handshake tickets stall (dcmond
# caps it at TLS 1.2: alerting/notify_smtp.c); under ASan that stall failed this test
assert_eq "$(msgs "$T/mail" | jq -r '.[0].tls_version')" TLSv1.2 "STARTTLS session's TLS version"
stop_dcmond

# a server certificate from another CA: refused, nothing sent
sed -i "s|ca_file: .*|ca_file: $T/other.pem|" "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
"$DCMON" test-email --route facility >/dev/null
wait_until 20 "certificate refused" notif_check '[.notifications[] | select(.state == "pending" and .attempts >= 1)] | length == 1'
doc=$(notif_json --state pending)
printf '%s' "$doc" | jq -e '.notifications[0].last_error | test("certificate|TLS|STARTTLS"; "i")' >/dev/null \
  || fail "error does not name the certificate: $(printf '%s' "$doc" | jq -r '.notifications[0].last_error')"
pass "untrusted certificate: $(printf '%s' "$doc" | jq -r '.notifications[0].last_error')"
assert_eq "$(count_to "$T/mail" facility@dc.example)" 1 "messages accepted with the untrusted certificate"
stop_dcmond

# config errors with file:line
sed -i 's/^    from: dcmon@dc.example/    from: not an address/' "$T/dcmon.yaml"
chmod 644 "$T/smtp.pass"
config_error_at from "smtp: from: 'not an address' is not a valid e-mail address"
grep -q "password_file .* can be read by others" "$T/check.err" || fail "readable password file accepted"
pass "world-readable password file refused"
done_checks
