/* The login page: POST /api/v1/login sets the session cookie (HttpOnly: this script
 * never sees it) and answers the CSRF token that writes carry (DC.api, X-CSRF-Token). */
"use strict";
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("error");
  err.hidden = true;
  try {
    const j = await DC.api("POST", "/api/v1/login", {
      name: document.getElementById("name").value,
      password: document.getElementById("password").value,
      code: document.getElementById("code").value || undefined,
    });
    sessionStorage.setItem("dcmon-csrf", j.csrf);
    sessionStorage.removeItem("dcmon-token");
    location.href = "/wall";
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    document.getElementById("password").value = "";
    document.getElementById("code").value = "";
  }
});
