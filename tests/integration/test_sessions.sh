#!/usr/bin/env bash
# Web login against a real dcmond over real HTTP (curl): one answer for a wrong user and
# a wrong password; the session cookie's flags (HttpOnly, SameSite=Strict, Secure under
# TLS only) and its 128-bit id kept only as a hash; fixation (a planted id is never
# adopted, the id changes at every login); CSRF (a cookie write without the token, or
# with a wrong one, is 403); the session's scope; idle and absolute timeouts; logout;
# the list of one's sessions and revoking one; a disabled account's session; lockout
# and its unlock; the per-address throttle of failed logins; no secret in the log or the
# databases.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
{
  daemon_yaml "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" \
    "accounts: {yescrypt_cost: 4, session_idle: 3s, session_max: 8s, lock_failures: 3, lock_time: 1h}"
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
pw_op="op-password-$RANDOM$RANDOM"; pw_noc="noc-password-$RANDOM$RANDOM"
echo "$pw_op" | "$DCMON" user add op --role tenant-operator --tenant acme >/dev/null
echo "$pw_noc" | "$DCMON" user add noc --role noc-operator >/dev/null

# login NAME PASSWORD JAR [curl args]: prints "STATUS BODY"; the headers go to $T/headers
login() {
  local name=$1 pw=$2 jar=$3; shift 3
  curl -s -m 10 -D "$T/headers" -c "$jar" "$@" -o "$T/body" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "{\"name\":\"$name\",\"password\":\"$pw\"}" "$base/api/v1/login"
  printf ' %s' "$(cat "$T/body")"
}
# whoami JAR: the user name the session stands for ("anonymous" without one)
whoami() { curl -s -m 10 -b "$1" "$base/api/v1/sessions" | jq -r .user; }
cookie() { awk '$6 == "dcmon_session" {print $7}' "$1"; }

# ---- one answer for a wrong user and a wrong password ---------------------------------
a=$(login op not-the-password "$T/x")
b=$(login no-such-user not-the-password "$T/x")
assert_eq "$a" '401 {"error":"wrong user name or password"}' "wrong password"
assert_eq "$b" "$a" "wrong user answers like a wrong password"
"$DCMON" audit --action login-failed --json | jq -e '[.entries[] | .target] == ["user:op", "user:no-such-user"]' >/dev/null \
  || fail "failed logins audited: $("$DCMON" audit --action login-failed --json | jq -c .)"
pass "failed logins in the audit log, with their source"

# ---- cookie flags, id, fixation ----------------------------------------------------------
out=$(login op "$pw_op" "$T/jar1" -b "dcmon_session=planted0000000000000000000000000")
case $out in '200 {"user":"op","role":"tenant-operator","tenant":"acme","csrf":"'*) ;; *) fail "login: $out" ;; esac
csrf1=$(jq -r .csrf "$T/body")
sc=$(grep -i '^Set-Cookie:' "$T/headers" | tr -d '\r')
[[ $sc =~ ^Set-Cookie:\ dcmon_session=([0-9a-f]{32})\;\ Path=/\;\ HttpOnly\;\ SameSite=Strict$ ]] \
  || fail "cookie: $sc"
sid1=${BASH_REMATCH[1]}
pass "cookie: HttpOnly, SameSite=Strict, no Secure over plain HTTP, 128-bit id"
[ "$sid1" != planted0000000000000000000000000 ] || fail "planted id adopted"
assert_eq "$(whoami "$T/jar1")" op "the session's user"
assert_eq "$(curl -s -m 5 -b "dcmon_session=planted0000000000000000000000000" "$base/api/v1/sessions" | jq -r .user)" \
  anonymous "a planted id is no session"
login op "$pw_op" "$T/jar2" >/dev/null
sid2=$(cookie "$T/jar2")
[ -n "$sid2" ] && [ "$sid2" != "$sid1" ] || fail "second login kept the id: $sid1 $sid2"
pass "fixation: a new id at every login"
assert_eq "$(sqlite3 "$T/data/accounts.db" "SELECT count(*) FROM sessions WHERE id_hash IN ('$sid1','$sid2')")" 0 "raw ids in accounts.db"

