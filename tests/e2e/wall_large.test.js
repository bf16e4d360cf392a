// The NOC wall on a 500-device site (5 halls of 100 racks) in headless Chromium.
// Started by tests/integration/test_wall_large.sh: BASE_URL, ARTIFACTS.
"use strict";
const fs = require("fs");
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;

// The hall on screen: its key, its rack rows, clipped elements, page size.
function shown() {
  const hall = document.querySelector("#sites .hall");
  const clipped = [...document.querySelectorAll("#sites, #sites *")].filter((e) => e.clientWidth > 0 &&
    (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)).map((e) => e.className);
  const vw = window.innerWidth, vh = window.innerHeight;
  const rows = [...document.querySelectorAll('#sites .hall [data-device^="rack-"]')];
  const offscreen = rows.filter((e) => { const r = e.getBoundingClientRect();
    return r.width === 0 || r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5; });
  return {
    hall: hall && hall.dataset.hall, rows: rows.length, offscreen: offscreen.length, clipped: clipped,
    rooms: [...document.querySelectorAll("#sites .rooms .room")].map((b) => b.dataset.hall + "=" + b.querySelector(".room-n").textContent),
    current: (document.querySelector("#sites .room.current") || {}).dataset,
    scroll: document.documentElement.scrollHeight <= vh && document.documentElement.scrollWidth <= vw,
  };
}

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await T.launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on("pageerror", (e) => { throw new Error("FAIL: page error " + e.message); });
    await page.goto(BASE + "/wall?rotate=2");
    const first = await until("one hall shown", 20, () => page.evaluate(() =>
      window.dcmonWall && window.dcmonWall.devices.size === 500 && !window.dcmonWall.dirty &&
      document.querySelector("#sites .rooms") ? true : null).then((x) => x && page.evaluate(shown)));
    await page.screenshot({ path: path.join(ART, "wall-large-1920x1080.png") });
    ok(first.rooms.join(" ") === [1, 2, 3, 4, 5].map((h) => `big/hall-${h}=100`).join(" "),
       `the strip names the 5 halls with 100 devices each (${first.rooms.join(" ")})`);
    ok(first.hall === "big/hall-1" && first.rows === 100 && first.offscreen === 0,
       `hall 1 shown with all its 100 racks on screen (${first.hall}: ${first.rows} rows, ${first.offscreen} off screen)`);
    ok(first.clipped.length === 0 && first.scroll, `nothing clipped, no page scroll (${first.clipped.slice(0, 5).join("; ")})`);
    const next = await until("the next hall after 2 s", 10, () => page.evaluate(shown).then((x) =>
      x.hall === "big/hall-2" ? x : null));
    ok(next.rows === 100 && next.offscreen === 0 && next.clipped.length === 0,
       `rotated to hall 2, all 100 racks shown (${next.rows} rows)`);
    await page.click('#sites .room[data-hall="big/hall-4"]');
    const pinned = await page.evaluate(shown);
    await T.sleep(2500); // a rotation period: a chosen hall stays
    const still = await page.evaluate(shown);
    ok(pinned.hall === "big/hall-4" && still.hall === "big/hall-4" && still.rows === 100,
       `a click drills down to hall 4 and stays there (${pinned.hall}, then ${still.hall})`);
    await page.screenshot({ path: path.join(ART, "wall-large-hall-4-1920x1080.png") });
  } finally {
    await browser.close();
  }
  console.log(`wall large: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
