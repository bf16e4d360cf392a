#!/usr/bin/env bash
# The vendor profiles of etc/profiles against recordings of real devices
# (tests/data/snmprec/<name>.snmprec, each naming its source at its top): one snmpsim
# serves them all, one dcmond polls one device per recording, and every point the
# profile decodes is checked against the value the recording holds, scaled and named;
# a point the device does not answer, or answers with the MIB's "not available"
# value, is an error and never a number.
source "$(dirname "$0")/lib.sh"

RECORDINGS=(apc-smartups apc-ats apc-netbotz200 eaton-connectups eaton-93e liebert-mph2
            sentry3-cdu sentry4-smart raritan-px2 cyberpower-ol2200
            akcp-sensorprobe8 socomec-netys riello-netman204
            apc-ap8853 apc-ap7902b liebert-env geist-wd15 eaton-epdu-ma liebert-power
            cyberpower-pdu81005)
start_snmpsim 127.0.0.1 "${RECORDINGS[@]}"

# device ID = recording name; profile per recording
declare -A PROFILE=([apc-smartups]=apc-ups [apc-ats]=apc-ats [apc-netbotz200]=apc-netbotz
                 [eaton-connectups]=eaton-ups [eaton-93e]=eaton-ups [liebert-mph2]=liebert-mph2
                 [sentry3-cdu]=sentry3 [sentry4-smart]=sentry4
                 [raritan-px2]=raritan-px2 [cyberpower-ol2200]=cyberpower-ups
                 [akcp-sensorprobe8]=akcp-sensorprobe [socomec-netys]=socomec-ups
                 [riello-netman204]=ups-rfc1628 [apc-ap8853]=apc-rpdu2 [apc-ap7902b]=apc-rpdu2
                 [liebert-env]=liebert-gp-env
                 [geist-wd15]=geist-watchdog [eaton-epdu-ma]=eaton-epdu
                 [liebert-power]=liebert-gp-power [cyberpower-pdu81005]=cyberpower-pdu)
# one python snmpsim answers every device: polls every 3 s keep it from falling behind
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 3s" "timeout: 2500ms"
  echo "devices:"
  for r in "${RECORDINGS[@]}"; do
    cat <<YAML
  - id: $r
    host: 127.0.0.1
    profile: ${PROFILE[$r]}
    snmp: {port: $SIM_PORT, community: $r, timeout: 1s, retries: 1}
YAML
  done; } >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects the profiles"
start_dcmond "$T/dcmon.yaml"

