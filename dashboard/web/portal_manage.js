/* The tenant's self-service sections of the portal (docs/PORTAL.md, docs/API.md):
 *  - Monitoring: the items of its layer (/api/v1/layer/items) with their origin, and
 *    forms for a server's checks (ping, TCP ports with send/expect, HTTP(S) URLs, SNMP
 *    resources, processes and interfaces), for thresholds (rules) and for log patterns
 *    (log_rule: the lines of its servers' logs counted per device);
 *  - Requests: the layer's change requests (/api/v1/layer/requests), approve and reject
 *    with a reason for approvers, one's own requests and their state for the others;
 *  - Alert addresses: the tenant's recipients (/api/v1/recipients).
 * The forms write the YAML the layer decodes (the NOC's own keys), one key per line, and
 * remember which field each line came from: the API's messages (422 "fields": line and
 * message) are shown next to the field they are about.  Which forms and buttons show
 * follows the session's actions (P.may); the API decides anyway. */
"use strict";

const M = {
  items: [],        /* GET /api/v1/layer/items */
  requests: [],     /* GET /api/v1/layer/requests */
  recipients: [],   /* GET /api/v1/recipients */
  forms: new Map(), /* id -> form element, kept between refreshes */
  notes: new Map(), /* id -> the last outcome said under a form */
};
window.dcmonManage = M;

const SEVERITIES = ["info", "warning", "critical"];

/* ---- small parts ------------------------------------------------------------------ */

function field(form, name, label, input) {
  const l = DC.el("label", "field");
  l.dataset.field = name;
  input.name = name;
  const err = DC.el("span", "field-error");
  err.dataset.errorFor = name;
  l.append(DC.el("span", "k", label), input, err);
  form.appendChild(l);
  return input;
}

/* Several fields: [name, label, input] each. */
function fields(form, specs) {
  for (const [name, label, inp] of specs) field(form, name, label, inp);
}

function input(type, placeholder, value) {
  const i = DC.el("input");
  i.type = type || "text";
  if (placeholder) i.placeholder = placeholder;
  if (value !== undefined) i.value = value;
  return i;
}

function select(options, value) {
  const s = DC.el("select");
  for (const o of options) {
    const opt = DC.el("option", null, o);
    opt.value = o;
    s.appendChild(opt);
  }
  if (value !== undefined) s.value = value;
  return s;
}

function button(text, cls, onclick) {
  const b = DC.el("button", cls, text);
  b.type = "button";
  b.onclick = onclick;
  return b;
}

/* The outcome of the last action of a form, kept across refreshes. */
function note(id, text, bad) {
  M.notes.set(id, {text, bad});
  const n = document.querySelector('[data-note="' + id + '"]');
  if (n) showNote(n, M.notes.get(id));
}

function showNote(el, n) {
  el.textContent = n ? n.text : "";
  el.className = "note" + (n && n.bad ? " bad" : "");
}

function noteBox(id) {
  const n = DC.el("p", "note");
  n.dataset.note = id;
  showNote(n, M.notes.get(id));
  return n;
}

/* A YAML scalar: quoted as JSON (a subset of YAML) unless it is plain and safe. */
function yq(v) {
  const s = String(v);
  return /^[A-Za-z0-9_.\/-][A-Za-z0-9_.\/ -]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~)$/i.test(s)
    ? s : JSON.stringify(s);
}

/* YAML lines with the form field each line stands for. */
function yamlDoc() {
  const d = {lines: [], fields: []};
  d.add = (text, fieldName) => { d.lines.push(text); d.fields.push(fieldName || ""); };
  d.text = () => d.lines.join("\n") + "\n";
  return d;
}

function clearErrors(form) {
  for (const e of form.querySelectorAll(".field-error")) e.textContent = "";
}

/* Each message next to its field: the field of the key it starts with ("host: ... is
 * the address of another tenant's device" is positioned at the device, a log rule's
 * "regex ..." at its map), else of its line, else under the form. */
