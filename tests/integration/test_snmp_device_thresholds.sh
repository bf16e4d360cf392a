#!/usr/bin/env bash
# A device's own alarm levels (CISCO-ENTITY-SENSOR-MIB entSensorThresholdTable, a table
# indexed one level deeper than the sensors, read by the cisco-entity-sensor profile
# with `attach_to`) judge its temperatures through a rule whose levels come from those
# metrics (`warn_from`/`crit_from`), and the profile's own levels judge a sensor that
# has none.  snmpsim plays a Catalyst 9500H recording (tests/data/snmprec/cisco-c9500h,
# its source at its top) with three temperatures raised by this test (every other
# value, and the device's rows and levels, as recorded):
#   Switch 1 Slot 1 Temp: UADP_0_0      34 -> 108 C  device levels 105 / 110
#   Switch 1 Slot 1 Temp: OutletDB      27 ->  72 C  device levels  65 /  70
#   Hu1/0/49 Module Temperature Sensor  27.7 -> 90.0 C  no device levels: 85 / 95
source "$(dirname "$0")/lib.sh"

REC=cisco-c9500h
mkdir -p "$T/snmprec"
sed -e 's/^\(1\.3\.6\.1\.4\.1\.9\.9\.91\.1\.1\.1\.1\.4\.1020|2|\)34$/\1108/' \
    -e 's/^\(1\.3\.6\.1\.4\.1\.9\.9\.91\.1\.1\.1\.1\.4\.1040|2|\)27$/\172/' \
    -e 's/^\(1\.3\.6\.1\.4\.1\.9\.9\.91\.1\.1\.1\.1\.4\.1979|2|\)277$/\1900/' \
    "$DCMON_SOURCE_DIR/tests/data/snmprec/$REC.snmprec" >"$T/snmprec/$REC-hot.snmprec"
[ "$(diff "$DCMON_SOURCE_DIR/tests/data/snmprec/$REC.snmprec" "$T/snmprec/$REC-hot.snmprec" \
     | grep -c '^>')" -eq 3 ] || fail "the three raised values were not all found in the recording"
start_snmpsim 127.0.0.1 "$REC"
# the python snmpsim walks ~1,200 values at the first poll (3 s on a loaded machine)
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 10s" "timeout: 9s"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: sw
    host: 127.0.0.1
    profile: cisco-entity-sensor
    snmp: {port: $SIM_PORT, community: $REC-hot, timeout: 4s, retries: 1, max_repetitions: 50}
YAML
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects the profile"
start_dcmond "$T/dcmon.yaml"

S1="Switch 1 Slot 1 Temp:"
expect() { # DEVICE METRIC INST VALUE
  metric_is "$1" "$2" "$3" ".value == $4 and .quality == \"ok\""
}
wait_until 60 "the sensors and their levels" expect sw sensor_temperature_crit_high_celsius "$S1 UADP_0_0" 110
for check in \
  "sensor_temperature_celsius|$S1 UADP_0_0|108" \
  "sensor_temperature_celsius|$S1 UADP_0_1|35" \
  "sensor_temperature_warn_high_celsius|$S1 UADP_0_0|105" \
  "sensor_temperature_crit_high_celsius|$S1 UADP_0_0|110" \
  "sensor_temperature_celsius|$S1 Inlet_A|29" \
  "sensor_temperature_warn_high_celsius|$S1 Inlet_A|45" \
  "sensor_temperature_crit_high_celsius|$S1 Inlet_A|55" \
  "sensor_temperature_warn_high_celsius|$S1 Coretemp|107" \
  "sensor_temperature_crit_high_celsius|$S1 Coretemp|117" \
  "sensor_temperature_warn_high_celsius|Switch 2 Slot 1 Temp: OutletDB|65" \
  "sensor_temperature_crit_high_celsius|Switch 2 Slot 1 Temp: OutletDB|70" \
  "sensor_temperature_celsius|Hu1/0/49 Module Temperature Sensor|90" \
  "sensor_temperature_celsius|Hu1/0/50 Module Temperature Sensor|26.6" \
  "sensor_voltage_volts|Switch 1 Slot 1 PSOC-MB_0: VOUT|12.125" \
  "sensor_optical_power_dbm|Hu1/0/49 Transmit Power Sensor|-2"; do
  IFS='|' read -r name inst want <<<"$check"
  expect sw "$name" "$inst" "$want" \
    || fail "sw $name{$inst}: want $want, got $(metric_field sw "$name" "$inst" value) ($(metric_field sw "$name" "$inst" reason))"
done
pass "temperatures, voltages and light levels decoded; each sensor's levels from its minor and first major row (UADP 105/110, not the critical row's 120)"
status_json | json_check '[.devices[] | select(.id == "sw") | .metrics[]
  | select(.name == "sensor_temperature_warn_high_celsius")] | length == 30' \
  || fail "sw: $(status_json | jq '[.devices[] | select(.id == "sw") | .metrics[] | select(.name == "sensor_temperature_warn_high_celsius")] | length') warning levels, want 30 (one per sensor with rows)"
status_json | json_check 'all(.devices[] | select(.id == "sw") | .metrics[]; .inst != "Hu1/0/49 Module Temperature Sensor"
  or (.name | test("_high_celsius$") | not))' \
  || fail "a level for the optic, which has no threshold rows"
pass "30 sensors with levels; the optic, which has no rows, has none"
metric_is sw sensor_oper_state "$S1 UADP_0_0" '.quality == "error" and .reason == "not supported by this agent"' \
  || fail "entSensorStatus, absent from the recording: $(metric_field sw sensor_oper_state "$S1 UADP_0_0" reason)"
pass "entSensorStatus, not in the recording: not supported by this agent"

# rule RULE DEVICE INST SEVERITY: the temperature rule's alert on that sensor, firing.
rule_on() { api_get /api/v1/alerts | json_check "any(.alerts[]; .rule == \"$1\" and .device == \"$2\"
  and .metric == \"sensor_temperature_celsius@$3\" and .severity == \"$4\" and .state == \"firing\")"; }
RULE=cisco-entity-sensor:temperature-high
wait_until 30 "the device's warning level" rule_on $RULE sw "$S1 UADP_0_0" warning
pass "UADP_0_0 at 108 C: warning at the device's 105 (the profile's 95 would say critical)"
wait_until 30 "the device's critical level" rule_on $RULE sw "$S1 OutletDB" critical
pass "OutletDB at 72 C: critical at the device's 70 (the profile's 85 would say nothing)"
wait_until 30 "the profile's level" rule_on $RULE sw "Hu1/0/49 Module Temperature Sensor" warning
pass "the optic at 90 C, without levels of its own: warning at the profile's 85"
api_get /api/v1/alerts | json_check "[.alerts[] | select(.rule == \"$RULE\")] | length == 3" \
  || fail "temperature alerts: $(api_get /api/v1/alerts | jq -c "[.alerts[] | select(.rule == \"$RULE\") | [.device, .metric, .severity]]")"
pass "no other temperature alert: every other sensor is below its levels"
# the inlets: the room's ASHRAE envelope, whatever the device's own inlet levels (45/55)
wait_until 30 "the inlet rule" rule_on cisco-entity-sensor:inlet-temperature-high sw "$S1 Inlet_A" warning
pass "Inlet_A at 29 C: the ASHRAE inlet rule's warning (27), below the device's 45"

stop_dcmond
pass "SIGTERM: clean exit 0"
done_checks
