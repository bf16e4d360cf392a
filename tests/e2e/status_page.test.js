// The status page in headless Chromium (tests/integration/test_status_page.sh): acme's
// secret URL and its page after its login show 90 bars per component with the day's availability on hover
// and no globex name; the public page, without a login, only the chosen component; both
// fit a phone's width.
"use strict";
const path = require("path");
const T = require("./lib");
const { ok } = T;
const base = process.env.BASE_URL;

// The portal's Availability section (dashboard/web/portal_avail.js) of acme's session:
// each month's figures as the API's JSON gives them, and no globex name.
async function portalAvailability(ctx, page) {
  await page.goto(base + "/portal#availability");
  const shown = await T.until("the Availability section", 20, () => page.$$eval(".avail-period",
    (els) => els.length === 2 && els.map((e) => ({ period: e.dataset.period,
      summary: [...e.querySelectorAll(".summary .kv")].map((k) => k.firstChild.textContent + "=" + k.lastChild.textContent).join(","),
      rows: [...e.querySelectorAll("tr[data-object]")].map((r) => [...r.cells].map((c) => c.innerText).join("|")),
      roots: [...e.querySelectorAll(".outage .root")].map((r) => r.innerText),
      html: e.querySelector("a.report-link").getAttribute("href") }))));
  const pct = (f) => (100 * f).toFixed(4) + " %";
  let outages = 0;
  for (const s of shown) {
    const r = await (await ctx.request.get(base + "/api/v1/reports/availability?period=" + s.period)).json();
    const want = [];
    for (const d of r.devices) for (const f of [d, ...d.checks])
      want.push([f.name || f.object, pct(f.availability), Math.round(f.used_s) + " s", Math.round(f.left_s) + " s"].join("|"));
    ok(want.length > 0 && s.rows.join(",") === want.join(","), `${s.period}: rows as the API's (${s.rows.join(", ")})`);
    const sum = r.summary, sec = (x) => Math.round(x) + " s";
    ok(s.summary === `availability=${pct(sum.availability)},target=${pct(r.policy.target)},budget=${sec(sum.budget_s)},` +
       `used=${sec(sum.used_s)},left=${sec(sum.left_s)}`, `${s.period}: summary as the API's (${s.summary})`);
    ok(s.roots.join(",") === r.outages.map((o) => "root cause: " + (o.root || "unknown")).join(","),
       `${s.period}: the outage log's root causes (${s.roots.join(", ")})`);
    ok(s.html === `/api/v1/reports/availability?period=${s.period}&format=html`, `${s.period}: the HTML report's link`);
    outages += s.roots.length;
  }
  ok(outages >= 1, `acme's outages in the last two months are shown (${outages})`);
  ok(await page.$("a.status-link[href='/status']"), "the link to acme's status page");
  ok(!/globex/i.test(await page.evaluate(() => document.documentElement.outerHTML)), "the section names no globex object");
  await page.screenshot({ path: path.join(process.env.ARTIFACTS, "portal-availability.png"), fullPage: true });
}

async function main() {
  await T.withChromium({ width: 390, height: 844 }, async (ctx) => {
    const page = await ctx.newPage();
    await page.goto(base + "/status/public");
    await T.until("the public page's components", 20, () => page.$(".component"));
    const names = await page.$$eval(".component-name", (e) => e.map((x) => x.textContent));
    ok(names.join(",") === "Power", `public page: only the chosen component (${names})`);
    ok(!/acme|globex/.test(await page.innerText("body")), "the public page names no tenant object");

    await page.goto(base + process.env.SECRET_URL);
    await T.until("the secret URL's components", 20, () => page.$(".component[data-name='acme-web']"));
    ok(!/globex/i.test(await page.innerText("body")), "acme's secret URL, no login: no globex object");

    const r = await ctx.request.post(base + "/api/v1/login",
      { data: { name: "acme-op", password: process.env.ACME_PASSWORD } });
    ok(r.status() === 200, `acme-op logs in (${r.status()})`);
    await page.goto(base + "/status");
    await T.until("acme's components", 20, () => page.$(".component[data-name='acme-web']"));
    ok(!/globex/i.test(await page.innerText("body")), "acme's status page shows no globex object");
    const bars = await page.$$(".component[data-name='acme-web'] .bar");
    ok(bars.length === 90, `90 daily bars (${bars.length})`);
    const hover = await bars[79].getAttribute("title");
    ok(/: 97\.500 %, down 36 min$/.test(hover), `10 days ago on hover: ${hover}`);
    const incident = await page.innerText("#incident-list");
    ok(incident.includes("feeder breaker tripped"), "the operator's note on the incident");
    ok(incident.includes("Resolved: utility") && incident.includes("resolved: power restored"),
       "the incident's last status update says it is resolved");
    const right = await page.$eval("main", (e) => e.scrollWidth);
    ok(right <= 390, `fits a phone's width (${right})`);
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "status-acme.png"), fullPage: true });
    await portalAvailability(ctx, page);
  });
  console.log(`status page: ${T.checks} checks`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
