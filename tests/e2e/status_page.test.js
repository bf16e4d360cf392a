// The status page in headless Chromium (tests/integration/test_status_page.sh): acme's
// secret URL and its page after its login show 90 bars per component with the day's availability on hover
// and no globex name; the public page, without a login, only the chosen component; both
// fit a phone's width.
"use strict";
const path = require("path");
const T = require("./lib");
const { ok } = T;
const base = process.env.BASE_URL;

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
  });
  console.log(`status page: ${T.checks} checks`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
