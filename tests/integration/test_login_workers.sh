#!/usr/bin/env bash
# Password work runs on the worker pool, not on dcmond's loop thread: yescrypt at cost 8
# (~0.3 s a check here) for web logins, `dcmon user add` and `dcmon user passwd`; each
# is answered when its hash is done, with the same answers as before (a wrong user like
# a wrong password).  The proof is the CPU time of the loop thread (the main thread,
# /proc/PID/task/PID/stat) against the whole process while eight logins and two hashes
# run: with the hashing on the loop it did nearly all of it.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
{
  daemon_yaml "http: {listen: 127.0.0.1, port: $port, auth_fail_limit: 1000}" \
    "accounts: {yescrypt_cost: 8, lock_failures: 1000}"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
pw="op-password-$RANDOM$RANDOM"

# cpu_ticks FILE: utime + stime of a /proc stat file (fields after the command's ")")
cpu_ticks() { sed 's/.*) //' "$1" | awk '{print $12 + $13}'; }
loop0=$(cpu_ticks "/proc/$DCMOND_PID/task/$DCMOND_PID/stat"); all0=$(cpu_ticks "/proc/$DCMOND_PID/stat")

echo "$pw" | "$DCMON" user add op --role noc-operator >/dev/null || fail "user add"
assert_eq "$("$DCMON" user show op --json | jq -r .user.role)" noc-operator "user add hashed on a worker"
echo "$pw-2" | "$DCMON" user passwd op >/dev/null || fail "passwd"
# login NAME PASSWORD: "STATUS BODY"
login() {
  curl -s -m 30 -o - -w ' %{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$1\",\"password\":\"$2\"}" "$base/api/v1/login"
}
for i in 1 2 3 4; do
  login op "wrong-$i" >"$T/wrong$i" &
  login "nobody-$i" "wrong-$i" >"$T/nouser$i" &
done
wait_for_logins() { for i in 1 2 3 4; do [ -s "$T/wrong$i" ] && [ -s "$T/nouser$i" ] || return 1; done; }
wait_until 60 "eight logins answered" wait_for_logins
for i in 1 2 3 4; do
  assert_eq "$(cat "$T/wrong$i")" '{"error":"wrong user name or password"} 401' "wrong password $i"
  assert_eq "$(cat "$T/nouser$i")" "$(cat "$T/wrong$i")" "wrong user $i answers alike"
done
ok=$(login op "$pw-2")
case $ok in '{"user":"op","role":"noc-operator",'*' 200') ;; *) fail "login with the new password: $ok" ;; esac
pass "logins, user add and passwd answered when their hash is done"

loop1=$(cpu_ticks "/proc/$DCMOND_PID/task/$DCMOND_PID/stat"); all1=$(cpu_ticks "/proc/$DCMOND_PID/stat")
loop=$((loop1 - loop0)); all=$((all1 - all0))
echo "cpu ticks: loop thread $loop of $all"
[ "$all" -ge 100 ] || fail "the hashes took $all ticks: not yescrypt at cost 8?"
[ $((loop * 4)) -lt "$all" ] || fail "the loop thread did $loop of $all ticks of password work"
pass "the loop thread did $loop of $all ticks: the hashing ran on the workers"
done_checks
