#!/usr/bin/env bash
# dcmond --check-config: the shipped example and every shipped profile are valid; bad
# configs and bad profiles are rejected with file:line:col and what was expected.
source "$(dirname "$0")/lib.sh"

out=$("$DCMOND" --check-config "$DCMON_SOURCE_DIR/etc/dcmon.yaml") || fail "etc/dcmon.yaml rejected: $out"
pass "etc/dcmon.yaml: $out"

# one device per shipped profile, each over its own transport
profiles="$DCMON_SOURCE_DIR/etc/profiles"
{
  daemon_yaml "profiles_dir: $profiles"
  echo "devices:"
  n=0
  for f in "$profiles"/*.yaml; do
    name=$(basename "$f" .yaml)
    [ "$name" = defaults ] && continue
    if grep -q '^transport: *modbus' "$f"; then
      echo "  - {id: d$n, kind: other, host: 127.0.0.1, profile: $name, modbus: {port: 1502, unit: 1}}"
    else
      echo "  - {id: d$n, kind: other, host: 127.0.0.1, profile: $name, snmp: {community: public}}"
    fi
    n=$((n + 1))
  done
} >"$T/all.yaml"
chmod 600 "$T/all.yaml"
out=$("$DCMOND" --check-config "$T/all.yaml" 2>&1) || fail "shipped profiles rejected: $out"
pass "all $n shipped profiles load: $out"

# a config with several mistakes: all reported, each with file:line:col
cat >"$T/bad.yaml" <<YAML
daemon: {data_dir: $T/data, socket: $T/s.sock}
devices:
  - id: a
    kind: server
    intervall: 10s
    checks: {tcp: [70000]}
  - id: a
    kind: server
    fed_by: [nowhere]
    timeout: 5 seconds
YAML
rc=0; out=$("$DCMOND" --check-config "$T/bad.yaml" 2>&1) || rc=$?
assert_eq "$rc" 1 "check-config exit code on a bad config"
echo "$out" | grep -q "bad.yaml:5:5: .*unknown key 'intervall'.*did you mean 'interval'" || fail "no suggestion: $out"
pass "unknown key reported at 5:5 with 'did you mean interval'"
echo "$out" | grep -q "bad.yaml:6:20: .*65535" || fail "port range not reported at 6:20: $out"
pass "port 70000 reported at 6:20 with the valid range"
echo "$out" | grep -q "bad.yaml:7:.*duplicate.*'a'" || fail "duplicate id not reported: $out"
echo "$out" | grep -q "bad.yaml:9:.*nowhere" || fail "dangling fed_by not reported: $out"
echo "$out" | grep -q "bad.yaml:10:.*duration" || fail "bad duration not reported: $out"
pass "duplicate id, dangling fed_by and bad duration reported with their lines"

# broken profiles: the profile's own file:line
mkdir -p "$T/profiles"
cat >"$T/profiles/bad-genset.yaml" <<'YAML'
name: bad-genset
kind: generator
transport: modbus
points:
  - {metric: fuel_level_percent, table: holding, address: 10, type: float33}
YAML
cat >"$T/profiles/bad-ups.yaml" <<'YAML'
name: bad-ups
kind: ups
transport: snmp
points:
  - {metric: battery_charge_percent, oid: 1.3.6.1.2.1.33.1.2.4.0.x, type: gauge}
YAML
{ daemon_yaml "profiles_dir: $T/profiles"; cat <<YAML; } >"$T/p.yaml"
devices:
  - {id: g, kind: generator, host: 127.0.0.1, profile: bad-genset, modbus: {port: 1502}}
  - {id: u, kind: ups, host: 127.0.0.1, profile: bad-ups, snmp: {community: public}}
YAML
chmod 600 "$T/p.yaml"
rc=0; out=$("$DCMOND" --check-config "$T/p.yaml" 2>&1) || rc=$?
assert_eq "$rc" 1 "check-config exit code with broken profiles"
echo "$out" | grep -q "bad-genset.yaml:5:.*float33" || fail "modbus profile error not positioned: $out"
echo "$out" | grep -q "bad-ups.yaml:5:" || fail "snmp profile error not positioned: $out"
pass "broken Modbus and SNMP profiles reported at their own file:line"
done_checks
