/* The wall's events view (/wall/events): the newest events the session may see (the
 * search API scopes them: a tenant's wall shows its own devices' events only), newest
 * first, with their device, severity, program, message and flags.  Live: the wall's
 * stream carries alerts, not log lines, so the view asks the search again every
 * EV_REFRESH_MS, and at once when a filter changes.  Filters are the search's own:
 * severity (that or worse) and text (words of the message). */
"use strict";

const EV_REFRESH_MS = 2000;
const EV_SHOWN = 200;

const E = {
  loads: 0,       /* completed refreshes (the browser tests wait on it) */
  busy: false,
  again: false,   /* a filter changed while a refresh ran: run once more */
};
window.dcmonEvents = E;

function filters() {
  return {severity: document.getElementById("f-severity").value,
          text: document.getElementById("f-text").value.trim()};
}

function showError(msg) {
  const e = document.getElementById("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function drawEvents(events) {
  document.querySelector("#events tbody").replaceChildren(DC.eventRows(events, true));
  document.getElementById("count").textContent = events.length + (events.length === EV_SHOWN ? "+" : "") + " events";
  document.getElementById("updated").textContent = "updated " + DC.clock(Date.now(), true);
}

async function refresh() {
  if (E.busy) {
    E.again = true;
    return;
  }
  E.busy = true;
  try {
    const f = filters();
    const events = await DC.events({limit: EV_SHOWN, severity: f.severity, text: f.text});
    if (events === null) showError("dcmond keeps no events: its configuration has no events: or syslog: section");
    else {
      drawEvents(events);
      showError("");
    }
    E.loads++;
  } catch (e) {
    if (e.status === 401) location.href = "/login?expired";
    showError("cannot read the events: " + e.message);
  } finally {
    E.busy = false;
  }
  if (E.again) {
    E.again = false;
    refresh();
  }
}

document.getElementById("f-severity").addEventListener("change", refresh);
document.getElementById("f-text").addEventListener("input", refresh);
setInterval(refresh, EV_REFRESH_MS);
refresh();
