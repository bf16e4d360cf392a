// The login flow in headless Chromium against a running dcmond (started by
// tests/integration/test_login_browser.sh, which passes BASE_URL, ARTIFACTS and the
// accounts' names and password: OP_NAME, ADMIN_NAME, PASSWORD).
//   * a wrong password shows the server's one message, and no cookie is set;
//   * a tenant-operator logs in: the session cookie is HttpOnly, SameSite=Strict, not
//     readable by scripts; the wall then shows its rack only, its device page its
//     device, another tenant's device page a missing device (the API's 404);
//   * a noc-admin without a second factor is made to enrol: the QR code is drawn, a
//     code of the secret logs in and the recovery codes are shown once;
//   * the account page lists the session, and logging out ends it (back to anonymous);
//   * a kiosk: /login#token= with a wall account's token shows its tenant's wall
//     (KIOSK_NAME, KIOSK_TOKEN; SCRIPT_TOKEN, another role's, is refused).
"use strict";
const crypto = require("crypto");
const path = require("path");
const T = require("./lib");
const { ok, until } = T;

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS;
const PW = process.env.PASSWORD;

// RFC 6238 code of a base32 secret now (HMAC-SHA1, 6 digits, 30 s)
function totp(b32) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of b32) bits += alpha.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = crypto.createHmac("sha1", key).update(msg).digest();
  const o = mac[19] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function fill(page, name, password, code) {
  await page.fill("#name", name);
  await page.fill("#password", password);
  await page.fill("#code", code || "");
  await page.click("button[type=submit]");
}

async function whoami(page) {
  return page.evaluate(async () => (await (await fetch("/api/v1/sessions")).json()).user);
}

async function run(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // ---- a wrong password ----------------------------------------------------------
  await page.goto(BASE + "/login");
  await fill(page, process.env.OP_NAME, "not-the-password");
  await until("the error shown", 10, () => page.isVisible("#error"));
  ok((await page.innerText("#error")) === "wrong user name or password", "wrong password: the one message");
  ok((await ctx.cookies()).length === 0, "wrong password: no cookie");

  // ---- a tenant-operator logs in -----------------------------------------------------
  await fill(page, process.env.OP_NAME, PW);
  await page.waitForURL(BASE + "/wall", { timeout: 10000 });
  const c = (await ctx.cookies()).find((k) => k.name === "dcmon_session");
  ok(c && c.httpOnly && c.sameSite === "Strict" && !c.secure && /^[0-9a-f]{32}$/.test(c.value),
     "session cookie: HttpOnly, SameSite=Strict, 128-bit id (no Secure over plain HTTP)");
  ok(!(await page.evaluate(() => document.cookie.includes("dcmon_session"))), "scripts cannot read the cookie");
  const ids = await page.evaluate(async () =>
    (await (await fetch("/api/v1/status")).json()).devices.map((d) => d.id).sort().join(","));
  ok(ids === "acme-web,crac-a,pdu-a01,ups-a,utility", "the session reads with its tenant's scope: " + ids);
  await until("the wall drawn", 20, async () => (await page.innerText("body")).includes("acme-web"));
  const wall = await page.innerText("body");
  ok(wall.includes("a01") && !/globex|a02/.test(wall), "the tenant's wall: its rack a01, nothing of globex's");
  await page.screenshot({ path: path.join(ART, "login-tenant-wall.png") });

  // ---- device pages: its own, and another tenant's as a missing one ----------------------
  await page.goto(BASE + "/devices/acme-web");
  await until("its device page", 10, async () => (await page.innerText("#title")) === "acme-web");
  ok(!(await page.isVisible("#error")), "its own device page shows the device");
  // another tenant's device page is refused by the page itself, like a missing device's
  const other = await page.goto(BASE + "/devices/globex-db");
  const otherText = (await other.text()).replace("globex-db", "X");
  const missing = await page.goto(BASE + "/devices/no-such-device");
  ok(other.status() === 404, `another tenant's device page: 404 (${other.status()})`);
  ok(otherText === (await missing.text()).replace("no-such-device", "X"),
     `another tenant's device page reads like a missing device (${otherText})`);

  // ---- the account page, log out -------------------------------------------------------
  await page.goto(BASE + "/account");
  await until("the sessions listed", 10, async () => (await page.locator("#sessions tr").count()) === 1);
  ok((await page.innerText("#who")).startsWith(process.env.OP_NAME + " (tenant-operator)"), "account page: who");
  ok((await page.innerText("#sessions")).includes("(this one)"), "account page: the current session");
  await page.screenshot({ path: path.join(ART, "login-account.png") });
  await page.click("#logout");
  await page.waitForURL(BASE + "/login", { timeout: 10000 });
  ok((await whoami(page)) === "anonymous", "logged out: anonymous again");

  // ---- a noc-admin is made to enrol ------------------------------------------------------
  await fill(page, process.env.ADMIN_NAME, PW);
  await until("the QR code", 10, () => page.isVisible("#enrol"));
  const secret = await page.innerText("#secret");
  ok(/^[A-Z2-7]{32}$/.test(secret), "enrolment: the secret shown");
  const qr = await page.evaluate(() => document.getElementById("qr").width);
  ok(qr >= 100, "enrolment: the QR code drawn (" + qr + " px)");
  ok((await whoami(page)) === "anonymous", "no session before the code");
  await page.screenshot({ path: path.join(ART, "login-enrol.png") });
  await page.fill("#code", totp(secret));
  await page.click("button[type=submit]");
  await until("the recovery codes", 10, () => page.isVisible("#recovery"));
  const codes = await page.locator("#codes li").allInnerTexts();
  ok(codes.length === 10 && codes.every((x) => /^[0-9a-f]{10}$/.test(x)), "10 recovery codes shown once");
  ok((await whoami(page)) === process.env.ADMIN_NAME, "logged in with the new second factor");
  await page.click("#continue");
  await page.waitForURL(BASE + "/wall", { timeout: 10000 });

  ok(errors.length === 0, "no script errors on the pages (" + errors.join("; ") + ")");
  await ctx.close();
}

