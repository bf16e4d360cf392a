/* The NOC wall: live state from GET /api/v1/events (Server-Sent Events), drawn as
 * tiles per site and hall plus the active alert list.  No scrolling: the halls' text
 * scales down until every device fits; alerts that do not fit are summarised as
 * "+N more". */
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

/* Labelled values of the metrics a device has: [label, regex] pairs; a metric the
 * device does not report is left out rather than shown as a dash. */
function present(d, r, pairs) {
  for (const [label, re, pick] of pairs) {
    const m = (pick || DC.metric)(d, re);
    if (m) r.append(val(DC.metricText(m), label));
  }
}

/* A generator that is not running has no burn rate, hence no runtime: "not running"
 * rather than the error an empty division gives. */
function generatorRuntime(d, running) {
  const rt = DC.metric(d, /(runtime|remaining).*seconds$/);
  if (rt && rt.quality !== "error" && rt.value !== null) return DC.metricText(rt);
  const lvl = DC.metric(d, /^fuel.*(liters|litres)$/), rate = DC.metric(d, /^fuel.*(rate|burn|consumption).*(per_hour|hour)$/);
  if (lvl && rate && rate.value > 0) return DC.duration(lvl.value / rate.value * 3600);
  return running ? "\u2014" : "not running";
}

/* ---- sparklines: the last hour of a key value, from the archive ------------------- */

const SPARK_REFRESH_MS = 60000, SPARK_RETRY_MS = 5000;  /* the retry while it has no line yet */
const SPARKS = new Map();  /* "device|metric|inst" -> {values, fetchedMs, busy} */

function sparkFetch(key, d, m) {
  const s = SPARKS.get(key) || {values: null, fetchedMs: 0, busy: false};
  SPARKS.set(key, s);
  const known = (s.values || []).filter((v) => v !== null).length;
  if (s.busy || Date.now() - s.fetchedMs < (known >= 2 ? SPARK_REFRESH_MS : SPARK_RETRY_MS)) return s;
  s.busy = true;
  const q = "device=" + encodeURIComponent(d.id) + "&metric=" + encodeURIComponent(m.name) +
    (m.inst ? "&inst=" + encodeURIComponent(m.inst) : "") + "&range=1h&format=json";
  DC.api("GET", "/api/v1/graph?" + q).then((j) => { s.values = j.values; W.dirty = true; })
    .catch(() => {}).finally(() => { s.busy = false; s.fetchedMs = Date.now(); });
  return s;
}

/* A labelled value followed by its last hour as a line (neutral colour: the value's
 * state is told by the value itself). */
function valSpark(text, key, d, m, cls) {
  const f = val(text, key, cls);
  if (!m || !d) return f;
  const s = sparkFetch(d.id + "|" + m.name + "|" + (m.inst || ""), d, m);
  const pts = [];
  const vs = s.values || [];
  vs.forEach((v, i) => { if (v !== null) pts.push([i, v]); });
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 20");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.dataset.points = String(pts.length);
  svg.dataset.metric = m.name;
  if (pts.length >= 2) {
    const lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
    const y = (v) => hi > lo ? 18 - (v - lo) / (hi - lo) * 16 : 10;  /* a steady value: mid-height */
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.map(([i, v]) =>
      (i / Math.max(1, vs.length - 1) * 100).toFixed(2) + "," + y(v).toFixed(2)).join(" "));
    svg.appendChild(line);
  }
  f.appendChild(svg);
  return f;
}

function kw(m) {
  return m && m.value !== null && m.quality !== "error" ? DC.num(m.value / 1000) + " kW" : DC.metricText(m);
}