# settled DEVICE METRIC INST JQ-PREDICATE: true if exactly one such metric satisfies the
# predicate.  Checked on the last status document read, which is read again (for up to
# 20 s) while the check fails: one document serves the ~400 checks, and polls that
# snmpsim answered late on a busy machine (points in error for a poll or a few) are
# outlived.
STATUS_DOC=""
settled() {
  local end=$((SECONDS + 20))
  until metric_in "$STATUS_DOC" "$@" 2>/dev/null; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.3
    STATUS_DOC=$(status_json) || STATUS_DOC=""
  done
}
# expect DEVICE METRIC INST VALUE: the metric is VALUE (a number, or a state's name) and ok.
expect() {
  local dev=$1 name=$2 inst=$3 want=$4 pred
  if [[ $want =~ ^-?[0-9.]+$ ]]; then
    pred=".value == $want and .quality == \"ok\""
  else
    pred=".value_name == \"$want\" and .quality == \"ok\""
  fi
  settled "$dev" "$name" "$inst" "$pred" \
    || fail "$dev $name{$inst}: want $want, got $(metric_field "$dev" "$name" "$inst" value)/$(metric_field "$dev" "$name" "$inst" value_name) ($(metric_field "$dev" "$name" "$inst" quality): $(metric_field "$dev" "$name" "$inst" reason))"
}
# absent DEVICE METRIC INST: the point is an error with a reason (the device's, not a
# late poll's), no value taken as ok.
absent() {
  settled "$1" "$2" "$3" '.quality == "error" and (.reason | length > 0)
                          and (.reason | test("timeout|deadline") | not)' \
    || fail "$1 $2{$3} should be an error: $(status_json | jq -c --arg d "$1" --arg n "$2" '.devices[] | select(.id == $d) | .metrics[] | select(.name == $n)')"
}
# only_rows DEVICE METRIC INST...: the metric has exactly these instances (a profile
# that kept the rows of another measurement point or table would add some).
only_rows() {
  local dev=$1 name=$2; shift 2
  local got want
  got=$(printf '%s\n' "$STATUS_DOC" | jq -r --arg d "$dev" --arg n "$name" \
        '[.devices[] | select(.id == $d) | .metrics[] | select(.name == $n) | .inst // ""]
         | sort | join(" ")')
  want=$(printf '%s\n' "$@" | LC_ALL=C sort | paste -sd' ')
  [ "$got" = "$want" ] || fail "$dev $name: instances '$got', want '$want'"
}
polled() { status_json | json_check "[.devices[] | select(.polls >= 2)] | length == ${#RECORDINGS[@]}"; }
wait_until 40 "every device polled twice" polled

# APC Smart-UPS X 750 (PowerNet-MIB upsBasic/upsAdv/upsHighPrec, iem probe port)
d=apc-smartups
expect $d output_source_state "" normal                 # upsBasicOutputStatus 2 (onLine)
expect $d battery_charge_percent "" 100                 # upsHighPrecBatteryCapacity 1000 x 0.1
expect $d battery_runtime_seconds "" 5709               # upsAdvBatteryRunTimeRemaining 570900 ticks
expect $d battery_temperature_celsius "" 31             # upsAdvBatteryTemperature
expect $d battery_voltage_volts "" 54                   # upsAdvBatteryActualVoltage
expect $d battery_replace_state "" ok                   # upsAdvBatteryReplaceIndicator 1
expect $d input_voltage_volts "" 232
expect $d input_frequency_hertz "" 50
expect $d output_voltage_volts "" 232
expect $d output_frequency_hertz "" 50
expect $d output_load_percent "" 20.2                   # upsHighPrecOutputLoad 202 x 0.1
expect $d output_current_amperes "" 0.6                 # upsHighPrecOutputCurrent 6 x 0.1
expect $d probe_temperature_celsius 1 23                # iemStatusProbeCurrentTemp.1
expect $d probe_state 1 connected
expect $d probe_state 2 disconnected
expect $d contact_state 1 fault                         # "Door"
expect $d contact_state 2 no_fault                      # "Fan"
absent $d probe_temperature_celsius 2                   # disconnected probe: -1
absent $d battery_status_state ""                       # not in the recording
absent $d battery_on_battery_seconds ""
absent $d test_result_state ""
pass "$d: 17 values decoded; the disconnected probe and 3 unanswered objects are errors"

# APC AP4423 rack ATS (PowerNet-MIB ats)
d=apc-ats
expect $d selected_source_state "" source_a
expect $d redundancy_state "" redundant
expect $d switch_state "" ok
expect $d source_a_state "" ok
expect $d source_b_state "" ok
expect $d phase_sync_state "" in_sync
absent $d overcurrent_state ""                          # not in the recording
absent $d power_supply_5v_state ""
absent $d power_supply_24v_state ""
pass "$d: 6 states decoded; 3 unanswered objects are errors"

# APC NetBotz Rack Monitor 200 (PowerNet-MIB memSensors), rows named by sensor
d=apc-netbotz200
expect $d sensor_temperature_celsius ENVMONS1 20
expect $d sensor_temperature_celsius ENVMONS2 21
expect $d sensor_temperature_celsius ENVMONS3 21
expect $d sensor_humidity_percent ENVMONS3 48
for s in ENVMONS1 ENVMONS2 ENVMONS3; do
  expect $d sensor_comm_state $s ok
  expect $d sensor_alarm_state $s normal
done
absent $d sensor_humidity_percent ENVMONS1              # temperature-only sensors: -1
absent $d sensor_humidity_percent ENVMONS2
pass "$d: 10 values decoded; the humidity of 2 temperature-only sensors is an error"

# Eaton ConnectUPS Web/SNMP card (XUPS-MIB), one phase
d=eaton-connectups
expect $d battery_voltage_volts "" 78                   # xupsBatVoltage
expect $d battery_charge_percent "" 100                 # xupsBatCapacity
expect $d input_frequency_hertz "" 50                   # xupsInputFrequency 500 x 0.1
expect $d input_voltage_volts 1 228
expect $d output_frequency_hertz "" 50
expect $d output_voltage_volts 1 230
expect $d output_current_amperes 1 1
expect $d output_power_watts 1 231
expect $d bypass_frequency_hertz "" 50
expect $d bypass_voltage_volts 1 228
absent $d output_source_state ""                        # not in the recording
absent $d battery_runtime_seconds ""
absent $d ambient_temperature_celsius ""
pass "$d: 10 values decoded; 3 unanswered objects are errors"

# Eaton 93E 80 kVA (XUPS-MIB), three phases, on mains
d=eaton-93e
expect $d output_source_state "" normal                  # xupsOutputSource 3
expect $d battery_voltage_volts "" 521
expect $d battery_current_amperes "" 0
expect $d battery_charge_percent "" 100
expect $d input_frequency_hertz "" 50
expect $d output_load_percent "" 21
expect $d output_frequency_hertz "" 49                   # 490 x 0.1 Hz, as recorded
expect $d bypass_frequency_hertz "" 50
expect $d ambient_temperature_celsius "" 25
expect $d alarms_present_count "" 0
expect $d test_result_state "" unknown
for l in 1 2 3; do expect $d input_current_amperes $l 21; expect $d output_voltage_volts $l 220; done
expect $d input_voltage_volts 1 227; expect $d input_voltage_volts 2 227; expect $d input_voltage_volts 3 233
expect $d output_current_amperes 1 27; expect $d output_current_amperes 2 18; expect $d output_current_amperes 3 15
expect $d output_power_watts 1 5100; expect $d output_power_watts 2 3600; expect $d output_power_watts 3 2700
expect $d bypass_voltage_volts 1 227; expect $d bypass_voltage_volts 2 230; expect $d bypass_voltage_volts 3 231
absent $d battery_runtime_seconds ""                     # 65535: not computed on mains
absent $d battery_abm_state ""                           # 0: outside the MIB's enum
pass "$d: 29 values decoded; the uncomputed runtime and an out-of-enum ABM state are errors"

# Vertiv / Liebert MPH2 rack PDU (LIEBERT-GP-PDU-MIB): source 1.1, line 1.1.1,
# branches 1.1-1.3, sensors 1.1.1 and 1.4.1 (humidity), 1.2.1 and 1.3.1 (temperature)
d=liebert-mph2
expect $d pdu_power_watts 1.1 2411                      # lgpPduPsEntryPwrTotal
expect $d pdu_energy_kilowatt_hours 1.1 95937.5         # 959375 x 0.1 kWh
expect $d neutral_current_amperes 1.1 20.4
expect $d phase_voltage_volts 1.1.1 119.6               # 1196 x 0.1 V
expect $d phase_current_amperes 1.1.1 20.45             # 2045 x 0.01 A
expect $d phase_alarm_used_percent 1.1.1 68.2
expect $d branch_current_amperes 1.1 14.28
expect $d branch_current_amperes 1.2 1.96
expect $d branch_current_amperes 1.3 4.19
expect $d branch_alarm_used_percent 1.1 71.4
expect $d branch_alarm_used_percent 1.2 9.8
expect $d branch_alarm_used_percent 1.3 21
expect $d sensor_temperature_celsius 1.2.1 17.5
expect $d sensor_temperature_celsius 1.3.1 20.1
expect $d sensor_humidity_percent 1.1.1 14.2
expect $d sensor_humidity_percent 1.4.1 17.2
metric_is $d sensor_temperature_celsius 1.1.1 '.quality == "ok"' \
  && fail "$d: a humidity sensor reports a temperature"
pass "$d: 16 values decoded; humidity sensors report no temperature"

# Server Technology Switched CDU (Sentry3-MIB), infeeds AA and BA, sensors A1-B2
d=sentry3-cdu
expect $d infeed_current_amperes AA 3.62                # infeedLoadValue 362 x 0.01 A
expect $d infeed_current_amperes BA 5.02
expect $d infeed_voltage_volts AA 209.3                 # infeedVoltage 2093 x 0.1 V
expect $d infeed_voltage_volts BA 205.9
near() { settled $d infeed_load_percent "$1" "(.value - $2 | fabs) < 0.001 and .quality == \"ok\""; }
near AA 12.0667 || fail "$d infeed_load_percent AA: $(metric_field $d infeed_load_percent AA value)"
near BA 16.7333 || fail "$d infeed_load_percent BA: $(metric_field $d infeed_load_percent BA value)"
expect $d sensor_humidity_percent A1 52
expect $d sensor_humidity_percent A2 43
expect $d sensor_state A1 found
expect $d sensor_state A2 found
expect $d sensor_state B1 not_found
expect $d sensor_state B2 not_found
absent $d sensor_humidity_percent B1                    # probe not found: -1
absent $d sensor_temperature_celsius B1
absent $d infeed_power_watts AA                         # column not in the recording
absent $d sensor_temperature_celsius A1                 # the CDU is set to Fahrenheit
settled $d sensor_temperature_celsius A1 '.reason | test("valid_if")' \
  || fail "$d A1 temperature: $(metric_field $d sensor_temperature_celsius A1 reason)"
pass "$d: 12 values decoded; absent probes, columns and Fahrenheit readings are errors"

# Server Technology Smart PDU (Sentry4-MIB), one 3-phase cord AA
d=sentry4-smart
expect $d cord_power_watts AA 1701                       # st4InputCordActivePower
expect $d cord_apparent_power_volt_amperes AA 1790
expect $d cord_power_utilized_percent AA 16.5            # 165 x 0.1 %
expect $d cord_power_factor_ratio AA 0.95
expect $d cord_energy_kilowatt_hours AA 893.7
expect $d cord_frequency_hertz AA 60
expect $d cord_out_of_balance_percent AA 2.6
expect $d cord_status_state AA normal
expect $d line_current_amperes AA:L1 5.6                 # st4LineCurrent 560 x 0.01 A
expect $d line_current_amperes AA:L2 3.69
expect $d line_current_amperes AA:L3 5.6
expect $d phase_voltage_volts AA:L1-L2 207.9
expect $d phase_voltage_volts AA:L2-L3 208.9
expect $d phase_voltage_volts AA:L3-L1 209.4
expect $d phase_current_amperes AA:L1-L2 2.09
expect $d phase_current_amperes AA:L2-L3 2.22
expect $d phase_current_amperes AA:L3-L1 4.29
expect $d phase_power_watts AA:L1-L2 415
expect $d phase_power_watts AA:L2-L3 444
expect $d phase_power_watts AA:L3-L1 848
for b in AA:L1-L2-BR1 AA:L2-L3-BR2 AA:L3-L1-BR3; do expect $d branch_status_state $b normal; done
expect $d sensor_humidity_status_state A1 not_found
expect $d sensor_humidity_status_state A2 not_found
absent $d sensor_temperature_celsius 1.1                 # no probe: -410
absent $d sensor_temperature_celsius 1.2
absent $d sensor_humidity_percent A1                     # no probe: -1
absent $d sensor_humidity_percent A2
absent $d line_current_utilized_percent AA:L1            # column not in the recording
absent $d branch_current_amperes AA:L1-L2-BR1
pass "$d: 25 values decoded; absent probes (-410, -1) and unanswered columns are errors"

# Raritan PX2 (PDU2-MIB): inlet sensors of PDU 1 inlet 1; external sensors 1-7
d=raritan-px2
expect $d inlet_current_amperes "" 3.497                 # 3497, 3 decimal digits
expect $d inlet_voltage_volts "" 209
expect $d inlet_power_watts "" 673
expect $d inlet_frequency_hertz "" 60                    # 600, 1 decimal digit
expect $d sensor_temperature_celsius "Temperature 1" 22.9   # 229, externalSensorDecimalDigits 1
expect $d sensor_temperature_celsius "Temperature 2" 22.6
expect $d sensor_temperature_celsius "Temperature 3" 23.7
expect $d sensor_humidity_percent "Relative Humidity 1" 15
for s in "Temperature 1" "Temperature 2" "Temperature 3"; do expect $d sensor_state "$s" normal; done
expect $d sensor_state "Relative Humidity 1" below_lower_warning
expect $d sensor_state "Absolute Humidity 1" below_lower_warning
absent $d sensor_state "On/Off 1"                        # IsAvailable false
absent $d sensor_state "On/Off 2"
absent $d inlet_energy_watt_hours ""                     # not in the recording
pass "$d: 13 values decoded; 2 unavailable sensors and the unanswered energy are errors"

# CyberPower OL2200RTXL2U through an RMCARD (CPS-MIB)
d=cyberpower-ol2200
expect $d output_source_state "" normal                  # upsBaseOutputStatus 2 (onLine)
expect $d battery_status_state "" normal
expect $d battery_charge_percent "" 100
expect $d battery_temperature_celsius "" 36
expect $d battery_runtime_seconds "" 1740                # 174000 ticks
expect $d battery_replace_state "" ok
expect $d input_voltage_volts "" 119.5                   # 1195 x 0.1 V
expect $d input_frequency_hertz "" 60
expect $d input_status_state "" normal
expect $d output_voltage_volts "" 120.2
expect $d output_frequency_hertz "" 60
expect $d output_current_amperes "" 6.5
expect $d ambient_humidity_percent "" 56
settled $d ambient_temperature_celsius "" '(.value - 20.1667 | fabs) < 0.001 and .quality == "ok"' \
  || fail "$d ambient temperature (68.3 F): $(metric_field $d ambient_temperature_celsius "" value)"
absent $d output_load_percent ""                         # not in the recording
absent $d battery_on_battery_seconds ""
absent $d test_result_state ""
pass "$d: 14 values decoded (68.3 F ambient as 20.17 C); 3 unanswered objects are errors"

# AKCP sensorProbe8 (SPAGENT-MIB): probes on ports 0, 6 and 7 online, 1-5 empty
d=akcp-sensorprobe8
expect $d sensor_temperature_celsius 0 19.9              # sensorProbeTempDegreeRaw 199
expect $d sensor_temperature_celsius 6 20
expect $d sensor_temperature_celsius 7 22.1
expect $d sensor_humidity_percent 0 42
expect $d sensor_humidity_percent 6 41
expect $d sensor_humidity_percent 7 39
for p in 0 6 7; do
  expect $d sensor_temperature_state $p normal
  expect $d sensor_humidity_state $p normal
done
expect $d probe_status_state "" normal
for p in 1 2 3 4 5; do
  absent $d sensor_temperature_celsius $p                # offline port: 0, never 0 C
  absent $d sensor_humidity_percent $p
done
pass "$d: 13 values decoded; the 5 empty ports (which answer 0) are errors"

# Socomec NETYS RT through a Net Vision 8 (SOCOMECUPS7-MIB), on mains, charging
d=socomec-netys
expect $d battery_status_state "" charging
expect $d battery_charge_percent "" 100
expect $d battery_voltage_volts "" 54.2                  # 542 x 0.1 V
expect $d ambient_temperature_celsius "" 21
expect $d input_frequency_hertz "" 50
expect $d input_voltage_volts 1 240
expect $d output_source_state "" inverter
expect $d output_frequency_hertz "" 50
expect $d output_voltage_volts 1 230
expect $d output_current_amperes 1 0
expect $d output_load_percent 1 0
expect $d bypass_frequency_hertz "" 50
expect $d bypass_voltage_volts 1 240
expect $d alarms_present_count "" 0
absent $d battery_runtime_seconds ""                     # 65535: computed on battery only
absent $d battery_current_amperes ""                     # 65535
absent $d input_current_amperes 1                        # 655350
absent $d output_power_kilowatts 1                       # 65535
absent $d bypass_current_amperes 1                       # 65535
pass "$d: 14 values decoded; 5 not-measured values (65535, 655350) are errors"

# Riello UPS through a Netman 204 (UPS-MIB, RFC 1628) with the bypass group; the
# agent lists 3 lines of which line 1 is live.  upsInputCurrent and upsBatteryCurrent
# read -1, outside the MIB's range (NonNegativeInteger for the input): not asserted.
d=riello-netman204
expect $d battery_status_state "" normal
expect $d battery_on_battery_seconds "" 0
expect $d battery_runtime_seconds "" 8100                # 135 min
expect $d battery_charge_percent "" 100
expect $d battery_voltage_volts "" 122.5
expect $d battery_temperature_celsius "" 37
expect $d input_frequency_hertz 1 50.1
expect $d input_voltage_volts 1 242
expect $d input_power_watts 1 0
expect $d output_source_state "" normal
expect $d output_frequency_hertz "" 50.1
expect $d output_voltage_volts 1 231
expect $d output_current_amperes 1 1.1
expect $d output_power_watts 1 184
expect $d output_load_percent 1 8
expect $d bypass_frequency_hertz "" 50.1                 # upsBypassFrequency 501 x 0.1
expect $d bypass_voltage_volts 1 242
for l in 2 3; do
  expect $d input_voltage_volts $l 0
  expect $d output_voltage_volts $l 0
  expect $d bypass_voltage_volts $l 0
done
for l in 1 2 3; do
  expect $d bypass_current_amperes $l 0
  expect $d bypass_power_watts $l 0
done
absent $d alarms_present_count ""                        # upsAlarms not in the recording
absent $d test_result_state ""
pass "$d: 29 values decoded with the bypass group; unanswered alarms and test are errors"

# APC AP8853 switched rack PDU (PowerNet-MIB rPDU2; no rPDU2BankStatus, so the bank
# currents come from the legacy rPDULoadStatus rows of banks 1 and 2)
d=apc-ap8853
expect $d pdu_power_watts 1 1140                        # rPDU2DeviceStatusPower 114 x 0.01 kW
expect $d pdu_energy_kilowatt_hours 1 3512.8
expect $d pdu_load_state 1 normal
expect $d power_supply_alarm_state 1 normal             # rPDU2DeviceStatusPowerSupplyAlarm
expect $d power_supply_1_state 1 normal
expect $d power_supply_2_state 1 not_installed
expect $d phase_current_amperes 1 4.9
expect $d phase_voltage_volts 1 242
expect $d phase_power_watts 1 1140
expect $d phase_load_state 1 normal                     # rPDU2PhaseStatusLoadState
expect $d bank_current_amperes 1 0                      # rPDULoadStatusLoad, bank 1
expect $d bank_current_amperes 2 4.7                    # bank 2
expect $d probe_temperature_state 1 not_present
absent $d probe_temperature_celsius 1                   # -1, not -0.1 C
absent $d probe_humidity_percent 1
status_json | json_check '[.devices[] | select(.id == "apc-ap8853") | .metrics[]
                           | select(.name == "bank_load_state")] | length == 0' \
  || fail "$d: bank load states without an rPDU2BankStatus table"
