/* The hub's wall (docs/MQTT.md "Hub"): a section per site with its link age and its
 * open alerts (/api/v1/sites, /api/v1/sites/ID/alerts), the global alert list (every
 * site's open alerts in one list, worst and oldest first, each with its site), and a
 * red banner naming the sites whose heartbeat stopped; an unreachable site's alerts stay
 * shown, with the age of what the hub last heard from it.  Polls every second. */
"use strict";

const POLL_MS = 1000;

async function getJSON(path) {
  const r = await fetch(path, {credentials: "same-origin"});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function linkText(site) {
  if (site.link_age_ms < 0) return "no heartbeat yet";
  return (site.unreachable ? "UNREACHABLE \u2014 last heard " : "link ") +
         DC.duration(site.link_age_ms / 1000) + " ago";
}

function alertItem(a, now) {
  const li = DC.el("li");
  li.setAttribute("data-device", a.device);
  li.appendChild(DC.badge(a.severity));
  const unit = DC.unitShort[a.unit] !== undefined ? DC.unitShort[a.unit] : (a.unit || "");
  li.appendChild(DC.el("span", "what", a.device + " \u2014 " + a.rule + " " +
                       DC.num(a.value) + (unit ? " " + unit : "") + (a.acked ? " (acked)" : "")));
  li.appendChild(DC.el("span", "age", DC.duration((now - (a.fired || a.ts)) / 1000) + " ago"));
  return li;
}

const SEVERITY_RANK = {critical: 0, warning: 1, info: 2};

/* Every site's alerts in one list: critical first, then the oldest first. */
function globalList(sites, alerts, now) {
  const all = [];
  sites.forEach((s, i) => alerts[i].forEach((a) => all.push({site: s, a})));
  all.sort((x, y) => (SEVERITY_RANK[x.a.severity] ?? 3) - (SEVERITY_RANK[y.a.severity] ?? 3) ||
                     (x.a.fired || x.a.ts) - (y.a.fired || y.a.ts));
  const ul = DC.el("ul");
  for (const {site, a} of all) {
    const li = alertItem(a, now);
    li.setAttribute("data-site", site.id);
    li.insertBefore(DC.el("span", "where" + (site.unreachable ? " unreachable" : ""), site.id),
                    li.firstChild);
    ul.appendChild(li);
  }
  if (!all.length) ul.appendChild(DC.el("li", "none", "no open alert at any site"));
  return ul;
}

function siteSection(site, alerts, now) {
  const sec = DC.el("section", "site" + (site.unreachable ? " unreachable" : ""));
  sec.setAttribute("data-site", site.id);
  const h = DC.el("h2", null, site.id);
  h.appendChild(DC.el("span", "link", linkText(site)));
  sec.appendChild(h);
  const ul = DC.el("ul");
  for (const a of alerts) ul.appendChild(alertItem(a, now));
  if (!alerts.length) ul.appendChild(DC.el("li", "none", "no open alert"));
  sec.appendChild(ul);
  return sec;
}

async function refresh() {
  const now = Date.now();
  const sites = (await getJSON("/api/v1/sites")).sites.sort((a, b) => a.id.localeCompare(b.id));
  const alerts = await Promise.all(sites.map((s) =>
    getJSON("/api/v1/sites/" + encodeURIComponent(s.id) + "/alerts").then((j) => j.alerts)));
  const root = document.getElementById("sites");
  root.replaceChildren(...sites.map((s, i) => siteSection(s, alerts[i], now)));
  document.getElementById("global-list").replaceChildren(globalList(sites, alerts, now));
  const down = sites.filter((s) => s.unreachable);
  const banner = document.getElementById("banner");
  banner.hidden = !down.length;
  banner.textContent = down.length ? "\u26A0 SITE UNREACHABLE \u2014 " +
    down.map((s) => s.id + " (last heard " + DC.duration(s.link_age_ms / 1000) + " ago)").join(", ") : "";
  document.getElementById("updated").textContent = "updated " + DC.clock(now, true);
}

async function loop() {
  try {
    await refresh();
  } catch (e) {
    const banner = document.getElementById("banner");
    banner.hidden = false;
    banner.textContent = "\u26A0 HUB UNREACHABLE \u2014 " + e.message;
  }
  setTimeout(loop, POLL_MS);
}

loop();
