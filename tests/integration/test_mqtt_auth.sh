#!/usr/bin/env bash
# MQTT ingest's broker link against real mosquitto brokers on loopback: a password
# file others can read refused at check-config with its position (and other config
# errors); username/password accepted, a wrong password reported clearly; TLS with a
# test CA and a client certificate accepted, a certificate of another CA refused (and
# said so), while values over the good links arrive.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

# A test CA, the broker's certificate for 127.0.0.1, a client certificate of that CA,
# and one of another CA.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
key "$T/ca.key"; key "$T/srv.key"; key "$T/cli.key"; key "$T/bad.key"; key "$T/other.key"
key "$T/srvother.key"; key "$T/srvname.key"
openssl req -x509 -key "$T/ca.key" -days 2 -subj "/CN=dcmon test CA" -out "$T/ca.pem" 2>/dev/null
openssl req -x509 -key "$T/other.key" -days 2 -subj "/CN=other CA" -out "$T/other.pem" 2>/dev/null
sign() { # NAME CN CA-NAME [EXT]
  openssl req -new -key "$T/$1.key" -subj "/CN=$2" -out "$T/$1.csr" 2>/dev/null
  openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial \
    -days 2 -out "$T/$1.pem" ${4:+-extfile "$4"} 2>/dev/null
}
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
sign srv 127.0.0.1 ca "$T/san.ext"
sign cli dcmond ca
sign bad dcmond other
sign srvother 127.0.0.1 other "$T/san.ext"   # the right name, another CA
printf 'subjectAltName=IP:127.0.0.2\n' >"$T/san2.ext"
sign srvname 127.0.0.2 ca "$T/san2.ext"      # our CA, another name

# Brokers: one with passwords, one with TLS that requires a client certificate.
printf 'dcmon:s3cret\n' >"$T/passwd"
mosquitto_passwd -U "$T/passwd" 2>/dev/null
PW_PORT=$(free_port)
TLS_PORT=$(free_port)
start_broker "$PW_PORT" "allow_anonymous false" "password_file $T/passwd"
PW_PID=$BROKER_PID; PW_LOG=$BROKER_LOG
start_broker "$TLS_PORT" "allow_anonymous true" "cafile $T/ca.pem" "certfile $T/srv.pem" \
  "keyfile $T/srv.key" "require_certificate true"
TLS_LOG=$BROKER_LOG

printf 's3cret\n' >"$T/good.pass"; chmod 600 "$T/good.pass"
printf 'wrong\n' >"$T/wrong.pass"; chmod 600 "$T/wrong.pass"

# config DAEMON-MQTT-LINES...: a config with one device fed by sensors/+/temperature.
config() {
  { daemon_yaml
    echo "  mqtt:"
    for l in "$@"; do echo "    $l"; done
    cat <<YAML
    subscriptions:
      - {topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}
devices:
  - {id: rack1, kind: env, mqtt: true}
YAML
  } >"$T/dcmon.yaml"
}

# config_error_at KEY PATTERN: check-config exits 1 with PATTERN at the line of KEY.
config_error_at() {
  local key=$1 pattern=$2 rc=0 line
  "$DCMOND" --check-config "$T/dcmon.yaml" 2>"$T/check.err" || rc=$?
  assert_eq "$rc" 1 "check-config exit code"
  line=$(grep -n "^ *-\? *{\?$key:" "$T/dcmon.yaml" | head -1 | cut -d: -f1)
  grep -q "dcmon.yaml:$line:[0-9]*: error: $pattern" "$T/check.err" \
    || fail "no positioned error for $key: $(cat "$T/check.err")"
  pass "$key: '$pattern' at dcmon.yaml:$line"
}

chmod 640 "$T/good.pass"
config "host: 127.0.0.1" "port: $PW_PORT" "username: dcmon" "password_file: $T/good.pass"
config_error_at password_file "mqtt: password_file .* can be read by its group or others (mode 0640): chmod 600 it"
chmod 600 "$T/good.pass"
config "host: 127.0.0.1" "port: $PW_PORT" "username: dcmon"
config_error_at username "mqtt: username and password_file go together"
config "host: 127.0.0.1" "qos: 2"
config_error_at qos "qos"
config "host: 127.0.0.1" "cert_file: $T/cli.pem"
config_error_at cert_file "mqtt: cert_file and key_file go together"
{ daemon_yaml; cat <<YAML
  mqtt:
    host: 127.0.0.1
    subscriptions:
      - {topic: "sensors/#/temperature", device_level: 2, format: number, metric: temperature_celsius}
devices:
  - id: d1
    mqtt: {topics: [{topic: a/b, format: json}]}
YAML
} >"$T/dcmon.yaml"
config_error_at topic "mqtt: topic 'sensors/#/temperature' is not a valid filter"
grep -q "format json needs values" "$T/check.err" || fail "json without values accepted"
pass "every error of the file reported (json without values too)"

