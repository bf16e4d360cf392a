#!/usr/bin/env bash
# One source for the command line's documentation: every long option of the programs'
# getopt tables must be in their --help (scripts/mkman.py --check fails otherwise);
# the man pages built from that help (build/man) render without a groff warning and
# show every option; docs/CLI.md is the help as the programs print it now (regenerated
# and compared); dcmon.yaml(5) carries docs/CONFIG.md.
source "$(dirname "$0")/lib.sh"
MK="$PY $DCMON_SOURCE_DIR/scripts/mkman.py --build $DCMON_BUILD_DIR --src $DCMON_SOURCE_DIR"
MAN="$DCMON_BUILD_DIR/man"
command -v man >/dev/null || { echo "SKIP: man (man-db) is not installed"; exit 77; }

out=$($MK --check) || fail "options missing from the help:
$out"
n=$($MK --options | wc -l)
[ "$n" -ge 40 ] || fail "only $n long options found in the sources: the getopt tables were not read"
pass "all $n long options of dcmond, dcmon and dcmon-sim are in their help"
# each command's --help is its usage on stdout, and a success
cmds=$("$DCMON" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ "$(wc -w <<<"$cmds")" -ge 15 ] || fail "dcmon --help lists only: $cmds"
for c in $cmds; do
  rc=0; out=$("$DCMON" "$c" --help 2>/dev/null) || rc=$?
  [ "$rc" -eq 0 ] && grep -q "^usage: dcmon $c" <<<"$out" ||
    fail "dcmon $c --help: exit $rc, stdout '${out:0:80}'"
done
pass "each of the $(wc -w <<<"$cmds") commands' --help prints its usage on stdout and succeeds"

$MK --cli-md "$T/CLI.md"
diff -u "$DCMON_SOURCE_DIR/docs/CLI.md" "$T/CLI.md" >"$T/cli.diff" ||
  fail "docs/CLI.md is stale (run: python3 scripts/mkman.py --build build --src . --cli-md docs/CLI.md):
$(head -40 "$T/cli.diff")"
pass "docs/CLI.md is the programs' current help"

declare -A page=([dcmond]=dcmond.8 [dcmon]=dcmon.1 [dcmon-sim]=dcmon-sim.1)
for p in dcmond.8 dcmon.1 dcmon-sim.1 dcmon.yaml.5; do
  [ -s "$MAN/$p" ] || fail "$MAN/$p was not built"
  warn=$(MANWIDTH=100 man --warnings -l "$MAN/$p" 2>&1 >"$T/$p.txt")
  [ -z "$warn" ] || fail "$p: groff warnings: $warn"
  grep -q '^NAME' "$T/$p.txt" && grep -q '^SEE ALSO' "$T/$p.txt" || fail "$p: no NAME or SEE ALSO section"
done
pass "four man pages render without warnings, with NAME and SEE ALSO"
while read -r prog opt; do
  grep -qE -- "(^|[^a-z-])--$opt([^a-z-]|$)" "$T/${page[$prog]}.txt" ||
    fail "${page[$prog]} lacks --$opt"
done < <($MK --options)
pass "every long option is in its program's man page"
# dcmon(1) has a section per command, dcmon.yaml(5) the configuration reference
for c in status alerts ack silence impact test-mode probe notifications; do
  grep -qE "^   dcmon $c\$" "$T/dcmon.1.txt" || fail "dcmon.1 has no section for $c"
done
for k in data_dir plugin_concurrency max_series_per_device fed_by nodata escalate_to; do
  grep -qw -- "$k" "$T/dcmon.yaml.5.txt" || fail "dcmon.yaml.5 lacks $k (from docs/CONFIG.md)"
done
pass "dcmon(1) documents each command; dcmon.yaml(5) carries docs/CONFIG.md"
done_checks
