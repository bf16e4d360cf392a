#!/usr/bin/env bash
# Log ingest benchmark: the same stream of N octet-counted syslog messages (RFC 3164,
# sshd/kernel/sudo lines of ~110 bytes, 500 hosts) sent over one TCP connection to
#   * dcmond (syslog: receiver -> parser -> device map -> R log rules -> event store:
#     SQLite + FTS5, daily partition), and
#   * rsyslogd (imtcp -> omfile, the ceiling reference: no parsing into fields, no
#     index),
# each pinned to one core (taskset), one after the other in the same run.  Ingest is
# messages / seconds from the first byte sent to the last message on disk (dcmond:
# committed rows, read through a read-only connection; rsyslogd: lines in its file).
# Then the search latency of GET /api/v1/events/search (a time range plus a word,
# p50/p99 of Q queries over the N stored events) and the disk bytes per event; beside
# them the other design weighed (docs/EVENTS.md): rsyslogd's file gzip-compressed, its
# bytes per event and the time of one word search through it (zgrep -c).
#
#   bench/logs.sh [N=300000] [Q=200] [R=100] [S=0]
#
# With S > 0, the search at scale too: S events loaded straight into a store of their
# own through the store's own writer (bench_events load: the same lines, received
# over the SCALE_DAYS=10 days before now, no network), then Q searches over them by
# bench_events search (a time range of 10 min to 1 day anywhere in those days plus a
# word, 50 rows, newest first), its load rate and its disk bytes per event.
#
# PERF=FILE: dcmond's ingest is profiled into FILE (perf record -e cpu-clock -g; this
# VM has no hardware counters), for `perf report -i FILE`.
#
# Bounded: N at most 2,000,000, each ingest waits at most 300 s; S at most 20,000,000
# and refused unless 600 bytes an event fit in half the free space of /tmp (the
# store is deleted at the end).  Builds a Release tree in build-bench/ (or uses
# $DCMON_BUILD_DIR); prints one final line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300000}
q=${2:-200}
rules=${3:-100}
scale=${4:-0}
scale_days=${SCALE_DAYS:-10}
[ "$n" -le 2000000 ] || { echo "N at most 2000000" >&2; exit 2; }
[ "$scale" -le 20000000 ] || { echo "S at most 20000000" >&2; exit 2; }
free_kb=$(df -Pk /tmp | awk 'NR == 2 {print $4}')
[ $((scale * 600 / 1024)) -le $((free_kb / 2)) ] ||
	{ echo "S=$scale events need ~$((scale * 600 >> 20)) MiB: more than half of /tmp's free space" >&2; exit 2; }
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target dcmond bench_events >/dev/null
fi
command -v rsyslogd >/dev/null || { echo "rsyslogd not installed (scripts/install-deps.sh)" >&2; exit 2; }
T=$(mktemp -d /tmp/dcmon-logbench.XXXXXX)
pids=()
# (|| true: under set -e a failed kill of a peer already stopped would end the trap early)
trap 'for p in "${pids[@]:-}"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
      wait 2>/dev/null || true; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# the stream, built once: N frames in one file
python3 - "$n" "$T/stream" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(7)
lines = [
    "sshd[{p}]: Failed password for invalid user {u} from 10.{a}.{b}.{c} port {port} ssh2",
    "sshd[{p}]: Accepted publickey for {u} from 10.{a}.{b}.{c} port {port} ssh2: ED25519",
    "kernel: [{p}.{port}] EXT4-fs error (device sd{d}1): ext4_find_entry:1455: inode #{port}",
    "sudo: {u} : TTY=pts/{d} ; PWD=/home/{u} ; USER=root ; COMMAND=/usr/bin/systemctl restart {u}d",
    "CRON[{p}]: (root) CMD (/usr/lib/sysstat/debian-sa1 1 1) job {port}",
]
users = ["alice", "bob", "carol", "dave", "erin", "frank", "backup", "deploy"]
with open(path, "wb") as f:
    for i in range(n):
        line = rnd.choice(lines).format(p=rnd.randrange(100, 65000), u=rnd.choice(users),
                                        a=rnd.randrange(256), b=rnd.randrange(256),
                                        c=rnd.randrange(256), port=rnd.randrange(1024, 65535),
                                        d="abcd"[rnd.randrange(4)])
        msg = ("<%d>Dec  6 07:%02d:%02d srv%03d %s" % (rnd.choice([38, 86, 3, 78]), i // 60 % 60,
               i % 60, rnd.randrange(500), line)).encode()
        f.write(b"%d %s" % (len(msg), msg))