pass "$d: 13 values decoded, bank currents from the legacy table, no bank load state; the absent probe is an error"

# APC AP7902B switched rack PDU: both bank tables (the same current from each; the
# load states from rPDU2BankStatus), and no power metering (-1)
d=apc-ap7902b
expect $d pdu_load_state 1 not_supported
expect $d power_supply_alarm_state 1 normal
expect $d power_supply_1_state 1 normal
expect $d power_supply_2_state 1 normal
expect $d phase_current_amperes 1 1.6
expect $d phase_load_state 1 normal
expect $d bank_current_amperes 1 0
expect $d bank_current_amperes 2 1.1
expect $d bank_load_state 1 normal
expect $d bank_load_state 2 normal
absent $d pdu_power_watts 1                             # -1: not metered
absent $d pdu_energy_kilowatt_hours 1
absent $d phase_voltage_volts 1
absent $d phase_power_watts 1
pass "$d: 10 values decoded with both bank tables; 4 unmetered values (-1) are errors"

# Liebert cooling unit (LIEBERT-GP-ENVIRONMENTAL-MIB): rows named by well-known OIDs;
# the supply-air row has no measurement in the recording
d=liebert-env
expect $d control_temperature_celsius "" 23
expect $d return_air_celsius "" 23
expect $d control_humidity_percent "" 42
expect $d return_humidity_percent "" 42
expect $d system_state "" on
expect $d cooling_state "" off
expect $d humidifying_state "" off
expect $d dehumidifying_state "" off
expect $d fan_state "" on
expect $d general_alarm_state "" clear
expect $d cooling_capacity_percent "" 0
expect $d fan_speed_percent "" 100
absent $d supply_air_celsius ""                          # row without a value
pass "$d: 12 values decoded; the unmeasured supply air is an error"

