/* The NOC wall: live state from GET /api/v1/events (Server-Sent Events), drawn as
 * tiles per site and hall plus the active alert list.  No scrolling: what does not fit
 * is summarised as "+N more". */
"use strict";

const BLIND_AFTER_MS = 5000;    /* no event (the server pings every second): unreachable */
const RECONNECT_MS = 2000;
const ALERT_STATES = {pending: 1, firing: 1};

const W = {
  devices: new Map(),  /* id -> device JSON */
  order: [],           /* ids in config order */
  alerts: [],
  sites: [],
  lastEventMs: 0,      /* Date.now() of the last event */
  skewMs: 0,           /* server clock - ours */
  connected: false,
  dirty: true,
};
window.dcmonWall = W;

/* ---- functions of a hall: which kinds, which rows ---------------------------------- */

function serverNow() { return Date.now() + W.skewMs; }

/* Freshness of a device: "stale" when its newest value is older than 3 intervals. */
function devStatus(d) {
  const newest = Math.max(0, ...(d.metrics || []).map((m) => m.value_ts_ms || 0), d.last_poll_ms || 0);
  const limit = 3 * (d.interval_ms || 10000);
  if (d.state === "unknown" || newest === 0) return "unknown";
  if (d.state !== "unreachable" && serverNow() - newest > limit) return "stale";
  return d.health || "unknown";
}

function devLink(d) {
  const a = DC.el("a", null, d.id);
  a.href = "/devices/" + encodeURIComponent(d.id);
  return a;
}

/* One labelled value: "source normal" (label small, value large). */
function val(text, key, cls) {
  const f = DC.el("span", "kv");
  if (key) f.appendChild(DC.el("span", "k", key));
  f.appendChild(DC.el("b", cls || null, text));
  return f;
}

function maxMetric(d, re) {
  let best = null;
  for (const m of DC.metrics(d, re))
    if (m.value !== null && m.quality !== "error" && (!best || m.value > best.value)) best = m;
  return best || DC.metric(d, re);
}

function stateMetric(d, re) {
  return DC.metrics(d, re).find((m) => m.kind === "state") || null;
}

const FUNCTIONS = [
  {id: "power", title: "Power", kinds: ["utility", "ats", "ups"], row(d, r) {
    if (d.kind === "ups") {
      const src = DC.metric(d, /^output_source_state$/);
      const srcCls = src && src.value_name === "battery" ? "v-critical"
        : src && src.value_name && src.value_name !== "normal" ? "v-warning" : null;
      r.append(val(DC.metricText(src), "source", srcCls), val(DC.metricText(maxMetric(d, /^output_load_percent$/)), "load"),
               val(DC.metricText(DC.metric(d, /^battery_runtime_seconds$/)), "runtime"),
               val(DC.metricText(DC.metric(d, /^battery_charge_percent$/)), "charge"));
    } else {
      r.append(val(DC.metricText(stateMetric(d, /state$/)), "state"),
               val(DC.metricText(maxMetric(d, /voltage_volts$/)), "voltage"));
    }
  }},
  {id: "generators", title: "Generators", kinds: ["generator"], row(d, r) {
    const fuel = DC.metric(d, /^fuel.*percent$/);
    let rt = DC.metric(d, /(runtime|remaining).*seconds$/);
    let rtText = DC.metricText(rt);
    if (!rt) { /* runtime at the current burn rate: level / rate */
      const lvl = DC.metric(d, /^fuel.*(liters|litres)$/), rate = DC.metric(d, /^fuel.*(rate|consumption).*(per_hour|hour)$/);
      if (lvl && rate && rate.value > 0) rtText = DC.duration(lvl.value / rate.value * 3600);
    }
    r.append(val(DC.metricText(stateMetric(d, /state$/)), "state"), val(DC.metricText(fuel), "fuel"),
             val(rtText, "runtime"));
  }},
  {id: "cooling", title: "Cooling", kinds: ["cooling"], row(d, r) {
    r.append(val(DC.metricText(DC.metric(d, /supply.*celsius$/)), "supply"),
             val(DC.metricText(DC.metric(d, /return.*celsius$/)), "return"),
             val(DC.metricText(DC.metric(d, /humidity.*percent$/)), "RH"),
             val(DC.metricText(stateMetric(d, /state$/)), "state"));
  }},
  {id: "environment", title: "Environment", kinds: ["env"], rows: envRows},
  {id: "fire", title: "Fire", kinds: ["fire"], row(d, r) {
    const zones = DC.metrics(d, /state$/).filter((m) => m.kind === "state" && !/suppress|release|agent|extinguish/.test(m.name));
    const sup = DC.metrics(d, /suppress|release|agent|extinguish/).filter((m) => m.kind === "state");
    for (const z of zones.slice(0, 4)) {
      const bad = z.value_name && !/^(normal|ok|clear|quiet|idle)$/.test(z.value_name);
      r.append(val(DC.metricText(z), z.inst || z.name.replace(/_state$/, ""), bad ? "v-critical" : null));
    }
    for (const s of sup) {
      const rel = s.value_name && /release|discharg|fired/.test(s.value_name);
      r.append(val(DC.metricText(s), "suppression", rel ? "v-critical" : null));
    }
    if (!zones.length && !sup.length) r.append(val(d.state, "device"));
  }},
  {id: "servers", title: "Servers", kinds: ["server"], rows: serverRows},
];

