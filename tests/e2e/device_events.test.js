// The events view of the device page in headless Chromium, two tenants: A (acme) sees
// its server's syslog lines newest first with severity, program and message; B (globex)
// sees its own server's line and nothing of A's, neither on its page nor on A's (a
// missing page).  Started by tests/integration/test_device_events.sh, which passes in
// environment: BASE_URL, ARTIFACTS, A_USER/A_PW, B_USER/B_PW.
"use strict";
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;

// The rows of the events table as {kind, severity, program, message}, once it has n.
async function eventRows(page, n) {
  return until(`${n} event rows`, 15, async () => {
    const rows = await page.$$eval("#events tbody tr", (trs) => trs.map((tr) => {
      const td = tr.querySelectorAll("td");
      return { kind: td[1].textContent, severity: td[2].textContent.trim(), program: td[3].textContent,
               message: td[4].textContent };
    }));
    return rows.length >= n ? rows : null;
  });
}

async function visible(page, sel) {
  return page.$eval(sel, (e) => !e.closest("[hidden]") && e.getBoundingClientRect().height > 0);
}

(async () => {
  await T.withChromium({ width: 1600, height: 1000 }, async (ctx) => {
    const a = await T.login(ctx, process.env.A_USER, process.env.A_PW);
    await a.goto(BASE + "/devices/acme-web");
    const rows = await eventRows(a, 2);
    ok(await visible(a, "#events"), "acme: the events table is shown on its device page");
    ok(rows.length === 2, `acme: two events on acme-web (${rows.length})`);
    ok(rows[0].message === "acme marker two eth0 link flapping" && rows[1].message === "acme marker one upstream timed out",
       `acme: newest first (${rows.map((r) => r.message).join(" | ")})`);
    ok(rows[0].program === "kernel" && rows[1].program === "nginx", "acme: each row's program");
    ok(/WARNING$/.test(rows[0].severity) && /ERR$/.test(rows[1].severity),
       `acme: each row's severity (${rows[0].severity}, ${rows[1].severity})`);
    ok(rows.every((r) => r.kind === "syslog"), "acme: the rows' kind is syslog");
    const ahtml = await a.content();
    ok(!/globex marker/.test(ahtml), "acme's page holds nothing of globex's line");
    await a.screenshot({ path: path.join(ART, "device-events-acme.png"), fullPage: true });
  });

  await T.withChromium({ width: 1600, height: 1000 }, async (ctx) => {
    const b = await T.login(ctx, process.env.B_USER, process.env.B_PW);
    await b.goto(BASE + "/devices/globex-db");
    const rows = await eventRows(b, 1);
    ok(rows.length === 1 && rows[0].message === "globex marker secret session opened" && rows[0].program === "sshd",
       `globex: its own line on globex-db (${rows.map((r) => r.message).join(" | ")})`);
    ok(/INFO$/.test(rows[0].severity), `globex: severity info (${rows[0].severity})`);
    ok(!/acme marker/.test(await b.content()), "globex's page holds nothing of acme's lines");
    const resp = await b.goto(BASE + "/devices/acme-web");
    ok(resp.status() === 404, `globex: acme-web's device page is a missing one (${resp.status()})`);
    ok(!/acme marker/.test(await b.content()), "globex: nothing of acme's lines on acme-web's page");
  });
  console.log(`${T.checks} checks passed`);
})().catch((e) => { console.error(e.message); process.exit(1); });
