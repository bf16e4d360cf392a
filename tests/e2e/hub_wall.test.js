// The hub's wall (/hub) in headless Chromium, driven by
// tests/integration/test_mqtt_hub_wall.sh in two phases (PHASE):
//   up:  a section per site (SITES, comma-separated), each with its link age and its
//        firing alert (DEVICE_<site>), no banner, and the global alert list holding
//        every site's alert with its site;
//   cut: CUT's heartbeat stopped (its broker is down): a red "site unreachable" banner
//        names it, its section says UNREACHABLE with the age of what was last heard,
//        and its alert is still shown; the other sites are not marked.
"use strict";
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const SITES = process.env.SITES.split(",");
const CUT = process.env.CUT;

const sectionText = (page, site) =>
  page.$eval(`section[data-site="${site}"]`, (e) => e.innerText).catch(() => null);

async function up(page) {
  for (const s of SITES) {
    const text = await until(`${s}'s section with its alert`, 20, async () => {
      const t = await sectionText(page, s);
      return t && t.includes(process.env["DEVICE_" + s]) && /link \d+ s ago/.test(t) ? t : null;
    });
    ok(true, `${s}: ${text.replace(/\s+/g, " ")}`);
  }
  ok(await page.$eval("#banner", (e) => e.hidden), "no banner while every site is heard");
  // the global alert list: every site's alert in one list, each with its site
  const rows = await until("the global alert list", 20, async () => {
    const r = await page.$$eval("#global-list li[data-site]", (ls) =>
      ls.map((l) => ({ site: l.getAttribute("data-site"), device: l.getAttribute("data-device"),
                       text: l.innerText })));
    return r.length === SITES.length ? r : null;
  });
  for (const s of SITES) {
    const row = rows.find((r) => r.site === s);
    ok(row && row.device === process.env["DEVICE_" + s] && row.text.startsWith(s),
       `global list: ${s}'s alert with its site (${row && row.text.replace(/\s+/g, " ")})`);
  }
}

async function cut(page) {
  const banner = await until("the banner", 30, async () => {
    const b = await page.$eval("#banner", (e) => (e.hidden ? null : e.innerText));
    return b && b.includes("SITE UNREACHABLE") ? b : null;
  });
  ok(banner.includes(CUT), `banner: ${banner}`);
  const color = await page.$eval("#banner", (e) => getComputedStyle(e).backgroundImage);
  ok(/rgb\(176, 0, 32\)/.test(color), "the banner is red");
  const text = await sectionText(page, CUT);
  ok(/UNREACHABLE — last heard \d+ s ago/.test(text), `${CUT}'s section: ${text.replace(/\s+/g, " ")}`);
  ok(text.includes(process.env["DEVICE_" + CUT]), `${CUT}'s alert still shown`);
  for (const s of SITES.filter((x) => x !== CUT)) {
    const t = await sectionText(page, s);
    ok(!/UNREACHABLE/.test(t) && !banner.includes(s + " ("), `${s} not marked unreachable`);
  }
  await page.screenshot({ path: path.join(process.env.ARTIFACTS, "hub-site-unreachable.png") });
}

(async () => {
  const browser = await T.launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (e) => { throw new Error("FAIL: page error " + e.message); });
    await page.goto(BASE + "/hub");
    await (process.env.PHASE === "cut" ? cut(page) : up(page));
    console.log(`${T.checks} browser checks passed`);
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
