# MQTT helpers for integration tests: a real mosquitto broker on a loopback port, and
# publishing to it.  Source after lib.sh.

# start_broker PORT [CONF-LINES...]: starts mosquitto listening on 127.0.0.1:PORT with
# the extra lines in its config (auth, TLS); sets BROKER_PID, and BROKER_LOG to this
# run's log.  Anonymous by default.
_BROKER_RUNS=0
start_broker() {
  local port=$1; shift
  _BROKER_RUNS=$((_BROKER_RUNS + 1))
  BROKER_LOG=$T/broker-$_BROKER_RUNS.log
  { echo "listener $port 127.0.0.1"
    echo "persistence false"
    echo "log_dest stderr"
    # started as root, mosquitto would become user mosquitto, who cannot read $T
    [ "$(id -u)" -ne 0 ] || echo "user root"
    echo "log_type all"
    if [ $# -eq 0 ]; then echo "allow_anonymous true"; fi
    for l in "$@"; do echo "$l"; done
  } >"$T/mosquitto-$port.conf"
  mosquitto -c "$T/mosquitto-$port.conf" >"$BROKER_LOG" 2>&1 &
  BROKER_PID=$!
  track "$BROKER_PID"
  wait_peer 10 "mosquitto" "$BROKER_PID" "$BROKER_LOG" \
    grep -q "Opening ipv4 listen socket on port $port" "$BROKER_LOG"
  BROKER_PORT=$port
}

stop_broker() {
  kill -TERM "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
}

# pub TOPIC PAYLOAD [mosquitto_pub options...]: publishes one message at QoS 1.
pub() {
  local topic=$1 payload=$2; shift 2
  mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$topic" -m "$payload" "$@"
}

# pub_file TOPIC FILE: publishes a file's bytes as one message.
pub_file() {
  mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$1" -f "$2"
}

# dev_state_is DEVICE STATE: the device's state in `dcmon status` now.
dev_state_is() { status_json | json_check ".devices[] | select(.id == \"$1\") | .state == \"$2\""; }
