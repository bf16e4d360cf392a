// The portal's forms open filled in from an existing item (dashboard/web/portal_manage.js),
// in headless Chromium, started by tests/integration/test_tenant_forms.sh with BASE_URL,
// ARTIFACTS, ADMIN_PW (acme-admin), P1 and P2 (the ports of acme-web's TCP checks) and
// URL (its HTTP check), after it made the items through the API:
//  * Change on a server opens the server form with every field of the item (address,
//    interval, ping, the baseline switch, both TCP ports with send/expect, the URL with
//    its body match); saving it with a new interval applies (the shell then compares the
//    item with the one it made);
//  * Change on a threshold opens the threshold form filled in;
//  * Change on an item with a key no form has opens its YAML instead;
//  * the log pattern form saves a log_rule of program quotad scoped to acme-web (chosen
//    among the tenant's servers), listed in the items; Change opens it filled in; a regex
//    that does not compile shows the decoder's message at the regex field;
//  * a threshold on its count made in the threshold form, then a syslog line of acme-web's
//    quotad sent to dcmond's receiver (SLOG, TCP; another program's line with the same
//    text first, which the pattern does not count): the alert shows in the portal's
//    alerts, firing (the shell checks the API and the count);
//  * "unusual" in the threshold form with its side, deviation and `for` makes an anomaly
//    rule, and Change fills them back.
"use strict";
const fs = require("fs");
const net = require("net");
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;

const value = (page, sel) => page.inputValue(sel);
const checked = (page, sel) => page.isChecked(sel);
const text = (page, sel) => page.evaluate((s) => { const e = document.querySelector(s); return e ? e.textContent : null; }, sel);

async function change(page, id) {
  await until(id + " in the items", 30, () => page.$(`#layer-items tr[data-item="${id}"] button.change`));
  await page.click(`#layer-items tr[data-item="${id}"] button.change`);
}

// Each field of form as want says ([selector suffix, value or true/false]).
async function fieldsAre(page, form, want, what) {
  for (const [name, v] of want) {
    const sel = `#${form} [name=${name}]`;
    const got = typeof v === "boolean" ? await checked(page, sel) : await value(page, sel);
    ok(got === v, `${what}: ${name} = ${JSON.stringify(got)}`);
  }
}

// "unusual" in the threshold form: an anomaly rule on the NOC's server of the tenant.
async function unusual(page) {
  const f = "#rule-form";
  await page.fill(`${f} [name=name]`, "acme-noc-cpu");
  await page.fill(`${f} [name=device]`, "acme-noc");
  await page.fill(`${f} [name=metric]`, "cpu_used_percent");
  await page.selectOption(`${f} [name=dir]`, "unusual");
  for (const k of ["warn", "crit"]) await page.fill(`${f} [name=${k}]`, "");
  await page.fill(`${f} [name=deviation]`, "4");
  await page.selectOption(`${f} [name=direction]`, "up");
  await page.fill(`${f} [name=for]`, "10m");
  await page.click("#rule-save");
  const said = await until("the unusual threshold applied", 15, async () => {
    const t = await text(page, '[data-note="rule-form"]');
    return t && /^Applied: rule acme-noc-cpu/.test(t) ? t : null;
  });
  ok(true, `saved: ${said}`);
  await change(page, "acme-noc-cpu");
  await fieldsAre(page, "rule-form", [["name", "acme-noc-cpu"], ["device", "acme-noc"], ["dir", "unusual"],
    ["deviation", "4"], ["direction", "up"], ["for", "10m"]], "the threshold form filled from the anomaly rule");
}

// The log pattern form: a pattern saved and listed, filled back by Change, a bad regex
// refused at its field.
async function logPatterns(page) {
  const f = "#log_rule-form";
  const choices = await page.$$eval(`${f} [name=devices] option`, (os) => os.map((o) => o.value));
  ok(choices.includes("acme-web") && choices.includes("acme-described"), `the tenant's servers to choose: ${choices}`);
  await page.fill(`${f} [name=name]`, "acme-quota");
  await page.fill(`${f} [name=program]`, "quotad");
  await page.fill(`${f} [name=match]`, "disk quota exceeded");
  await page.fill(`${f} [name=window]`, "5m");
  await page.selectOption(`${f} [name=devices]`, ["acme-web"]);
  await page.click("#log_rule-save");
  const said = await until("the log pattern applied", 15, async () => {
    const t = await text(page, '[data-note="log_rule-form"]');
    return t && /^Applied: log_rule acme-quota/.test(t) ? t : null;
  });
  ok(true, `saved: ${said}`);
  await until("acme-quota in the items", 15, () => page.$('#layer-items tr[data-kind="log_rule"][data-item="acme-quota"]'));
  ok(true, "the log pattern is listed among the items");

  await page.fill(`${f} [name=name]`, "");
  await change(page, "acme-quota");
  await fieldsAre(page, "log_rule-form", [["name", "acme-quota"], ["program", "quotad"], ["match", "disk quota exceeded"], ["regex", ""],
    ["window", "5m"], ["clear", ""]], "the log pattern form filled from acme-quota");
  const chosen = await page.$$eval(`${f} [name=devices] option:checked`, (os) => os.map((o) => o.value));
  ok(chosen.join() === "acme-web", `its servers chosen: ${chosen}`);

  await page.fill(`${f} [name=name]`, "acme-bad");
  await page.fill(`${f} [name=regex]`, "(unclosed");
  await page.click("#log_rule-save");
  const err = await until("the regex's error at its field", 15, () => text(page, `${f} [data-error-for=regex]`));
  ok(/syslog rule acme-bad: regex '\(unclosed': /.test(err), `the decoder's message at the regex field: ${err}`);
  const n = await text(page, '[data-note="log_rule-form"]');
  ok(/^Not saved/.test(n), `the form says it is not saved: ${n}`);
}

