// Shared by the browser tests: assertions that count, bounded polling.
"use strict";
const { chromium } = require("playwright-core");

const T = { checks: 0 };

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
T.launch = () => chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });

// Runs fn(ctx) in a fresh browser context (no cookies, no storage) of the given viewport
// in a headless Chromium of its own, then closes both.
T.withChromium = async function (viewport, fn) {
  const browser = await T.launch();
  try {
    await fn(await browser.newContext({ viewport }));
  } finally {
    await browser.close();
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
