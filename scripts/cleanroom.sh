#!/usr/bin/env bash
# The clean room: proves the README's two commands on a brand-new Debian 12 machine.
#
# Builds a fresh Debian 12 (bookworm) root with mmdebstrap, from Debian's archive as
# apt is configured on this machine (its sources and apt.conf.d), variant minbase
# (essential packages and apt, nothing else: whatever dcmon needs beyond that must come
# from scripts/install-deps.sh). It puts a clean clone of this repository's HEAD in
# the root and runs, inside it as root, exactly as the README writes them:
#   demo   DCMON_DEMO_SECONDS=N bash scripts/demo.sh   (and checks, while it runs, that
#          every device has a state and the wall is served)
#   test   bash scripts/test.sh
# then prints one line per step with pass/fail and its time, and exits non-zero if any
# step failed.
#
# The root is a chroot in a private mount namespace with /proc, /sys, /dev, /dev/pts
# and /dev/shm bound from the host, a tmpfs on /run (network namespaces) and the host's
# network (loopback for the tests' peers, Debian's archive and npm for installing).
# Services are never started by packages inside (policy-rc.d), as in Debian's container
# images. Downloaded .debs are kept in $DCMON_CLEANROOM_CACHE between runs; they only
# save downloads, what is installed is still decided by install-deps.sh alone.
#
#   bash scripts/cleanroom.sh                 demo + test
#   bash scripts/cleanroom.sh test            the test command only (what CI runs)
#   bash scripts/cleanroom.sh demo            the demo only
# Environment: DCMON_DEMO_SECONDS (default 60), DCMON_CLEANROOM_DIR (where roots are
# built, default /var/tmp/dcmon-cleanroom), DCMON_CLEANROOM_CACHE (.deb cache, default
# /var/cache/dcmon-cleanroom/debs), DCMON_CLEANROOM_KEEP=1 keeps the root afterwards.
# Needs root (mounts, chroot). Commits only: uncommitted changes are not in the clone.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(demo test)
for s in "${steps[@]}"; do
  case "$s" in demo | test) ;; *) echo "cleanroom: unknown step '$s' (demo, test)" >&2; exit 64 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "cleanroom: needs root (mmdebstrap, mounts, chroot)" >&2; exit 1; }

demo_seconds=${DCMON_DEMO_SECONDS:-60}
base=${DCMON_CLEANROOM_DIR:-/var/tmp/dcmon-cleanroom}
cache=${DCMON_CLEANROOM_CACHE:-/var/cache/dcmon-cleanroom/debs}
mkdir -p "$base" "$cache/partial"
root=$(mktemp -d "$base/root.XXXXXX")

