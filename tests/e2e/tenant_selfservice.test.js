// The portal's self-service sections (Monitoring, Requests, Alert addresses) in headless
// Chromium, one step per run (STEP), started by tests/integration/test_tenant_selfservice.sh
// between the checks it makes on the daemon and the mail: BASE_URL, ARTIFACTS, SVC (the
// port acme may check), URL (a URL on its server), ADMIN_PW/OP_PW/APPR_PW (acme-admin, acme-op, acme-appr), and for
// the approver's steps RID_UP/RID_REJ (the operator's two requests).
"use strict";
const fs = require("fs");
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;
const SVC = process.env.SVC;

async function login(browser, user, pw) {
  return T.login(await browser.newContext({ viewport: { width: 1280, height: 900 } }), user, pw);
}

// Opens a section and waits until sel is drawn (says what the page shows instead).
async function open(page, hash, sel, what) {
  await page.goto(BASE + "/portal" + hash);
  try {
    await until(what, 30, () => page.evaluate((s) => window.dcmonPortal && window.dcmonPortal.loads > 0 &&
      !!document.querySelector(s), sel));
  } catch (e) {
    const seen = await page.evaluate(() => ({ error: document.getElementById("error").textContent,
      view: document.getElementById("view").textContent.slice(0, 400) }));
    throw new Error(e.message + ": " + JSON.stringify(seen));
  }
}

const text = (page, sel) => page.evaluate((s) => { const e = document.querySelector(s); return e ? e.textContent : null; }, sel);
const tabs = (page) => page.evaluate(() => [...document.querySelectorAll("#tabs a")].map((a) => a.dataset.section).join(","));

// Waits for the note under a form (or a list) to say something matching re.
async function noteSays(page, id, re, what) {
  let last = null;
  const t = await until(what, 15, async () => {
    last = await text(page, `[data-note="${id}"]`);
    return last && re.test(last) ? last : null;
  }).catch((e) => { throw new Error(e.message + ` (the note says: ${JSON.stringify(last)})`); });
  ok(true, `${what}: "${t}"`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ART, `selfservice-${name}.png`), fullPage: true });
}

async function fillDevice(page, id, host, url) {
  await page.fill("#device-form [name=id]", id);
  await page.fill("#device-form [name=host]", host);
  await page.fill("#device-form [name=interval]", "2s");
  await page.uncheck("#device-form [name=ping]");
  await page.fill("#device-form [name=tcp0_port]", SVC);
  if (url) {
    await page.fill("#device-form [name=http0_url]", url);
    await page.fill("#device-form [name=http0_body]", "hello acme");
  }
  await page.click("#device-save");
}

async function fillRule(page, name, level, value) {
  await page.fill("#rule-form [name=name]", name);
  await page.fill("#rule-form [name=device]", "acme-web");
  await page.fill("#rule-form [name=metric]", "tcp_port_up");
  await page.selectOption("#rule-form [name=dir]", "above");
  await page.fill("#rule-form [name=warn]", level === "warn" ? value : "");
  await page.fill("#rule-form [name=crit]", level === "crit" ? value : "");
  await page.click("#rule-save");
}

