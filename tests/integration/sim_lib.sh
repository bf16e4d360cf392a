# Helpers for the simulator end-to-end tests: the demo data center (etc/demo) with
# every port replaced by a free one the test picked, dcmon-sim and dcmond started on it.
DCMON_SIM="$DCMON_BUILD_DIR/sim/dcmon-sim"

# sim_start: writes $T/sim.yaml and $T/dcmon.yaml from etc/demo (free ports, state in
# $T, 1 s polls), starts dcmon-sim and dcmond.
sim_start() {
  local src="$DCMON_SOURCE_DIR/etc/demo" sedf="$T/ports.sed" p new
  : >"$sedf"
  # every port of the demo (Modbus, server ports, SNMP) to a free one
  for p in $(grep -oE 'port: [0-9]+|tcp: \[[0-9]+' "$src/sim.yaml" | grep -oE '[0-9]+' | sort -u); do
    new=$(free_port) # free on TCP; SNMP binds it on UDP (a clash fails the start)
    echo "s/\\b$p\\b/$new/g" >>"$sedf"
  done
  sed -f "$sedf" "$src/sim.yaml" | sed \
    -e "s|control: .*|control: $T/sim.sock|" \
    -e "s|profiles_dir: .*|profiles_dir: $DCMON_SOURCE_DIR/etc/profiles|" \
    -e "s|scenarios_dir: .*|scenarios_dir: $DCMON_SOURCE_DIR/etc/scenarios|" >"$T/sim.yaml"
  sed -f "$sedf" "$src/dcmon.yaml" | sed \
    -e "s|data_dir: .*|data_dir: $T/data|" \
    -e "s|socket: .*|socket: $T/dcmon.sock|" \
    -e "s|profiles_dir: .*|profiles_dir: $DCMON_SOURCE_DIR/etc/profiles|" \
    -e "s|interval: 2s|interval: 1s|" -e "s|timeout: 1s|timeout: 500ms|" >"$T/dcmon.yaml"
  export DCMON_SIM_CONFIG="$T/sim.yaml"
  "$DCMON_SIM" serve >"$T/sim.out" 2>"$T/sim.log" &
  track $!
  wait_until 20 "dcmon-sim serving" grep -q '^dcmon-sim: serving' "$T/sim.out"
  "$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "demo config rejected"
  start_dcmond "$T/dcmon.yaml"
}

# sim_status_has TEXT: `dcmon-sim status` shows TEXT.
sim_status_has() { "$DCMON_SIM" status | grep -qF -- "$1"; }

# firing DEVICE METRIC: an alert of DEVICE on METRIC (glob-free) is firing.
firing() {
  alerts_json | json_check "[.alerts[] | select(.device == \"$1\" and (.metric | startswith(\"$2\")) and .state == \"firing\")] | length > 0"
}
# firing_sev DEVICE METRIC SEVERITY
firing_sev() {
  alerts_json | json_check "[.alerts[] | select(.device == \"$1\" and (.metric | startswith(\"$2\")) and .state == \"firing\" and .severity == \"$3\")] | length > 0"
}
# not_firing DEVICE METRIC
not_firing() { ! firing "$1" "$2"; }
