// The tenant portal in headless Chromium, two tenants side by side: A (acme) on a phone
// screen, B (globex) on a desktop, each logged in through /login.  Started by
// tests/integration/test_tenant_portal.sh, which passes in environment: BASE_URL,
// ARTIFACTS, A_USER/A_PW, B_USER/B_PW (the accounts), A_OWN/B_OWN (each tenant's own
// device ids), A_ALERT (an alert of A's), UPS_ALERT (an alert of the shared UPS).
"use strict";
const fs = require("fs");
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;
const A_OWN = process.env.A_OWN.split(" ").filter((x) => x);
const B_OWN = process.env.B_OWN.split(" ").filter((x) => x);
const SHARED_COUNT = 12; // utility, gen-1/2, ats-1, ups-1/2, 4 CRACs, 2 sensors

// What one tenant's pages must never show of the other: its device ids and its name.
const forbidden = (own, tenant) => new RegExp(own.concat([tenant]).map((s) => s.replace(/[-.]/g, "\\$&")).join("|"));
const NOT_FOR_B = forbidden(A_OWN, "acme");
const NOT_FOR_A = forbidden(B_OWN, "globex");

const login = T.login;

// The page's whole DOM holds nothing of the other tenant's.
async function clean(page, re, what) {
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  const m = html.match(re);
  ok(!m, `${what}: nothing of the other tenant (${m ? m[0] : "none"} found)`);
}

async function noSideScroll(page, what) {
  const r = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
  ok(r.sw <= r.w, `${what}: no sideways scroll on ${r.w} px (${r.sw})`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ART, `portal-${name}.png`), fullPage: true });
}

// The tenant wall: the tenant's devices and the shared ones, nothing else.
async function wall(page, own, re, who, tenant) {
  const n = own.length + SHARED_COUNT;
  await until(`${who}'s wall with ${n} devices`, 20, () => page.evaluate((k) =>
    window.dcmonWall && window.dcmonWall.devices.size === k && !!document.querySelector("#sites .hall"), n));
  await clean(page, re, `${who}'s wall`);
  const brand = await page.evaluate(() => document.querySelector("#brand").textContent);
  ok(brand === "dcmon " + tenant, `${who}'s wall names its tenant (${brand})`);
}

// Opens a section (hash) of the portal and waits for sel to be drawn.
async function open(page, url, sel, what) {
  await page.goto(BASE + url);
  try {
    await until(what, 40, () => page.evaluate((s) => window.dcmonPortal && window.dcmonPortal.loads > 0 &&
      !!document.querySelector(s), sel));
  } catch (e) { // say what the page shows instead
    const seen = await page.evaluate(() => ({ url: location.href, loads: window.dcmonPortal && window.dcmonPortal.loads,
      error: document.getElementById("error").textContent, view: document.getElementById("view").textContent.slice(0, 400) }));
    throw new Error(e.message + ": " + JSON.stringify(seen));
  }
}