const FUNCTIONS = [
  {id: "power", title: "Power", kinds: ["utility", "ats", "ups"], row(d, r) {
    if (d.kind === "ups") {
      const src = DC.metric(d, /^output_source_state$/);
      const srcCls = src && src.value_name === "battery" ? "v-critical"
        : src && src.value_name && src.value_name !== "normal" ? "v-warning" : null;
      const load = maxMetric(d, /^output_load_percent$/), rt = DC.metric(d, /^battery_runtime_seconds$/);
      r.append(val(DC.metricText(src), "source", srcCls), valSpark(DC.metricText(load), "load", d, load),
               valSpark(DC.metricText(rt), "runtime", d, rt),
               val(DC.metricText(DC.metric(d, /^battery_charge_percent$/)), "charge"));
    } else if (d.kind === "ats") {
      present(d, r, [["position", /^switch_position_state$/], ["output", /^output_voltage_volts$/]]);
    } else {
      present(d, r, [["supply", /state$/, stateMetric], ["voltage", /voltage_volts$/, maxMetric]]);
      const p = DC.metric(d, /^power_watts$/);
      if (p) r.append(val(kw(p), "power"));
    }
  }},
  {id: "generators", title: "Generators", kinds: ["generator"], row(d, r) {
    const eng = stateMetric(d, /^engine_state$/) || stateMetric(d, /state$/);
    const running = !!(eng && eng.value_name && /run|load|start|crank/.test(eng.value_name));
    const fuel = DC.metric(d, /^fuel.*percent$/);
    r.append(val(DC.metricText(eng), "engine"), valSpark(DC.metricText(fuel), "fuel", d, fuel),
             val(generatorRuntime(d, running), "runtime"));
    if (running) present(d, r, [["load", /^engine_load_percent$/]]);
  }},
  {id: "cooling", title: "Cooling", kinds: ["cooling"], row(d, r) {
    present(d, r, [["state", /^operating_state$/], ["supply", /^supply_(air_)?(temperature_)?celsius$/],
                   ["return", /^return_(air_)?(temperature_)?celsius$/], ["RH", /^return_humidity_percent$|^humidity_percent$/],
                   ["fan", /^fan_speed_percent$/]]);
    if (!r.childElementCount) present(d, r, [["state", /state$/, stateMetric]]);
  }},
  {id: "environment", title: "Environment", kinds: ["env"], row(d, r) {
    const hot = maxMetric(d, /(temperature|inlet).*celsius$/);
    if (hot) r.append(valSpark(DC.metricText(hot), "hottest" + (hot.inst ? " " + hot.inst : ""), d, hot));
    present(d, r, [["RH", /humidity.*percent$/, maxMetric]]);
  }},
  {id: "safety", title: "Fire and leak", kinds: ["fire", "leak"], row: safetyRow},
  {id: "racks", title: "Racks", kinds: ["rack", "pdu", "server"], rows: rackRows},
];

/* Fire zones that exist (a panel reports all its slots; the empty ones say
 * "not_present") and every suppression or leak state, each under its own name. */
function safetyRow(d, r) {
  for (const m of (d.metrics || []).filter((x) => x.kind === "state")) {
    if (m.value_name === "not_present" || /unit_state$/.test(m.name)) continue;
    const label = m.name === "zone_state" ? "zone " + (m.inst || "")
      : m.name.replace(/^suppression_/, "").replace(/_state$/, "").replace(/_/g, " ") + (m.inst ? " " + m.inst : "");
    const alarm = /^(released|discharged)$/.test(label) && m.value_name === "on" ||
      /^(alarm|fire|release|discharg|leak)/.test(m.value_name || "") || label === "leak" && m.value_name === "on";
    r.append(val(DC.metricText(m), label, alarm ? "v-critical" : null));
  }
  present(d, r, [["agent", /^agent.*(bars|pascals|percent)$/]]);
}

/* One row per rack: its feeds (PDU power), the hottest inlet its PDUs' probes see,
 * and its servers by name, each marked with its own state. */
function rackRows(devs) {
  const racks = new Map();
  for (const d of devs) {
    const key = (d.location && d.location.rack) || (d.kind === "rack" ? d.id : "\u0000" + (d.tenant || ""));
    if (!racks.has(key)) racks.set(key, {key: key, rack: null, pdus: [], servers: []});
    const x = racks.get(key);
    if (d.kind === "rack") x.rack = d; else if (d.kind === "pdu") x.pdus.push(d); else x.servers.push(d);
  }
  return [...racks.values()].sort((a, b) => a.key.localeCompare(b.key, undefined, {numeric: true})).map((x) => {
    const all = [x.rack, ...x.pdus, ...x.servers].filter((d) => d);
    let status = "ok";
    for (const d of all) { const st = devStatus(d); if (RANK(st) < RANK(status)) status = st; }
    return {
      name: x.rack ? null : x.key.startsWith("\u0000") ? "servers" + (x.key.length > 1 ? " " + x.key.slice(1) : "") : x.key,
      dev: x.rack, status: status,
      fill(r) {
        for (const p of x.pdus) {
          const f = val(kw(DC.metric(p, /^pdu_power_watts$/) || DC.metric(p, /power_watts$/)), p.id);
          f.dataset.device = p.id;
          r.append(f);
        }
        const inlet = x.pdus.map((p) => maxMetric(p, /temperature_celsius$/)).filter((m) => m && m.value !== null)
          .sort((a, b) => b.value - a.value)[0];
        if (inlet) r.append(val(DC.metricText(inlet), "inlet"));
        for (const s of x.servers) r.append(serverMark(s));
      },
    };
  });
}

