/* The tenant portal (/portal, /portal/devices/ID): what the session's account may see,
 * on any screen down to a phone.  Every value comes from the scoped API routes
 * (/api/v1/status, /api/v1/alerts, /api/v1/alerts/ID, /api/v1/graph): a tenant's
 * devices carry "scope": "own", the shared infrastructure feeding them "shared" (read
 * only: no ack); an unscoped account sees every device as its own.
 *
 * Sections are tabs (#overview, ...): a new one is one entry of SECTIONS, drawn from
 * P's data by draw(box), with load() when it reads more than the devices and alerts,
 * may() when only some sessions see it, and update() when it holds forms: then a
 * refresh calls update() instead of drawing it anew (what is typed stays).  The
 * self-service sections (portal_manage.js) add themselves.  What a session may do is
 * its "actions" (GET /api/v1/sessions, from the roles of core/authz.c): P.may(action). */
"use strict";

const REFRESH_MS = 5000;
const HISTORY_ALERTS = 20;          /* alerts whose history is read, one request each */
const POWER_KINDS = ["utility", "generator", "ats", "ups", "pdu"]; /* upstream first */
const ACTIVE = {pending: 1, firing: 1};
const EVENTS_SHOWN = 50;            /* a device page's newest events */

const P = {
  me: null,           /* GET /api/v1/sessions: {user, role, tenant, actions} */
  devices: [],        /* GET /api/v1/status, config order */
  byId: new Map(),
  alerts: [],         /* GET /api/v1/alerts, newest first */
  history: [],        /* DC.alertHistory of the shown alerts */
  events: null,       /* a device page's newest events (DC.events), null: no store */
  historyFor: "",
  range: "1h",
  graphsFor: "",
  loads: 0,           /* completed refreshes (the browser tests wait on it) */
};
window.dcmonPortal = P;
P.may = (action) => !!(P.me && (P.me.actions || []).includes(action));

const SECTIONS = [
  {id: "overview", title: "Overview", draw: drawOverview},
  {id: "infrastructure", title: "Infrastructure", draw: drawInfrastructure},
  {id: "alerts", title: "Alerts", draw: drawAlertsSection, load: () => loadHistory(shownAlerts())},
];

/* ---- small parts ------------------------------------------------------------------ */