async function tenantA(page) {
  await wall(page, A_OWN, NOT_FOR_A, "A", "acme");
  // overview: every own device with a value
  await open(page, "/portal", "#view .rack", "A's overview");
  const valued = await until("A's devices with values", 30, () => page.evaluate((ids) => {
    const got = ids.map((id) => {
      const c = document.querySelector(`#view .dev[data-device="${id}"]`);
      const v = c ? [...c.querySelectorAll(".kv b")].map((b) => b.textContent).filter((t) => t !== "\u2014") : [];
      return v.length ? id + "=" + v[0] : null;
    });
    return got.every((x) => x) ? got : null;
  }, A_OWN));
  ok(valued.length === A_OWN.length, `A's overview lists its ${A_OWN.length} devices with values (${valued.join(", ")})`);
  ok(await page.evaluate(() => /\d+ devices: /.test(document.querySelector(".summary").textContent)), "A's summary");
  await clean(page, NOT_FOR_A, "A's overview");
  await noSideScroll(page, "A's overview");
  await shot(page, "a-overview-phone");

  // the infrastructure feeding A: read only, with values
  await open(page, "/portal#infrastructure", "#view .power", "A's infrastructure");
  const infra = await until("the shared UPS and cooling, inlet temperatures with values", 30, () => page.evaluate(() => {
    const card = (id) => document.querySelector(`#view .dev[data-device="${id}"]`);
    const vals = (c) => c ? [...c.querySelectorAll(".kv b")].filter((b) => /\d|normal|on|off/.test(b.textContent)).length : 0;
    const x = { ups: card("ups-1"), crac: document.querySelector('#view .cooling .dev[data-device="crac-h1-1"]'),
                pdu: document.querySelector('#view .power .dev[data-device="pdu-h1-r01"]') };
    const inlets = [...document.querySelectorAll("#view .inlets tbody tr")].map((r) => r.textContent).filter((t) => /\d\u00B0C/.test(t));
    if (!x.ups || !x.crac || !x.pdu || !vals(x.ups) || !vals(x.crac) || inlets.length < 6) return null;
    return { ups: x.ups.dataset.scope + ":" + !!x.ups.querySelector(".ro") + ":" + vals(x.ups),
             crac: x.crac.dataset.scope + ":" + !!x.crac.querySelector(".ro"),
             pdu: x.pdu.dataset.scope + ":" + !!x.pdu.querySelector(".ro"),
             buttons: document.querySelectorAll("#view button.ack").length, inlets };
  }));
  ok(/^shared:true:\d+$/.test(infra.ups), `the shared UPS is marked read only and shows values (${infra.ups})`);
  ok(infra.crac === "shared:true", `the room's cooling is shared, read only (${infra.crac})`);
  ok(infra.pdu === "own:false", `A's PDU is in its power chain as its own (${infra.pdu})`);
  ok(infra.buttons === 0, "no ack button on the infrastructure");
  ok(infra.inlets.some((t) => /pdu-h1-r01/.test(t)) && infra.inlets.some((t) => /pdu-h2-r01/.test(t)),
     `inlet temperatures of A's racks and rooms (${infra.inlets.join(" | ")})`);
  await clean(page, NOT_FOR_A, "A's infrastructure");
  await noSideScroll(page, "A's infrastructure");
  await shot(page, "a-infrastructure-phone");

  // alerts: an ack button on A's own alert only; the ack works
  const A = process.env.A_ALERT, U = process.env.UPS_ALERT;
  await open(page, "/portal#alerts", `#view [data-alert="${A}"]`, "A's alerts");
  const al = await until("A's alerts and history", 20, () => page.evaluate(([a, u]) => {
    const c = (id) => document.querySelector(`#view [data-alert="${id}"]`);
    const h = [...document.querySelectorAll("#history li")].map((l) => l.dataset.device);
    if (!c(a) || !c(u) || !h.length) return null;
    return { own: !!c(a).querySelector("button.ack"), ups: !!c(u).querySelector("button.ack"),
             upsRo: !!c(u).querySelector(".ro"), history: h };
  }, [A, U]));
  ok(al.own && !al.ups && al.upsRo, `ack button on A's alert, none on the shared UPS's (read only) (${JSON.stringify(al)})`);
  // (on a loaded machine stale values raise more alerts: the newest 20's history need not
  // hold A's test alert; its device page below shows it)
  const seen = new Set(A_OWN.concat(await page.evaluate(() => [...document.querySelectorAll("#view .alert")].map((c) => c.dataset.device))));
  ok(al.history.every((d) => seen.has(d)), `alert history of the alerts shown (${[...new Set(al.history)].join(",")})`);
  await page.click(`#view [data-alert="${A}"] button.ack`);
  await page.fill("#ack-comment", "seen from the portal");
  await page.click("#ack-ok");
  const by = await until("the ack shown", 20, () => page.evaluate((a) => {
    const e = document.querySelector(`#view [data-alert="${a}"] .acked`);
    return e && !document.querySelector(`#view [data-alert="${a}"] button.ack`) ? e.textContent : null;
  }, A));
  ok(/acme-op: seen from the portal/.test(by), `the alert shows the ack (${by})`);
  await clean(page, NOT_FOR_A, "A's alerts");
  await noSideScroll(page, "A's alerts");
  await shot(page, "a-alerts-phone");

  // a device page with its values and graphs
  await open(page, "/portal/devices/acme-web-1", "#view table.metrics tbody tr", "A's device page");
  // the graphs load lazily, below the values on a phone: scroll to them as a reader would
  await page.evaluate(() => document.getElementById("graphs").scrollIntoView());
  const g = await until("a graph drawn", 60, () => page.evaluate(() => {
    const imgs = [...document.querySelectorAll("#graphs img")];
    const drawn = imgs.filter((i) => i.complete && i.naturalWidth > 0).length;
    const vals = [...document.querySelectorAll("#view table.metrics td.v")].filter((t) => /\d/.test(t.textContent)).length;
    return drawn && vals ? { imgs: imgs.length, drawn, vals } : null;
  }));
  ok(g.drawn >= 1 && g.vals >= 3, `acme-web-1's page: ${g.vals} values, ${g.drawn} of ${g.imgs} graphs drawn`);
  const hist = await until("acme-web-1's alert history", 20, () => page.evaluate(() =>
    [...document.querySelectorAll('#history li[data-device="acme-web-1"]')].map((l) => l.textContent).find((t) => /portal-acme .*ok \u2192 firing/.test(t))));
  ok(!!hist, `acme-web-1's page shows its alert's history (${hist})`);
  await clean(page, NOT_FOR_A, "A's device page");
  await noSideScroll(page, "A's device page");
  await shot(page, "a-device-phone");
  await open(page, "/portal/devices/ups-1", `#view [data-alert="${U}"]`, "the shared UPS's page");
  const ups = await page.evaluate(() => ({ ro: !!document.querySelector("#view .device .ro"),
                                           buttons: document.querySelectorAll("#view button.ack").length }));
  ok(ups.ro && ups.buttons === 0, `the shared UPS's page is read only (${JSON.stringify(ups)})`);
}

