#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds it from this build; its control data
# (dependencies, conffiles, maintainer scripts) and files are checked; then it is
# installed for real with `dpkg -i` into a copy-on-write overlay of this machine's root
# (a private mount namespace: the machine itself is not touched), where postinst makes
# the dcmon user and /var/lib/dcmon, `dcmond --check-config /etc/dcmon/dcmon.yaml`
# passes as that user, `systemd-analyze verify` accepts the unit (its commands, man
# pages and directives), and purge removes the state.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mount namespace, overlay, chroot)"; exit 77; }
command -v cpack >/dev/null && command -v systemd-analyze >/dev/null ||
  { echo "SKIP: cpack or systemd-analyze missing"; exit 77; }
grep -qw overlay /proc/filesystems && unshare -m true ||
  { echo "SKIP: no overlay file system or mount namespace here"; exit 77; }

cpack -G DEB --config "$DCMON_BUILD_DIR/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
  { tail -20 "$T/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$T"/pkg/dcmon_*.deb)
info=$(dpkg-deb -f "$deb" Package Depends)
echo "$info" | grep -q '^Package: dcmon$' || fail "package name: $info"
echo "$info" | grep -q 'adduser' || fail "no dependency on adduser: $info"
echo "$info" | grep -q 'libsystemd0' || fail "no dependency on libsystemd0 (shlibdeps): $info"
pass "cpack -G DEB: package dcmon, depends on adduser and the libraries it links"
mkdir "$T/ctl"
dpkg-deb -e "$deb" "$T/ctl"
grep -qx /etc/dcmon/dcmon.yaml "$T/ctl/conffiles" || fail "dcmon.yaml is not a conffile"
grep -qx /etc/dcmon/profiles/ups-rfc1628.yaml "$T/ctl/conffiles" || fail "profiles are not conffiles"
for s in postinst prerm postrm; do
  [ -x "$T/ctl/$s" ] || fail "$s missing or not executable"
  sh -n "$T/ctl/$s" || fail "$s: shell syntax"
done
pass "conffiles: dcmon.yaml and the profiles; postinst/prerm/postrm present"
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/dcmond ./usr/bin/dcmon ./usr/bin/dcmon-sim ./lib/systemd/system/dcmon.service \
         ./etc/dcmon/dcmon.yaml ./etc/dcmon/profiles/ups-rfc1628.yaml \
         ./usr/share/man/man8/dcmond.8 ./usr/share/man/man1/dcmon.1 \
         ./usr/share/man/man1/dcmon-sim.1 ./usr/share/man/man5/dcmon.yaml.5 \
         ./usr/share/dcmon/grafana/dcmon-facility.json ./usr/share/snmp/mibs/DCMON-MIB.txt; do
  echo "$files" | grep -qx -- "$f" || fail "$f not in the package"
done
pass "binaries, unit, config, profiles, man pages, the Grafana dashboard and DCMON-MIB in the package"

# The real install, in an overlay of / (upper layer in $T).
host_user=$(id dcmon 2>&1 || true)
mkdir -p "$T/ov/upper" "$T/ov/work" "$T/ov/merged"
cp "$deb" "$T/ov/dcmon.deb"
cat >"$T/ov/inside.sh" <<'EOF'
set -e
dpkg -i /tmp/dcmon.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
echo "user: $(id -un dcmon) $(getent passwd dcmon | cut -d: -f6,7)"
echo "state: $(stat -c '%U:%G %a' /var/lib/dcmon)"
echo "config: $(stat -c '%U:%G %a' /etc/dcmon/dcmon.yaml)"
echo "check: $(setpriv --reuid dcmon --regid dcmon --init-groups /usr/sbin/dcmond --check-config /etc/dcmon/dcmon.yaml 2>&1)"
echo "verify: [$(systemd-analyze verify /lib/systemd/system/dcmon.service 2>&1)]"
echo "status: $(dpkg-query -W -f '${Status}' dcmon)"
dpkg --purge dcmon >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
echo "purged: $(test -e /var/lib/dcmon && echo kept || echo gone) $(test -e /usr/sbin/dcmond && echo kept || echo gone)"
EOF
unshare -m sh -c '
set -e
m=$1/ov/merged
mount -t overlay overlay -o lowerdir=/,upperdir=$1/ov/upper,workdir=$1/ov/work "$m"
mount --bind /proc "$m/proc"
mount --bind /dev "$m/dev"
mount -t tmpfs tmpfs "$m/tmp"
mount -t tmpfs tmpfs "$m/run"
cp "$1/ov/dcmon.deb" "$1/ov/inside.sh" "$m/tmp/"
chroot "$m" env ASAN_OPTIONS="${ASAN_OPTIONS:-}" sh /tmp/inside.sh' sh "$T" >"$T/inside.log" 2>&1 ||
  { cat "$T/inside.log"; fail "install in the overlay failed"; }
cat "$T/inside.log"
[ "$(id dcmon 2>&1)" = "$host_user" ] || fail "the install changed this machine's users"
grep -q '^user: dcmon /var/lib/dcmon:/usr/sbin/nologin$' "$T/inside.log" || fail "postinst: no dcmon system user"
grep -q '^state: dcmon:dcmon 750$' "$T/inside.log" || fail "postinst: /var/lib/dcmon not dcmon's 0750"
grep -q '^config: root:dcmon 640$' "$T/inside.log" || fail "postinst: dcmon.yaml not root:dcmon 0640"
pass "dpkg -i: postinst made user dcmon, /var/lib/dcmon (0750) and a 0640 config"
grep -q '^check: /etc/dcmon/dcmon.yaml: ok (1 devices' "$T/inside.log" || fail "check-config of the shipped config"
pass "dcmond --check-config /etc/dcmon/dcmon.yaml passes as user dcmon"
grep -q '^verify: \[\]$' "$T/inside.log" || fail "systemd-analyze verify complained"
pass "systemd-analyze verify: the unit, its commands and man pages, no complaint"
grep -q '^purged: gone gone$' "$T/inside.log" || fail "purge left the state or the binaries"
pass "dpkg --purge removes binaries and /var/lib/dcmon"

# The unit's contract, read back from the shipped file.
unit="$DCMON_SOURCE_DIR/packaging/dcmon.service"
for kv in Type=notify WatchdogSec=30s 'ExecReload=/bin/kill -HUP $MAINPID' User=dcmon \
          ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
          'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_BIND_SERVICE'; do
  grep -qxF -- "$kv" "$unit" || fail "unit lacks $kv"
done
pass "unit: Type=notify, watchdog, reload by SIGHUP, user dcmon, hardening"
done_checks
