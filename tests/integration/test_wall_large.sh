#!/usr/bin/env bash
# The NOC wall on a site too large for one screen (5 halls of 100 racks, 500 devices), in
# headless Chromium at 1920x1080: a strip names every hall, one hall at a time is shown
# whole (every one of its devices, nothing clipped, no page scroll), the halls take turns
# (?rotate=2), and a click on a hall stays on it.  Racks are passive devices: no peer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

http_port=$(free_port)
head -c 24 /dev/urandom | base64 >"$T/token"; chmod 600 "$T/token"
{ daemon_yaml "http: {listen: 127.0.0.1, port: $http_port, token_file: token}"
  echo "sites:"
  echo "  - {id: big, name: Big site, rooms: [$(for h in 1 2 3 4 5; do printf '{id: hall-%d, name: Hall %d}, ' $h $h; done | sed 's/, $//')]}"
  echo "devices:"
  for h in 1 2 3 4 5; do
    for r in $(seq -w 1 100); do
      echo "  - {id: rack-h$h-r$r, kind: rack, location: {site: big, room: hall-$h, row: a, rack: h$h-r$r}}"
    done
  done
} >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "dashboard answering" curl -sf "http://127.0.0.1:$http_port/api/v1/health"
assert_eq "$(curl -sf "http://127.0.0.1:$http_port/api/v1/status" | jq '.devices | length')" "500" "devices configured"

BASE_URL="http://127.0.0.1:$http_port" ARTIFACTS="$ART" \
  timeout 120 node "$E2E/wall_large.test.js" || fail "browser test failed"
pass "wall on a 500-device site (screenshots in $ART)"