results=()
failed=0
cleanup() {
  if [ "${DCMON_CLEANROOM_KEEP:-0}" = 1 ]; then
    echo "cleanroom: root kept in $root"
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM # through the EXIT trap: the root is removed

# record NAME RC SECONDS
record() {
  local verdict=pass
  [ "$2" -eq 0 ] || { verdict=fail; failed=1; }
  results+=("cleanroom: $1 $verdict (${3}s)")
  echo "${results[-1]}"
}

if ! command -v mmdebstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null
fi

# The host's apt configuration: its sources (deb822 or one-line) and its apt.conf.d.
sources=$(mktemp)
cat /etc/apt/sources.list.d/*.sources 2>/dev/null >"$sources" || true
aptopts=()
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && aptopts+=(--aptopt="$f")
done
mirror_args=()
if [ -s "$sources" ]; then
  mirror_args=("$sources")
elif [ -s /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list >"$sources"
  mirror_args=("$sources")
fi

# A download cut off half-way is retried (twice) before the step counts as failed.
t0=$(date +%s)
rc=0
for attempt in 1 2 3; do
  rc=0
  mmdebstrap --variant=minbase --mode=root "${aptopts[@]}" \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"' \
    bookworm "$root" "${mirror_args[@]}" >"$base/mmdebstrap.$$.log" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || break
  echo "cleanroom: mmdebstrap failed (attempt $attempt, exit $rc); the end of its output:" >&2
  tail -n 15 "$base/mmdebstrap.$$.log" >&2
  rm -rf --one-file-system "$root"
  mkdir -p "$root"
done
rm -f "$sources" "$base/mmdebstrap.$$.log"
record root "$rc" $(($(date +%s) - t0))
[ "$rc" -eq 0 ] || exit 1
# What the machine itself has, not packages: a Debian install writes /etc/hosts and
# /etc/hostname (minbase does not, and then "localhost" does not resolve), the resolver,
# and this machine's own trust anchors (a TLS-inspecting egress CA, say) and npm
# settings, which any fresh machine of this kind comes with. Anything else must come
# from scripts/install-deps.sh.
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
printf 'cleanroom\n' >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tcleanroom\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
  >"$root/etc/hosts"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
[ ! -f /etc/npmrc ] || cp /etc/npmrc "$root/etc/npmrc"

# A clean clone of HEAD, owned by root as on the machine the README has in mind.
git clone --quiet --no-local --no-hardlinks "$src" "$root/dcmon"
git -C "$root/dcmon" log -1 --format='cleanroom: commit %h %s' | cut -c1-100

# inroom COMMAND: runs COMMAND with bash inside the root, in /dcmon, in a private
# mount namespace (every bind mount goes with it), with only a minimal environment.
inroom() {
  unshare --mount --propagation private -- bash -c '
    set -e
    r=$1 cache=$2 cmd=$3
    # the root is a mount point, as / is on a machine (filesystem checks look for "/")
    mount --bind "$r" "$r"
    mount --rbind /proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs -o mode=755 tmpfs "$r/run"
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    mkdir -p "$r/var/cache/apt/archives"
    mount --bind "$cache" "$r/var/cache/apt/archives"
    exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      CI="${CI:-}" DCMON_DEMO_SECONDS="$DCMON_DEMO_SECONDS" \
      bash -c "cd /dcmon && $cmd"
  ' inroom "$root" "$cache" "$1"
}
export DCMON_DEMO_SECONDS=$demo_seconds

# The demo as written; while it runs, every device must get a state and the wall must be
# served (both asked from inside the room, with what install-deps.sh installed).
run_demo() {
  local log="$base/demo.$$.log" pid ok=1 i
  inroom 'bash scripts/demo.sh' >"$log" 2>&1 &
  pid=$!
  # installing and building come first: minutes, many more on a loaded machine
  for i in $(seq 1500); do
    grep -q 'The demo data center is running' "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if ! grep -q 'The demo data center is running' "$log"; then
    ok=0
    echo "cleanroom: the demo did not come up" >&2
  else
    # demo.sh already waited (bounded) for every device to have a state
    if ! inroom './build/dcmon --socket run/demo/dcmon.sock status --json |
        jq -e "(.devices | length) >= 25 and ([.devices[] | select(.health == \"unknown\")] | length) == 0"' >/dev/null; then
      ok=0
      echo "cleanroom: the demo has devices without a state:" >&2
      inroom './build/dcmon --socket run/demo/dcmon.sock status' >&2 || true
    fi
    if ! inroom 'curl -sf http://127.0.0.1:8080/wall | grep -qi "<html"'; then
      ok=0
      echo "cleanroom: the demo does not serve the wall on 127.0.0.1:8080" >&2
    fi
  fi
  local rc=0
  wait "$pid" || rc=$?
  tail -n 40 "$log"
  rm -f "$log"
  [ "$ok" -eq 1 ] && [ "$rc" -eq 0 ]
}

for s in "${steps[@]}"; do
  t0=$(date +%s)
  rc=0
  case "$s" in
  demo) run_demo || rc=$? ;;
  test) inroom 'bash scripts/test.sh' 2>&1 | tee "$base/test.$$.log" || rc=$? ;;
  esac
  record "$s" "$rc" $(($(date +%s) - t0))
done
printf '%s\n' "${results[@]}"
# The closing line: the tests of every ctest pass inside (plain, then ASan+UBSan).
if [ -f "$base/test.$$.log" ]; then
  sed -nE 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+)$/\1 \2/p' \
    "$base/test.$$.log" | awk '{ f += $1; n += $2 } END { printf "ctest: %d passed, %d failed\n", n - f, f }'
  rm -f "$base/test.$$.log"
fi
exit "$failed"
