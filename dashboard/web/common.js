/* Shared by the wall, the device pages and the portal: formatting, severity marks, API calls.
 * Plain JS, no build step, no external fetches. */
"use strict";

const DC = {};

/* Severity/health: colour AND icon AND text, so colour-blind operators read it too. */
DC.SEV = {
  critical: {icon: "\u2716", text: "CRITICAL", rank: 0},   /* heavy X */
  warning:  {icon: "\u25B2", text: "WARNING",  rank: 1},   /* triangle */
  info:     {icon: "\u25CF", text: "INFO",     rank: 2},
  unknown:  {icon: "?",      text: "UNKNOWN",  rank: 3},
  stale:    {icon: "\u231B", text: "STALE",    rank: 3},   /* hourglass */
  ok:       {icon: "\u2714", text: "OK",       rank: 4},   /* check mark */
};

DC.el = function (tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
};

/* A badge: <span class="sev sev-critical"><i>X</i> CRITICAL</span> */
DC.badge = function (sev, label) {
  const s = DC.SEV[sev] || DC.SEV.unknown;
  const b = DC.el("span", "sev sev-" + (DC.SEV[sev] ? sev : "unknown"));
  b.appendChild(DC.el("i", "sev-icon", s.icon));
  b.appendChild(document.createTextNode(" " + (label || s.text)));
  b.setAttribute("data-sev", sev);
  return b;
};

DC.num = function (v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return "\u2014";
  const d = digits !== undefined ? digits : Number.isInteger(v) || Math.abs(v) >= 100 ? 0 : 1;
  return Number(v).toFixed(d);
};

DC.duration = function (s) {
  if (s === null || s === undefined || !isFinite(s)) return "\u2014";
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + " min";
  return Math.floor(s / 86400) + " d " + Math.floor(s % 86400 / 3600) + " h";
};

DC.clock = function (ms, withSeconds) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return p(d.getHours()) + ":" + p(d.getMinutes()) + (withSeconds ? ":" + p(d.getSeconds()) : "");
};

/* A metric's display value: enum name for states, number + unit otherwise. */
DC.unitShort = {percent: "%", celsius: "\u00B0C", seconds: "s", volts: "V", amperes: "A",
                watts: "W", hertz: "Hz", bytes: "B", rpm: "rpm", count: ""};
DC.metricText = function (m) {
  if (!m) return "\u2014";
  if (m.quality === "error") return "error";
  if (m.value_name) return m.value_name;
  if (m.value === null || m.value === undefined) return "\u2014";
  const u = DC.unitShort[m.unit] !== undefined ? DC.unitShort[m.unit] : (m.unit || "");
  if (m.unit === "seconds") return DC.duration(m.value);
  return DC.num(m.value) + (u ? (u === "%" || u.startsWith("\u00B0") ? "" : " ") + u : "");
};

/* Metrics of a device by name (all instances). */
DC.metrics = function (dev, re) {
  return (dev.metrics || []).filter((m) => re.test(m.name));
};
DC.metric = function (dev, re) {
  return DC.metrics(dev, re)[0];
};

DC.token = function () {
  return sessionStorage.getItem("dcmon-token") || "";
};

/* JSON API call; rejects with the server's {"error"} message (the error's status and
 * body: the answer's code and JSON, e.g. the tenant layer's field messages). */
DC.api = async function (method, path, body) {
  const opt = {method: method, headers: {}};
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  if (method !== "GET" && DC.token()) opt.headers["Authorization"] = "Bearer " + DC.token();
  /* a logged-in browser: its session cookie goes by itself, the CSRF token by hand */
  const csrf = sessionStorage.getItem("dcmon-csrf");
  if (method !== "GET" && !DC.token() && csrf) opt.headers["X-CSRF-Token"] = csrf;
  const r = await fetch(path, opt);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) {
    const e = new Error((j && j.error) || ("HTTP " + r.status));
    e.status = r.status;
    e.body = j;
    throw e;
  }
  return j;
};

DC.location = function (o) {
  const l = o.location || o;
  return [l.site, l.room, l.row, l.rack].filter((x) => x).join(" / ") || "\u2014";
};

