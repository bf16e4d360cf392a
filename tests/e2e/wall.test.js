// The NOC wall in headless Chromium against a running dcmond with real pollers.
// Started by tests/integration/test_dashboard_wall.sh, which passes in environment:
//   BASE_URL, ARTIFACTS (screenshot dir), LISTENER_PID (the TCP peer web-01 checks),
//   DCMOND_PID, DCMOND, DCMOND_CONFIG, DCMOND_LOG (to stop and restart the daemon).
"use strict";
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;
const T = require("./lib");
const { ok, sleep, until } = T;

async function api(p) {
  const r = await fetch(BASE + p);
  return r.json();
}

async function rowText(page, device) {
  return page.locator(`.row[data-device="${device}"] .vals`).first().innerText();
}

async function noScroll(page, what) {
  const d = await page.evaluate(() => ({
    sh: document.documentElement.scrollHeight, sw: document.documentElement.scrollWidth,
    h: window.innerHeight, w: window.innerWidth }));
  ok(d.sh <= d.h && d.sw <= d.w, `${what}: no scrolling (${d.sw}x${d.sh} in ${d.w}x${d.h})`);
}

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  await T.withChromium({ width: 1920, height: 1080 }, run);
  console.log(`e2e: ${T.checks} checks passed`);
}

async function run(ctx) {
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(BASE)) external.push(r.url()); });

  // every device polled once, and the on-battery alert firing
  await until("all devices polled", 30, async () => {
    const s = await api("/api/v1/status?metrics=1");
    return s.devices.every((d) => d.state !== "unknown") && s.devices.find((d) => d.id === "env-1").metrics.length > 0;
  });
  await until("ups-b on-battery alert", 20, async () =>
    (await api("/api/v1/alerts?device=ups-b&state=firing")).alerts.some((a) => a.metric === "output_source_state"));

  await page.goto(BASE + "/wall");
  await page.waitForSelector('.row[data-device="ups-a"]', { timeout: 10000 });
  await page.evaluate(() => { window.__noReload = 42; });

  // ---- tiles -----------------------------------------------------------------
  ok((await page.locator(".hall h2").first().innerText()).includes("Tokyo 1 \u00B7 Hall 1"), "hall title from the config's site and room names");
  // values may need a poll or two more under load: wait for them (bounded), then assert
  const upsA = await until("ups-a values on the wall", 20, async () => {
    const x = await rowText(page, "ups-a"); return /42 min/.test(x) ? x : null; });
  ok(/normal/.test(upsA) && /39%/.test(upsA) && /42 min/.test(upsA) && /100%/.test(upsA),
     `UPS ups-a: source normal, load 39%, runtime 42 min, charge 100% (${upsA.replace(/\n/g, " ")})`);
  const upsB = await until("ups-b values on the wall", 20, async () => {
    const x = await rowText(page, "ups-b"); return /4 min/.test(x) ? x : null; });
  ok(/battery/.test(upsB) && /4 min/.test(upsB) && /18%/.test(upsB) && /CRITICAL/.test(upsB),
     `UPS ups-b: on battery, runtime 4 min, charge 18%, marked CRITICAL (${upsB.replace(/\n/g, " ")})`);
  const power = page.locator('.tile[data-fn="power"]').first();
  ok((await power.getAttribute("data-status")) === "critical" && /CRITICAL/.test(await power.locator("h3").innerText()),
     "power tile is critical, with icon and text");
  const st = await api("/api/v1/status?metrics=1");
  const temps = st.devices.find((d) => d.id === "env-1").metrics.filter((m) => m.name === "sensor_temperature_celsius");
  const hottest = Math.max(...temps.map((m) => m.value));
  const env = await until("environment row", 20, async () => {
    const x = await rowText(page, "env-1"); return /\u00B0C/.test(x) ? x : null; });
  ok(/hottest/.test(env) && env.includes(hottest.toFixed(1) + "\u00B0C"), `environment: env-1's hottest sensor is ${hottest} \u00B0C (${env.replace(/\n/g, " ")})`);
  // web-01 has no rack: a row of the tenant's servers, each marked with its state
  const srv = await until("web-01 up on the wall", 20, async () =>
    (await page.locator('.srv[data-device="web-01"]').getAttribute("class")) === "srv st-ok");
  ok(srv && /servers acme/.test(await page.locator('.tile[data-fn="racks"] .row').first().innerText()),
     "servers: web-01 marked ok in the acme servers row");
  ok((await page.locator('.tile[data-fn="generators"]').count()) === 0, "generators: no tile in a hall without one");

  // ---- alert list ---------------------------------------------------------------
  const first = page.locator("#alert-list li.alert").first();
  ok((await first.getAttribute("data-severity")) === "critical", "alert list: critical alerts first");
  const onBat = page.locator('#alert-list li.alert[data-device="ups-b"]', { hasText: "output_source_state" });
  const t = await onBat.innerText();
  ok(/CRITICAL/.test(t) && /Tokyo|tokyo-1/.test(t) && /since \d\d:\d\d/.test(t) && /output_source_state/.test(t) && /\b5\b/.test(t),
     `on-battery alert: severity, device, location, value, since (${t.replace(/\n/g, " ")})`);
  ok(await page.locator("#banner").isHidden(), "no banner while data is live");
  ok(/\d\d:\d\d:\d\d/.test(await page.locator("#clock").innerText()), "clock shown");

  for (const [w, h] of [[1920, 1080], [3840, 2160]]) {
    await page.setViewportSize({ width: w, height: h });
    await sleep(300);
    await noScroll(page, `${w}x${h}`);
    await page.screenshot({ path: path.join(ART, `wall-${w}x${h}.png`) });
  }
  await page.setViewportSize({ width: 1920, height: 1080 });

  // ---- a triggered alarm reaches the open wall -----------------------------------
  process.kill(Number(process.env.LISTENER_PID), "SIGTERM");
  const seen = await until("port-closed alert firing in the API", 30, async () =>
    (await api("/api/v1/alerts?device=web-01&state=firing")).alerts.find((a) => a.rule === "port-closed"));
  const apiSeen = Date.now();
  await page.waitForSelector(`#alert-list li.alert[data-id="${seen.id}"]`, { timeout: 2000 }).catch(async (e) => {
    const w = await page.evaluate(() => ({ ids: window.dcmonWall.alerts.map((a) => a.id + ":" + a.state),
      age: Date.now() - window.dcmonWall.lastEventMs, list: document.getElementById("alert-list").innerText }));
    throw new Error(e.message + " wall state: " + JSON.stringify(w));
  });
  ok(true, `port-closed alert on the wall ${Date.now() - apiSeen} ms after the API had it (limit 2000 ms)`);
  ok((await page.evaluate(() => window.__noReload)) === 42, "without a reload");
  const srv2 = await page.locator('.tile[data-fn="racks"]').first().getAttribute("data-status");
  ok(srv2 === "critical" && (await page.locator('.srv[data-device="web-01"]').getAttribute("class")) === "srv st-critical",
     "web-01 and its tile critical while the port is closed");
  await page.screenshot({ path: path.join(ART, "wall-alarm-1920x1080.png") });

  // ---- the device page: every metric, graphs from the archive ---------------------
  const dp = await ctx.newPage();
  dp.on("pageerror", (e) => errors.push(String(e)));
  dp.on("request", (r) => { if (!r.url().startsWith(BASE)) external.push(r.url()); });
  await dp.goto(BASE + "/devices/ups-a");
  await dp.waitForSelector('#metrics tr[data-key="battery_runtime_seconds"]', { timeout: 10000 });
  const rt = await dp.locator('#metrics tr[data-key="battery_runtime_seconds"] td.v').innerText();
  ok(rt === "42 min", `device page: battery_runtime_seconds = ${rt}`);
  const nmetrics = (await api("/api/v1/devices/ups-a")).device.metrics.length;
  ok((await dp.locator("#metrics tbody tr").count()) === nmetrics, `device page lists all ${nmetrics} metrics`);
  // (the page's CSP forbids eval, so no waitForFunction: poll with evaluate)
  await until("first graph image loaded", 20, () => dp.evaluate(() => {
    const i = document.querySelector("#graphs img"); return i && i.complete && i.naturalWidth > 0; }));
  ok(true, "a graph rendered by librrd is shown");
  await dp.screenshot({ path: path.join(ART, "device-ups-a.png") });
  await dp.close();

  // ---- the daemon stops: blind, never green --------------------------------------
  process.kill(Number(process.env.DCMOND_PID), "SIGTERM");
  await page.waitForSelector("#banner.down", { timeout: 10000 });
  const banner = await page.locator("#banner").innerText();
  ok(/UNREACHABLE/.test(banner), `stale banner when dcmond stops: "${banner}"`);
  ok((await page.locator("#overall").getAttribute("data-status")) !== "ok", "overall state is not ok while blind");
  ok(await page.evaluate(() => document.body.classList.contains("blind")), "tiles greyed out while blind");
  await page.screenshot({ path: path.join(ART, "wall-unreachable-1920x1080.png") });

  // ---- it comes back: the page reconnects by itself -------------------------------
  const log = fs.openSync(process.env.DCMOND_LOG, "a");
  const d2 = spawn(process.env.DCMOND, ["-c", process.env.DCMOND_CONFIG], { stdio: ["ignore", log, log] });
  try {
    await until("wall live again", 20, () => page.evaluate(() => !document.body.classList.contains("blind")));
    ok(!(await page.evaluate(() => document.body.classList.contains("blind"))), "wall live again after the daemon restarts");
    ok((await page.evaluate(() => window.__noReload)) === 42, "reconnected without a reload");
  } finally {
    d2.kill("SIGTERM");
    await new Promise((r) => d2.on("exit", r));
  }

  ok(errors.length === 0, "no script errors on the pages (" + errors.join("; ") + ")");
  ok(external.length === 0, "no request leaves the server (" + external.join(", ") + ")");
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
