#!/usr/bin/env bash
# The login flow in headless Chromium (tests/e2e/login.test.js): the wrong password's
# message, the session cookie's flags, a tenant's scope on the wall and the device pages
# (another tenant's device answers 404), the account page and log out,
# a noc-admin's enrolment of its second factor at its first login, a kiosk's wall from a
# wall account's token with no login.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

port=$(free_port)
{
  daemon_yaml "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" "accounts: {yescrypt_cost: 4}"
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
pw="browser-password-$RANDOM$RANDOM"
echo "$pw" | "$DCMON" user add op --role tenant-operator --tenant acme >/dev/null
echo "$pw" | "$DCMON" user add boss --role noc-admin >/dev/null
echo "$pw" | "$DCMON" user add lobby --role wall --tenant acme >/dev/null
kiosk_tok=$("$DCMON" user token lobby | head -1); script_tok=$("$DCMON" user token op | head -1)
BASE_URL="http://127.0.0.1:$port" ARTIFACTS="$ART" OP_NAME=op ADMIN_NAME=boss PASSWORD="$pw" \
  KIOSK_NAME=lobby KIOSK_TOKEN="$kiosk_tok" SCRIPT_TOKEN="$script_tok" \
  timeout 120 node "$E2E/login.test.js" || fail "browser test failed"
! grep -qa -- "$kiosk_tok" "$T/dcmond.log" || fail "the kiosk's token in the log"
assert_eq "$("$DCMON" audit --action mfa-enrol --json | jq -r '[.entries[].target] | join(",")')" "user:boss" \
  "the enrolment in the audit log"
pass "login flow in Chromium (screenshots in $ART)"
done_checks
