/* The portal's Availability section (docs/PORTAL.md): this month's and last month's
 * availability of the session's devices and checks against the SLA target, the error
 * budget used and left, and the outage log with root causes, all from the report's JSON
 * (GET /api/v1/reports/availability?period=YYYY-MM, docs/REPORTS.md: scoped to the
 * tenant for a tenant's account), with links to the same report as HTML and to the
 * account's status page (/status).  Shown to sessions that may `view`. */
"use strict";

/* A report is built on dcmond's workers from the whole month's history: read again at
 * this pace, not at every refresh of the portal. */
const AVAIL_REFRESH_MS = 60000;

const A = {
  reports: [],  /* [{period, label, json}], this month first */
  readAt: 0,
};
window.dcmonAvail = A;

/* YYYY-MM of the UTC month `back` months before now (the report's periods are UTC). */
function monthPeriod(back) {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
  return m.toISOString().slice(0, 7);
}

function reportUrl(period, format) {
  return "/api/v1/reports/availability?period=" + period + "&format=" + format;
}

async function loadAvailability() {
  if (A.reports.length && Date.now() - A.readAt < AVAIL_REFRESH_MS) return;
  const periods = [[monthPeriod(0), "this month"], [monthPeriod(1), "last month"]];
  const jsons = await Promise.all(periods.map(([p]) => DC.api("GET", reportUrl(p, "json"))));
  A.reports = periods.map(([period, label], i) => ({period, label, json: jsons[i]}));
  A.readAt = Date.now();
}

/* The report's figures as its HTML shows them: a percentage to 4 places, whole seconds. */
const pct = (fraction) => (100 * fraction).toFixed(4) + " %";
const secs = (s) => Math.round(s) + " s";

function figureRow(tb, cls, name, f) {
  const tr = tb.appendChild(DC.el("tr", cls));
  tr.dataset.object = name;
  tr.append(DC.el("td", null, name), DC.el("td", "v", pct(f.availability)),
            DC.el("td", null, secs(f.used_s)), DC.el("td", null, secs(f.left_s)));
}

/* Each device, then its checks under it. */
function availTable(r) {
  const t = DC.el("table", "avail");
  t.appendChild(DC.el("thead")).appendChild(DC.el("tr")).append(...["object", "availability", "budget used", "budget left"]
    .map((h) => DC.el("th", null, h)));
  const tb = t.appendChild(DC.el("tbody"));
  for (const d of r.devices || []) {
    figureRow(tb, "device", d.name, d);
    for (const c of d.checks || []) figureRow(tb, "check", c.object, c);
  }
  return t;
}

function outageLog(r) {
  const list = DC.el("div", "outages");
  for (const o of r.outages || []) {
    const c = list.appendChild(DC.el("div", "card outage"));
    c.dataset.id = o.id;
    c.append(DC.el("div", null, o.start + " \u2013 " + o.end + " (" + DC.duration(o.duration_s) + ")"),
             DC.el("div", "root", "root cause: " + (o.root || "unknown")),
             DC.el("div", "dim", "affected: " + (o.affected || []).join(", ")));
    for (const n of o.notes || []) c.appendChild(DC.el("div", "dim", "note: " + n.text));
  }
  if (!list.children.length) list.appendChild(DC.el("p", "dim", "no outage in this period"));
  return list;
}

function periodBox(rep) {
  const r = rep.json;
  const s = section("Availability " + rep.period + " (" + rep.label + ")", "avail-period");
  s.dataset.period = rep.period;
  const sum = r.summary || {};
  const summary = s.appendChild(DC.el("div", "summary vals"));
  summary.append(kv("availability", pct(sum.availability)), kv("target", pct(r.policy.target)),
                 kv("budget", secs(sum.budget_s)), kv("used", secs(sum.used_s)), kv("left", secs(sum.left_s)));
  s.append(DC.el("p", "dim", r.policy.statement), availTable(r), DC.el("h3", null, "Outages"), outageLog(r));
  const html = s.appendChild(DC.el("a", "report-link", "the report as a page"));
  html.href = reportUrl(rep.period, "html");
  return s;
}

function drawAvailability(box) {
  const status = DC.el("a", "status-link", "your status page");
  status.href = "/status";
  box.append(DC.el("p", null, ""), ...A.reports.map(periodBox));
  box.firstChild.appendChild(status);
}

SECTIONS.push({id: "availability", title: "Availability", may: () => P.may("view"),
  load: loadAvailability, draw: drawAvailability});