/* Environment: the hottest inlet per row. */
function envRows(devs) {
  const byRow = new Map();
  for (const d of devs) {
    const key = (d.location && d.location.row) || "\u2014";
    for (const m of DC.metrics(d, /(temperature|inlet).*celsius$/)) {
      if (m.value === null || m.quality === "error") continue;
      const cur = byRow.get(key);
      if (!cur || m.value > cur.m.value) byRow.set(key, {d: d, m: m});
    }
    if (!byRow.has(key)) byRow.set(key, {d: d, m: null});
  }
  return [...byRow.entries()].sort((a, b) => a[0].localeCompare(b[0], undefined, {numeric: true})).map(([row, x]) => ({
    name: "row " + row, status: devStatus(x.d), dev: x.d,
    fill(r) { r.append(val(DC.metricText(x.m), x.m ? x.d.id + (x.m.inst ? " " + x.m.inst : "") : "no reading")); },
  }));
}

/* Servers: up / down counts per tenant. */
function serverRows(devs) {
  const t = new Map();
  for (const d of devs) {
    const k = d.tenant || "no tenant";
    const c = t.get(k) || {up: 0, down: 0, unknown: 0, status: "ok", worst: 4};
    const st = devStatus(d);
    if (d.state === "unreachable") c.down++;
    else if (st === "unknown" || st === "stale") c.unknown++;
    else c.up++;
    const rank = (DC.SEV[st] || DC.SEV.unknown).rank;
    if (rank < c.worst) { c.worst = rank; c.status = st; }
    t.set(k, c);
  }
  return [...t.entries()].sort().map(([k, c]) => ({
    name: k, status: c.status,
    fill(r) {
      r.append(val(String(c.up), "up"), val(String(c.down), "down", c.down ? "v-critical" : null));
      if (c.unknown) r.append(val(String(c.unknown), "no data", "v-warning"));
    },
  }));
}

/* ---- drawing -------------------------------------------------------------------- */

const RANK = (s) => (DC.SEV[s] || DC.SEV.unknown).rank;

function tile(fn, devs) {
  const t = DC.el("div", "tile");
  t.dataset.fn = fn.id;
  const h = DC.el("h3");
  h.appendChild(DC.el("span", null, fn.title));
  t.appendChild(h);
  const rows = DC.el("div", "rows");
  t.appendChild(rows);
  if (!devs.length) {
    t.classList.add("none");
    rows.appendChild(DC.el("div", "none-text", "none configured"));
    return t;
  }
  const list = fn.rows ? fn.rows(devs) : devs.map((d) => ({name: null, dev: d, status: devStatus(d),
    fill: (r) => fn.row(d, r)}));
  let worst = "ok";
  for (const x of list) {
    const r = DC.el("div", "row st-" + x.status);
    if (x.dev && !fn.rows) r.dataset.device = x.dev.id;
    const n = DC.el("span", "name");
    n.appendChild(x.name ? document.createTextNode(x.name) : devLink(x.dev));
    const v = DC.el("span", "vals");
    x.fill(v);
    if (x.status !== "ok") v.prepend(DC.badge(x.status), document.createTextNode(" "));
    r.append(n, v);
    rows.appendChild(r);
    if (RANK(x.status) < RANK(worst)) worst = x.status;
  }
  t.classList.add("st-" + worst);
  h.appendChild(DC.badge(worst));
  t.dataset.status = worst;
  return t;
}