// The tenant-admin: the three sections; a server with a TCP check and a threshold that
// apply at once; another tenant's address refused at its field; a new address.
async function admin(browser) {
  const page = await login(browser, "acme-admin", process.env.ADMIN_PW);
  await open(page, "#monitoring", "#device-form", "the admin's Monitoring section");
  ok((await tabs(page)) === "overview,infrastructure,alerts,monitoring,requests,addresses,availability",
    "the admin sees Monitoring, Requests and Alert addresses");
  await fillDevice(page, "acme-web", "127.0.0.1", process.env.URL);
  await noteSays(page, "device-form", /^Applied: device acme-web/, "the admin's server applies at once");
  await until("acme-web in the items", 15, () => page.evaluate(() =>
    !!document.querySelector('#layer-items tr[data-item="acme-web"] .origin')));
  const origin = await text(page, '#layer-items tr[data-item="acme-web"] .origin');
  ok(/^tenant · acme-admin/.test(origin), `the item's origin: ${origin}`);
  ok(/port: \d+/.test(await text(page, '#layer-items tr[data-item="acme-web"] pre')), "the item's settings show its port");
  ok((await text(page, '#layer-items tr[data-item="acme-web"] pre')).includes("url: " + JSON.stringify(process.env.URL)),
    "the item's settings show its URL");

  // another tenant's address: the message next to the address, nothing else saved
  await fillDevice(page, "acme-x", "127.0.0.3");
  const err = await until("the message at the address field", 15, () => text(page, '#device-form [data-error-for="host"]'));
  ok(/127\.0\.0\.3 is the address of another tenant's device/.test(err), `the refusal at the address field: ${err}`);
  ok(!(await text(page, '#device-form [data-error-for="id"]')), "no message at the id field");
  await noteSays(page, "device-form", /Not saved/, "the form says it was not saved");
  await shot(page, "refused");
  // an interval below the NOC's minimum: the message at the interval, none left at the address
  await page.fill("#device-form [name=host]", "127.0.0.1");
  await page.fill("#device-form [name=interval]", "1s");
  await page.click("#device-save");
  const iv = await until("the message at the interval field", 15, () => text(page, '#device-form [data-error-for="interval"]'));
  ok(/interval: 1s is below the 2s the NOC allows tenant acme/.test(iv), `the refusal at the interval field: ${iv}`);
  ok(!(await text(page, '#device-form [data-error-for="host"]')), "the address's message is gone");
  ok(!(await page.$('#layer-items tr[data-item="acme-x"]')), "the refused server is not among the items");

  await fillRule(page, "acme-up", "warn", "5");
  await noteSays(page, "rule-form", /^Applied: rule acme-up/, "the admin's threshold applies at once");
  // any item changes as YAML: a wrong key is shown with its line at the text
  await until("acme-up in the items", 15, () => page.$('#layer-items tr[data-item="acme-up"] button.yaml'));
  await page.click('#layer-items tr[data-item="acme-up"] button.yaml');
  const y = await page.inputValue("#yaml-form [name=yaml]");
  ok(/^name: acme-up\n/.test(y) && (await page.inputValue("#yaml-form [name=kind]")) === "rule", "YAML puts the item's YAML in the form");
  await page.fill("#yaml-form [name=yaml]", y + "wran: 3\n");
  await page.click("#yaml-save");
  const line = y.split("\n").length; // the added line's number
  const ye = await until("the message at the YAML", 15, () => text(page, '#yaml-form [data-error-for="yaml"]'));
  ok(new RegExp(`^line ${line}:1: .*wran`).test(ye), `the wrong key's line at the YAML: ${ye}`);

  await open(page, "#addresses", "#recipient-add", "the admin's Alert addresses section");
  await page.fill("#recipient-add [name=address]", "a1@acme.example");
  await page.click("#recipient-save");
  await noteSays(page, "recipient-add", /confirmation mail was sent to a1@acme\.example/, "adding an address says a confirmation mail went");
  await until("a1 listed unconfirmed", 15, () => page.evaluate(() => {
    const c = document.querySelector('[data-address="a1@acme.example"]');
    return c && c.querySelector(".unconfirmed") && c.querySelector("button.test").disabled;
  }));
  ok(true, "a1 is listed as waiting for confirmation, without a test button");
}

// The operator: no Alert addresses; a threshold change and a new threshold as requests,
// shown pending; the admin then tunes a1 and adds and removes a2.
async function operator(browser) {
  const page = await login(browser, "acme-op", process.env.OP_PW);
  await open(page, "#monitoring", "#rule-form", "the operator's Monitoring section");
  ok((await tabs(page)) === "overview,infrastructure,alerts,monitoring,requests,availability", "the operator has no Alert addresses");
  const rm = await text(page, '#layer-items tr[data-item="acme-up"] button.remove');
  ok(rm === "Request removal", `the operator's removal is a request (${rm})`);
  await fillRule(page, "acme-up", "warn", "0.5");
  await noteSays(page, "rule-form", /^Sent for approval \(request \d+\)/, "the operator's change is sent for approval");
  await fillRule(page, "acme-rej", "crit", "0.5");
  await noteSays(page, "rule-form", /^Sent for approval/, "the operator's new threshold is sent for approval");
  const item = await text(page, '#layer-items tr[data-item="acme-up"] pre');
  ok(/warn: 5/.test(item), "the item keeps its threshold while the change is pending");
  await open(page, "#requests", "#requests .request", "the operator's requests");
  const states = await page.evaluate(() => [...document.querySelectorAll("#requests .request")].map((r) => r.dataset.state).join(","));
  ok(states === "pending,pending", `the operator sees its two requests pending (${states})`);
  ok(!(await page.$("#requests button.approve")), "the operator has no approve button");

  const adm = await login(browser, "acme-admin", process.env.ADMIN_PW);
  await open(adm, "#addresses", '[data-address="a1@acme.example"] .confirmed', "a1 confirmed in the page");
  const a1 = '[data-address="a1@acme.example"]';
  await adm.click(`${a1} button.test`);
  await noteSays(adm, "recipients", /test e-mail to a1@acme\.example is on its way/, "the test e-mail button");
  await adm.selectOption(`${a1} [name=min_severity]`, "critical");
  await adm.fill(`${a1} [name=quiet_start]`, "22:00");
  await adm.fill(`${a1} [name=quiet_end]`, "06:30");
  await adm.fill(`${a1} [name=quiet_tz]`, "UTC");
  await adm.click(`${a1} button.save`);
  await noteSays(adm, "recipients", /^Saved a1@acme\.example/, "the filter and quiet hours saved");
  await adm.fill("#recipient-add [name=address]", "a2@acme.example");
  await adm.click("#recipient-save");
  await until("a2 listed", 15, () => adm.$('[data-address="a2@acme.example"]'));
  await adm.click('[data-address="a2@acme.example"] button.remove');
  await noteSays(adm, "recipients", /^Removed a2@acme\.example/, "a2 removed");
  await until("a2 gone from the list", 15, async () => !(await adm.$('[data-address="a2@acme.example"]')));
  ok(true, "a2 is no longer listed");
  await shot(adm, "addresses");
}

// The approver: both requests pending with their before/after; rejects one with a reason
// (refused without one) and approves the other.
async function approver(browser) {
  const up = process.env.RID_UP, rej = process.env.RID_REJ;
  const page = await login(browser, "acme-appr", process.env.APPR_PW);
  await open(page, "#requests", `[data-request="${up}"] button.approve`, "the approver's pending requests");
  ok((await tabs(page)) === "overview,infrastructure,alerts,monitoring,requests,availability", "the approver has no Alert addresses");
  const diff = await text(page, `[data-request="${up}"] .diff`);
  ok(/before.*warn: 5/s.test(diff) && /after.*warn: 0\.5/s.test(diff), "the request shows before and after");
  await shot(page, "pending");
  await page.click(`[data-request="${rej}"] button.reject`);
  await noteSays(page, "requests", /cannot reject request \d+: .*reason/, "a rejection without a reason is refused");
  await page.fill(`[data-request="${rej}"] .reason-in`, "too noisy");
  await page.click(`[data-request="${rej}"] button.reject`);
  await noteSays(page, "requests", new RegExp(`^Request ${rej} rejected`), "rejected with a reason");
  await page.click(`[data-request="${up}"] button.approve`);
  await noteSays(page, "requests", new RegExp(`^Request ${up} applied`), "approved and applied");
}

// The operator again: its requests' outcomes, the reason of the rejection.
async function operatorAfter(browser) {
  const up = process.env.RID_UP, rej = process.env.RID_REJ;
  const page = await login(browser, "acme-op", process.env.OP_PW);
  await open(page, "#requests", `[data-request="${rej}"][data-state="rejected"]`, "the operator's rejected request");
  ok((await text(page, `[data-request="${rej}"] .reason`)) === "reason: too noisy", "the operator reads the reason");
  ok(!!(await page.$(`[data-request="${up}"][data-state="applied"]`)), "the operator's approved request is applied");
  await open(page, "#monitoring", '#layer-items tr[data-item="acme-up"]', "the items after approval");
  ok(/warn: 0\.5/.test(await text(page, '#layer-items tr[data-item="acme-up"] pre')), "the item holds the approved threshold");
  ok(!(await page.$('#layer-items tr[data-item="acme-rej"]')), "the rejected threshold is not an item");
  await page.setViewportSize({ width: 390, height: 844 }); // a phone: the forms fit
  await until("the forms redrawn for a phone", 5, () => page.$("#rule-form"));
  for (const hash of ["#monitoring", "#requests"]) {
    await open(page, hash, "#view section", `${hash} on a phone`);
    const r = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
    ok(r.sw <= r.w, `${hash} on a phone: no sideways scroll on ${r.w} px (${r.sw})`);
  }
  await shot(page, "phone");
}

const STEPS = { admin, operator, approver, "operator-after": operatorAfter };

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  const step = STEPS[process.env.STEP];
  if (!step) throw new Error("FAIL: unknown STEP " + process.env.STEP);
  const browser = await T.launch();
  try {
    await step(browser);
  } finally {
    await browser.close();
  }
  console.log(`self-service ${process.env.STEP}: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
