#!/usr/bin/env bash
# scripts/check-layers.sh: the tree as it is passes; a copy of it with one include from
# the kernel into a part, and one with a part including another part's private header,
# each fail with the offending file:line named; a part's public header is fine from a
# part that uses it.  No daemon: the script reads sources only.
source "$(dirname "$0")/lib.sh"

out=$(bash "$DCMON_SOURCE_DIR/scripts/check-layers.sh" 2>&1) || fail "the tree fails: $out"
[[ "$out" == *"check-layers: ok"* ]] || fail "no ok line: $out"
pass "the tree passes"

# inject FILE HEADER: a fresh copy of what the script reads (the kernel, the parts, the
# programs) with `#include "HEADER"` added before FILE's first include; runs the copy's
# script.  Sets rc, out and line (the added include's line).
inject() {
  local file=$1 header=$2
  rm -rf "$T/src" && mkdir -p "$T/src"
  (cd "$DCMON_SOURCE_DIR" && cp -r scripts include core pollers alerting facility dashboard mqtt events accounts tenants reports \
    daemon cli sim bench "$T/src/")
  sed -i "0,/^#include/s||#include \"$header\"\\n#include|" "$T/src/$file"
  line=$(grep -n "\"$header\"" "$T/src/$file" | head -1 | cut -d: -f1)
  rc=0
  out=$(bash "$T/src/scripts/check-layers.sh" 2>&1) || rc=$?
}

inject core/metric.c dcmon/alert.h
assert_eq "$rc" 1 "kernel including a part: exit status"
[[ "$out" == *"core/metric.c:$line: \"dcmon/alert.h\": the kernel includes a part (alerting/)"* ]] ||
  fail "kernel including a part not named at core/metric.c:$line: $out"
pass "core/metric.c:$line including dcmon/alert.h is named"

inject dashboard/http_sse.c api_internal.h
assert_eq "$rc" 1 "private cross-part include: exit status"
[[ "$out" == *"dashboard/http_sse.c:$line: \"api_internal.h\": private header of core/ included from dashboard/"* ]] ||
  fail "private include not named at dashboard/http_sse.c:$line: $out"
pass "dashboard/http_sse.c:$line including core's api_internal.h is named"

inject facility/fchain.c dcmon/notify.h
assert_eq "$rc" 0 "facility including alerting's public dcmon/notify.h: exit status"

done_checks
