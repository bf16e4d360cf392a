/* The account page of a logged-in user: its password (the current one first; the other
 * sessions end), its second factor (a secret to scan, confirmed with a code; recovery
 * codes shown once), its web sessions with revoke, and log out.  Without a session it
 * sends the browser to /login. */
"use strict";
const $ = (id) => document.getElementById(id);

function showError(e) {
  $("error").textContent = e ? e.message : "";
  $("error").hidden = !e;
}

async function guarded(fn) {
  showError(null);
  try { await fn(); } catch (e) { showError(e); }
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

async function loadSessions() {
  const j = await DC.api("GET", "/api/v1/sessions");
  if (j.user === "anonymous") {
    location.href = "/login";
    return;
  }
  $("who").textContent = j.user + " (" + j.role + ")";
  $("sessions").replaceChildren(...j.sessions.map((s) => {
    const tr = document.createElement("tr");
    cell(tr, new Date(s.created_ms).toLocaleString());
    cell(tr, new Date(s.last_seen_ms).toLocaleString());
    cell(tr, s.source + (s.current ? " (this one)" : ""));
    const b = document.createElement("button");
    b.textContent = "Revoke";
    b.disabled = s.current;
    b.addEventListener("click", () => guarded(async () => {
      await DC.api("DELETE", "/api/v1/sessions/" + s.id);
      await loadSessions();
    }));
    cell(tr, "").appendChild(b);
    return tr;
  }));
}

$("password").addEventListener("submit", (ev) => {
  ev.preventDefault();
  guarded(async () => {
    if ($("pw-new").value !== $("pw-again").value) throw new Error("the new passwords differ");
    const j = await DC.api("POST", "/api/v1/password",
                           {password: $("pw-old").value, new_password: $("pw-new").value});
    $("password").reset();
    $("pw-done").textContent = "Password changed; " + j.sessions_ended + " other sessions ended.";
    await loadSessions();
  });
});

$("mfa-start").addEventListener("click", () => guarded(async () => {
  const j = await DC.api("POST", "/api/v1/mfa", {});
  DC.mfa.drawQr($("qr"), j.qr);
  $("secret").textContent = DC.mfa.secretOf(j.otpauth);
  $("mfa").hidden = false;
  $("recovery").hidden = true;
}));

$("mfa").addEventListener("submit", (ev) => {
  ev.preventDefault();
  guarded(async () => {
    const j = await DC.api("POST", "/api/v1/mfa/confirm", {code: $("mfa-code").value});
    $("mfa").hidden = true;
    $("mfa").reset();
    DC.mfa.showCodes($("codes"), j.recovery_codes);
    $("recovery").hidden = false;
  });
});

$("logout").addEventListener("click", () => guarded(async () => {
  await DC.api("POST", "/api/v1/logout");
  sessionStorage.removeItem("dcmon-csrf");
  location.href = "/login";
}));

guarded(loadSessions);
