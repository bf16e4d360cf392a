// Shared by the browser tests: assertions that count, bounded polling.
"use strict";
const { chromium } = require("playwright-core");

const T = { checks: 0 };

// Headless Chromium as every browser test starts it.
T.launch = () => chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });

T.ok = function (cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
  T.checks++;
  console.log("ok - " + what);
};

T.sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn (bounded in count and time) until it returns a truthy value, which it returns.
T.until = async function (what, seconds, fn) {
  const end = Date.now() + seconds * 1000;
  for (let i = 0; i < seconds * 10 && Date.now() < end; i++) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await T.sleep(100);
  }
  throw new Error("FAIL: timed out after " + seconds + " s waiting for " + what);
};

// Headless Chromium as every browser test starts it (the machine's, no sandbox: tests
// run as root in containers).
T.launch = function () {
  const { chromium } = require("playwright-core");
  return chromium.launch({ executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
};

// Runs fn(ctx) in a fresh headless Chromium of the given viewport, then closes it and
// removes its profile.
T.withChromium = async function (viewport, fn) {
  const fs = require("fs");
  const os = require("os");
  const path = require("path");
  const { chromium } = require("playwright-core");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "dcmon-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport,
  });
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
};

// A new page of ctx logged in through BASE_URL's /login as user (the page lands on the
// wall); a script error on the page fails the test.
T.login = async function (ctx, user, pw) {
  const base = process.env.BASE_URL;
  const page = await ctx.newPage();
  page.on("pageerror", (e) => { throw new Error("FAIL: page error " + e.message); });
  await page.goto(base + "/login");
  await page.fill("#name", user);
  await page.fill("#password", pw);
  await Promise.all([page.waitForURL(base + "/wall"), page.click("button[type=submit]")]);
  return page;
};

module.exports = T;