// A kiosk: /login#token=... with a wall account's token (acme's) shows acme's wall with
// no one logging in; when its session ends the screen shows the login, "session ended";
// a script's token of another role opens no session.
async function kiosk(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(BASE + "/login#token=" + process.env.KIOSK_TOKEN);
  await page.waitForURL(BASE + "/wall", { timeout: 10000 });
  ok((await whoami(page)) === process.env.KIOSK_NAME, "kiosk: the wall account's session");
  await until("the kiosk's wall drawn", 20, async () => (await page.innerText("body")).includes("acme-web"));
  const wall = await page.innerText("body");
  ok(!/globex|a02/.test(wall), "kiosk: its tenant's wall only");
  await page.screenshot({ path: path.join(ART, "login-kiosk-wall.png") });
  // its session ends (revoked here, as session_idle would): the screen goes to the login
  // and says so, never to the open wall of every tenant
  const revoked = await page.evaluate(async () => {
    const s = await (await fetch("/api/v1/sessions")).json();
    const cur = s.sessions.find((x) => x.current);
    const r = await fetch("/api/v1/sessions/" + cur.id, {
      method: "DELETE", headers: { "X-CSRF-Token": sessionStorage.getItem("dcmon-csrf") } });
    return r.status;
  });
  ok(revoked === 200, "kiosk: its session revoked (" + revoked + ")");
  await page.goto(BASE + "/wall");
  await page.waitForURL(BASE + "/login?expired", { timeout: 10000 });
  await until("the expiry shown", 10, () => page.isVisible("#error"));
  ok((await page.innerText("#error")) === "Your session has ended: log in again.",
     "kiosk: an ended session goes to the login, which says so");
  ok(!/globex|acme-web/.test(await page.innerText("body")), "kiosk: nothing of any wall after the session");
  await page.goto(BASE + "/login#token=" + process.env.SCRIPT_TOKEN);
  await until("the refusal shown", 10, () => page.isVisible("#error"));
  ok((await page.innerText("#error")).startsWith("only a wall account's token opens a kiosk session"),
     "kiosk: another role's token opens no session");
  ok(!page.url().includes("dcm_"), "kiosk: the token left the address bar");
  await ctx.close();
}

async function main() {
  require("fs").mkdirSync(ART, { recursive: true });
  const browser = await T.launch();
  try {
    await run(browser);
    await kiosk(browser);
  } finally {
    await browser.close();
  }
  console.log(`e2e: ${T.checks} checks passed`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
