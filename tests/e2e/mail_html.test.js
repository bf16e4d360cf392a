// An alert mail's HTML part in headless Chromium (tests/integration/test_email_graph.sh
// passes MAIL_HTML, the part as received with each cid: reference pointing at the image
// part saved beside it, as a mail client resolves it, and ARTIFACTS for a screenshot):
// the alert's facts are there as text, and the graph shows, at the size the HTML gives.
"use strict";
const fs = require("fs");
const path = require("path");
const T = require("./lib");
const { ok } = T;

async function main() {
  fs.mkdirSync(process.env.ARTIFACTS, { recursive: true });
  await T.withChromium({ width: 1024, height: 800 }, async (ctx) => {
    const page = await ctx.newPage();
    await page.goto("file://" + process.env.MAIL_HTML);
    ok((await page.title()).startsWith("[dcmon] CRITICAL box:"), "the mail's title is its subject");
    const text = await page.innerText("body");
    ok(text.includes("Device:     box (server)") && text.includes("Threshold:  rule port-closed"),
       "the alert's facts are in the page as text");
    const imgs = await page.$$eval("img", (els) => els.map((e) => ({
      done: e.complete, nw: e.naturalWidth, nh: e.naturalHeight,
      w: e.getAttribute("width"), h: e.getAttribute("height"),
      shown: e.getBoundingClientRect().width })));
    ok(imgs.length === 1, `one image (${imgs.length})`);
    const i = imgs[0];
    ok(i.done && i.nw > 0 && String(i.nw) === i.w && String(i.nh) === i.h,
       `the graph decodes at the size the HTML gives (${i.nw}x${i.nh}, html ${i.w}x${i.h})`);
    ok(i.shown === i.nw, `the graph is shown at its size (${i.shown} px wide)`);
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "mail-graph.png"), fullPage: true });
  });
  console.log(`mail_html: ${T.checks} checks`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