# Username and password: accepted, then a wrong one reported clearly.
config "host: 127.0.0.1" "port: $PW_PORT" "username: dcmon" "password_file: $T/good.pass" \
  "reconnect_max: 1s"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "authenticated" grep -q "connected to 127.0.0.1:$PW_PORT" "$T/dcmond.log"
MQTT_PORT=$PW_PORT
pub sensors/rack1/temperature 20.5 -u dcmon -P s3cret
wait_until 10 "value over the authenticated link" metric_is rack1 temperature_celsius "" '.value == 20.5'
pass "username and password_file: connected, values arrive"
stop_dcmond

config "host: 127.0.0.1" "port: $PW_PORT" "username: dcmon" "password_file: $T/wrong.pass" \
  "reconnect_max: 1s"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "refusal logged" grep -q "127.0.0.1:$PW_PORT: broker refused the connection: .*not authori.*check username and password_file" "$T/dcmond.log"
wait_until 10 "rack1 unreachable" dev_state_is rack1 unreachable
status_json | json_check '.devices[] | select(.id == "rack1") | .reason | test("not authori")' \
  || fail "device reason does not say the broker refused us"
pass "a wrong password: refused, said in the log and in the device's reason"
stop_dcmond

# TLS: the test CA and a client certificate of it.
config "host: 127.0.0.1" "port: $TLS_PORT" "ca_file: $T/ca.pem" "cert_file: $T/cli.pem" \
  "key_file: $T/cli.key" "reconnect_max: 1s"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "TLS connected" grep -q "connected to 127.0.0.1:$TLS_PORT" "$T/dcmond.log"
mosquitto_pub -h 127.0.0.1 -p "$TLS_PORT" --cafile "$T/ca.pem" --cert "$T/cli.pem" \
  --key "$T/cli.key" -q 1 -t sensors/rack1/temperature -m 24.25
wait_until 10 "value over TLS" metric_is rack1 temperature_celsius "" '.value == 24.25'
pass "TLS with a test CA and a client certificate: connected, values arrive"
stop_dcmond

# A client certificate of another CA: the broker refuses the handshake.
config "host: 127.0.0.1" "port: $TLS_PORT" "ca_file: $T/ca.pem" "cert_file: $T/bad.pem" \
  "key_file: $T/bad.key" "reconnect_max: 1s"
before=$(log_count "connected to 127.0.0.1:$TLS_PORT")
start_dcmond "$T/dcmon.yaml"
wait_until 15 "rack1 unreachable" dev_state_is rack1 unreachable
wait_until 10 "broker refused the certificate" grep -qi "certificate verify failed\|unknown ca" "$TLS_LOG"
assert_eq "$(log_count "connected to 127.0.0.1:$TLS_PORT")" "$before" "connections with a wrong certificate"
status_json | json_check '.devices[] | select(.id == "rack1") | .reason | test("broker not connected: (OpenSSL.*unknown ca|connect: TLS handshake failed)")' \
  || fail "the device's reason does not say the certificate was refused"
pass "a client certificate of another CA is refused; the device is unreachable"
kill -0 "$DCMOND_PID" || fail "dcmond died"
stop_dcmond

# Brokers dcmond must refuse (it sets up TLS itself: docs/MQTT.md "TLS read-ahead"): a
# certificate of another CA, and one of our CA naming another address.
OTHER_PORT=$(free_port)
NAME_PORT=$(free_port)
start_broker "$OTHER_PORT" "allow_anonymous true" "cafile $T/ca.pem" "certfile $T/srvother.pem" \
  "keyfile $T/srvother.key" "listener $NAME_PORT 127.0.0.1" "cafile $T/ca.pem" \
  "certfile $T/srvname.pem" "keyfile $T/srvname.key"
for p in "$OTHER_PORT" "$NAME_PORT"; do
  config "host: 127.0.0.1" "port: $p" "ca_file: $T/ca.pem" "cert_file: $T/cli.pem" \
    "key_file: $T/cli.key" "reconnect_max: 1s"
  start_dcmond "$T/dcmon.yaml"
  wait_until 15 "rack1 unreachable" dev_state_is rack1 unreachable
  wait_until 10 "refusal logged" grep -q "127.0.0.1:$p: .*certificate verify failed" "$T/dcmond.log"
  status_json | json_check '.devices[] | select(.id == "rack1") | .reason | test("broker not connected: .*certificate verify failed")' \
    || fail "the device's reason does not say the broker's certificate failed"
  assert_eq "$(log_count "connected to 127.0.0.1:$p")" 0 "connections to a broker with a wrong certificate"
  stop_dcmond
done
pass "a broker certificate of another CA, or naming another address, is refused"
done_checks
