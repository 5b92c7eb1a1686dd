// The operator console. The API key is typed once into the login form and sent in a POST
// body; from then on the browser holds only an HttpOnly session cookie.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { paused: false, buffered: [], filters: {}, timer: null, socket: null };

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {}, ...options };
  if (init.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(init.body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) { showLogin(); throw new Error("log in again"); }
  if (response.status === 204) return null;
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
  return td;
}

function fill(tbody, items, render) {
  tbody.replaceChildren(...items.map((item) => {
    const row = document.createElement("tr");
    render(row, item);
    return row;
  }));
}

const when = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");

// --- login ---
function showLogin() {
  $("#console").hidden = true;
  $("#login").hidden = false;
  if (state.socket) state.socket.close();
}

async function start() {
  try {
    const me = await api("/api/session");
    $("#whoami").textContent = `${me.role} ${me.key_id}`;
  } catch { return; }
  $("#login").hidden = true;
  $("#console").hidden = false;
  show("tail");
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#login-key");
  const response = await fetch("/api/session", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key: input.value }),
  });
  input.value = "";  // the key is not kept in the page
  if (!response.ok) {
    $("#login-error").textContent = (await response.json()).detail;
    return;
  }
  $("#login-error").textContent = "";
  start();
});

$("#logout").addEventListener("click", async () => {
  await api("/api/session/logout", { method: "POST" });
  showLogin();
});

// --- views ---
const refreshers = {
  tail: loadTail, trace: loadTrace, streams: loadStreams, dlq: loadDeadLetters,
  alerts: loadAlerts, audit: loadAudit, mail: loadMail, health: loadHealth,
};
const polling = { streams: 2000, dlq: 2000, alerts: 2000, audit: 5000, mail: 5000, health: 5000 };

function show(name) {
  document.querySelectorAll(".view").forEach((view) => { view.hidden = view.id !== `view-${name}`; });
  document.querySelectorAll("nav [data-view]").forEach((button) => {
    button.classList.toggle("active", button.dataset.view === name);
  });
  clearInterval(state.timer);
  refresh(name);
  if (polling[name]) state.timer = setInterval(() => refresh(name), polling[name]);
}

// Every refresher is awaited the same way, whether it returns a promise or not.
const refresh = (name) => Promise.resolve().then(refreshers[name]).catch(() => {});
document.querySelectorAll("nav [data-view]").forEach((button) => {
  button.addEventListener("click", () => show(button.dataset.view));
});

// --- live tail ---
// The server streams only what the filters match, by the rule of the first page's search.
const filterParams = () => {
  const params = new URLSearchParams();
  Object.entries(state.filters).forEach(([name, value]) => value && params.set(name, value));
  return params;
};

function tailRow(event) {
  const row = document.createElement("tr");
  row.dataset.id = event.id;
  if (event.dead_letter) row.classList.add("dead");
  [when(event.timestamp), event.topic, event.type || "(unreadable)", event.subject, event.source]
    .forEach((text) => cell(row, text));
  row.addEventListener("click", () => showEvent(event.id).catch(() => {}));
  return row;
}

function prepend(event) {
  const rows = $("#tail-rows");
  rows.prepend(tailRow(event));
  while (rows.children.length > 500) rows.lastChild.remove();
}

async function loadTail() {
  const params = filterParams();
  params.set("limit", "100");
  const page = await api(`/api/events?${params}`);
  $("#tail-rows").replaceChildren(...page.items.map(tailRow));
  connect();
}

