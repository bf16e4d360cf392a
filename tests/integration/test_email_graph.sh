#!/usr/bin/env bash
# Alert e-mail with the graph of its metric (issue 21 item 6) against a real SMTP server
# (aiosmtpd): the alert on box's polled TCP port comes as multipart/alternative, its
# text part as before, its HTML part with the same facts and <img src="cid:...">, and
# the image/png part with that Content-ID decodes as a PNG of the size the HTML gives
# (librrd's canvas plus its axes and legend).  The alert on nodisk, whose archive cannot
# be written (a file stands where its directory should be), still gets its mail: plain
# text, no image, and dcmond says why.  The HTML part opens in headless Chromium
# (tests/e2e/mail_html.test.js) with its graph shown.  graph_wait past its range is a positioned error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

start_sink_and_two_ports

cat >"$T/dcmon.yaml" <<YAML
$(daemon_block "$smtp_port" "    graph_wait: 10s")
teams:
  - {id: facility, email: [facility@dc.example]}
devices:
  - {id: box, kind: server, host: 127.0.0.1, checks: {tcp: [$pa]}}
  - {id: nodisk, kind: server, host: 127.0.0.1, checks: {tcp: [$pb]}}
rules:
$(port_closed_rule)
routes:
  - {name: facility, teams: [facility], group_wait: 1s}
YAML
sed 's/graph_wait: 10s/graph_wait: 1m/' "$T/dcmon.yaml" >"$T/bad.yaml"
mv "$T/dcmon.yaml" "$T/good.yaml"; mv "$T/bad.yaml" "$T/dcmon.yaml"
config_error_at graph_wait "graph_wait: 1m is out of range 0ms..30s"
mv "$T/good.yaml" "$T/dcmon.yaml"
mkdir -p "$T/data"
echo "not a directory" >"$T/data/nodisk"
start_dcmond "$T/dcmon.yaml"
wait_until 15 "box's port up" metric_is box tcp_port_up "$pa" '.value == 1'
wait_until 15 "nodisk's port up" metric_is nodisk tcp_port_up "$pb" '.value == 1'
wait_until 15 "box's archive" compgen -G "$T/data/box/*.rrd"

