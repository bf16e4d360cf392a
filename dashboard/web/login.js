/* The login page: POST /api/v1/login sets the session cookie (HttpOnly: this script
 * never sees it) and answers the CSRF token that writes carry (DC.api, X-CSRF-Token).
 * An account that must have a second factor and has none gets a secret to scan (403
 * with "enrol"): the next login with a code of it sets it up and answers the recovery
 * codes, shown once before going on to the wall.  A kiosk opens /login#token=dcm_...
 * (a wall account's API token, in the fragment: never sent to a server or logged): the
 * token opens the session and the wall follows, with no one at the keyboard. */
"use strict";
const $ = (id) => document.getElementById(id);

async function postLogin(body) {
  const r = await fetch("/api/v1/login", {method: "POST", body: JSON.stringify(body),
                                          headers: {"Content-Type": "application/json"}});
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  return {status: r.status, j: j || {}};
}

function showEnrol(enrol) {
  DC.mfa.drawQr($("qr"), enrol.qr);
  $("secret").textContent = DC.mfa.secretOf(enrol.otpauth);
  $("enrol").hidden = false;
  $("code").value = "";
  $("code").focus();
}

function loggedIn(j) {
  sessionStorage.setItem("dcmon-csrf", j.csrf);
  sessionStorage.removeItem("dcmon-token");
  if (!j.recovery_codes) {
    location.href = "/wall";
    return;
  }
  DC.mfa.showCodes($("codes"), j.recovery_codes);
  $("login").hidden = true;
  $("recovery").hidden = false;
}

async function kiosk() {
  const m = /^#token=(dcm_[0-9a-f]+)$/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, "", "/login"); /* the token leaves the address bar */
  const {status, j} = await postLogin({token: m[1]});
  if (status === 200) {
    loggedIn(j);
    return;
  }
  $("error").textContent = j.error || ("HTTP " + status);
  $("error").hidden = false;
}

/* The wall's session ended (session_idle, session_max, a revoke): say so; a kiosk is
 * opened again with /login#token=... */
if (new URLSearchParams(location.search).has("expired") && !location.hash) {
  $("error").textContent = "Your session has ended: log in again.";
  $("error").hidden = false;
}

$("continue").addEventListener("click", () => { location.href = "/wall"; });
$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = $("error");
  err.hidden = true;
  const {status, j} = await postLogin({
    name: $("name").value,
    password: $("password").value,
    code: $("code").value || undefined,
  });
  if (status === 200) {
    loggedIn(j);
    return;
  }
  if (j.enrol) showEnrol(j.enrol);
  err.textContent = j.error || ("HTTP " + status);
  err.hidden = false;
  if (!j.enrol && $("enrol").hidden) $("password").value = ""; /* kept while enrolling */
  $("code").value = "";
});
kiosk();
