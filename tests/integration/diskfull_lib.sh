# Disk-full helpers of the integration tests (source after lib.sh): small tmpfs file
# systems in the test's own mount namespace, filled up and freed on demand.  The test
# script must start with
#   [ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
# so that its mounts are seen by it and its children only (tests run as root).
[ -n "${DCMON_UNSHARED:-}" ] || fail "run this test in a private mount namespace (see diskfull_lib.sh)"
_SMALL_FS=()

# Unmounts the small file systems before lib.sh's clean-up removes $T.
_small_fs_exit() {
  local rc=$? d
  for d in "${_SMALL_FS[@]:-}"; do [ -n "$d" ] && umount -l "$d" 2>/dev/null || true; done
  # cleanup reads the exit status from $? (set -e: a bare `(exit 1)` would end here)
  if [ "$rc" -eq 0 ]; then cleanup; else (exit "$rc") || cleanup; fi
}
trap _small_fs_exit EXIT

# small_fs DIR SIZE: a tmpfs of SIZE (mount's size=, e.g. 4m) on DIR.
small_fs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || fail "cannot mount a tmpfs on $1 (root needed)"
  _SMALL_FS+=("$1")
}

# fill_fs DIR: fills DIR's file system with DIR/.fill until no byte is left.
fill_fs() {
  dd if=/dev/zero of="$1/.fill" bs=4k status=none 2>/dev/null || true
  [ "$(df --output=avail -B1 "$1" | tail -1 | tr -d ' ')" = 0 ] || fail "$1 is not full"
}

# free_fs DIR: frees what fill_fs took.
free_fs() { rm -f "$1/.fill"; }

# subjects DIR ADDR: the Subject lines of the messages to ADDR, in the order received.
subjects() {
  msgs "$1" | jq -r --arg a "$2" 'sort_by(.ts) | .[] | select(.rcpt_tos | index($a))
    | .data | capture("Subject: (?<s>[^\r\n]*)").s'
}

# state_metric_is NAME FILE VALUE: dcmond's own metric NAME{FILE} has VALUE.
state_metric_is() {
  local doc
  doc=$(api_get "/api/v1/metrics?device=dcmond&name=$1") || return 1
  printf '%s\n' "$doc" | json_check "[.metrics[] | select(.inst == \"$2\" and .value == $3)] | length == 1"
}

# start_box_with_state_file FILE FSDIR: dcmond with box (tenant acme) checking one port,
# its state_dir's FILE (alerts.db or notify.db) on a 2 MB tmpfs at FSDIR (a symlink:
# the WAL follows the real file), the sink and the port up; sets smtp_port and p1.
start_box_with_state_file() {
  local file=$1 fs=$2
  smtp_port=$(free_port); p1=$(free_port)
  small_fs "$fs" 2m
  mkdir -p "$T/state"
  ln -s "$fs/$file" "$T/state/$file"
  # no graphs: a first message waiting for one would take in dcmond's own disk-full
  # alert, raised meanwhile, and these tests count the messages of each alert
  email_config "$smtp_port" 1s "$p1" "    graph_wait: 0s"
  sed -i "s|^  data_dir: .*|&\n  state_dir: $T/state|" "$T/dcmon.yaml"
  start_sink "$T/mail" "$smtp_port"
  start_ports "$p1"
  start_dcmond "$T/dcmon.yaml"
  wait_until 15 "port up" metric_is box tcp_port_up "$p1" '.value == 1'
  test -s "$fs/$file" || fail "$file is not on the small file system"
}