# mail_parts: reads one recorded message (JSON) on stdin and prints one line per MIME
# leaf, "TYPE CONTENT-ID" (- when none), then for every image/png its decoded size
# ("png WxH", after checking every chunk's CRC and inflating its IDAT to the
# W x H rows its header announces), and "html-img CID WxH" for each <img> of the HTML.
mail_parts() {
  $PY -c '
import email, json, re, struct, sys, zlib
msg = email.message_from_string(json.load(sys.stdin)["data"])
for part in msg.walk():
    if part.is_multipart():
        continue
    ctype, cid = part.get_content_type(), (part.get("Content-ID") or "-").strip("<>")
    print(ctype, cid)
    body = part.get_payload(decode=True)
    if ctype == "image/png":
        assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
        pos, idat, hdr = 8, b"", None
        while pos < len(body):
            n, kind = struct.unpack(">I4s", body[pos:pos + 8])
            data = body[pos + 8:pos + 8 + n]
            crc, = struct.unpack(">I", body[pos + 8 + n:pos + 12 + n])
            assert zlib.crc32(kind + data) == crc, "bad CRC in " + kind.decode()
            if kind == b"IHDR":
                hdr = struct.unpack(">IIBBBBB", data)
            elif kind == b"IDAT":
                idat += data
            pos += 12 + n
        w, h, depth, color = hdr[:4]
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
        rows = zlib.decompress(idat)
        assert len(rows) == h * (1 + (w * channels * depth + 7) // 8), "rows do not match IHDR"
        print("png %dx%d" % (w, h))
    elif ctype == "text/html":
        for cid, w, h in re.findall(r"<img src=\"cid:([^\"]+)\" width=\"(\d+)\" height=\"(\d+)\"",
                                    body.decode()):
            print("html-img %s %sx%s" % (cid, w, h))
'
}
# mail_about DEVICE: the recorded message whose subject names DEVICE.
mail_about() {
  msgs "$T/mail" | jq -c --arg d "$1" '[.[] | select(.data | test("Subject: [^\r]*" + $d))][0]'
}
has_mail_about() { [ "$(mail_about "$1")" != null ]; }

kill "$ports_a"; wait "$ports_a" 2>/dev/null || true
wait_until 30 "box's alert mailed" has_mail_about box
parts=$(mail_about box | mail_parts) || fail "box's mail does not parse: $parts"
echo "$parts" | sed 's/^/  | /'
m=$(mail_about box | jq -r .data)
grep -q '^Content-Type: multipart/alternative' <<<"$m" || fail "box's mail is not multipart/alternative"
assert_eq "$(grep -c '^text/plain ' <<<"$parts")" 1 "text/plain parts of box's mail"
assert_eq "$(grep -c '^text/html ' <<<"$parts")" 1 "text/html parts of box's mail"
assert_eq "$(grep -c '^image/png ' <<<"$parts")" 1 "image/png parts of box's mail"
for want in "Device:     box (server)" "Threshold:  rule port-closed"; do
  grep -qF -- "$want" <<<"$m" || fail "box's text part lacks '$want'"
done
pass "box's mail: multipart/alternative of its text (unchanged facts) and HTML with one PNG"
cid=$(awk '$1 == "image/png" {print $2}' <<<"$parts")
png=$(awk '$1 == "png" {print $2}' <<<"$parts")
img=$(awk '$1 == "html-img" {print $2, $3}' <<<"$parts")
assert_eq "$img" "$cid $png" "the HTML's <img> (cid and size) against the PNG part"
w=${png%x*}; h=${png#*x}
[ "$w" -gt 600 ] && [ "$h" -gt 160 ] || fail "PNG $png is not the 600x160 canvas with axes"
pass "the HTML shows cid:$cid, a PNG of $png that decodes (CRCs, rows)"
html=$(mail_about box | $PY -c '
import email, json, sys
msg = email.message_from_string(json.load(sys.stdin)["data"])
print([p for p in msg.walk() if p.get_content_type() == "text/html"][0].get_payload(decode=True).decode())')
for want in "Device:     box (server)" "Threshold:  rule port-closed" "TCP port does not accept connections"; do
  grep -qF -- "$want" <<<"$html" || fail "box's HTML part lacks '$want'"
done
pass "the HTML part holds the same facts as the text"

# the HTML part in headless Chromium, its cid: resolved to the image part saved beside it
source "$(dirname "$0")/e2e_lib.sh"
mkdir -p "$T/view"
mail_about box | $PY -c '
import email, json, sys
msg = email.message_from_string(json.load(sys.stdin)["data"])
html = [p for p in msg.walk() if p.get_content_type() == "text/html"][0].get_payload(decode=True).decode()
for p in msg.walk():
    if p.get_content_type() == "image/png":
        cid = p["Content-ID"].strip("<>")
        open(sys.argv[1] + "/" + cid + ".png", "wb").write(p.get_payload(decode=True))
        html = html.replace("cid:" + cid, cid + ".png")
open(sys.argv[1] + "/mail.html", "w").write(html)
' "$T/view"
ARTIFACTS="$ART" MAIL_HTML="$T/view/mail.html" timeout 120 node "$E2E/mail_html.test.js" \
  || fail "browser test mail_html.test.js failed"
pass "Chromium shows the HTML part: the facts as text, the graph at its size"

kill "$ports_b"; wait "$ports_b" 2>/dev/null || true
wait_until 30 "nodisk's alert mailed" has_mail_about nodisk
parts=$(mail_about nodisk | mail_parts) || fail "nodisk's mail does not parse"
assert_eq "$parts" "text/plain -" "nodisk's mail (no archive: no graph)"
grep -qF "Device:     nodisk (server)" <<<"$(mail_about nodisk | jq -r .data)" \
  || fail "nodisk's text lacks its device"
[ "$(log_count "its mail goes without a graph: no archive for this metric yet")" -ge 1 ] \
  || fail "dcmond did not say why nodisk's mail has no graph"
pass "nodisk (archive cannot be written): its mail goes, plain text, and the log says why"