# Geist Watchdog 15-P (GEIST-V4-MIB): its own sensor and two remote ones, by name
d=geist-wd15
expect $d sensor_temperature_celsius "Watchdog Rack 01" 15.4   # internalTemp 154
expect $d sensor_humidity_percent "Watchdog Rack 01" 39
expect $d sensor_dew_point_celsius "Watchdog Rack 01" 0.8
expect $d sensor_temperature_celsius "Above Rack 02" 18.5      # tempSensorTemp 185
expect $d sensor_temperature_celsius "Above Rack 03" 18
absent $d relay_state "Watchdog Rack 01"                 # not in the recording
pass "$d: 5 values decoded; the unanswered relay state is an error"

# Eaton ePDU MA 36U-C (EATON-EPDU-MIB): one 16 A input, 24 outlets named A1..A24;
# the PDU reports its input current past its own warning threshold (12.8 A)
d=eaton-epdu-ma
expect $d input_frequency_hertz "Feed A" 60               # inputFrequency 600 x 0.1
expect $d input_frequency_state "Feed A" good
expect $d input_voltage_volts 0.1.1 118.45                # inputVoltage 118450 mV
expect $d input_voltage_status_state 0.1.1 good
expect $d input_current_amperes L1 14.108                 # inputCurrent 14108 mA
expect $d input_current_capacity_amperes L1 16
expect $d input_current_load_percent L1 88
expect $d input_current_status_state L1 high_warning      # inputCurrentThStatus 3
expect $d input_power_watts 0.1.1 1589
expect $d input_apparent_power_volt_amperes 0.1.1 1674
expect $d input_total_power_watts "Feed A" 1584
expect $d input_total_apparent_power_volt_amperes "Feed A" 1673
expect $d input_total_power_factor_ratio "Feed A" 0.946   # 946 thousandths
expect $d input_total_energy_kilowatt_hours "Feed A" 8185.493
# outletCurrent (mA), outletWatts, outletWh of every outlet, by outletDesignator
OUTLET_MA=(790 2202 1215 1081 0 0 0 131 301 1039 1302 1804 0 0 56 1210 1233 1496 0 186 149 305 1235 0)
OUTLET_W=(80 142 140 55 0 0 0 7 22 121 151 211 0 0 3 143 143 172 0 11 4 20 143 0)
OUTLET_WH=(785621 385352 518440 1252525 428 103868 41138 107573 97310 377710 458056 860611
           6349 12300 33819 528442 538863 670951 48436 61780 66541 200292 809316 34532)