# ---- the session's scope ------------------------------------------------------------------
ids=$(curl -s -m 10 -b "$T/jar1" "$base/api/v1/status" | jq -r '[.devices[].id] | sort | join(",")')
assert_eq "$ids" "acme-web,crac-a,pdu-a01,ups-a,utility" "a tenant-operator's session sees its tenant"

# ---- CSRF ---------------------------------------------------------------------------------
login noc "$pw_noc" "$T/jarn" >/dev/null
csrfn=$(jq -r .csrf "$T/body")
silence() { # JAR [curl args]: status of a silence posted with the session
  local jar=$1; shift
  curl -s -m 10 -b "$jar" "$@" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"match":{"device":"acme-web"},"for":"1h","reason":"csrf test"}' "$base/api/v1/silences"
}
assert_eq "$(silence "$T/jarn")" 403 "cookie write without X-CSRF-Token"
assert_eq "$(silence "$T/jarn" -H "X-CSRF-Token: $csrf1")" 403 "cookie write with another session's CSRF token"
assert_eq "$(silence "$T/jarn" -H "X-CSRF-Token: $csrfn")" 201 "cookie write with its CSRF token"
"$DCMON" audit --action silence --json | jq -e '.entries[-1].who == "noc"' >/dev/null || fail "silence not by noc"
pass "a session's write is audited under its account"

# ---- list and revoke; logout ----------------------------------------------------------------
list=$(curl -s -m 10 -b "$T/jar1" "$base/api/v1/sessions")
assert_eq "$(jq '.sessions | length' <<<"$list")" 2 "op's sessions"
assert_eq "$(jq '[.sessions[] | select(.current)] | length' <<<"$list")" 1 "one is current"
other=$(jq -r '.sessions[] | select(.current | not) | .id' <<<"$list")
code=$(curl -s -m 10 -b "$T/jar1" -H "X-CSRF-Token: $csrf1" -o /dev/null -w '%{http_code}' -X DELETE "$base/api/v1/sessions/$other")
assert_eq "$code" 200 "revoke the other session"
assert_eq "$(whoami "$T/jar2")" anonymous "a revoked session is gone"
code=$(curl -s -m 10 -b "$T/jarn" -H "X-CSRF-Token: $csrfn" -o /dev/null -w '%{http_code}' -X DELETE "$base/api/v1/sessions/$(jq -r '.sessions[0].id' <<<"$list")")
assert_eq "$code" 404 "another account's session cannot be revoked"
curl -s -m 10 -b "$T/jarn" -D "$T/headers" -H "X-CSRF-Token: $csrfn" -o /dev/null -X POST "$base/api/v1/logout"
grep -qi '^Set-Cookie: dcmon_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' "$T/headers" \
  || fail "logout does not clear the cookie: $(cat "$T/headers")"
assert_eq "$(whoami "$T/jarn")" anonymous "after logout"

# ---- a disabled account's session ------------------------------------------------------------
"$DCMON" user disable op >/dev/null
assert_eq "$(whoami "$T/jar1")" anonymous "a disabled account's session"
"$DCMON" user enable op >/dev/null

# ---- timeouts: idle (3s) and absolute (8s) ------------------------------------------------------
login op "$pw_op" "$T/jar3" >/dev/null
wait_until 10 "the idle session to end" sh -c "[ \"\$(curl -s -m 5 -b '$T/jar3' '$base/api/v1/sessions' | jq -r .user)\" = anonymous ]"
pass "idle timeout ends a session left alone"
login op "$pw_op" "$T/jar4" >/dev/null
used=0
for _ in $(seq 1 20); do  # used every second: only the absolute timeout ends it
  [ "$(whoami "$T/jar4")" = op ] || break
  used=$((used + 1)); sleep 1
done
# it outlived the idle timeout (3 s) by being used, and it ended (uses are 1 s apart)
[ "$used" -ge 4 ] && [ "$used" -lt 20 ] || fail "absolute timeout: the session lasted $used uses"
pass "absolute timeout ends a session in use (after $used uses, one a second)"