async function tenantB(page) {
  await wall(page, B_OWN, NOT_FOR_B, "B", "globex");
  await open(page, "/portal", `#view .dev[data-device="${B_OWN[0]}"]`, "B's overview");
  await clean(page, NOT_FOR_B, "B's overview");
  await open(page, "/portal#infrastructure", '#view .dev[data-device="ups-1"]', "B's infrastructure");
  await clean(page, NOT_FOR_B, "B's infrastructure");
  await open(page, "/portal#alerts", `#view [data-alert="${process.env.UPS_ALERT}"]`, "B's alerts");
  await until("B's history", 20, () => page.evaluate(() => document.querySelectorAll("#history li").length > 0));
  await clean(page, NOT_FOR_B, "B's alerts");
  await shot(page, "b-alerts-desktop");
  await open(page, "/portal/devices/globex-app-1", "#view table.metrics tbody tr", "B's device page");
  await clean(page, NOT_FOR_B, "B's device page");
  const r = await page.goto(BASE + "/portal/devices/acme-web-1");
  ok(r.status() === 404, `A's device page for B: ${r.status()}`);
}

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await T.launch();
  try {
    const a = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
    const b = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // the portal is an account's: a reader without a session is sent to log in
    const anon = await (await browser.newContext()).newPage();
    await anon.goto(BASE + "/portal");
    await anon.waitForURL(BASE + "/login", { timeout: 20000 });
    ok(true, "a reader without a session is sent from /portal to /login");
    const [pa, pb] = await Promise.all([login(a, process.env.A_USER, process.env.A_PW),
                                        login(b, process.env.B_USER, process.env.B_PW)]);
    await tenantB(pb);
    await tenantA(pa);
    await open(pb, "/portal#alerts", `#view [data-alert="${process.env.UPS_ALERT}"]`, "B's alerts again");
    await clean(pb, NOT_FOR_B, "B's alerts after A's ack");
  } finally {
    await browser.close();
  }
  console.log(`tenant portal: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