function showError(msg) {
  const e = document.getElementById("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function shared(d) { return d && d.scope === "shared"; }

/* The page's device id (/portal/devices/ID), or null on the tabs. */
function pageDevice() {
  const m = location.pathname.match(/^\/portal\/devices\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function section(title, cls) {
  const s = DC.el("section", cls || null);
  s.appendChild(DC.el("h2", null, title));
  return s;
}

function devLink(d) {
  const a = DC.el("a", "dev-id", d.id);
  a.href = "/portal/devices/" + encodeURIComponent(d.id);
  return a;
}

/* A server's checks have no profile headline: these say most about it. */
const SERVER_KEYS = /^(host_up|tcp_port_up|cpu_used_percent|memory_used_percent)$/;

/* Up to n values of a device: its profile's headline metrics first (a server's main
 * checks), then the others that have a value. */
function keyMetrics(d, n) {
  const ms = (d.metrics || []).filter((m) => m.quality !== "error" || !m.absent);
  const first = (m) => m.headline > 0 || SERVER_KEYS.test(m.name);
  const head = ms.filter(first).sort((x, y) => (x.headline || 99) - (y.headline || 99));
  const rest = ms.filter((m) => !first(m) && (m.value !== null || m.value_name));
  return head.concat(rest).slice(0, n);
}

function kv(label, text) {
  const f = DC.el("span", "kv");
  f.append(DC.el("span", "k", label), DC.el("b", null, text));
  return f;
}

/* A device as a card: id (link to its page), health, kind and state, key values;
 * shared infrastructure says it is read only. */
function devCard(d, nvalues) {
  const c = DC.el("div", "dev");
  c.dataset.device = d.id;
  c.dataset.scope = d.scope || "all";
  const head = DC.el("div", "dev-head");
  head.append(devLink(d), DC.badge(d.health));
  if (shared(d)) head.appendChild(DC.el("span", "ro", "shared \u00B7 read only"));
  c.append(head, DC.el("div", "dev-info", d.kind + " \u00B7 " + d.state + (d.reason ? " (" + d.reason + ")" : "")));
  const vals = DC.el("div", "vals");
  for (const m of keyMetrics(d, nvalues || 4))
    vals.appendChild(kv(m.name + (m.inst ? " " + m.inst : ""), DC.metricText(m)));
  c.appendChild(vals);
  return c;
}

function cards(list, nvalues) {
  const g = DC.el("div", "cards");
  for (const d of list) g.appendChild(devCard(d, nvalues));
  return g;
}

/* ---- overview: the racks and what is in them ------------------------------------- */

function rackKey(d) {
  const l = d.location || {};
  return l.rack ? [l.site, l.room, l.rack].join("/") : "";
}

function drawOverview(box) {
  const own = P.devices.filter((d) => !shared(d));
  const counts = {};
  for (const d of own) counts[d.health] = (counts[d.health] || 0) + 1;
  const active = P.alerts.filter((a) => ACTIVE[a.state]);
  const sum = section("Summary", "summary");
  sum.appendChild(DC.el("p", null, own.length + " devices: " + Object.entries(counts).map(([h, n]) => n + " " + h).join(", ") +
    " \u00B7 " + active.length + " active alerts"));
  box.appendChild(sum);
  const racks = new Map();
  for (const d of own) {
    const k = rackKey(d);
    if (!racks.has(k)) racks.set(k, []);
    racks.get(k).push(d);
  }
  for (const [k, list] of racks) {
    const l = k ? list[0].location : null;
    const s = section(k ? "Rack " + l.rack : "Without a rack", "rack");
    if (k) {
      s.dataset.rack = l.rack;
      s.appendChild(DC.el("p", "dim", DC.location(l)));
    }
    s.appendChild(cards(list));
    box.appendChild(s);
  }
}

/* ---- infrastructure: the power chain, cooling and inlet temperatures --------------- */

function hottest(d) {
  let best = null;
  for (const m of DC.metrics(d, /temperature_celsius$/))
    if (m.value !== null && m.quality !== "error" && (!best || m.value > best.value)) best = m;
  return best;
}

/* Each rack of the account's with the hottest probe of its PDUs, then every
 * temperature the environment sensors of its rooms report. */
function inletTable() {
  const t = DC.el("table", "inlets");
  t.appendChild(DC.el("thead")).appendChild(DC.el("tr")).append(DC.el("th", null, "where"), DC.el("th", null, "inlet"));
  const tb = t.appendChild(DC.el("tbody"));
  const row = (where, m, dev) => {
    const tr = tb.appendChild(DC.el("tr"));
    tr.dataset.device = dev.id;
    tr.append(DC.el("td", null, where), DC.el("td", "v", m ? DC.metricText(m) : "\u2014"));
  };
  const pdus = P.devices.filter((d) => d.kind === "pdu");
  const racks = new Set(P.devices.filter((d) => !shared(d) && d.location && d.location.rack).map(rackKey));
  for (const k of racks)
    for (const p of pdus.filter((x) => rackKey(x) === k))
      row("rack " + p.location.rack + " (" + p.id + ")", hottest(p), p);
  for (const e of P.devices.filter((d) => d.kind === "env"))
    for (const m of DC.metrics(e, /temperature_celsius$/))
      row(e.id + (m.inst ? " " + m.inst : "") + " (" + (e.location.room || "") + ")", m, e);
  return t;
}

function drawInfrastructure(box) {
  const power = P.devices.filter((d) => POWER_KINDS.includes(d.kind))
    .sort((x, y) => POWER_KINDS.indexOf(x.kind) - POWER_KINDS.indexOf(y.kind));
  const s1 = section("Power chain", "power");
  s1.appendChild(cards(power, 5));
  const s2 = section("Cooling", "cooling");
  s2.appendChild(cards(P.devices.filter((d) => d.kind === "cooling"), 5));
  const s3 = section("Inlet temperatures", "inlet");
  s3.appendChild(inletTable());
  box.append(s1, s2, s3);
}

/* ---- alerts ----------------------------------------------------------------------- */

/* Only the account's own devices' alerts, pending or firing, not yet acknowledged, and
 * only for a role that acknowledges (the API decides; this spares a button it refuses). */
function mayAck(a) {
  const d = P.byId.get(a.device);
  return ACTIVE[a.state] && !a.acked && d && !shared(d) && P.may("ack");
}

function alertCard(a) {
  const c = DC.el("div", "alert st-" + a.state);
  c.dataset.alert = a.id;
  c.dataset.device = a.device;
  const head = DC.el("div", "dev-head");
  const dl = DC.el("a", "dev-id", a.device);
  dl.href = "/portal/devices/" + encodeURIComponent(a.device);
  head.append(DC.badge(a.state === "resolved" ? "ok" : a.severity, a.state === "resolved" ? "RESOLVED" : undefined), dl);
  if (shared(P.byId.get(a.device))) head.appendChild(DC.el("span", "ro", "shared \u00B7 read only"));
  c.appendChild(head);
  c.appendChild(DC.el("div", null, (a.summary || a.rule) + " \u00B7 " + a.metric + " = " +
    (a.value === null ? "\u2014" : DC.num(a.value) + (a.unit ? " " + a.unit : ""))));
  c.appendChild(DC.el("div", "dim", a.state + " since " + new Date(a.since_ms).toLocaleString()));
  if (a.acked) c.appendChild(DC.el("div", "acked", "acknowledged by " + a.ack.by + (a.ack.comment ? ": " + a.ack.comment : "")));
  if (mayAck(a)) {
    const b = DC.el("button", "ack", "Acknowledge");
    b.type = "button";
    b.onclick = () => ack(a);
    c.appendChild(b);
  }
  return c;
}

function alertList(alerts, empty) {
  const g = DC.el("div", "cards");
  for (const a of alerts) g.appendChild(alertCard(a));
  if (!alerts.length) g.appendChild(DC.el("p", "dim", empty));
  return g;
}

/* The history of the alerts shown (active ones first), read again when one of them
 * changed. */
async function loadHistory(shown) {
  const alerts = shown.filter((a) => ACTIVE[a.state]).concat(shown.filter((a) => !ACTIVE[a.state]));
  const sig = alerts.slice(0, HISTORY_ALERTS).map((a) => a.id + a.state + a.acked).join(",");
  if (sig === P.historyFor) return false;
  P.history = await DC.alertHistory(alerts, HISTORY_ALERTS);
  P.historyFor = sig;
  return true;
}

function historyList(items) {
  const ol = DC.el("ol", "history");
  ol.id = "history";
  for (const i of items.slice(0, 50)) {
    const li = DC.el("li", null, new Date(i.ts).toLocaleString() + "  " + i.alert.device + " " + i.text);
    li.dataset.device = i.alert.device;
    ol.appendChild(li);
  }
  return ol;
}

function drawAlertBlocks(box, alerts) {
  const s1 = section("Active", "active");
  s1.appendChild(alertList(alerts.filter((a) => ACTIVE[a.state]), "no active alert"));
  const s2 = section("Resolved", "resolved");
  s2.appendChild(alertList(alerts.filter((a) => !ACTIVE[a.state]), "none"));
  const s3 = section("History", "hist");
  s3.appendChild(historyList(P.history));
  box.append(s1, s2, s3);
}

function drawAlertsSection(box) {
  drawAlertBlocks(box, P.alerts);
}

/* The alerts of the page: the device's on its page, else all of them. */
function shownAlerts() {
  const id = pageDevice();
  return id ? P.alerts.filter((a) => a.device === id) : P.alerts;
}

/* Acknowledge with a comment, through POST /api/v1/alerts/ID/ack (the session's CSRF
 * token goes with it: DC.api). */
function ack(a) {
  const dlg = document.getElementById("ack-dlg");
  document.getElementById("ack-title").textContent = "Acknowledge " + (a.summary || a.rule) + " on " + a.device;
  document.getElementById("ack-comment").value = "";
  dlg.onclose = async () => {
    if (dlg.returnValue !== "ok") return;
    try {
      await DC.api("POST", "/api/v1/alerts/" + a.id + "/ack", {comment: document.getElementById("ack-comment").value});
      showError("");
      refresh();
    } catch (e) {
      showError("acknowledge failed: " + e.message);
    }
  };
  dlg.showModal();
}

/* ---- a device's page ---------------------------------------------------------------- */

function metricsTable(dev) {
  const t = DC.el("table", "metrics");
  t.appendChild(DC.el("thead")).appendChild(DC.el("tr")).append(DC.el("th", null, "metric"), DC.el("th", null, "value"), DC.el("th", null, "quality"));
  const tb = t.appendChild(DC.el("tbody"));
  for (const m of dev.metrics || []) {
    const tr = tb.appendChild(DC.el("tr", "q-" + m.quality));
    tr.dataset.key = m.key;
    tr.append(DC.el("td", null, m.key), DC.el("td", "v", DC.metricText(m)), DC.el("td", null, m.quality + (m.reason ? ": " + m.reason : "")));
  }
  return t;
}

function rangeButtons() {
  const r = DC.el("span", "ranges");
  for (const [k, label] of [["1h", "hour"], ["1d", "day"], ["1w", "week"], ["1y", "year"]]) {
    const b = DC.el("button", k === P.range ? "on" : null, label);
    b.type = "button";
    b.dataset.range = k;
    b.onclick = () => { P.range = k; P.graphsFor = ""; draw(); };
    r.appendChild(b);
  }
  return r;
}

/* The graphs are the one part kept between refreshes: asked again when the range or the
 * metrics change, and once a minute. */
function graphsBox(dev) {
  const stamp = Math.floor(Date.now() / 60000);
  const sig = dev.id + "|" + P.range + "|" + stamp + "|" + (dev.metrics || []).map((m) => m.key).join(",");
  const old = document.getElementById("graphs");
  if (old && sig === P.graphsFor) return old;
  P.graphsFor = sig;
  const g = DC.el("div", "graphs");
  g.id = "graphs";
  g.appendChild(DC.graphFigures(dev, P.range, stamp));
  return g;
}

function drawDevice(box, id) {
  const dev = P.byId.get(id);
  if (!dev) {
    box.appendChild(DC.el("p", "dim", "no such device: " + id));
    return;
  }
  document.title = dev.id + " \u2014 dcmon portal";
  const s = section("", "device");
  s.dataset.device = dev.id;
  s.dataset.scope = dev.scope || "all";
  const h = s.querySelector("h2");
  h.append(DC.el("span", null, dev.id + " "), DC.badge(dev.health, dev.health.toUpperCase() + (dev.health_reason ? ": " + dev.health_reason : "")));
  if (shared(dev)) s.appendChild(DC.el("p", "ro", "shared infrastructure \u00B7 read only"));
  s.appendChild(DC.el("p", "dim", dev.kind + " \u00B7 " + (dev.host || "") + " \u00B7 " + DC.location(dev) +
    " \u00B7 " + dev.state + (dev.reason ? " (" + dev.reason + ")" : "")));
  box.appendChild(s);
  drawAlertBlocks(box, shownAlerts());
  const m = section("Metrics", "metrics-sec");
  m.append(metricsTable(dev));
  const g = section("Graphs", "graphs-sec");
  g.querySelector("h2").appendChild(rangeButtons());
  g.appendChild(graphsBox(dev));
  box.append(m, g);
  if (P.events) box.appendChild(eventsSection(P.events));
}

/* The device's events through the search API, as the session may see them: the one
 * authorization point scopes them, this page only asks for the device's. */
function eventsSection(events) {
  const s = section("Events", "events-sec");
  const t = DC.el("table");
  t.id = "events";
  const head = DC.el("tr");
  for (const h of ["received", "kind", "severity", "program", "message", "flags"]) head.appendChild(DC.el("th", null, h));
  t.createTHead().appendChild(head);
  t.createTBody().appendChild(DC.eventRows(events, false));
  s.appendChild(events.length ? t : DC.el("p", "dim", "no events"));
  return s;
}

/* ---- loading and drawing ---------------------------------------------------------- */

function shownSections() {
  return SECTIONS.filter((s) => !s.may || s.may());
}

function currentSection() {
  const id = location.hash.replace(/^#/, "");
  return shownSections().find((s) => s.id === id) || SECTIONS[0];
}

function drawTabs() {
  const nav = document.getElementById("tabs");
  const cur = pageDevice() ? null : currentSection();
  nav.replaceChildren(...shownSections().map((s) => {
    const a = DC.el("a", s === cur ? "on" : null, s.title);
    a.href = "/portal#" + s.id;
    a.dataset.section = s.id;
    return a;
  }));
}

function draw() {
  drawTabs();
  const view = document.getElementById("view");
  const box = document.createDocumentFragment();
  const id = pageDevice();
  const sec = id ? null : currentSection();
  if (sec && sec.update && view.dataset.drawn === sec.id) {
    sec.update();
    return;
  }
  if (id) drawDevice(box, id);
  else sec.draw(box);
  view.replaceChildren(box);
  view.dataset.drawn = sec ? sec.id : "";
}

async function whoami() {
  const j = await DC.api("GET", "/api/v1/sessions");
  if (j.user === "anonymous") { /* the portal is an account's: log in first */
    location.href = "/login";
    return false;
  }
  P.me = j;
  return true;
}

function drawWho() {
  const tenant = P.me.tenant || (P.devices.find((d) => d.scope === "own") || {}).tenant;
  document.getElementById("who").textContent = P.me.user + " \u00B7 " + P.me.role + (tenant ? " \u00B7 " + tenant : "");
}

async function refresh() {
  try {
    if (!P.me && !(await whoami())) return;
    const [st, al] = await Promise.all([DC.api("GET", "/api/v1/status"), DC.api("GET", "/api/v1/alerts")]);
    P.devices = st.devices || [];
    P.byId = new Map(P.devices.map((d) => [d.id, d]));
    P.alerts = (al.alerts || []).sort((x, y) => y.since_ms - x.since_ms);
    const sec = pageDevice() ? SECTIONS.find((x) => x.id === "alerts") : currentSection();
    if (sec.load) await sec.load(); /* a device's page shows its alerts' history */
    if (pageDevice()) P.events = await DC.events({device: pageDevice(), limit: EVENTS_SHOWN});
    drawWho();
    draw();
    showError("");
    P.loads++;
  } catch (e) {
    showError("cannot read the portal's data: " + e.message);
  }
}

document.getElementById("logout").onclick = async () => {
  try { await DC.api("POST", "/api/v1/logout"); } catch (e) { /* ended already */ }
  sessionStorage.removeItem("dcmon-csrf");
  location.href = "/login";
};
window.addEventListener("hashchange", () => { P.graphsFor = ""; refresh(); });
refresh();
setInterval(refresh, REFRESH_MS);