for i in "${!OUTLET_MA[@]}"; do
  o=A$((i + 1))
  expect $d outlet_current_amperes $o "$(jq -n "${OUTLET_MA[$i]} / 1000")"
  expect $d outlet_power_watts $o "${OUTLET_W[$i]}"
  expect $d outlet_energy_kilowatt_hours $o "$(jq -n "${OUTLET_WH[$i]} / 1000")"
  expect $d outlet_current_status_state $o good
  expect $d outlet_state $o on
  absent $d outlet_current_load_percent $o               # outletCurrentPercentLoad -1
  absent $d outlet_voltage_volts $o                      # no outletVoltageTable
done
only_rows $d outlet_current_amperes $(seq -f 'A%g' 1 24)
only_rows $d input_current_amperes L1
pass "$d: 14 input values and 5 values of each of 24 outlets decoded; the outlets' -1 load and unanswered voltage are errors"

# Liebert UPS card (LIEBERT-GP-POWER-MIB): rows point.line, kept by measurement point
# (1 system output, 2 bypass, 3 source 1 input); no battery group
d=liebert-power
for l in 1 2 3; do
  expect $d input_voltage_volts 3.$l "$(echo 227 224 226 | cut -d' ' -f$l)"
  expect $d input_line_voltage_volts 3.$l "$(echo 391 391 393 | cut -d' ' -f$l)"
  expect $d input_current_amperes 3.$l "$(echo 52 52 51 | cut -d' ' -f$l)"
  expect $d input_power_factor_ratio 3.$l "$(echo 0.9 0.91 0.9 | cut -d' ' -f$l)"
  expect $d bypass_voltage_volts 2.$l "$(echo 227 227 228 | cut -d' ' -f$l)"
  expect $d output_voltage_volts 1.$l "$(echo 230 231 229 | cut -d' ' -f$l)"
  expect $d output_line_voltage_volts 1.$l "$(echo 399 399 397 | cut -d' ' -f$l)"
  expect $d output_current_amperes 1.$l "$(echo 43 40 39 | cut -d' ' -f$l)"
  expect $d output_load_percent 1.$l "$(echo 24 23 22 | cut -d' ' -f$l)"
  expect $d output_crest_factor_ratio 1.$l "$(echo 1.5 1.4 1.5 | cut -d' ' -f$l)"
  expect $d output_power_factor_ratio 1.$l 0.95
