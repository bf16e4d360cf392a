/* The status page (docs/STATUS_PAGE.md): /status shows the viewer's own devices (a
 * tenant's login), /status/public what the NOC published, /status/s/TOKEN a tenant's
 * page through its secret URL.  Read only. */
"use strict";

const ST = {
  api: location.pathname === "/status" ? "/api/v1/status-page"
    : "/api/v1/status-page/" + location.pathname.slice("/status/".length),
  STATE: {up: "Operational", degraded: "Degraded", down: "Down"},
};

/* A day's bar: its availability on hover (title) and in data-availability for tests. */
ST.bar = function (day) {
  const b = DC.el("span", "bar");
  if (day.availability === null) {
    b.classList.add("nodata");
    b.title = day.date + ": no data";
    b.dataset.availability = "";
    return b;
  }
  const pct = (day.availability * 100).toFixed(3) + " %";
  if (day.availability < 0.99) b.classList.add("bad");
  else if (day.availability < 1) b.classList.add("partial");
  b.title = day.date + ": " + pct + (day.down_s > 0 ? ", down " + DC.duration(day.down_s) : "");
  b.dataset.date = day.date;
  b.dataset.availability = pct;
  return b;
};

ST.component = function (c) {
  const box = DC.el("article", "component");
  box.dataset.name = c.name;
  const head = DC.el("div", "component-head");
  head.appendChild(DC.el("strong", "component-name", c.name));
  head.appendChild(DC.el("span", "state state-" + c.state, ST.STATE[c.state] || c.state));
  box.appendChild(head);
  const bars = DC.el("div", "bars");
  c.days.forEach(function (d) { bars.appendChild(ST.bar(d)); });
  box.appendChild(bars);
  const legend = DC.el("div", "legend");
  legend.appendChild(DC.el("span", null, c.days.length + " days ago"));
  legend.appendChild(DC.el("span", null, "today"));
  box.appendChild(legend);
  return box;
};

/* An incident: its operators' last status update says where it stands (else whether its
 * outage is still open), then every update and note. */
ST.incident = function (inc) {
  const updates = inc.updates || [];
  const last = updates.length ? updates[updates.length - 1].status : null;
  const state = last ? last.charAt(0).toUpperCase() + last.slice(1) : inc.ongoing ? "In progress" : "Resolved";
  const li = DC.el("li", "incident" + (inc.ongoing && last !== "resolved" ? " ongoing" : ""));
  li.appendChild(DC.el("strong", "incident-state", state + ": " + inc.root));
  li.appendChild(DC.el("div", "when", inc.start + (inc.ongoing ? "" : " \u2013 " + inc.end)));
  li.appendChild(DC.el("div", "affected", "Affected: " + inc.affected.join(", ")));
  updates.forEach(function (u) {
    li.appendChild(DC.el("div", "note update", new Date(u.ts_ms).toISOString().slice(0, 19) + "Z " + u.status + ": " + u.text));
  });
  (inc.notes || []).forEach(function (n) {
    li.appendChild(DC.el("div", "note", n.time + " " + n.text));
  });
  return li;
};

ST.load = async function () {
  try {
    const page = await DC.api("GET", ST.api);
    document.getElementById("title").textContent = "Status: " + page.title;
    const comps = document.getElementById("components");
    comps.replaceChildren.apply(comps, page.components.map(ST.component));
    const list = document.getElementById("incident-list");
    const incs = page.outages.slice().reverse();
    list.replaceChildren.apply(list, incs.length ? incs.map(ST.incident) : [DC.el("li", null, "No incidents in the last " + page.days + " days.")]);
    document.getElementById("updated").textContent = "updated " + new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
    document.getElementById("error").hidden = true;
  } catch (e) {
    const err = document.getElementById("error");
    err.textContent = e.message;
    err.hidden = false;
  }
};

ST.load();
setInterval(ST.load, 60000);
