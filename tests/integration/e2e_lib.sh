# Helpers for the browser tests (tests/e2e, headless Chromium through playwright-core).
# Sets E2E (the scripts' folder) and ART (where screenshots go).
E2E="$DCMON_SOURCE_DIR/tests/e2e"
ART="$DCMON_SOURCE_DIR/tests/artifacts"
# librrd's graph code leaks by design; full stacks so only its allocations are ignored
export LSAN_OPTIONS="suppressions=$DCMON_SOURCE_DIR/tests/lsan-librrd.supp:fast_unwind_on_malloc=0:print_suppressions=0"
command -v node >/dev/null || fail "node missing: run scripts/install-deps.sh"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing: run scripts/install-deps.sh"
if [ ! -d "$E2E/node_modules/playwright-core" ]; then
  (cd "$E2E" && npm ci --no-audit --no-fund >/dev/null 2>&1) || fail "npm ci in tests/e2e failed"
fi

# e2e_run SCRIPT [NAME=VALUE...]: runs tests/e2e/SCRIPT in node (bounded), with BASE_URL
# (the dashboard of SIM_HTTP_PORT), ARTIFACTS and the given variables in its
# environment; fails the test when it fails.
e2e_run() {
  local script=$1; shift
  env BASE_URL="http://127.0.0.1:$SIM_HTTP_PORT" ARTIFACTS="$ART" "$@" \
    timeout 120 node "$E2E/$script" || fail "browser test $script failed"
}
