#!/usr/bin/env bash
# Second factors set up by their owners against a real dcmond over HTTP: a noc-admin
# without one is made to enrol at its first login (a secret to scan, then the login with
# a code of it sets it up and answers the recovery codes once); any account enrols from
# its session (POST /api/v1/mfa, then /confirm with a code); the per-tenant switch
# (POST /api/v1/mfa-policy/TENANT, NOC only, audited) makes a tenant's accounts enrol
# too and leaves the other tenant's alone; no secret or code in the log.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
{
  daemon_yaml "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" "accounts: {yescrypt_cost: 4}"
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
pw="the-password-$RANDOM$RANDOM"
for u in adm:noc-admin op:tenant-operator:acme ta:tenant-admin:acme gx:tenant-operator:globex; do
  IFS=: read -r n r t <<<"$u"
  echo "$pw" | "$DCMON" user add "$n" --role "$r" ${t:+--tenant "$t"} >/dev/null
done
# login NAME [CODE]: "STATUS"; the body in $T/body, the cookie in $T/jar.NAME
login() {
  curl -s -m 10 -c "$T/jar.$1" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$1\",\"password\":\"$pw\"${2:+,\"code\":\"$2\"}}" "$base/api/v1/login"
}
secret_of() { jq -r "$1"' | capture("secret=(?<s>[A-Z2-7]+)").s' "$T/body"; }

# ---- a noc-admin enrols at its first login --------------------------------------------------
assert_eq "$(login adm)" 403 "noc-admin's first login: no session"
assert_eq "$(jq '.enrol.qr | length' "$T/body" | awk '$1 > 20 {print "qr"}')" qr "a QR code to scan"
s1=$(secret_of .enrol.otpauth)
assert_eq "$(login adm)" 403 "again without a code"
s2=$(secret_of .enrol.otpauth)
[ "$s1" != "$s2" ] || fail "a new secret for a new attempt"
assert_eq "$(login adm 000000)$(jq -r .error "$T/body")" "403wrong code: enter the current code of the authenticator" \
  "a wrong code keeps the secret being set up"
assert_eq "$(login adm "$(totp "$s2")")" 200 "the login with a code of it"
assert_eq "$(jq -r '[.user, (.recovery_codes | length)] | join(" ")' "$T/body")" "adm 10" "recovery codes answered once"
rcode=$(jq -r '.recovery_codes[0]' "$T/body")
assert_eq "$(login adm)" 401 "from then on a password alone is refused"
assert_eq "$(login adm "$rcode")" 200 "a recovery code logs in"

# ---- the tenant switch ----------------------------------------------------------------------
assert_eq "$(login op)" 200 "a tenant's account without a second factor: optional"
policy() { # ACTOR-CURL-ARGS... TENANT BODY
  local t=$1 b=$2; shift 2
  curl -s -m 10 -o "$T/pbody" -w '%{http_code}' -X POST "$@" -H 'Content-Type: application/json' --data "$b" \
    "http://dcmond/api/v1/mfa-policy/$t" --unix-socket "$DCMON_SOCKET"
}
ta_tok=$("$DCMON" user token ta | head -1)
code=$(curl -s -m 10 -o "$T/pbody" -w '%{http_code}' -X POST -H "Authorization: Bearer $ta_tok" \
  -H 'Content-Type: application/json' --data '{"mfa_required":true}' "$base/api/v1/mfa-policy/acme")
assert_eq "$code" 404 "a tenant-admin may not switch its tenant's policy"
assert_eq "$(policy acme '{"mfa_required":"yes"}')" 400 "mfa_required must be a boolean"
assert_eq "$(policy initech '{"mfa_required":true}')" 404 "no such tenant"
assert_eq "$(policy acme '{"mfa_required":true}')" 200 "noc-admin (root) switches acme to required"
assert_eq "$(api_get /api/v1/mfa-policy | jq -c '[.tenants[] | [.tenant, .mfa_required]]')" '[["acme",true],["globex",false]]' "the policy"
assert_eq "$(login op)" 403 "acme's account must enrol now"
[ -n "$(secret_of .enrol.otpauth)" ] || fail "acme's account: no secret to enrol"
assert_eq "$(login gx)" 200 "globex's account still logs in with its password"
assert_eq "$("$DCMON" audit --action mfa-policy --json | jq -r '[.entries[] | .target + " " + .detail + " by " + .who] | join(",")')" \
  "tenant:acme required by root" "the switch audited"
assert_eq "$(policy acme '{"mfa_required":false}')" 200 "switched back"
assert_eq "$(login op)" 200 "optional again"

# ---- enrolment from one's session -----------------------------------------------------------
assert_eq "$(login gx)" 200 "gx logs in"
csrf=$(jq -r .csrf "$T/body")
self() { # PATH BODY: "STATUS"; body in $T/body
  curl -s -m 10 -b "$T/jar.gx" -o "$T/body" -w '%{http_code}' -X POST -H "X-CSRF-Token: $csrf" \
    -H 'Content-Type: application/json' --data "$2" "$base$1"
}
assert_eq "$(self /api/v1/mfa/confirm '{"code":"123456"}')" 409 "nothing to confirm yet"
assert_eq "$(self /api/v1/mfa '{}')" 201 "a secret to scan"
s3=$(secret_of .otpauth)
assert_eq "$(self /api/v1/mfa/confirm '{"code":"000000"}')$(jq -r .error "$T/body")" "400code: not a current code of the new secret" "a wrong code"
assert_eq "$(login gx)" 200 "not set up before the confirmation"
csrf=$(jq -r .csrf "$T/body")
assert_eq "$(self /api/v1/mfa/confirm "{\"code\":\"$(totp "$s3")\"}")" 200 "confirmed with a code"
assert_eq "$(jq '.recovery_codes | length' "$T/body")" 10 "recovery codes answered once"
rc_gx=$(jq -r '.recovery_codes[3]' "$T/body")
assert_eq "$(login gx)" 401 "gx now needs a code"
assert_eq "$(login gx "$rc_gx")" 200 "and logs in with one"
assert_eq "$("$DCMON" audit --action mfa-enrol --json | jq -r '[.entries[] | .target] | sort | join(",")')" \
  "user:adm,user:gx" "enrolments audited"

for s in "$s1" "$s2" "$s3" "$rcode" "$rc_gx" "$pw"; do
  ! grep -rqa -- "$s" "$T/dcmond.log" || fail "a secret in the log"
done
pass "no secret, code or password in the log"
done_checks