done
for m in input_voltage_volts input_line_voltage_volts input_current_amperes \
         input_power_factor_ratio; do only_rows $d $m 3.1 3.2 3.3; done
only_rows $d bypass_voltage_volts 2.1 2.2 2.3
for m in output_voltage_volts output_line_voltage_volts output_current_amperes \
         output_load_percent output_crest_factor_ratio output_power_factor_ratio; do
  only_rows $d $m 1.1 1.2 1.3
done
absent $d battery_charge_percent ""                      # no battery group (.5.1)
absent $d battery_runtime_seconds ""
pass "$d: 33 values decoded; the unanswered battery group is an error"

# CyberPower PDU81005 (CPS-MIB ePDU bank rows, ePDU2 outlets 1-8); the recording has
# no load state, apparent power, power factor or energy per row, and no outlet alarms
d=cyberpower-pdu81005
for r in 1 2; do
  expect $d load_current_amperes $r 1.1                  # ePDULoadStatusLoad 11 x 0.1 A
  expect $d load_voltage_volts $r 229                    # 2290 x 0.1 V
  expect $d load_power_watts $r 216
  absent $d load_state $r                                # not in the recording
  absent $d load_energy_kilowatt_hours $r
done
OUTLET_DA=(0 0 0 0 4 2 4 3)                              # 0.1 A
OUTLET_W=(0 0 0 0 82 37 73 28)
OUTLET_DKWH=(0 0 0 0 31 13 29 11)                        # 0.1 kWh
for i in "${!OUTLET_DA[@]}"; do
  o=$((i + 1))
  expect $d outlet_current_amperes $o "$(jq -n "${OUTLET_DA[$i]} / 10")"
  expect $d outlet_power_watts $o "${OUTLET_W[$i]}"
  expect $d outlet_energy_kilowatt_hours $o "$(jq -n "${OUTLET_DKWH[$i]} / 10")"
  expect $d outlet_state $o on
  absent $d outlet_alarm_state $o                        # not in the recording