function showFieldErrors(form, doc, fields, fallbackId) {
  const rest = [];
  for (const f of fields || []) {
    let name = doc.fields[f.line - 1] || (doc.numbered ? "yaml" : "");
    /* a log rule's messages are positioned at its map: "syslog rule NAME: regex '...': ..." */
    const key = (f.message.replace(/^syslog rule [^:]*: /, "").match(/^([a-z_]+)(?::| ')/) || [])[1];
    if (key && form.querySelector('[data-error-for="' + key + '"]')) name = key;
    const span = name && form.querySelector('[data-error-for="' + name + '"]');
    const msg = doc.numbered ? "line " + f.line + ":" + f.col + ": " + f.message : f.message;
    if (span) span.textContent = (span.textContent ? span.textContent + "; " : "") + msg;
    else rest.push(f.message);
  }
  if (rest.length) note(fallbackId, rest.join("; "), true);
}

/* Posts a change of the layer; says whether it applied or waits for approval, or shows
 * the API's messages at their fields. */
async function submitItem(form, kind, doc) {
  const id = form.getAttribute("id"); /* form.id is its field named "id" */
  clearErrors(form);
  try {
    const j = await DC.api("POST", "/api/v1/layer/items", {kind, yaml: doc.text()});
    note(id, j.request.state === "pending"
      ? "Sent for approval (request " + j.request.id + "): it applies once a tenant-admin or approver approves it."
      : "Applied: " + kind + " " + j.request.item + ".");
    manageRefresh();
  } catch (e) {
    note(id, e.message, true);
    if (e.body && e.body.fields) {
      note(id, "Not saved: see the messages at the fields.", true);
      showFieldErrors(form, doc, e.body.fields, id);
    }
  }
}

function val(form, name) {
  const el = form.elements[name];
  return el ? el.value.trim() : "";
}

/* ---- monitoring: the layer's items and the forms ------------------------------------ */

function itemsTable() {
  const t = DC.el("table", "items");
  t.id = "layer-items";
  t.appendChild(DC.el("thead")).appendChild(DC.el("tr")).append(
    DC.el("th", null, "item"), DC.el("th", null, "origin"), DC.el("th", null, "settings"), DC.el("th"));
  const tb = t.appendChild(DC.el("tbody"));
  for (const it of M.items) {
    const tr = tb.appendChild(DC.el("tr"));
    tr.dataset.kind = it.kind;
    tr.dataset.item = it.id;
    const who = it.origin === "noc" ? "NOC override" : "tenant";
    tr.append(DC.el("td", "dev-id", it.kind + " " + it.id),
      DC.el("td", "origin", who + " \u00B7 " + it.by + " \u00B7 " + new Date(it.ts_ms).toLocaleString()));
    tr.appendChild(DC.el("td")).appendChild(DC.el("pre", "yaml", it.yaml));
    const act = tr.appendChild(DC.el("td"));
    if (P.may("layer-request") && it.origin !== "noc")
      act.append(button("Change", "change", () => editItem(it)), button("YAML", "yaml", () => editYaml(it)),
        button(P.may("layer-apply") ? "Remove" : "Request removal", "remove", () => removeItem(it)));
  }
  if (!M.items.length) tb.appendChild(DC.el("tr")).appendChild(DC.el("td", "dim", "no item of your own yet"));
  return t;
}

async function removeItem(it) {
  try {
    const j = await DC.api("DELETE", "/api/v1/layer/items/" + it.kind + "/" + encodeURIComponent(it.id));
    note("items", j.request.state === "pending" ? "Removal of " + it.id + " sent for approval (request " + j.request.id + ")."
      : "Removed " + it.kind + " " + it.id + ".");
    manageRefresh();
  } catch (e) {
    note("items", "cannot remove " + it.id + ": " + e.message, true);
  }
}

/* Any item as its YAML (one made through the API or an import too): the change form. */
function yamlForm() {
  const f = itemForm("yaml", "Change an item", "Its YAML, the keys of the NOC's file (docs/CONFIG.md): saving it replaces the item.");
  fields(f, [["kind", "kind", select(["device", "rule", "log_rule"])], ["yaml", "YAML", DC.el("textarea")]]);
  f.elements.yaml.rows = 10;
  f.elements.yaml.spellcheck = false;
  const go = button("Save", "save", () => submitItem(f, val(f, "kind"), yamlText(f.elements.yaml.value)));
  go.id = "yaml-save";
  f.append(go, noteBox("yaml-form"));
  return f;
}

/* Typed YAML as a document whose every line is the text field's: a message says its line. */
function yamlText(text) {
  const d = yamlDoc();
  for (const l of text.replace(/\n+$/, "").split("\n")) d.add(l, "yaml");
  d.numbered = true;
  return d;
}

/* Each kind's form: its maker, what fills it from an item, the field to type in first. */
const EDITORS = {
  device: {make: () => deviceForm(), fill: (f, o) => fillDevice(f, o), focus: "host"},
  rule: {make: () => ruleForm(), fill: (f, o) => fillRule(f, o), focus: "metric"},
  log_rule: {make: () => logRuleForm(), fill: (f, o) => fillLogRule(f, o), focus: "match"},
};

/* Change: the item's own form filled in from it, or its YAML when it has keys that form
 * does not write (saving the form would drop them). */
function editItem(it) {
  const ed = EDITORS[it.kind], id = it.kind + "-form";
  if (!ed) return editYaml(it);
  const f = kept(id, ed.make);
  if (!it.item || !ed.fill(f, it.item)) return editYaml(it);
  clearErrors(f);
  note(id, "Changing " + it.kind + " " + it.id + ": saving replaces it.");
  f.scrollIntoView();
  f.elements[ed.focus].focus();
}

function editYaml(it) {
  const f = kept("yaml-form", yamlForm);
  f.elements.kind.value = it.kind;
  f.elements.yaml.value = it.yaml;
  clearErrors(f);
  note("yaml-form", "");
  f.scrollIntoView();
  f.elements.yaml.focus();
}

/* Rows of a list field (TCP ports, URLs): a container and a button that adds one. */
function rows(form, title, make) {
  const box = DC.el("fieldset", "rows");
  box.appendChild(DC.el("legend", null, title));
  const list = DC.el("div");
  box.append(list, button("+ " + title.replace(/s$/, ""), "add-row", () => list.appendChild(make(list.children.length))));
  form.appendChild(box);
  list.appendChild(make(0));
  return list;
}

function tcpRow(n) {
  const r = DC.el("div", "row");
  field(r, "tcp" + n + "_port", "port", input("number", "443"));
  field(r, "tcp" + n + "_send", "send", input("text", "optional, e.g. HEAD / HTTP/1.0\\r\\n\\r\\n"));
  field(r, "tcp" + n + "_expect", "expect", input("text", "optional reply text"));
  return r;
}

function httpRow(n) {
  const r = DC.el("div", "row");
  field(r, "http" + n + "_url", "URL", input("url", "https://10.0.0.5/health"));
  field(r, "http" + n + "_body", "body must contain", input("text", "optional"));
  return r;
}

/* The form of a kind of item (#KIND-form): a title and what it is for. */
function itemForm(kind, title, hint) {
  const f = DC.el("form", "item-form");
  f.id = kind + "-form";
  f.append(DC.el("h3", null, title), DC.el("p", "dim", hint));
  return f;
}

/* Its Save button (#KIND-save) posting yamlOf(f), and the note saying the outcome. */
function itemSave(f, kind, yamlOf) {
  const go = button("Save", "save", () => submitItem(f, kind, yamlOf(f)));
  go.id = kind + "-save";
  f.append(go, noteBox(kind + "-form"));
  return f;
}

function deviceForm() {
  const f = itemForm("device", "A server and its checks", "A server of yours and what to poll on it; the same id again changes it.");
  fields(f, [["id", "id", input("text", "web1")], ["host", "address", input("text", "10.1.0.5")],
    ["interval", "interval", input("text", "60s")], ["ping", "ping", input("checkbox")],
    ["baseline", "compare CPU and memory with normal behaviour (baseline)", input("checkbox")]]);
  f.elements.ping.checked = true;
  rows(f, "TCP ports", tcpRow).dataset.rows = "tcp";
  rows(f, "HTTP(S) URLs", httpRow).dataset.rows = "http";
  const snmp = DC.el("fieldset", "rows");
  snmp.appendChild(DC.el("legend", null, "SNMP (the server's agent)"));
  field(snmp, "snmp", "community", input("text", "when the NOC allows credentials"));
  field(snmp, "resources", "CPU, memory, disks", input("checkbox"));
  field(snmp, "process", "processes", input("text", "nginx, postgres"));
  field(snmp, "profile", "interfaces (profile)", select(["", "if-mib"]));
  f.appendChild(snmp);
  return itemSave(f, "device", deviceYaml);
}

/* The rows of a list check (tcp, http) as its list of maps: keys[0] is required (a row
 * without it is left out), the others are written when filled. */
function rowsYaml(d, f, check, keys) {
  const n = f.querySelectorAll('[data-rows="' + check + '"] > .row').length;
  const filled = [...Array(n).keys()].filter((i) => val(f, check + i + "_" + keys[0]));
  if (!filled.length) return;
  d.add("  " + check + ":", check + "0_" + keys[0]);
  for (const i of filled)
    keys.forEach((k, j) => {
      const name = check + i + "_" + k;
      if (val(f, name)) d.add((j ? "      " : "    - ") + k + ": " + yq(val(f, name)), name);
    });
}

function deviceYaml(f) {
  const d = yamlDoc();
  d.add("id: " + yq(val(f, "id")), "id");
  d.add("kind: server", "id");
  if (val(f, "host")) d.add("host: " + yq(val(f, "host")), "host");
  if (val(f, "interval")) d.add("interval: " + yq(val(f, "interval")), "interval");
  if (val(f, "snmp")) {
    d.add("snmp:", "snmp");
    d.add("  community: " + yq(val(f, "snmp")), "snmp");
  }
  if (val(f, "profile")) d.add("profile: " + yq(val(f, "profile")), "profile");
  if (f.elements.baseline.checked) {
    d.add("labels:", "baseline");
    d.add('  baseline: "on"', "baseline");
  }
  d.add("checks:", "id");
  if (f.elements.ping.checked) d.add("  ping: true", "ping");
  if (f.elements.resources.checked) d.add("  resources: snmp", "resources");
  const procs = val(f, "process").split(",").map((x) => x.trim()).filter((x) => x);
  if (procs.length) {
    d.add("  process:", "process");
    for (const p of procs) d.add("    - " + yq(p), "process");
  }
  rowsYaml(d, f, "tcp", ["port", "send", "expect"]);
  rowsYaml(d, f, "http", ["url", "body"]);
  if (d.lines[d.lines.length - 1] === "checks:") { d.lines.pop(); d.fields.pop(); }
  return d;
}

function ruleForm() {
  const f = itemForm("rule", "A threshold", "When a metric of your servers alerts; the same name again changes it.");
  fields(f, [["name", "name", input("text", "web1-cpu")], ["device", "device", input("text", "web1 (or web*)")],
    ["metric", "metric", input("text", "cpu_used_percent")], ["dir", "alert when", select(["above", "below", "unusual"])],
    ["warn", "warning at", input("text", "80")], ["crit", "critical at", input("text", "95")],
    ["deviation", "unusual: beyond (standard deviations)", input("text", "3")],
    ["direction", "unusual: which side", select(["both", "up", "down"])],
    ["for", "for", input("text", "5m")]]);
  return itemSave(f, "rule", ruleYaml);
}

function ruleYaml(f) {
  const d = yamlDoc();
  d.add("name: " + yq(val(f, "name")), "name");
  d.add("match:", "device");
  if (val(f, "device")) d.add("  device: " + yq(val(f, "device")), "device");
  if (val(f, "metric")) d.add("  metric: " + yq(val(f, "metric")), "metric");
  if (val(f, "dir") === "unusual") {
    /* compared with the metric's baseline (anomaly:, docs/CONFIG.md): the side and the
     * deviation chosen, the defaults for the rest */
    d.add("anomaly:", "dir");
    d.add("  direction: " + yq(val(f, "direction") || "both"), "direction");
    if (val(f, "deviation")) d.add("  deviation: " + yq(val(f, "deviation")), "deviation");
    if (val(f, "for")) d.add("for: " + yq(val(f, "for")), "for");
    return d;
  }
  d.add(val(f, "dir") + ":", "warn");
  if (val(f, "warn")) d.add("  warn: " + val(f, "warn"), "warn");
  if (val(f, "crit")) d.add("  crit: " + val(f, "crit"), "crit");
  if (val(f, "for")) d.add("for: " + yq(val(f, "for")), "for");
  return d;
}

/* A log pattern (docs/PORTAL.md "Log patterns"): the lines of the tenant's servers that
 * match, counted per device in a window; a threshold on log_matches_count makes the
 * alert.  Its devices are chosen among the tenant's own (devicesChoice). */
function logRuleForm() {
  const f = itemForm("log_rule", "A log pattern", "Counts the lines of your servers' logs that match, per " +
    "server, as log_matches_count with the pattern's name; a threshold on that count makes the alert. " +
    "The same name again changes it.");
  const devs = DC.el("select");
  devs.multiple = true;
  fields(f, [["name", "name", input("text", "acme-quota")],
    ["program", "program (the line's tag)", input("text", "optional: quotad")],
    ["match", "line contains", input("text", "disk quota exceeded")],
    ["regex", "line matches (regex)", input("text", "optional, POSIX extended")],
    ["window", "counted within", input("text", "60s")], ["clear", "a line containing this resets it", input("text", "optional")],
    ["devices", "only these servers (none: all yours)", devs]]);
  devicesChoice(f);
  return itemSave(f, "log_rule", logRuleYaml);
}

/* The log pattern form's device choice: the tenant's own devices, what was chosen kept
 * (and a chosen one no longer listed still shown). */
function devicesChoice(f, want) {
  const s = f.elements.devices;
  const chosen = new Set(want || [...s.selectedOptions].map((o) => o.value));
  const ids = P.devices.filter((d) => !shared(d)).map((d) => d.id);
  for (const id of chosen) if (!ids.includes(id)) ids.push(id);
  s.replaceChildren(...ids.map((id) => {
    const o = DC.el("option", null, id);
    o.value = id;
    o.selected = chosen.has(id);
    return o;
  }));
  s.size = Math.min(6, Math.max(2, ids.length));
}

function logRuleYaml(f) {
  const d = yamlDoc();
  d.add("name: " + yq(val(f, "name")), "name");
  for (const k of ["program", "match", "regex", "window", "clear"])
    if (val(f, k)) d.add(k + ": " + yq(val(f, k)), k);
  const devs = [...f.elements.devices.selectedOptions].map((o) => o.value);
  if (devs.length) {
    d.add("devices:", "devices");
    for (const id of devs) d.add("  - " + yq(id), "devices");
  }
  return d;
}

/* ---- filling a form from an item (its YAML as JSON: every scalar a string) ---------- */

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const asList = (v) => v === undefined ? [] : Array.isArray(v) ? v : [v];
const truthy = (v) => /^(true|yes|on)$/i.test(String(v));

/* True when o is a map whose keys are all among keys (and, for the nested maps named in
 * inner, theirs too): only then does the form hold the whole item. */
function keysFit(o, keys, inner) {
  if (!isObj(o)) return false;
  return Object.keys(o).every((k) => keys.includes(k) && (!inner || !inner[k] || inner[k](o[k])));
}

/* Fills the rows of a list check from its entries (a scalar is its first key). */
function fillRows(f, check, make, entries, keys) {
  const list = f.querySelector('[data-rows="' + check + '"]');
  list.replaceChildren();
  for (let i = 0; i < Math.max(1, entries.length); i++) list.appendChild(make(i));
  entries.forEach((e, i) => keys.forEach((k, j) => {
    f.elements[check + i + "_" + k].value = isObj(e) ? (e[k] || "") : (j ? "" : e);
  }));
}

/* A list check's entries fit its rows: maps of those keys, and no line break in a value
 * (a text field would drop it). */
const rowFits = (keys) => (v) => asList(v).every((e) => (!isObj(e) || keysFit(e, keys)) &&
  (isObj(e) ? Object.values(e) : [e]).every((x) => typeof x === "string" && !/[\r\n]/.test(x)));

/* The device form from a device item; false (form untouched) when it does not fit. */
function fillDevice(f, o) {
  const checks = {ping: 1, resources: (v) => v === "snmp", process: 1, tcp: rowFits(["port", "send", "expect"]),
    http: rowFits(["url", "body"])};
  const fits = keysFit(o, ["id", "kind", "host", "interval", "snmp", "profile", "labels", "checks"], {
    kind: (v) => v === "server", snmp: (v) => keysFit(v, ["community"]),
    labels: (v) => keysFit(v, ["baseline"]), profile: (v) => v === "if-mib",
    checks: (v) => keysFit(v, Object.keys(checks), {resources: checks.resources, tcp: checks.tcp, http: checks.http}),
  });
  if (!fits) return false;
  const c = o.checks || {};
  for (const k of ["id", "host", "interval", "profile"]) f.elements[k].value = o[k] || "";
  f.elements.snmp.value = (o.snmp && o.snmp.community) || "";
  f.elements.ping.checked = c.ping !== undefined && truthy(c.ping);
  f.elements.resources.checked = c.resources === "snmp";
  f.elements.baseline.checked = !!o.labels && o.labels.baseline === "on";
  f.elements.process.value = asList(c.process).join(", ");
  fillRows(f, "tcp", tcpRow, asList(c.tcp), ["port", "send", "expect"]);
  fillRows(f, "http", httpRow, asList(c.http), ["url", "body"]);
  return true;
}

/* The threshold form from a rule item (above or below with warn/crit, or unusual: an
 * anomaly with its side and deviation, the defaults for the rest). */
function fillRule(f, o) {
  const dir = o.above ? "above" : o.anomaly ? "anomaly" : "below";
  const fits = keysFit(o, ["name", "match", dir, "for"], {
    match: (v) => keysFit(v, ["device", "metric", "tenant"]),
    [dir]: dir === "anomaly" ? (v) => keysFit(v, ["direction", "deviation"]) : (v) => keysFit(v, ["warn", "crit"])});
  if (!fits || !o[dir]) return false;
  const m = o.match || {};
  f.elements.name.value = o.name || "";
  f.elements.device.value = m.device || "";
  f.elements.metric.value = m.metric || "";
  f.elements.dir.value = dir === "anomaly" ? "unusual" : dir;
  f.elements.warn.value = o[dir].warn || "";
  f.elements.crit.value = o[dir].crit || "";
  f.elements.deviation.value = o[dir].deviation || "";
  f.elements.direction.value = o[dir].direction || "both";
  f.elements.for.value = o.for || "";
  return true;
}

/* The log pattern form from a log_rule item (its tenant is the layer's own). */
function fillLogRule(f, o) {
  const texts = (v) => typeof v === "string" && !/[\r\n]/.test(v);
  const fits = keysFit(o, ["name", "program", "match", "regex", "window", "clear", "devices", "tenant"], {
    program: texts, match: texts, regex: texts, clear: texts, devices: (v) => asList(v).every(texts)});
  if (!fits) return false;
  for (const k of ["name", "program", "match", "regex", "window", "clear"]) f.elements[k].value = o[k] || "";
  devicesChoice(f, asList(o.devices));
  return true;
}

/* A form made once and kept: a refresh must not lose what is being typed. */
function kept(id, make) {
  if (!M.forms.has(id)) M.forms.set(id, make());
  return M.forms.get(id);
}

function drawMonitoring(box) {
  const s = section("Your monitoring items", "items-sec");
  s.append(noteBox("items"), DC.el("div", "items-box"));
  s.querySelector(".items-box").appendChild(itemsTable());
  box.appendChild(s);
  if (!P.may("layer-request")) return;
  if (!P.may("layer-apply"))
    box.appendChild(DC.el("p", "dim", "Your changes are requests: they apply once an approver of your tenant approves them (see Requests)."));
  const forms = DC.el("div", "forms");
  const logs = kept("log_rule-form", logRuleForm);
  devicesChoice(logs); /* the devices as they are now */
  forms.append(kept("device-form", deviceForm), kept("rule-form", ruleForm), logs, kept("yaml-form", yamlForm));
  box.appendChild(forms);
}

function updateMonitoring() {
  const b = document.querySelector(".items-box");
  if (b) b.replaceChildren(itemsTable());
}

/* ---- requests ------------------------------------------------------------------------ */

function myRequests() {
  return P.may("layer-approve") ? M.requests : M.requests.filter((r) => r.by === P.me.user);
}

function requestCard(r) {
  const c = DC.el("div", "request st-" + r.state);
  c.dataset.request = r.id;
  c.dataset.state = r.state;
  const head = DC.el("div", "dev-head");
  head.append(DC.el("b", null, "#" + r.id + " " + r.op + " " + r.kind + " " + r.item), DC.el("span", "state", r.state));
  c.append(head, DC.el("div", "dim", "by " + r.by + " \u00B7 " + new Date(r.ts_ms).toLocaleString() +
    (r.decided_by ? " \u00B7 " + r.state + " by " + r.decided_by : "")));
  if (r.reason) c.appendChild(DC.el("div", "reason", "reason: " + r.reason));
  const diff = DC.el("div", "diff");
  if (r.before) diff.append(DC.el("span", "k", "before"), DC.el("pre", "yaml", r.before));
  if (r.yaml) diff.append(DC.el("span", "k", "after"), DC.el("pre", "yaml", r.yaml));
  c.appendChild(diff);
  if (r.state === "pending" && P.may("layer-approve")) {
    const reason = input("text", "reason (to reject)");
    reason.className = "reason-in";
    c.append(button("Approve", "approve", () => decide(r, "approve", {})), reason,
      button("Reject", "reject", () => decide(r, "reject", {reason: reason.value.trim()})));
  }
  return c;
}

async function decide(r, what, body) {
  try {
    const j = await DC.api("POST", "/api/v1/layer/requests/" + r.id + "/" + what, body);
    note("requests", "Request " + r.id + " " + j.request.state + ".");
  } catch (e) {
    note("requests", "cannot " + what + " request " + r.id + ": " + e.message, true);
  }
  manageRefresh();
}

function requestsBox() {
  const g = DC.el("div", "cards");
  g.id = "requests";
  g.dataset.sig = myRequests().map((r) => r.id + r.state).join(",");
  const list = myRequests().slice().sort((x, y) => (x.state === "pending" ? 0 : 1) - (y.state === "pending" ? 0 : 1) || y.id - x.id);
  for (const r of list) g.appendChild(requestCard(r));
  if (!list.length) g.appendChild(DC.el("p", "dim", "no request"));
  return g;
}

function drawRequests(box) {
  const s = section(P.may("layer-approve") ? "Change requests" : "Your change requests", "requests-sec");
  s.append(noteBox("requests"), requestsBox());
  box.appendChild(s);
}

/* Requests hold reason inputs: redrawn only when a request changed. */
function updateRequests() {
  const sig = myRequests().map((r) => r.id + r.state).join(",");
  const old = document.getElementById("requests");
  if (old && old.dataset.sig !== sig) old.replaceWith(requestsBox());
}

/* ---- alert addresses ------------------------------------------------------------------ */

function recipientCard(r) {
  const c = DC.el("div", "recipient");
  c.dataset.recipient = r.id;
  c.dataset.address = r.address;
  const head = DC.el("div", "dev-head");
  head.append(DC.el("b", null, r.address), DC.el("span", r.confirmed ? "confirmed" : "unconfirmed",
    r.confirmed ? "confirmed" : "waiting for confirmation (link sent by mail)"));
  c.appendChild(head);
  const f = DC.el("form", "recipient-form");
  field(f, "min_severity", "from severity", select(SEVERITIES, r.min_severity));
  const q = r.quiet || {};
  field(f, "quiet_start", "quiet from", input("time", "", q.start || ""));
  field(f, "quiet_end", "until", input("time", "", q.end || ""));
  field(f, "quiet_tz", "zone", input("text", "local", q.tz || ""));
  f.append(button("Save", "save", () => saveRecipient(r, f)),
    button("Send test e-mail", "test", () => testRecipient(r)),
    button("Remove", "remove", () => removeRecipient(r)));
  f.querySelector("button.test").disabled = !r.confirmed;
  c.appendChild(f);
  return c;
}

async function recipientCall(what, method, path, body, said) {
  try {
    await DC.api(method, path, body);
    note("recipients", said);
  } catch (e) {
    note("recipients", "cannot " + what + ": " + e.message, true);
  }
  manageRefresh();
}

function saveRecipient(r, f) {
  const start = val(f, "quiet_start"), end = val(f, "quiet_end");
  const quiet = start && end ? {start, end, tz: val(f, "quiet_tz") || "local"} : null;
  return recipientCall("save " + r.address, "POST", "/api/v1/recipients/" + r.id,
    {min_severity: val(f, "min_severity"), quiet}, "Saved " + r.address + ".");
}

function testRecipient(r) {
  return recipientCall("send a test e-mail to " + r.address, "POST", "/api/v1/recipients/" + r.id + "/test", {},
    "A test e-mail to " + r.address + " is on its way.");
}

function removeRecipient(r) {
  return recipientCall("remove " + r.address, "DELETE", "/api/v1/recipients/" + r.id, undefined, "Removed " + r.address + ".");
}

function addRecipientForm() {
  const f = DC.el("form", "item-form");
  f.id = "recipient-add";
  f.appendChild(DC.el("h3", null, "Add an address"));
  field(f, "address", "e-mail", input("email", "ops@example.com"));
  field(f, "min_severity", "from severity", select(SEVERITIES, "warning"));
  const go = button("Add", "save", async () => {
    clearErrors(f);
    const address = val(f, "address");
    try {
      await DC.api("POST", "/api/v1/recipients", {address, min_severity: val(f, "min_severity")});
      note(f.id, "A confirmation mail was sent to " + address + ": it gets alerts once the link in it is followed.");
      f.elements.address.value = "";
    } catch (e) {
      f.querySelector('[data-error-for="address"]').textContent = e.message;
      note(f.id, "Not added.", true);
    }
    manageRefresh();
  });
  go.id = "recipient-save";
  f.append(go, noteBox(f.id));
  return f;
}

/* Recipient rows hold their settings' inputs: redrawn only when one changed. */
function recipientsBox() {
  const g = DC.el("div", "cards");
  g.id = "recipients";
  g.dataset.sig = JSON.stringify(M.recipients);
  for (const r of M.recipients) g.appendChild(recipientCard(r));
  if (!M.recipients.length) g.appendChild(DC.el("p", "dim", "no address of your own: alerts go to the NOC's addresses for you"));
  return g;
}

function drawRecipients(box) {
  const s = section("Alert addresses", "recipients-sec");
  s.append(noteBox("recipients"), recipientsBox());
  box.append(s, kept("recipient-add", addRecipientForm));
}

function updateRecipients() {
  const old = document.getElementById("recipients");
  if (old && old.dataset.sig !== JSON.stringify(M.recipients)) old.replaceWith(recipientsBox());
}

/* ---- loading ---------------------------------------------------------------------------- */

async function loadLayer() {
  const [it, rq] = await Promise.all([DC.api("GET", "/api/v1/layer/items"), DC.api("GET", "/api/v1/layer/requests")]);
  M.items = it.items || [];
  M.requests = rq.requests || [];
}

async function loadRecipients() {
  M.recipients = (await DC.api("GET", "/api/v1/recipients")).recipients || [];
}

/* After an action: the section's data again, then its lists. */
async function manageRefresh() {
  const sec = currentSection();
  try {
    if (sec.load) await sec.load();
    if (sec.update) sec.update();
  } catch (e) {
    showError("cannot read the portal's data: " + e.message);
  }
}

SECTIONS.push(
  {id: "monitoring", title: "Monitoring", may: () => P.may("layer-request"), load: loadLayer,
   draw: drawMonitoring, update: updateMonitoring},
  {id: "requests", title: "Requests", may: () => P.may("layer-request"), load: loadLayer,
   draw: drawRequests, update: updateRequests},
  {id: "addresses", title: "Alert addresses", may: () => P.may("recipients"), load: loadRecipients,
   draw: drawRecipients, update: updateRecipients});