# ---- lockout and unlock --------------------------------------------------------------------------
for _ in 1 2 3; do login op wrong "$T/x" >/dev/null; done
assert_eq "$(login op "$pw_op" "$T/x")" '401 {"error":"wrong user name or password"}' "locked: the right password answers the same"
"$DCMON" user list | grep -qE '^op +tenant-operator +acme +active, locked' || fail "not shown locked: $("$DCMON" user list)"
"$DCMON" user unlock op >/dev/null
assert_eq "$(login op "$pw_op" "$T/x" | cut -c1-3)" 200 "unlocked"

# ---- the second factor ---------------------------------------------------------------------
"$DCMON" user mfa op --json >"$T/mfa.json"
secret=$(jq -r '.otpauth | capture("secret=(?<s>[A-Z2-7]+)").s' "$T/mfa.json")
rcode=$(jq -r '.recovery_codes[0]' "$T/mfa.json")
[ "$(jq '.qr | length' "$T/mfa.json")" -gt 20 ] || fail "no QR code: $(jq -c .qr "$T/mfa.json")"
login_code() { # NAME PASSWORD CODE
  curl -s -m 10 -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$1\",\"password\":\"$2\",\"code\":\"$3\"}" "$base/api/v1/login"
}
assert_eq "$(login op "$pw_op" "$T/x" | cut -c1-3)" 401 "password alone, once a second factor is set"
assert_eq "$(login_code op "$pw_op" "$(totp "$secret")")" 200 "password and TOTP code"
assert_eq "$(login_code op "$pw_op" "$rcode")" 200 "a recovery code"
assert_eq "$(login_code op "$pw_op" "$rcode")" 401 "the same recovery code again"
"$DCMON" user unlock op >/dev/null
echo "admin-password-$RANDOM$RANDOM" >"$T/pw_admin"
"$DCMON" user add boss --role noc-admin <"$T/pw_admin" >/dev/null
out=$(login boss "$(cat "$T/pw_admin")" "$T/x")
case $out in '403 {"error":"a second factor is required for this account: scan the code with an authenticator app, then log in with a code of it","enrol":{"otpauth":"otpauth://totp/dcmon:boss?secret='*) ;;
  *) fail "noc-admin without a second factor: $out" ;; esac
pass "noc-admin without a second factor: no session, a secret to enrol"
"$DCMON" user mfa-reset op >/dev/null
assert_eq "$(login op "$pw_op" "$T/x" | cut -c1-3)" 200 "after mfa-reset, the password alone"

# ---- per-address throttle of failed logins -----------------------------------------------------
sed -i 's/auth_fail_limit: 1000/auth_fail_limit: 12/' "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 10 "the reload" grep -q "config reloaded\|reload" "$T/dcmond.log"
codes=""
for i in $(seq 1 14); do codes+="$(login "nobody$i" wrong "$T/x" | cut -c1-3) "; done
case $codes in *429*) pass "failed logins from one address are throttled: $codes" ;; *) fail "no 429: $codes" ;; esac

stop_dcmond
for s in "$pw_op" "$pw_noc" "$sid1" "$sid2" "$csrf1" "$csrfn" "$rcode" $(jq -r '.recovery_codes[1:][]' "$T/mfa.json"); do
  for f in "$T/dcmond.log" "$T/data/accounts.db" "$T/data/alerts.db"; do
    grep -qaF -- "$s" "$f" && fail "secret in $f: $s"
  done
done
# the TOTP secret is kept in accounts.db (verifying needs it), never in the log or audit
for f in "$T/dcmond.log" "$T/data/alerts.db"; do
  grep -qaF -- "$secret" "$f" && fail "TOTP secret in $f"
done
pass "no password, session id, CSRF token or recovery code in the log or the databases; no TOTP secret in the log or the audit log"

# ---- Secure under TLS ---------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
sed -i "s|http: {listen: 127.0.0.1, port: $port,|http: {listen: 127.0.0.1, port: $port, tls_cert: $T/cert.pem, tls_key: $T/key.pem,|" "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="https://127.0.0.1:$port"
out=$(login op "$pw_op" "$T/jar5" --cacert "$T/cert.pem")
assert_eq "${out%% *}" 200 "login over TLS"
grep -qiE '^Set-Cookie: dcmon_session=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Strict; Secure' "$T/headers" \
  || fail "no Secure flag under TLS: $(grep -i set-cookie "$T/headers")"
pass "cookie: Secure under TLS"
stop_dcmond
done_checks