done
only_rows $d outlet_current_amperes $(seq 1 8)
only_rows $d load_current_amperes 1 2
pass "$d: 6 bank values and 4 values of each of 8 outlets decoded; unanswered load states, energies and outlet alarms are errors"

# Default rules: the recorded door contact is in fault, the PX2's humidity sensors are
# below their lower warning thresholds, the ePDU's input current is past its own
# warning threshold; nothing else fires.  The ePDU's 88 % load is above the 80 % rule,
# which waits a minute (`for: 1m`): pending, or firing once the test has run that long.
wait_until 15 "door contact alert" alert_firing apc-smartups warning "UPS card contact in fault"
wait_until 15 "humidity alerts" alert_firing raritan-px2 warning "PDU sensor outside its warning thresholds"
wait_until 15 "ePDU input current alert" alert_firing eaton-epdu-ma warning "PDU input current past its warning threshold"
[ "$(alert_field eaton-epdu:input-current-load-high state)" = pending ] \
  || [ "$(alert_field eaton-epdu:input-current-load-high state)" = firing ] \
  || fail "the ePDU's 88 % load is not held against the 80 % rule: $(alert_field eaton-epdu:input-current-load-high state)"
api_get /api/v1/alerts | json_check '[.alerts[] | select(.state == "firing"
                                       and .rule != "eaton-epdu:input-current-load-high")] | length == 4' \
  || fail "unexpected alerts: $(api_get /api/v1/alerts | jq -c '[.alerts[] | {device, summary, state}]')"
pass "profile rules: the faulted contact, the 2 low-humidity sensors and the ePDU's input current fire, nothing else"

stop_dcmond
done_checks