PY
stream_bytes=$(stat -c %s "$T/stream")

# send PORT: the stream over one TCP connection, as fast as the receiver takes it
send() { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
s.close()' "$1" "$T/stream"; }

# until_count SECONDS CMD: runs CMD (prints a count) every 50 ms until it reaches n;
# prints the seconds taken since t0 (set by the caller), or fails
until_count() {
	local limit=$1; shift
	while :; do
		local c; c=$("$@" 2>/dev/null || echo 0)
		[ "${c:-0}" -ge "$n" ] && break
		[ "$(date +%s)" -lt $((t0s + limit)) ] || { echo "only $c of $n after ${limit}s" >&2; exit 1; }
		sleep 0.05
	done
	python3 -c "import time,sys; print('%.3f' % (time.time() - float(sys.argv[1])))" "$t0"
}
now() { python3 -c 'import time; print(time.time())'; }

# ---- dcmond ------------------------------------------------------------------------
dport=$(port)
mkdir -p "$T/d"
# R log rules (default 100): 5 that match parts of the stream (each with an engine rule
# on its count), the rest substrings and regexes that never match, so every message is
# tried against all of them; the 500 senders are devices, so their matches count
{
cat <<EOF
daemon:
  data_dir: $T/d/data
  socket: $T/d/dcmon.sock
  log_level: error
  archive_flush: 60s
  syslog:
    listen: 127.0.0.1
    udp_port: 0
    tcp_port: $dport
    source_rate: 10000000
    rules:
      - {name: sshd-fail, program: sshd, match: Failed password}
      - {name: sshd-invalid, regex: 'invalid user [a-z]+ from'}
      - {name: ext4, match: EXT4-fs error, clear: EXT4-fs recovered}
      - {name: sudo-systemctl, program: sudo, regex: 'COMMAND=/usr/bin/systemctl'}
      - {name: cron, program: CRON, match: debian-sa1}
EOF
for i in $(seq 6 "$rules"); do
	if [ $((i % 2)) = 0 ]; then
		echo "      - {name: never-$i, match: no-such-text-$i}"
	else
		echo "      - {name: never-$i, regex: 'no such (thing|text) $i[a-z]+'}"
	fi
done
cat <<EOF
  events:
    queue_max: 1000000
rules:
EOF
for r in sshd-fail sshd-invalid ext4 sudo-systemctl cron; do
	echo "  - {name: log-$r, match: {metric: log_matches_count, inst: $r}, above: {warn: 1000}}"
done
echo "devices:"
for i in $(seq 0 499); do printf '  - {id: srv%03d, kind: server}\n' "$i"; done
} >"$T/d/dcmon.yaml"
taskset -c 0 "$build/dcmond" -c "$T/d/dcmon.yaml" >"$T/d/log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$T/d/dcmon.sock" ] && break; sleep 0.1; done
dcount() { sqlite3 -readonly "file:$(ls "$T"/d/data/events/events-*.db | head -1)?mode=ro" 'select max(id) from ev' 2>/dev/null; }
if [ -n "${PERF:-}" ]; then
	perf record -q -e cpu-clock -g -p "${pids[0]}" -o "$PERF" 2>/dev/null &
	perf_pid=$!
	sleep 0.5