function connect() {
  if (state.socket && state.socket.readyState <= 1) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/tail?${filterParams()}`);
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (state.paused) {
      state.buffered.push(event);
      $("#tail-state").textContent = `paused (${state.buffered.length} new)`;
    } else prepend(event);
  };
  socket.onclose = () => { if (!$("#console").hidden) setTimeout(connect, 2000); };
  state.socket = socket;
}

$("#tail-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  state.filters = Object.fromEntries(new FormData(event.target).entries());
  if (state.socket) {  // its stream follows the old filters; connect() opens one for the new
    state.socket.onmessage = null;
    state.socket.close();
  }
  state.buffered = [];
  loadTail().catch(() => {});
});

$("#tail-pause").addEventListener("click", () => {
  state.paused = !state.paused;
  $("#tail-pause").textContent = state.paused ? "Resume" : "Pause";
  if (!state.paused) {
    state.buffered.splice(0).forEach(prepend);
  }
  $("#tail-state").textContent = state.paused ? "paused" : "live";
});

async function showEvent(id) {
  const event = await api(`/api/events/${encodeURIComponent(id)}`);
  const { data, headers, ...envelope } = event;
  $("#event-detail").textContent =
    `ENVELOPE\n${JSON.stringify(envelope, null, 2)}\n\nHEADERS\n${JSON.stringify(headers, null, 2)}` +
    `\n\nPAYLOAD\n${JSON.stringify(data, null, 2)}`;
}

// --- trace ---
async function loadTrace() {
  const id = $("#trace-input").value.trim();
  if (!id) return;
  const trace = await api(`/api/trace/${encodeURIComponent(id)}`);
  fill($("#trace-rows"), trace.events, (row, e) => {
    [when(e.time || e.timestamp), e.source, e.type, e.topic, e.subject, e.correlation_id]
      .forEach((text) => cell(row, text));
    row.addEventListener("click", () => { show("tail"); showEvent(e.id).catch(() => {}); });
  });
  $("#trace-message").textContent = "";
}

$("#trace-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadTrace().catch((error) => { $("#trace-message").textContent = error.message; });
});

// --- streams ---
async function loadStreams() {
  const overview = await api("/api/streams");
  fill($("#partition-rows"), overview.partitions, (row, p) => {
    [p.topic, p.partition, p.start_offset, p.end_offset, p.last_minute, p.last_hour]
      .forEach((text) => cell(row, text));
  });
  $("#group-listing").textContent = `(groups listed by ${overview.group_listing})`;
  fill($("#group-rows"), overview.groups, (row, g) => {
    const age = g.oldest_age_seconds === null ? "" : `${Math.round(g.oldest_age_seconds)} s`;
    const parts = g.partitions.map((p) => `${p.topic}[${p.partition}] ${p.committed}/${p.end_offset}`);
    [g.group, g.state, g.members.length, g.lag, age, parts.join(", ")].forEach((t) => cell(row, t));
  });
}

// --- dead letters ---
async function loadDeadLetters() {
  const page = await api("/api/dead-letters?limit=100");
  const checked = new Set([...document.querySelectorAll(".dlq-pick:checked")].map((box) => box.value));
  fill($("#dlq-rows"), page.items, (row, letter) => {
    row.dataset.id = letter.id;
    const pick = document.createElement("input");
    pick.type = "checkbox"; pick.className = "dlq-pick"; pick.value = letter.id;
    pick.checked = checked.has(letter.id);
    cell(row, "").appendChild(pick);
    const processed = letter.replays.length && letter.replays[letter.replays.length - 1].processed;
    const status = letter.status === "replayed" ? `replayed${processed ? ", processed" : ""}` : letter.status;
    // The replay target is the DLQ's own source; a header claiming another is only shown.
    const claimed = letter.reported_topic && letter.reported_topic !== letter.original_topic
      ? ` (header claims ${letter.reported_topic})` : "";
    [when(letter.failed_at),
      `${letter.original_topic}[${letter.original_partition}]@${letter.original_offset}${claimed}`,
      letter.event_type, letter.error, letter.consumer_group].forEach((text) => cell(row, text));
    cell(row, status).className = "dlq-status";
    const actions = cell(row, "");
    actions.append(
      button("Dry run", "dry-run", () => dryRun(letter.id)),
      button("Replay", "replay", () => replay([letter.id])),
      button("Discard", "discard", () => discard(letter.id)),
    );
    row.addEventListener("click", (event) => {
      if (event.target.tagName === "TD") $("#dlq-detail").textContent = JSON.stringify(letter, null, 2);
    });
  });
}

function button(label, className, action) {
  const element = document.createElement("button");
  element.textContent = label; element.className = className;
  element.addEventListener("click", (event) => { event.stopPropagation(); action().catch(report); });
  return element;
}

const report = (error) => { $("#dlq-message").textContent = error.message; };

async function dryRun(id) {
  const result = await api(`/api/dead-letters/${encodeURIComponent(id)}/dry-run`, { method: "POST" });
  $("#dlq-message").textContent = result.valid
    ? `valid ${result.event_type}: safe to replay` : `invalid: ${result.problems.join("; ")}`;
}

async function replay(ids) {
  const result = await api("/api/dead-letters/replay", { method: "POST", body: { ids } });
  const failed = result.outcomes.filter((outcome) => outcome.error);
  $("#dlq-message").textContent = `replayed ${result.outcomes.length - failed.length}` +
    (failed.length ? `; failed: ${failed.map((o) => o.error).join("; ")}` : "");
  await loadDeadLetters();
}

async function discard(id) {
  const reason = window.prompt("Why discard this dead letter?");
  if (!reason) return;
  await api(`/api/dead-letters/${encodeURIComponent(id)}/discard`, { method: "POST", body: { reason } });
  $("#dlq-message").textContent = "discarded";
  await loadDeadLetters();
}

$("#dlq-replay-selected").addEventListener("click", () => {
  const ids = [...document.querySelectorAll(".dlq-pick:checked")].map((box) => box.value);
  if (ids.length) replay(ids).catch(report);
});

// --- alerts and thresholds ---
async function loadAlerts() {
  const body = await api("/api/alerts");
  fill($("#alert-rows"), body.alerts, (row, a) => {
    const age = a.oldest_age_seconds === null ? "" : `${Math.round(a.oldest_age_seconds)} s`;
    [a.group, a.active ? "ALERT" : "cleared", a.lag, age, a.reasons.join("; "),
      when(a.raised_at), when(a.cleared_at)].forEach((text) => cell(row, text));
    if (a.active) row.classList.add("dead");
  });
  fill($("#threshold-rows"), body.thresholds, (row, t) => {
    [t.group, t.max_lag, t.max_age_seconds].forEach((text) => cell(row, text));
  });
}

$("#threshold-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target).entries());
  const number = (value) => (value === "" ? null : Number(value));
  const body = { max_lag: number(form.max_lag), max_age_seconds: number(form.max_age_seconds) };
  try {
    await api(`/api/thresholds/${encodeURIComponent(form.group)}`, { method: "PUT", body });
    $("#threshold-message").textContent = "saved";
    await loadAlerts();
  } catch (error) { $("#threshold-message").textContent = error.message; }
});

// --- audit and health ---
async function loadAudit() {
  const page = await api("/api/audit?limit=100");
  fill($("#audit-rows"), page.items, (row, entry) => {
    [new Date(entry.at).toLocaleString(), entry.actor, entry.action, entry.target,
      JSON.stringify(entry.details)].forEach((text) => cell(row, text));
  });
}

// --- mail: what the notifications service sent, gave up on and received ---
const MAIL_KINDS = {
  "jamp.mail.sent.v1": "sent", "jamp.mail.failed.v1": "failed",
  "jamp.mail.reply_received.v1": "reply received", "jamp.mail.inbound_refused.v1": "refused",
};

async function loadMail() {
  const page = await api("/api/mail?limit=100");
  fill($("#mail-rows"), page.items, (row, event) => {
    const data = event.data || {};
    const detail = data.possible_duplicate ? "possibly sent twice"
      : data.reason || (data.code ? `code ${data.code}` : data.inquiry_id || "");
    [new Date(event.time || event.timestamp).toLocaleString(), MAIL_KINDS[event.type] || event.type,
      data.template || "", data.recipient || data.sender || "", data.attempts || "", detail,
    ].forEach((text) => cell(row, text));
  });
}

async function loadHealth() {
  const body = await api("/api/health");
  const rate = (value) => (value === null ? "" : value.toFixed(2));
  fill($("#health-rows"), body.targets, (row, t) => {
    cell(row, t.name);
    cell(row, t.up ? "up" : "down").className = t.up ? "up" : "down";
    [t.status, rate(t.request_rate), rate(t.error_rate), t.requests_total, t.errors_total,
      t.consumed_total, t.dead_lettered_total, t.consumer_lag].forEach((text) => cell(row, text));
  });
}

start();