function serverMark(d) {
  const st = devStatus(d);
  const f = DC.el("span", "srv st-" + st);
  f.dataset.device = d.id;
  f.append(DC.el("i", "sev-icon", (DC.SEV[st] || DC.SEV.unknown).icon), document.createTextNode(" "), devLink(d));
  return f;
}

/* ---- drawing -------------------------------------------------------------------- */

const RANK = (s) => (DC.SEV[s] || DC.SEV.unknown).rank;

/* Devices of kinds no function shows still get a tile, so none is ever invisible. */
function otherFunction(devs) {
  const known = new Set(FUNCTIONS.flatMap((f) => f.kinds));
  const rest = devs.filter((d) => !known.has(d.kind));
  return rest.length ? [{fn: {id: "other", title: "Other", row(d, r) { r.append(val(d.state, d.kind)); }}, devs: rest}] : [];
}

const MANY_ROWS = 12;  /* more rows than this flow into columns */

function tile(fn, devs) {
  const t = DC.el("div", "tile");
  t.dataset.fn = fn.id;
  const h = DC.el("h3");
  h.appendChild(DC.el("span", null, fn.title));
  t.appendChild(h);
  const rows = DC.el("div", "rows");
  t.appendChild(rows);
  const list = fn.rows ? fn.rows(devs) : devs.map((d) => ({name: null, dev: d, status: devStatus(d),
    fill: (r) => fn.row(d, r)}));
  if (list.length > MANY_ROWS) t.classList.add("many");
  let worst = "ok";
  for (const x of list) {
    const r = DC.el("div", "row st-" + x.status);
    if (x.dev) r.dataset.device = x.dev.id;
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

function hallSection(h) {
  const sec = DC.el("div", "hall");
  sec.dataset.hall = h.key.replace("\u0000", "/");
  const t = DC.el("h2", null, h.site + (h.room ? " \u00B7 " + h.room : ""));
  t.appendChild(DC.el("small", null, h.devices.length + " devices"));
  sec.appendChild(t);
  const tiles = DC.el("div", "tiles");
  /* a hall shows the functions it has, nothing for those it has not */
  const parts = FUNCTIONS.map((fn) => ({fn: fn, devs: h.devices.filter((d) => fn.kinds.includes(d.kind))}))
    .concat(otherFunction(h.devices)).filter((p) => p.devs.length);
  for (const p of parts) tiles.appendChild(tile(p.fn, p.devs));
  sec.appendChild(tiles);
  return sec;
}

/* A site too large to read on one screen shows one hall at a time: a strip names every
 * hall with its worst state and device count (click one to stay on it), and the halls
 * take turns every ROTATE_MS (?rotate=SECONDS, 0 to stop; ?room=SITE/ROOM to pin one). */
const SCALE_READABLE = 0.75;
const QUERY = new URLSearchParams(location.search);
const ROTATE_MS = QUERY.has("rotate") ? Math.max(0, Number(QUERY.get("rotate")) || 0) * 1000 : 20000;
W.rotation = {on: false, index: 0, pinned: QUERY.get("room"), nextMs: 0};

function hallStatus(h) {
  let worst = "ok";
  for (const d of h.devices) { const st = devStatus(d); if (RANK(st) < RANK(worst)) worst = st; }
  return worst;
}

function roomStrip(hs, current) {
  const strip = DC.el("nav", "rooms");
  hs.forEach((h, i) => {
    const b = DC.el("button", "room" + (i === current ? " current" : ""));
    b.dataset.hall = h.key.replace("\u0000", "/");
    b.append(DC.el("span", "room-name", h.room || h.site), DC.el("span", "room-n", String(h.devices.length)),
             DC.badge(hallStatus(h)));
    b.addEventListener("click", () => { W.rotation.pinned = b.dataset.hall; W.dirty = true; draw(); });
    strip.appendChild(b);
  });
  return strip;
}

function drawSites() {
  const root = document.getElementById("sites");
  const hs = halls();
  const rot = W.rotation;
  root.replaceChildren(...hs.map(hallSection));
  rot.on = hs.length > 1 && (!!rot.pinned || fitSites(root) < SCALE_READABLE);
  root.classList.toggle("rotating", rot.on);
  if (!rot.on) return;
  const pin = hs.findIndex((h) => h.key.replace("\u0000", "/") === rot.pinned);
  if (pin >= 0) rot.index = pin;
  rot.index %= hs.length;
  root.replaceChildren(roomStrip(hs, rot.index), hallSection(hs[rot.index]));
  fitSites(root);
}

function rotate() {
  const rot = W.rotation;
  if (!rot.on || rot.pinned || !ROTATE_MS || Date.now() < rot.nextMs) return;
  if (rot.nextMs) { rot.index++; W.dirty = true; }
  rot.nextMs = Date.now() + ROTATE_MS;
}

/* The halls' text is scaled to the largest size at which everything fits: a small
 * site reads from across the room, a larger one still shows every device.  Returns
 * the scale. */
const SCALE_MAX = 1.6, SCALE_MIN = 0.4, SCALE_STEP = 0.9;
function overflows(root) {
  if (root.scrollHeight > root.clientHeight + 1 || root.scrollWidth > root.clientWidth + 1) return true;
  for (const e of root.querySelectorAll(".tile, .row, .name, .vals"))
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) return true;
  return false;
}
function fitSites(root) {
  let scale = SCALE_MAX;
  root.style.setProperty("--scale", scale);
  for (let i = 0; i < 20 && scale > SCALE_MIN && overflows(root); i++) {
    scale = Math.max(SCALE_MIN, scale * SCALE_STEP);
    root.style.setProperty("--scale", scale);
  }
  root.dataset.scale = scale.toFixed(2);
  return scale;
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

/* Held alerts after those told on their own, within a severity: an alert breaking
 * through its cause's suppression is never hidden behind "+N more" by those it holds. */
function activeAlerts() {
  return W.alerts.filter((a) => ALERT_STATES[a.state]).sort((a, b) =>
    RANK(a.severity) - RANK(b.severity) || !!a.suppressed_by - !!b.suppressed_by ||
    b.since_ms - a.since_ms || b.id - a.id);
}

/* "utility outage: the load goes dark in 7 min", as alert_impact_text words it
 * (alerting/alert_suppression.c) for the e-mail and the CLI. */
function impactText(cause, secs) {
  if (typeof secs !== "number") return cause + " outage: the time to impact shortens";
  return cause + " outage: the load goes dark in " +
    (secs >= 120 ? Math.floor(secs / 60) + " min" : Math.round(Math.max(secs, 0)) + " s");
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
    const li = DC.el("li", "alert a-" + a.severity + (a.acked || a.silenced || a.suppressed_by ? " a-dim" : ""));
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
    if (a.suppressed_by) l2.append(DC.el("span", "flag f-sup", "SUPPRESSED BY " + a.suppressed_by));
    if (a.breaks_through) l2.append(DC.el("span", "flag f-through", impactText(a.breaks_through, a.time_to_impact_s)));
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
  rotate();
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

/* A scoped stream's devices say whose they are ("scope": own or shared): the brand names
 * the tenant (or site) instead of the NOC. */
function showScope() {
  const own = [...W.devices.values()].find((d) => d.scope === "own");
  document.querySelector("#brand span").textContent = own ? own.tenant || own.location.site : "NOC";
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
    showScope();
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
    if (es.readyState === EventSource.CLOSED) setTimeout(reconnect, RECONNECT_MS);
  };
}

/* A stream refused with 401 (the session ended, or anonymous readers refused) is never
 * retried as anyone else: the screen goes to the login, which says the session ended. */
async function reconnect() {
  let status = 0;
  try { status = (await fetch("/api/v1/health", {cache: "no-store"})).status; } catch (e) { status = 0; }
  if (status === 401) {
    location.href = "/login?expired";
    return;
  }
  connect();
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