function halls() {
  const groups = new Map();
  const name = (site, room) => {
    const s = W.sites.find((x) => x.id === site);
    const r = s && s.rooms.find((x) => x.id === room);
    return {site: s ? s.name : site || "unassigned", room: r ? r.name : room || ""};
  };
  for (const s of W.sites) for (const r of s.rooms) groups.set(s.id + "\u0000" + r.id, []);
  for (const id of W.order) {
    const d = W.devices.get(id);
    if (!d) continue;
    const k = (d.location.site || "") + "\u0000" + (d.location.room || "");
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(d);
  }
  return [...groups.entries()].filter(([, v]) => v.length).map(([k, v]) => {
    const [site, room] = k.split("\u0000");
    return Object.assign(name(site, room), {key: k, devices: v});
  });
}

function drawSites() {
  const root = document.getElementById("sites");
  const out = document.createDocumentFragment();
  for (const h of halls()) {
    const sec = DC.el("div", "hall");
    sec.dataset.hall = h.key.replace("\u0000", "/");
    const t = DC.el("h2", null, h.site + (h.room ? " \u00B7 " + h.room : ""));
    t.appendChild(DC.el("small", null, h.devices.length + " devices"));
    sec.appendChild(t);
    const tiles = DC.el("div", "tiles");
    for (const fn of FUNCTIONS) tiles.appendChild(tile(fn, h.devices.filter((d) => fn.kinds.includes(d.kind))));
    sec.appendChild(tiles);
    out.appendChild(sec);
  }
  root.replaceChildren(out);
  for (const rows of root.querySelectorAll(".rows")) fitList(rows, "row", "more");
}

/* Removes trailing items until the list fits, then says how many are hidden. */
function fitList(list, itemClass, moreClass) {
  if (list.scrollHeight <= list.clientHeight + 1) return;
  const items = [...list.children].filter((c) => c.classList.contains(itemClass));
  let hidden = 0;
  const more = DC.el(list.tagName === "OL" ? "li" : "div", moreClass);
  list.appendChild(more);
  while (items.length > 1 && list.scrollHeight > list.clientHeight + 1) {
    items.pop().remove();
    hidden++;
    more.textContent = "+" + hidden + " more";
  }
  if (!hidden) more.remove();
}

function activeAlerts() {
  return W.alerts.filter((a) => ALERT_STATES[a.state]).sort((a, b) =>
    RANK(a.severity) - RANK(b.severity) || b.since_ms - a.since_ms || b.id - a.id);
}

function drawAlerts() {
  const list = document.getElementById("alert-list");
  const act = activeAlerts();
  document.getElementById("alert-count").textContent = act.length ? String(act.length) : "";
  const out = document.createDocumentFragment();
  if (!act.length) {
    const li = DC.el("li", "no-alerts ok");
    li.appendChild(DC.badge("ok", "No active alerts"));
    out.appendChild(li);
  }
  const now = serverNow();
  for (const a of act) {
    const li = DC.el("li", "alert a-" + a.severity + (a.acked || a.silenced || a.suppressed ? " a-dim" : ""));
    li.dataset.id = a.id;
    li.dataset.device = a.device;
    li.dataset.severity = a.severity;
    const l1 = DC.el("div", "a-line1");
    const unit = a.unit ? (DC.unitShort[a.unit] !== undefined ? DC.unitShort[a.unit] : " " + a.unit) : "";
    l1.append(DC.badge(a.severity), DC.el("span", "a-dev", a.device),
              DC.el("span", "a-val", a.value === null ? "\u2014" : DC.num(a.value) + unit),
              DC.el("span", "a-since", "since " + DC.clock(a.since_ms) + " (" + DC.duration((now - a.since_ms) / 1000) + ")"));
    const l2 = DC.el("div", "a-line2");
    l2.append(DC.el("span", "a-metric", a.metric),
              DC.el("span", "a-loc", [a.site, a.room].filter((x) => x).join(" / ") || "\u2014"));
    if (a.summary) l2.append(DC.el("span", "a-sum", a.summary));
    if (a.state === "pending") l2.append(DC.el("span", "flag", "PENDING"));
    if (a.acked) l2.append(DC.el("span", "flag f-ack", "ACKED" + (a.ack && a.ack.by ? " by " + a.ack.by : "")));
    if (a.silenced) l2.append(DC.el("span", "flag f-sil", "SILENCED"));
    if (a.suppressed) l2.append(DC.el("span", "flag f-sup", "SUPPRESSED"));
    if (a.flapping) l2.append(DC.el("span", "flag", "FLAPPING"));
    li.append(l1, l2);
    out.appendChild(li);
  }
  list.replaceChildren(out);
  fitList(list, "alert", "more");
}

