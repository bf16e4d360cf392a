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

# ---- federation: a hub broker, site brokers bridged to it, a dcmond each ---------------

# start_federation SITE...: a hub mosquitto (persistent) and a mosquitto per SITE bridged
# to it (SITE/# out, SITE/_commands in, a persistent session); sets HUB_PORT, HUB_LINES
# (to start the hub broker again with), HUB_BROKER, SITE_PORT[SITE], SITE_BROKER[SITE].
# SITE_BROKER_LINES (an array) adds lines to the site brokers' configs.
declare -A SITE_PORT SITE_BROKER
start_federation() {
  local s
  HUB_PORT=$(free_port)
  HUB_LINES=("allow_anonymous true" "persistence true" "persistence_location $T/")
  start_broker "$HUB_PORT" "${HUB_LINES[@]}"
  HUB_BROKER=$BROKER_PID
  mkdir -p "$T/hub"
  for s in "$@"; do
    mkdir -p "$T/$s"
    SITE_PORT[$s]=$(free_port)
    start_broker "${SITE_PORT[$s]}" "allow_anonymous true" ${SITE_BROKER_LINES[@]+"${SITE_BROKER_LINES[@]}"} \
      "connection hub-$s" "address 127.0.0.1:$HUB_PORT" "topic $s/# out 1" "topic $s/_commands in 1" \
      "cleansession false" "restart_timeout 1" "notifications false"
    SITE_BROKER[$s]=$BROKER_PID
    wait_until 10 "$s's bridge up" grep -q "Connecting bridge.*hub-$s" "$BROKER_LOG"
  done
}

# fed_yaml NAME BROKER-PORT MQTT-LINES...: the daemon section of NAME's own config (data
# and socket under $T/NAME, client_id NAME); FED_DAEMON_LINES (an array) adds daemon keys.
fed_yaml() {
  local name=$1 port=$2; shift 2
  daemon_yaml ${FED_DAEMON_LINES[@]+"${FED_DAEMON_LINES[@]}"} "socket: $T/$name/dcmon.sock" |
    sed "s|$T/data|$T/$name/data|"
  printf '  mqtt:\n    host: 127.0.0.1\n    port: %s\n    client_id: %s\n    reconnect_max: 1s\n' \
    "$port" "$name"
  for l in "$@"; do printf '    %s\n' "$l"; done
}

# fed_run NAME: starts NAME's dcmond on $T/NAME/dcmon.yaml (its log $T/NAME/dcmond.log)
# and waits for its broker link; sets PID_<NAME> (a - in NAME becoming _).
fed_run() {
  local before
  before=$(grep -c "connected to 127.0.0.1" "$T/$1/dcmond.log" 2>/dev/null || true)
  "$DCMOND" -c "$T/$1/dcmon.yaml" --log-level debug >>"$T/$1/dcmond.log" 2>&1 &
  printf -v "PID_${1//-/_}" %s "$!"
  track "$!"
  wait_until 20 "$1 connected" \
    eval '[ "$(grep -c "connected to 127.0.0.1" "$T/'"$1"'/dcmond.log")" -gt '"${before:-0}"' ]'
}
