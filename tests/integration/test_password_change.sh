#!/usr/bin/env bash
# Changing one's own password (POST /api/v1/password, `dcmon passwd`) against a real
# dcmond: the current password is required (a wrong one is refused, audited and counts
# as a failed login), the policy applies to the new one, the account's other web
# sessions end (the one asking keeps its own), the change is audited without a password,
# a cookie write needs its CSRF token; over the Unix socket `dcmon passwd` changes the
# account named like the local user, and root (no account) is told so.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root (setpriv)"; exit 1; }

port=$(free_port)
daemon_yaml "socket_group: nogroup" "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" \
  "accounts: {yescrypt_cost: 4, lock_failures: 5, local_users: [{user: nobody, role: noc-operator}]}" \
  >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
pw1="first-password-$RANDOM$RANDOM"; pw2="second-password-$RANDOM$RANDOM"; pw3="third-password-$RANDOM$RANDOM"
echo "$pw1" | "$DCMON" user add nobody --role noc-operator >/dev/null

# login PASSWORD JAR: the status; the CSRF token in $T/csrf.JAR
login() {
  curl -s -m 10 -c "$2" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"nobody\",\"password\":\"$1\"}" "$base/api/v1/login"
  jq -r '.csrf // empty' "$T/body" >"$2.csrf"
}
whoami() { curl -s -m 10 -b "$1" "$base/api/v1/sessions" | jq -r .user; }
# change JAR OLD NEW [curl args]: "STATUS BODY"
change() {
  local jar=$1 old=$2 new=$3; shift 3
  curl -s -m 10 -b "$jar" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@" \
    --data "{\"password\":\"$old\",\"new_password\":\"$new\"}" "$base/api/v1/password"
  printf ' %s' "$(cat "$T/body")"
}
assert_eq "$(login "$pw1" "$T/jar1")" 200 "login 1"
assert_eq "$(login "$pw1" "$T/jar2")" 200 "login 2"
csrf=(-H "X-CSRF-Token: $(cat "$T/jar1.csrf")")

# ---- refusals -------------------------------------------------------------------------------
assert_eq "$(change "$T/jar1" "$pw1" "$pw2" | cut -c1-3)" 403 "a cookie write without its CSRF token"
assert_eq "$(change "$T/jar1" not-the-password "$pw2" "${csrf[@]}")" \
  '403 {"error":"wrong current password (or the account is locked)"}' "wrong current password"
assert_eq "$("$DCMON" user show nobody --json | jq -r '.user.locked')" false "one failure: not locked"
assert_eq "$(change "$T/jar1" "$pw1" short "${csrf[@]}")" \
  '400 {"error":"new_password: the password is shorter than daemon.accounts.password_min_length"}' "policy"
assert_eq "$(curl -s -m 10 -b "$T/jar1" "${csrf[@]}" -X POST --data '{"new_password":"whatever-long-enough"}' "$base/api/v1/password")" \
  '{"error":"password: the current password is required"}' "the current password is required"

# ---- the change over the web --------------------------------------------------------------
assert_eq "$(change "$T/jar1" "$pw1" "$pw2" "${csrf[@]}")" '200 {"user":"nobody","sessions_ended":1}' "changed"
assert_eq "$(whoami "$T/jar1")" nobody "the session asking goes on"
assert_eq "$(whoami "$T/jar2")" anonymous "the other session ended"
assert_eq "$(login "$pw1" "$T/jar3")" 401 "the old password is refused"
assert_eq "$(login "$pw2" "$T/jar3")" 200 "the new password logs in"

# ---- dcmon passwd over the Unix socket --------------------------------------------------------
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
rc=0; out=$(printf '%s\n%s\n' not-the-password "$pw3" | "${as_nobody[@]}" "$DCMON" passwd 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: wrong current password (or the account is locked)" "dcmon passwd: wrong current"
out=$(printf '%s\n%s\n' "$pw2" "$pw3" | "${as_nobody[@]}" "$DCMON" passwd)
assert_eq "$out" "password of nobody changed; 2 web sessions ended" "dcmon passwd"
assert_eq "$(whoami "$T/jar1")" anonymous "every web session ended"
assert_eq "$(login "$pw3" "$T/jar4")" 200 "the password set by dcmon passwd logs in"
rc=0; out=$(printf '%s\n%s\n' x "$pw3" | "$DCMON" passwd 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: no account named root (an administrator sets others' passwords: dcmon user passwd NAME)" \
  "root has no account"

# ---- audit, and no secret anywhere ------------------------------------------------------------
actions=$("$DCMON" audit --target user:nobody --json | jq -r '[.entries[] | select(.action | startswith("password")) | .action + ":" + (.detail // "")] | join(",")')
assert_eq "$actions" "password-change-failed:wrong current password,password-change:1 other sessions ended,password-change-failed:wrong current password,password-change:2 other sessions ended" \
  "audited"
for pw in "$pw1" "$pw2" "$pw3"; do
  ! grep -rqa -- "$pw" "$T/dcmond.log" "$T/data" || fail "a password in the log or the state"
done
pass "no password in the log or the state files"
done_checks