function drawHeader() {
  const now = Date.now();
  document.getElementById("clock").textContent = DC.clock(now, true);
  const blind = !W.connected || now - W.lastEventMs > BLIND_AFTER_MS;
  document.body.classList.toggle("blind", blind);
  document.body.classList.remove("connecting");
  const age = W.lastEventMs ? (now - W.lastEventMs) / 1000 : null;
  document.getElementById("age-v").textContent = age === null ? "none" : DC.duration(age);
  const banner = document.getElementById("banner");
  const devs = [...W.devices.values()];
  const stale = devs.filter((d) => devStatus(d) === "stale");
  if (blind) {
    banner.className = "down";
    banner.textContent = "\u26A0 DCMOND UNREACHABLE \u2014 " + (W.lastEventMs
      ? "NO DATA SINCE " + DC.clock(W.lastEventMs, true) + " (" + DC.duration(age) + ")" : "NO DATA YET") +
      " \u2014 WHAT YOU SEE IS NOT LIVE";
    banner.hidden = false;
  } else if (stale.length) {
    banner.className = "stale";
    banner.textContent = "\u231B STALE DATA \u2014 " + stale.length + " device" + (stale.length > 1 ? "s" : "") +
      " without fresh values: " + stale.slice(0, 5).map((d) => d.id).join(", ") + (stale.length > 5 ? ", \u2026" : "");
    banner.hidden = false;
  } else {
    banner.hidden = true;
    banner.className = "";
  }
  const act = activeAlerts();
  let worst = blind ? "unknown" : "ok";
  for (const d of devs) { const s = devStatus(d); if (RANK(s) < RANK(worst)) worst = s; }
  for (const a of act) if (!a.acked && !a.silenced && RANK(a.severity) < RANK(worst)) worst = a.severity;
  const ov = document.getElementById("overall");
  ov.replaceChildren(DC.badge(worst, blind ? "BLIND" : undefined));
  ov.dataset.status = worst;
  const down = devs.filter((d) => d.state === "unreachable").length;
  document.getElementById("counts").textContent = devs.length + " devices \u00B7 " + down + " down \u00B7 " + act.length + " alerts";
}

function draw() {
  if (W.dirty) {
    drawSites();
    drawAlerts();
    W.dirty = false;
  }
  drawHeader();
}

/* ---- the event stream ---------------------------------------------------------------- */

function onData(ev, fn) {
  let j;
  try { j = JSON.parse(ev.data); } catch (e) { return; }
  W.lastEventMs = Date.now();
  W.connected = true;
  if (j.ts_ms) W.skewMs = j.ts_ms - Date.now();
  fn(j);
  requestAnimationFrame(draw);
}

function connect() {
  const es = new EventSource("/api/v1/events");
  W.es = es;
  es.addEventListener("snapshot", (ev) => onData(ev, (j) => {
    W.sites = j.sites || [];
    W.devices = new Map();
    W.order = [];
    for (const d of j.devices || []) if (d) { W.devices.set(d.id, d); W.order.push(d.id); }
    W.alerts = j.alerts || [];
    W.dirty = true;
  }));
  es.addEventListener("diff", (ev) => onData(ev, (j) => {
    for (const d of j.devices || []) {
      if (!W.devices.has(d.id)) W.order.push(d.id);
      W.devices.set(d.id, d);
    }
    if (j.alerts) W.alerts = j.alerts;
    W.dirty = true;
  }));
  es.addEventListener("alert", (ev) => onData(ev, () => {}));
  es.addEventListener("ping", (ev) => onData(ev, () => {}));
  es.onerror = () => {
    W.connected = es.readyState === EventSource.OPEN;
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  };
}

/* A stream that went silent (half-open connection) is replaced. */
setInterval(() => {
  if (W.es && W.lastEventMs && Date.now() - W.lastEventMs > 3 * BLIND_AFTER_MS && W.es.readyState === EventSource.OPEN) {
    W.es.close();
    W.connected = false;
    connect();
  }
  draw();
}, 500);
connect();
draw();
