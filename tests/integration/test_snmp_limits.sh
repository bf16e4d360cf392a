#!/usr/bin/env bash
# A device with a 10,000-row table (snmpsim) whose profile lets every row through:
# daemon.max_series_per_device bounds the device's series, so its RRD files stop at
# the limit (one per series) with one warning line, and the table's metrics carry the
# reason in `dcmon status`.  A second device reads the same table with the default
# row limit: cut, with the reason (and its own series limit).
source "$(dirname "$0")/lib.sh"

ROWS=10000
LIMIT=40
ENTRY=1.3.6.1.4.1.99999.1.1.1
mkdir -p "$T/snmprec" "$T/profiles"
{
  echo "1.3.6.1.2.1.1.3.0|67|4242"
  for ((r = 1; r <= ROWS; r++)); do echo "$ENTRY.2.$r|2|$r"; done
} >"$T/snmprec/big.snmprec"
start_snmpsim 127.0.0.1 ups-mains  # answers the readiness probe
cat >"$T/profiles/walk-all.yaml" <<YAML
name: walk-all
transport: snmp
points:
  - metric: walk_a_count
    oid: $ENTRY.2
    table: {index_label: row, max_rows: $ROWS}
YAML
sed -e 's/walk-all/walk-default/' -e "s/, max_rows: $ROWS//" \
  "$T/profiles/walk-all.yaml" >"$T/profiles/walk-default.yaml"

{
  daemon_yaml "interval: 10s" "timeout: 10s" "archive_flush: 200ms" \
    "profiles_dir: $T/profiles" "max_series_per_device: $LIMIT"
  cat <<YAML
devices:
  - id: big
    host: 127.0.0.1
    profile: walk-all
    snmp: {port: $SIM_PORT, community: big, max_repetitions: 100, max_varbinds: 100, timeout: 2s}
  - id: cut
    host: 127.0.0.1
    profile: walk-default
    snmp: {port: $SIM_PORT, community: big, max_repetitions: 100, max_varbinds: 100, timeout: 2s}
YAML
} >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

# The first poll makes LIMIT series; from the second on, all of them report the limit.
series_full() { metric_is big walk_a_count 1 '.quality == "error" and (.reason | test("series limit of the device reached"))'; }
wait_until 60 "big's table in error with the series limit" series_full
metric_is big walk_a_count $LIMIT '.quality == "error" and (.reason | test("max_series_per_device"))' \
  || fail "row $LIMIT of big: $(metric_field big walk_a_count $LIMIT reason)"
n=$(status_json | jq '[.devices[] | select(.id == "big") | .metrics[]] | length')
assert_eq "$n" "$LIMIT" "series of big"
pass "big: $n series of $ROWS rows, each in error: series limit of the device reached"

rrd_files() { find "$T/data/big" -name '*.rrd' | wc -l; }
files_made() { [ "$(rrd_files)" -eq "$LIMIT" ]; }
wait_until 20 "$LIMIT RRD files of big" files_made
wait_polls big 1 60 # 10,000 rows from snmpsim: slow under sanitizers on a loaded machine
assert_eq "$(rrd_files)" "$LIMIT" "RRD files of big after more polls"
assert_eq "$(log_count "dev=big msg=\"$LIMIT series, the limit (daemon.max_series_per_device)")" 1 \
  "warning lines about big's series limit"
pass "big: $LIMIT RRD files ($(du -sk "$T/data/big" | cut -f1) KiB), one warning line"

truncated() { metric_is cut walk_a_count 1 '.quality == "error" and (.reason | test("table truncated: more than 1024 rows"))'; }
wait_until 20 "cut's table truncated at 1024 rows" truncated
n=$(status_json | jq '[.devices[] | select(.id == "cut") | .metrics[]] | length')
assert_eq "$n" "$LIMIT" "series of cut (its rows read, within the series limit)"
pass "cut: the default 1024-row limit cuts the walk, the reason on its metrics"
stop_dcmond
done_checks
