/* A device page: every metric with its current value and librrd graphs (hour, day,
 * week, year), the device's alerts with their history, ack and silence, and its recent
 * events (syslog, traps, alerts, audit) from the event store. */
"use strict";

const ID = decodeURIComponent(location.pathname.replace(/^\/devices\//, ""));
const P = {range: "1h", dev: null, graphsFor: ""};

function showError(msg) {
  const e = document.getElementById("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function drawMetrics(dev) {
  const tb = document.querySelector("#metrics tbody");
  const rows = document.createDocumentFragment();
  const now = Date.now();
  for (const m of dev.metrics || []) {
    const tr = DC.el("tr", "q-" + m.quality);
    tr.dataset.key = m.key;
    tr.append(DC.el("td", null, m.name), DC.el("td", null, m.inst || ""), DC.el("td", "v", DC.metricText(m)),
              DC.el("td", null, m.quality + (m.reason ? ": " + m.reason : "")),
              DC.el("td", null, m.value_ts_ms ? DC.duration((now - m.value_ts_ms) / 1000) + " ago" : "never"));
    rows.appendChild(tr);
  }
  tb.replaceChildren(rows);
  drawGraphs(dev);
}

/* Graphs are re-requested when the range or the set of metrics changes, and once a
 * minute (the image says no-cache, the URL carries a minute stamp). */
function drawGraphs(dev) {
  const stamp = Math.floor(Date.now() / 60000);
  const sig = P.range + "|" + stamp + "|" + (dev.metrics || []).map((m) => m.key).join(",");
  if (sig === P.graphsFor) return;
  P.graphsFor = sig;
  document.getElementById("graphs").replaceChildren(DC.graphFigures(dev, P.range, stamp));
}

function ackCell(a) {
  const parts = [];
  if (a.acked) parts.push("acked by " + a.ack.by + (a.ack.comment ? ": " + a.ack.comment : ""));
  if (a.silenced) parts.push("silenced: " + (a.silence && a.silence.reason));
  return parts.join("; ");
}

function drawAlerts(alerts) {
  const tb = document.querySelector("#alerts tbody");
  const out = document.createDocumentFragment();
  for (const a of alerts) {
    const tr = DC.el("tr");
    tr.dataset.id = a.id;
    const sev = DC.el("td");
    sev.appendChild(DC.badge(a.state === "resolved" ? "ok" : a.severity, a.state === "resolved" ? "RESOLVED" : undefined));
    const act = DC.el("td");
    if (a.state === "pending" || a.state === "firing") {
      const ack = DC.el("button", "ack", "Acknowledge");
      ack.onclick = () => action("ack", a);
      const sil = DC.el("button", "silence", "Silence");
      sil.onclick = () => action("silence", a);
      act.append(ack, document.createTextNode(" "), sil);
    }
    tr.append(sev, DC.el("td", null, a.state), DC.el("td", null, a.metric),
              DC.el("td", "v", a.value === null ? "\u2014" : DC.num(a.value) + " " + (a.unit || "")),
              DC.el("td", null, new Date(a.since_ms).toLocaleString()), DC.el("td", null, ackCell(a)), act);
    out.appendChild(tr);
  }
  tb.replaceChildren(out);
}

async function drawHistory(alerts) {
  const items = await DC.alertHistory(alerts, 20);
  const ol = document.getElementById("history");
  ol.replaceChildren(...items.slice(0, 50).map((i) => DC.el("li", null, new Date(i.ts).toLocaleString() + "  " + i.text)));
}

const EVENTS_SHOWN = 50;

/* The newest events of the device, newest first (DC.events: scoped to the session).
 * No event store hides the section rather than showing an error. */
async function drawEvents() {
  const sec = document.getElementById("events-sec");
  const events = await DC.events({limit: EVENTS_SHOWN, device: ID});
  sec.hidden = events === null;
  if (events) document.querySelector("#events tbody").replaceChildren(DC.eventRows(events, false));
}

/* Ack (with comment) or silence (duration + reason), with the operator's token. */
function action(kind, a) {
  const dlg = document.getElementById("dlg");
  document.getElementById("dlg-title").textContent = (kind === "ack" ? "Acknowledge " : "Silence ") + a.rule + " on " + a.device;
  document.getElementById("dlg-for-l").hidden = kind !== "silence";
  document.getElementById("dlg-comment").value = "";
  dlg.onclose = async () => {
    if (dlg.returnValue !== "ok") return;
    sessionStorage.setItem("dcmon-token", document.getElementById("token").value.trim());
    const who = document.getElementById("who").value.trim() || undefined;
    const comment = document.getElementById("dlg-comment").value;
    try {
      if (kind === "ack")
        await DC.api("POST", "/api/v1/alerts/" + a.id + "/ack", {comment: comment, by: who});
      else
        await DC.api("POST", "/api/v1/silences", {match: {device: a.device}, rule: a.rule,
          for: document.getElementById("dlg-for").value, reason: comment, by: who});
      showError("");
      refresh();
    } catch (e) {
      showError((kind === "ack" ? "acknowledge" : "silence") + " failed: " + e.message);
    }
  };
  dlg.showModal();
}

async function refresh() {
  try {
    const d = await DC.api("GET", "/api/v1/devices/" + encodeURIComponent(ID));
    const dev = d.device;
    P.dev = dev;
    document.title = dev.id + " \u2014 dcmon";
    document.getElementById("title").textContent = dev.id;
    document.getElementById("health").replaceChildren(DC.badge(dev.health, dev.health.toUpperCase() + (dev.health_reason ? ": " + dev.health_reason : "")));
    document.getElementById("info").textContent = dev.kind + " \u00B7 " + (dev.host || "") + " \u00B7 " + DC.location(dev) +
      " \u00B7 " + dev.state + (dev.reason ? " (" + dev.reason + ")" : "");
    document.getElementById("updated").textContent = "updated " + DC.clock(Date.now(), true);
    drawMetrics(dev);
    const al = await DC.api("GET", "/api/v1/alerts?device=" + encodeURIComponent(ID));
    const list = (al.alerts || []).sort((x, y) => y.since_ms - x.since_ms);
    drawAlerts(list);
    drawHistory(list);
    await drawEvents();
    showError("");
  } catch (e) {
    showError("cannot read " + ID + ": " + e.message);
  }
}

for (const b of document.querySelectorAll("#ranges button")) {
  b.onclick = () => {
    P.range = b.dataset.range;
    for (const x of document.querySelectorAll("#ranges button")) x.classList.toggle("on", x === b);
    if (P.dev) drawGraphs(P.dev);
  };
}
document.getElementById("token").value = DC.token();
refresh();
setInterval(refresh, 5000);