fi
t0=$(now); t0s=${t0%.*}
send "$dport"
dsec=$(until_count 300 dcount)
if [ -n "${PERF:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
dcpu=$(awk '{print ($14 + $15) / 100}' "/proc/${pids[0]}/stat")

# ---- rsyslogd: the same stream to a file --------------------------------------------
rport=$(port)
mkdir -p "$T/r"
cat >"$T/r/rsyslog.conf" <<EOF
global(workDirectory="$T/r" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$rport" ruleset="file")
ruleset(name="file") { action(type="omfile" file="$T/r/messages") }
EOF
taskset -c 0 rsyslogd -n -f "$T/r/rsyslog.conf" -i "$T/r/pid" >"$T/r/log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do ss -ltn | grep -q ":$rport " && break; sleep 0.1; done
rcount() { wc -l <"$T/r/messages"; }
t0=$(now); t0s=${t0%.*}
send "$rport"
rsec=$(until_count 300 rcount)
rcpu=$(awk '{print ($14 + $15) / 100}' "/proc/${pids[1]}/stat")

# ---- search latency over the stored events, bytes per event -------------------------
python3 - "$T/d/dcmon.sock" "$q" >"$T/search" <<'PY'
import http.client, random, socket, sys, time
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("dcmond")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)
path, q = sys.argv[1], int(sys.argv[2])
rnd = random.Random(3)
words = ["invalid", "publickey", "ext4_find_entry", "systemctl", "alice", "bob", "deploy"]
now = int(time.time() * 1000)
lat = []
for i in range(q):
    frm = now - rnd.randrange(60, 3600) * 1000
    url = "/api/v1/events/search?from=%d&to=%d&text=%s&limit=50" % (frm, now + 60000, rnd.choice(words))
    c = UnixConn(path)
    t = time.perf_counter()
    c.request("GET", url)
    r = c.getresponse(); body = r.read()
    lat.append((time.perf_counter() - t) * 1000)
    assert r.status == 200, body
    c.close()
lat.sort()
print("%.2f %.2f" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]))
PY
read -r p50 p99 <"$T/search"

# ---- search at scale: S events loaded by the store's own writer ----------------------
scale_keys=""
if [ "$scale" -gt 0 ]; then
	"$build/bench_events" load "$T/s" "$scale" "$scale_days" >"$T/s.load"
	end_ms=$(sed -n 's/.*end_ms=\([0-9]*\).*/\1/p' "$T/s.load")
	"$build/bench_events" search "$T/s" "$q" "$scale_days" "$end_ms" >"$T/s.search"
	# (its keys prefixed scale_: search_p50_ms is also the API's over the N above)
	scale_keys="scale_events=$scale scale_days=$scale_days $(sed 's/ end_ms=[0-9]*//' "$T/s.load"
		cat "$T/s.search") bytes_per_event=$(( $(du -sb "$T/s" | cut -f1) / scale ))"
	scale_keys=$(echo $scale_keys | sed 's/\(^\| \)\([a-z]\)/\1scale_\2/g; s/scale_scale_/scale_/g')
	rm -rf "$T/s"
fi
kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
ebytes=$(du -sb "$T/d/data/events" | cut -f1)
rbytes=$(stat -c %s "$T/r/messages")
gzip -c "$T/r/messages" >"$T/r/messages.gz"
gzbytes=$(stat -c %s "$T/r/messages.gz")
t0=$(now)
zgrep -c publickey "$T/r/messages.gz" >/dev/null
zgrep_ms=$(python3 -c "import time,sys; print('%.0f' % ((time.time() - float(sys.argv[1])) * 1000))" "$t0")
python3 - <<EOF
n, dsec, rsec = $n, $dsec, $rsec
print("messages=%d log_rules=$rules stream_bytes=%d dcmond_msgs_per_s=%.0f dcmond_cpu_s=%s rsyslogd_file_msgs_per_s=%.0f "
      "rsyslogd_cpu_s=%s search_p50_ms=%s search_p99_ms=%s search_over_events=%d "
      "bytes_per_event=%.0f rsyslogd_file_bytes_per_event=%.0f gzip_file_bytes_per_event=%.0f "
      "zgrep_one_word_ms=%s"
      % (n, $stream_bytes, n / dsec, "$dcpu", n / rsec, "$rcpu", "$p50", "$p99", n,
         $ebytes / n, $rbytes / n, $gzbytes / n, "$zgrep_ms") + (" $scale_keys" if "$scale_keys" else ""))
EOF
