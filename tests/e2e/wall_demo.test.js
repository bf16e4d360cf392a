// The NOC wall on the demo data center in headless Chromium, at 1920x1080 and
// 3840x2160.  Started by tests/integration/test_wall_demo.sh, which passes in
// environment: BASE_URL, ARTIFACTS (screenshot dir), DEVICES (the configured ids).
"use strict";
const fs = require("fs");
const path = require("path");

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;
const DEVICES = process.env.DEVICES.split(" ").filter((x) => x);
const T = require("./lib");
const { ok, sleep, until } = T;

// What a person cannot read on the wall, measured in the page.
function inspect(ids) {
  const all = [...document.querySelectorAll("body *")];
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const label = (e) => (e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className) +
    " '" + e.textContent.slice(0, 40) + "'";
  // clipped: content wider or taller than its box (ellipsis, overflow hidden)
  const clipped = all.filter((e) => e.clientWidth > 0 && visible(e) &&
    (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)).map(label);
  const vw = window.innerWidth, vh = window.innerHeight;
  const missing = ids.filter((id) => {
    const e = document.querySelector(`#sites [data-device="${id}"]`);
    if (!e || !visible(e)) return true;
    const r = e.getBoundingClientRect();
    return r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5;
  });
  const vals = [...document.querySelectorAll("#sites .kv")];
  return {
    clipped, missing,
    more: [...document.querySelectorAll(".more")].map(label),
    filler: /none configured/i.test(document.getElementById("sites").textContent),
    errors: vals.filter((v) => /error/i.test(v.textContent)).map(label),
    unlabelled: vals.filter((v) => !(v.querySelector(".k") && v.querySelector(".k").textContent.trim())).map(label),
    redInOk: [...document.querySelectorAll("#sites .st-ok .v-critical")].map(label),
    scroll: { sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight, w: vw, h: vh },
    genText: [...document.querySelectorAll('#sites [data-device^="gen-"]')].map((e) => e.textContent),
  };
}

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await T.launch();
  try {
    for (const [w, h] of [[1920, 1080], [3840, 2160]]) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      page.on("pageerror", (e) => { throw new Error("FAIL: page error " + e.message); });
      await page.goto(BASE + "/wall");
      // polled with evaluate: waitForFunction's eval is refused by the wall's CSP.  A poll
      // that timed out on a loaded machine shows as an error until the next one: wait
      // (bounded) for a round without, as a steady "error" is what the test is about.
      await until("every device on the wall, no value in error", 60, () => page.evaluate((n) => window.dcmonWall &&
        window.dcmonWall.devices.size === n && !window.dcmonWall.dirty && !!document.querySelector("#sites .hall") &&
        ![...document.querySelectorAll("#sites .kv")].some((v) => /error/i.test(v.textContent)), DEVICES.length));
      await sleep(700); // one more redraw tick (500 ms) with fresh data
      // inspected on a redraw without an error: under ASan on a loaded machine the fire
      // panel's polls time out now and then, and the wall rightly shows that poll's error
      const r = await until("a redraw with no value in error", 60, async () => {
        const x = await page.evaluate(inspect, DEVICES);
        return x.errors.length === 0 ? x : null;
      });
      fs.writeFileSync(path.join(ART, `wall-demo-${w}x${h}.json`),
                       await page.evaluate(() => JSON.stringify([...window.dcmonWall.devices.values()], null, 1)));
      await page.screenshot({ path: path.join(ART, `wall-demo-${w}x${h}.png`) });
      const at = `${w}x${h}`;
      ok(r.missing.length === 0, `${at}: all ${DEVICES.length} devices on screen (missing: ${r.missing.join(", ")})`);
      ok(r.more.length === 0, `${at}: nothing hidden behind "+N more" (${r.more.join("; ")})`);
      ok(r.clipped.length === 0, `${at}: no truncated or clipped element (${r.clipped.slice(0, 8).join("; ")})`);
      ok(r.scroll.sw <= r.scroll.w && r.scroll.sh <= r.scroll.h,
         `${at}: no page scroll (${r.scroll.sw}x${r.scroll.sh} in ${r.scroll.w}x${r.scroll.h})`);
      ok(!r.filler, `${at}: no "none configured" filler tiles`);
      ok(r.errors.length === 0, `${at}: no value shown as an error (${r.errors.join("; ")})`);
      ok(r.unlabelled.length === 0, `${at}: every value labelled (${r.unlabelled.join("; ")})`);
      ok(r.redInOk.length === 0, `${at}: no alarm red inside an OK row (${r.redInOk.join("; ")})`);
      ok(r.genText.length === 2 && r.genText.every((t) => /not running/.test(t)),
         `${at}: standby generators say "not running" (${r.genText.join(" | ")})`);
      // sparklines: the last hour from the archive, drawn once it holds two values
      const sparks = await until("sparklines drawn", 30, () => page.evaluate(() => {
        const n = (sel) => [...document.querySelectorAll(sel + " svg.spark")].map((e) => e.dataset.metric + ":" + e.dataset.points);
        const x = { ups: n('#sites [data-device="ups-1"]'), gen: n('#sites [data-device="gen-1"]'), env: n('#sites [data-device="env-h1"]') };
        const drawn = (l) => l.length && l.every((s) => Number(s.split(":")[1]) >= 2);
        return drawn(x.ups) && drawn(x.gen) && drawn(x.env) ? x : null;
      }));
      ok(sparks.ups.length === 2 && /output_load_percent/.test(sparks.ups[0]) && /battery_runtime_seconds/.test(sparks.ups[1]) &&
         /fuel_level_percent/.test(sparks.gen[0]) && /temperature_celsius/.test(sparks.env[0]),
         `${at}: sparklines of UPS load and runtime, generator fuel, hottest inlet (${JSON.stringify(sparks)})`);
      if (w === 1920) await page.screenshot({ path: path.join(ART, `wall-demo-sparklines-${w}x${h}.png`) });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  console.log(`wall demo: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
