#!/usr/bin/env bash
# dcmond's own security alerts on logins over real HTTP (curl): a lockout fires
# account-locked naming the account; failed logins for 5 accounts from one address fire
# login-failures-many-accounts for that address; an admin login from an address never
# seen for the account fires admin-login-new-source once, and not again from it.  No
# password in a metric or an alert.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
{
  daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" \
    "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" \
    "accounts: {yescrypt_cost: 4, lock_failures: 3, lock_time: 1h}"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
pw_op="op-password-$RANDOM$RANDOM"; pw_boss="boss-password-$RANDOM$RANDOM"
echo "$pw_op" | "$DCMON" user add op --role noc-operator >/dev/null
echo "$pw_boss" | "$DCMON" user add boss --role noc-admin >/dev/null
"$DCMON" user mfa boss --json >"$T/mfa.json"

# login NAME PASSWORD [CODE [curl args]]: the HTTP status
login() {
  local name=$1 pw=$2 code=${3:-}; shift 3 2>/dev/null || shift $#
  curl -s -m 10 -o "$T/body" -w '%{http_code}' "$@" -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$name\",\"password\":\"$pw\",\"code\":\"$code\"}" "$base/api/v1/login"
}
# alert_is RULE METRIC_KEY STATE: the alert of RULE on dcmond's METRIC_KEY is in STATE
alert_is() {
  api_get "/api/v1/alerts?rule=$1" | json_check "[.alerts[] | select(.device == \"dcmond\" and .metric == \"$2\" and .state == \"$3\")] | length == 1"
}
# firings RULE METRIC_KEY: how often that alert fired (alerts.db history)
firings() {
  sqlite3 "$(find "$T" -name alerts.db | head -1)" "SELECT count(*) FROM history JOIN alerts
    ON alerts.id = history.alert_id WHERE rule = '$1' AND device = 'dcmond' AND metric = '$2'
    AND to_state = 2"
}

# ---- lockout ---------------------------------------------------------------------------
for i in 1 2 3; do assert_eq "$(login op "wrong-$i")" 401 "wrong password $i"; done
wait_until 20 "account-locked alert" alert_is account-locked 'account_locked_state@op' firing
summary=$(api_get "/api/v1/alerts?rule=account-locked" | jq -r '.alerts[0].summary')
pass "lockout fires account-locked on account_locked_state@op: $summary"
"$DCMON" user unlock op >/dev/null
wait_until 20 "account-locked resolved" alert_is account-locked 'account_locked_state@op' resolved
pass "unlock resolves it"

# ---- failures over many accounts from one address -----------------------------------------
for n in a b c d; do login "guess-$n" "spray-password" "" --interface 127.0.0.2 >/dev/null; done
sleep 2   # reported every second: four accounts stay below the rule
alert_is login-failures-many-accounts 'login_failed_accounts_count@127.0.0.2' firing \
  && fail "fired at four accounts"
login guess-e "spray-password" "" --interface 127.0.0.2 >/dev/null
wait_until 20 "login-failures-many-accounts alert" \
  alert_is login-failures-many-accounts 'login_failed_accounts_count@127.0.0.2' firing
pass "failed logins for 5 accounts from 127.0.0.2 fire on login_failed_accounts_count@127.0.0.2"

# ---- admin login from a new address ---------------------------------------------------------
code() { jq -r ".recovery_codes[$1]" "$T/mfa.json"; }
assert_eq "$(login boss "$pw_boss" "$(code 0)" --interface 127.0.0.1)" 200 "admin's first login"
assert_eq "$(login boss "$pw_boss" "$(code 1)" --interface 127.0.0.1)" 200 "admin again, same address"
sleep 2
assert_eq "$(firings admin-login-new-source 'admin_login_new_source_state@boss')" 0 "firings from known addresses"
assert_eq "$(login boss "$pw_boss" "$(code 2)" --interface 127.0.0.2)" 200 "admin from 127.0.0.2"
fired_once() { [ "$(firings admin-login-new-source 'admin_login_new_source_state@boss')" = 1 ]; }
wait_until 20 "admin-login-new-source fired" fired_once
wait_until 20 "admin-login-new-source resolved" \
  alert_is admin-login-new-source 'admin_login_new_source_state@boss' resolved
grep -F "noc-admin boss logged in from 127.0.0.2, an address not seen for it" "$T/dcmond.log" >/dev/null \
  || fail "no log line for the new address"
pass "an admin login from a new address fires once, then resolves"
assert_eq "$(login boss "$pw_boss" "$(code 3)" --interface 127.0.0.2)" 200 "admin from 127.0.0.2 again"
sleep 3
assert_eq "$(firings admin-login-new-source 'admin_login_new_source_state@boss')" 1 "firings after a second login from 127.0.0.2"
pass "not again from the same address"

# ---- no secret in a metric or an alert ------------------------------------------------------
all=$(api_get "/api/v1/metrics?device=dcmond"; api_get "/api/v1/alerts")
for s in "$pw_op" "$pw_boss" spray-password wrong-1 guess-a; do
  case $all in *"$s"*) fail "'$s' appears in dcmond's metrics or alerts" ;; esac
done
pass "no password or tried name in metrics or alerts"