/* The librrd graph of one metric of a device over range ("1h", "1d", "1w", "1y"). */
DC.graphUrl = function (device, m, range) {
  const q = new URLSearchParams({device: device, metric: m.name, range: range});
  if (m.inst) q.set("inst", m.inst);
  return "/api/v1/graph?" + q.toString();
};

/* The graphs of a device's metrics as figures (states without a value are left out);
 * stamp (minutes) makes the browser ask again once a minute. */
DC.graphFigures = function (dev, range, stamp) {
  const out = document.createDocumentFragment();
  for (const m of dev.metrics || []) {
    if (m.kind === "state" && !m.value_name && m.value === null) continue;
    const f = DC.el("figure");
    const img = DC.el("img");
    img.loading = "lazy";
    img.alt = m.key + " (" + range + ")";
    img.src = DC.graphUrl(dev.id, m, range) + "&t=" + stamp;
    f.append(img, DC.el("figcaption", null, m.key));
    out.appendChild(f);
  }
  return out;
};

/* The transitions of the newest max alerts (one GET /api/v1/alerts/ID each), newest
 * first: [{ts, text}]. */
DC.alertHistory = async function (alerts, max) {
  const items = [];
  for (const a of alerts.slice(0, max)) {
    try {
      const j = await DC.api("GET", "/api/v1/alerts/" + a.id);
      for (const h of (j && j.history) || [])
        items.push({ts: h.ts_ms, alert: a, text: a.rule + " " + a.metric + ": " + h.from + " \u2192 " + h.to +
                    " (" + h.severity + ", value " + DC.num(h.value) + ")"});
    } catch (e) { /* an alert may have gone since the list was read */ }
  }
  return items.sort((x, y) => y.ts - x.ts);
};

/* ---- events: GET /api/v1/events/search, which scopes them to the session (a tenant's
 * account gets its own devices' events only, events/api_events.c through core/authz.c);
 * the wall's events view, the device page and the portal's device page draw them so. */

/* Syslog severities in the wall's badges: emerg..err critical, warning warning,
 * notice..debug info; the badge's label is the event's own severity. */
DC.EVENT_BADGE = {emerg: "critical", alert: "critical", crit: "critical", err: "critical", warning: "warning",
                  notice: "info", info: "info", debug: "info"};
DC.EVENT_SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
DC.EVENT_FLAGS = {unknown_source: "unknown source", parse_error: "parse error", suppressed: "suppressed",
                  truncated: "truncated", bad_utf8: "bad UTF-8", fields_cut: "fields cut"};

/* The newest events matching params ({device, severity, text, limit}: the search API's
 * own names; empty values left out), or null when dcmond keeps no event store (404). */
DC.events = async function (params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  try {
    return (await DC.api("GET", "/api/v1/events/search?" + q.toString())).events || [];
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
};

/* One table row of an event: received, [device,] kind, severity, program, message, flags.
 * A sender that is no device shows the host name it gave. */
DC.eventRow = function (ev, withDevice) {
  const tr = DC.el("tr", "ev-" + ev.kind);
  tr.dataset.id = ev.id;
  const sev = DC.el("td", "sev-c");
  if (ev.severity) sev.appendChild(DC.badge(DC.EVENT_BADGE[ev.severity] || "unknown", ev.severity.toUpperCase()));
  tr.appendChild(DC.el("td", "when", new Date(ev.received_ms).toLocaleString()));
  if (withDevice) {
    const td = DC.el("td", "dev");
    if (ev.device) {
      const a = DC.el("a", null, ev.device);
      a.href = "/devices/" + encodeURIComponent(ev.device);
      td.appendChild(a);
    } else {
      td.textContent = ev.host || ev.source || "";
    }
    tr.appendChild(td);
  }
  const flags = DC.el("td", "flags");
  for (const f of ev.flags || []) flags.appendChild(DC.el("span", "flag flag-" + f, DC.EVENT_FLAGS[f] || f));
  tr.append(DC.el("td", "kind", ev.kind), sev, DC.el("td", "prog", ev.program || ""),
            DC.el("td", "msg", ev.message || ""), flags);
  return tr;
};

/* The rows of events as a fragment for a table's tbody. */
DC.eventRows = function (events, withDevice) {
  const out = document.createDocumentFragment();
  for (const ev of events) out.appendChild(DC.eventRow(ev, withDevice));
  return out;
};
