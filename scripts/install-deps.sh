#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of dcmon from Debian's archive.
# Idempotent; needs root (or sudo). Safe to run in CI with no input.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS=(
  # build
  build-essential cmake pkg-config clang-format
  libyaml-dev libjansson-dev libsqlite3-dev
  libsnmp-dev libmodbus-dev librrd-dev libesmtp-dev libmosquitto-dev libmicrohttpd-dev zlib1g-dev libssl-dev
  libcap-dev
  libsystemd-dev  # sd_notify and the watchdog of the systemd unit (packaging/)
  file dpkg-dev  # cpack -G DEB: CPackDeb needs file(1), dpkg-shlibdeps the dependencies
  python3  # the man pages and docs/CLI.md are made from the programs' help (scripts/mkman.py)
  libcrypt-dev  # accounts: yescrypt password hashes (crypt_r)
  liboath-dev libqrencode-dev  # accounts: TOTP second factor and its enrolment QR code
  libcurl4-openssl-dev  # HTTP(S) URL checks: the libcurl multi interface on our loop
  # tests: unit framework and the real peers started by the tests
  libcmocka-dev snmpd snmp snmptrapd snmpsim rrdtool rrdcached
  smitools  # smilint checks DCMON-MIB (test_northbound_snmp)
  # fuzzing (scripts/fuzz.sh, tests/fuzz): clang with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # pymodbus imports serial and serial_asyncio when its server starts; Debian's package
  # only recommends them (and we install without recommends)
  python3-pymodbus python3-serial python3-serial-asyncio python3-aiosmtpd
  mosquitto mosquitto-clients
  iputils-ping procps iproute2 jq curl openssl sqlite3
  # TLS trust for npm's registry (tests/e2e) and the TLS tests' system store
  ca-certificates
  monitoring-plugins-basic  # Nagios plugins run as checks (test_plugins, bench/plugins.sh)
  prometheus  # scrapes GET /metrics (test_prometheus); promtool checks its text
  # the Debian package (test_package): its postinst's adduser, systemd-analyze verify
  # of the unit, man for the unit's man: pages
  adduser systemd man-db
  faketime  # libfaketime: wall clock steps under a running dcmond (test_clock_steps)
  # browser tests of the wall: headless Chromium driven by playwright-core (npm, tests/e2e)
  chromium
  # benchmarks: the peer we measure against
  collectd-core time
  # the syslog receiver's tests and bench/logs.sh: a real rsyslogd forwarding over TCP
  # and TLS (its GnuTLS stream driver) and writing the reference file
  rsyslog rsyslog-gnutls
  # availability reports (test_report): pdftotext reads back the PDF Chromium printed
  poppler-utils
)
# Node.js runs the browser tests: Debian's packages, unless a node and npm are already
# installed some other way (Debian's nodejs/npm conflict with such installs).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS+=(nodejs npm)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian packages start system daemons we do not want competing for ports.
for svc in snmpd snmptrapd mosquitto rrdcached collectd; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