// One RFC 3164 line of host and program to dcmond's syslog receiver (TCP, LF-framed).
function syslogLine(host, program, text) {
  const d = new Date();
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const ts = `${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)}`;
  return new Promise((resolve, reject) => {
    const c = net.createConnection({ host: "127.0.0.1", port: Number(process.env.SLOG) }, () =>
      c.end(`<11>${ts} ${host} ${program}: ${text}\n`));
    c.setTimeout(10000, () => c.destroy(new Error("syslog: timeout")));
    c.on("close", resolve);
    c.on("error", reject);
  });
}

// A threshold on the log pattern's count, made in the threshold form; a line of another
// program (not counted), then quotad's: the alert fires and shows in the portal.
async function logAlert(page) {
  const f = "#rule-form";
  await page.fill(`${f} [name=name]`, "acme-quota-alert");
  await page.fill(`${f} [name=device]`, "acme-web");
  await page.fill(`${f} [name=metric]`, "log_matches_count");
  await page.selectOption(`${f} [name=dir]`, "above");
  for (const k of ["warn", "for", "deviation"]) await page.fill(`${f} [name=${k}]`, "");
  await page.fill(`${f} [name=crit]`, "0");
  await page.click("#rule-save");
  const said = await until("the threshold on the count applied", 15, async () => {
    const t = await text(page, '[data-note="rule-form"]');
    return t && /^Applied: rule acme-quota-alert/.test(t) ? t : null;
  });
  ok(true, `saved: ${said}`);
  await syslogLine("acme-web", "otherd", "disk quota exceeded on /srv (another program)");
  await syslogLine("acme-web", "quotad", "disk quota exceeded on /srv");
  await page.goto(BASE + "/portal#alerts");
  const card = await until("the log alert firing in the portal", 30, async () => {
    await page.reload();
    return page.waitForSelector('#view .alert.st-firing[data-device="acme-web"]', { timeout: 2000 })
      .then(() => page.evaluate(() => [...document.querySelectorAll('#view .alert.st-firing[data-device="acme-web"]')]
        .map((c) => c.textContent).find((t) => t.includes("log_matches_count")) || null))
      .catch(() => null);
  });
  ok(/acme-quota-alert · log_matches_count@acme-quota = 1/.test(card), `the portal shows the log alert, firing: ${card}`);
  await page.screenshot({ path: path.join(ART, "portal-log-alert.png"), fullPage: true });
  await page.goto(BASE + "/portal#monitoring");
}

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await T.launch();
  try {
    const page = await T.login(await browser.newContext({ viewport: { width: 1280, height: 900 } }),
      "acme-admin", process.env.ADMIN_PW);
    await page.goto(BASE + "/portal#monitoring");

    await change(page, "acme-web");
    await fieldsAre(page, "device-form", [["id", "acme-web"], ["host", "127.0.0.1"], ["interval", "3s"],
      ["ping", true], ["baseline", true], ["tcp0_port", process.env.P1], ["tcp0_send", ""], ["tcp0_expect", ""],
      ["tcp1_port", process.env.P2], ["tcp1_send", "PING"], ["tcp1_expect", "PONG"],
      ["http0_url", process.env.URL], ["http0_body", "hello acme"], ["resources", false], ["snmp", ""]],
      "the server form filled from acme-web");
    const note = await text(page, '[data-note="device-form"]');
    ok(/^Changing device acme-web/.test(note), `the form says what it changes: ${note}`);
    await page.screenshot({ path: path.join(ART, "portal-form-prefilled.png"), fullPage: true });
    await page.fill("#device-form [name=interval]", "4s");
    await page.click("#device-save");
    const said = await until("the change applied", 15, async () => {
      const t = await text(page, '[data-note="device-form"]');
      return t && /^Applied: device acme-web/.test(t) ? t : null;
    });
    ok(true, `saved: ${said}`);

    await change(page, "acme-slow");
    await fieldsAre(page, "rule-form", [["name", "acme-slow"], ["device", "acme-web"], ["metric", "tcp_port_up"],
      ["dir", "below"], ["warn", ""], ["crit", "1"], ["for", "10s"]], "the threshold form filled from acme-slow");

    await change(page, "acme-described");
    const y = await value(page, "#yaml-form [name=yaml]");
    ok(/description: kept as YAML/.test(y) && (await value(page, "#yaml-form [name=kind]")) === "device",
      "an item with a key no form has opens as its YAML");

    await logPatterns(page);
    await logAlert(page);
    await unusual(page);
    await page.screenshot({ path: path.join(ART, "portal-log-pattern.png"), fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`tenant forms: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
