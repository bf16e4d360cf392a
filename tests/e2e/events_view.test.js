// The events views in headless Chromium: the wall's /wall/events (reached from the
// wall's header) shows, without a reload, a line logger(1) sends while it is open, with
// its flags, and filters by severity and text; a tenant's wall view and its portal
// device page show its own events only, and another tenant's device page is missing.
// Started by tests/integration/test_device_events.sh, which passes in environment:
// BASE_URL, ARTIFACTS, SYSLOG_TCP, NOC_USER/NOC_PW, A_USER/A_PW (acme), B_USER/B_PW.
"use strict";
const path = require("path");
const { execFileSync } = require("child_process");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;

// The rows of the page's events table: {device, severity, message, flags} (device ""
// where the table has no device column).
async function rows(page) {
  return page.$$eval("#events tbody tr", (trs) => trs.map((tr) => ({
    device: (tr.querySelector("td.dev") || {}).textContent || "",
    severity: tr.querySelector("td.sev-c").textContent.trim(),
    message: tr.querySelector("td.msg").textContent,
    flags: tr.querySelector("td.flags").textContent,
  })));
}

// The rows once pred(rows) holds (bounded).
async function rowsWhen(page, what, pred) {
  return until(what, 20, async () => {
    const r = await rows(page);
    return pred(r) ? r : null;
  });
}

const has = (r, text) => r.some((x) => x.message.includes(text));

async function wallEvents(ctx, user, pw) {
  const page = await T.login(ctx, user, pw);
  await page.waitForSelector("#events-link");
  await Promise.all([page.waitForURL(BASE + "/wall/events"), page.click("#events-link")]);
  await until("the events view's first load", 20, () => page.evaluate(() => window.dcmonEvents && window.dcmonEvents.loads > 0));
  return page;
}

(async () => {
  // ---- the NOC's wall: live, flags, filters ---------------------------------------
  await T.withChromium({ width: 1920, height: 1080 }, async (ctx) => {
    const page = await wallEvents(ctx, process.env.NOC_USER, process.env.NOC_PW);
    let r = await rowsWhen(page, "the three stored lines", (x) => has(x, "acme marker one") && has(x, "globex marker"));
    ok(r.find((x) => x.message.includes("acme marker one")).device === "acme-web", "the NOC's view names each line's device");
    await page.evaluate(() => { window.notReloaded = true; });
    const mark = "livemark" + Date.now();
    execFileSync("logger", ["-n", "127.0.0.1", "-P", process.env.SYSLOG_TCP, "-T", "--octet-count",
                            "-t", "backupd", "-p", "user.err", mark + " tape drive failed"]);
    r = await rowsWhen(page, "the logger(1) line shown live", (x) => has(x, mark));
    ok(await page.evaluate(() => window.notReloaded === true), "shown without a reload of the page");
    const live = r.find((x) => x.message.includes(mark));
    ok(r[0] === live, "the newest line first");
    ok(/ERR$/.test(live.severity), `its severity (${live.severity})`);
    ok(/unknown source/.test(live.flags), `flagged as from an unknown source (${live.flags})`);
    await page.screenshot({ path: path.join(ART, "wall-events-noc.png") });

    await page.selectOption("#f-severity", "err");
    r = await rowsWhen(page, "only err or worse", (x) => x.length > 0 && !has(x, "marker two") && !has(x, "globex marker"));
    ok(has(r, "acme marker one") && has(r, mark), "severity err: the err lines stay");
    ok(r.every((x) => /(EMERG|ALERT|CRIT|ERR)$/.test(x.severity)), `severity err: nothing milder (${r.map((x) => x.severity).join(",")})`);

    await page.selectOption("#f-severity", "");
    await page.fill("#f-text", "flapping");
    r = await rowsWhen(page, "only the flapping line", (x) => x.length === 1);
    ok(r[0].message === "acme marker two eth0 link flapping", `text filter: the one line (${r[0].message})`);
  });

  // ---- a tenant's wall view: its own lines only ------------------------------------
  await T.withChromium({ width: 1920, height: 1080 }, async (ctx) => {
    const page = await wallEvents(ctx, process.env.A_USER, process.env.A_PW);
    const r = await rowsWhen(page, "acme's two lines", (x) => has(x, "acme marker one") && has(x, "acme marker two"));
    ok(!has(r, "globex marker") && !has(r, "livemark"), "acme's wall view: neither globex's line nor the unknown sender's");

  });

  // ---- the portal's device pages ---------------------------------------------------
  await T.withChromium({ width: 1600, height: 1000 }, async (ctx) => {
    const a = await T.login(ctx, process.env.A_USER, process.env.A_PW);
    await a.goto(BASE + "/portal/devices/acme-web");
    const r = await rowsWhen(a, "acme's lines on its portal page", (x) => x.length >= 2);
    ok(r.length === 2 && r[0].message === "acme marker two eth0 link flapping" && r[1].message === "acme marker one upstream timed out",
       `acme's portal device page: its two lines, newest first (${r.map((x) => x.message).join(" | ")})`);
    ok(/WARNING$/.test(r[0].severity) && /ERR$/.test(r[1].severity), "acme's portal device page: the severities");
    ok(!/globex marker/.test(await a.content()), "acme's portal page holds nothing of globex's line");
    await a.screenshot({ path: path.join(ART, "portal-device-events-acme.png"), fullPage: true });
  });

  await T.withChromium({ width: 1600, height: 1000 }, async (ctx) => {
    const b = await T.login(ctx, process.env.B_USER, process.env.B_PW);
    await b.goto(BASE + "/portal/devices/globex-db");
    const r = await rowsWhen(b, "globex's line on its portal page", (x) => x.length >= 1);
    ok(r.length === 1 && r[0].message === "globex marker secret session opened", "globex's portal device page: its own line");
    const resp = await b.goto(BASE + "/portal/devices/acme-web");
    ok(resp.status() === 404, `globex: acme-web's portal page is a missing one (${resp.status()})`);
    ok(!/acme marker/.test(await b.content()), "globex: nothing of acme's lines");
  });
  console.log(`${T.checks} checks passed`);
})().catch((e) => { console.error(e.message); process.exit(1); });
