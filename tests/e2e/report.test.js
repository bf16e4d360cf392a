// The availability report's HTML in headless Chromium (tests/integration/test_report.sh
// passes NOC_HTML and TENANT_HTML, files written by `dcmon report --format html`, and
// ARTIFACTS for screenshots): the tables are there with the figures the history gives,
// the outage log shows the utility outage once with its root cause, the tenant's page
// names no other tenant, and a phone-wide window needs no sideways scroll of the summary.
"use strict";
const fs = require("fs");
const path = require("path");
const T = require("./lib");
const { ok } = T;

async function cells(page, sel) {
  return page.$$eval(sel, (els) => els.map((e) => e.innerText.trim()));
}

async function main() {
  fs.mkdirSync(process.env.ARTIFACTS, { recursive: true });
  await T.withChromium({ width: 1280, height: 900 }, async (ctx) => {
    const page = await ctx.newPage();
    await page.goto("file://" + process.env.NOC_HTML);
    ok((await page.title()) === "Availability 2026-11", "the NOC report's title");
    const power = await cells(page, "#subsystems tr.group:has(td:text-is('power')) td");
    ok(power[2] === "2700", `power subsystem: 2700 s unplanned (${power.join(" | ")})`);
    const web = await cells(page, "#devices tr.group:has(td:text-is('acme-web')) td");
    ok(web[1] === "99.9190 %" && web[2] === "2100", `acme-web: 99.9190 %, 2100 s (${web.join(" | ")})`);
    const incidents = await page.$$("#outages tr.incident");
    ok(incidents.length === 1, `one incident in the outage log (${incidents.length})`);
    const inc = await cells(page, "#outages tr.incident td");
    ok(inc[3] === "utility" && inc[4].includes("acme-web/ping_state") &&
       inc[4].includes("globex-db/ping_state"), "the incident's root cause and what it took down");
    ok(inc[5].includes("feeder breaker"), "the operator's note on it");
    ok((await page.innerText("#policy")).includes("does not count against the SLA"),
       "the policy is stated");
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "report-noc.png"), fullPage: true });

    await page.goto("file://" + process.env.TENANT_HTML);
    const body = await page.innerText("body");
    ok(!/globex/.test(body), "the tenant's report names no other tenant");
    ok((await page.innerText("#scope")).includes("tenant acme"), "the tenant's report says whose");
    ok((await page.innerText("#policy")).includes("counts against the SLA"), "acme's own policy");
    const tinc = await cells(page, "#outages tr.incident td");
    ok(tinc[3] === "utility", "the tenant sees the root cause of its outage");
    await page.setViewportSize({ width: 390, height: 844 });
    const sw = await page.$eval("#summary", (e) => e.getBoundingClientRect().right);
    ok(sw <= 390 + 1, `the summary fits a phone's width (${sw})`);
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "report-tenant.png"), fullPage: true });
  });
  console.log(`report: ${T.checks} checks`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
