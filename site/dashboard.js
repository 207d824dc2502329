// Zokio dashboard: polls /api/stats once a second and shows the figures, a 60 s chart of
// requests per second and a table per worker. No framework, nothing loaded from elsewhere.
"use strict";

const POLL_MS = 1000;
const FETCH_TIMEOUT_MS = 2500;
const HISTORY = 60; // chart samples, one per poll
const DASH = "\u2014";

// Same-origin path only: ?stats=/prefix/api/stats when built-in routes live under a prefix.
const STATS_URL = (() => {
  const q = new URLSearchParams(location.search).get("stats");
  return q && q.startsWith("/") && !q.startsWith("//") ? q : "/api/stats";
})();

const history = []; // requests per second, oldest first
let connected = false;

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  const el = $(id);
  if (el && el.textContent !== text) el.textContent = text;
}

const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const rateFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const axisFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

// A count that is coloured (class "hot") once it is above zero: errors, 4xx, 5xx.
function setCount(id, n) {
  setText(id, count(n));
  $(id).classList.toggle("hot", typeof n === "number" && n > 0);
}

function count(n) {
  return typeof n === "number" && isFinite(n) ? intFmt.format(n) : DASH;
}

function rate(n) {
  return typeof n === "number" && isFinite(n) ? rateFmt.format(n) : DASH;
}

function micros(us) {
  if (typeof us !== "number" || !isFinite(us)) return DASH;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

function bytes(n) {
  if (typeof n !== "number" || !isFinite(n)) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

function duration(s) {
  if (typeof s !== "number" || !isFinite(s)) return DASH;
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  const pad = (x) => String(x).padStart(2, "0");
  if (d > 0) return `${d}d ${pad(h)}h ${pad(m)}m`;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s % 60)}s`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

function setState(state, text) {
  const el = $("conn-state");
  el.dataset.state = state;
  el.textContent = text;
  document.body.classList.toggle("disconnected", state === "disconnected");
}

function render(s) {
  setText("uptime", duration(s.uptime_seconds));
  setText("io-backend", s.io_backend ?? DASH);
  setText("workers", count(s.workers));
  setText("active-connections", count(s.active_connections));
  setText("total-connections", count(s.total_connections));
  setText("total-requests", count(s.total_requests));
  setText("bytes-in", bytes(s.bytes_in));
  setText("bytes-out", bytes(s.bytes_out));
  const rps = s.requests_per_second || {};
  setText("rps-1s", rate(rps["1s"]));
  setText("rps-10s", rate(rps["10s"]));
  setText("rps-60s", rate(rps["60s"]));
  const lat = s.latency_us || {};
  for (const p of ["p50", "p90", "p99", "p999"]) setText(p, micros(lat[p]));
  const resp = s.responses || {};
  for (const c of ["1xx", "2xx", "3xx", "4xx", "5xx"]) setCount(`status-${c}`, resp[c]);
  setCount("parse-errors", s.parse_errors);
  setCount("timeouts", s.timeouts);
  setCount("handler-errors", s.handler_errors);
  renderWorkers(Array.isArray(s.per_worker) ? s.per_worker : []);
}

function renderWorkers(workers) {
  const body = $("workers-body");
  const rows = workers.map((w) => {
    const tr = document.createElement("tr");
    for (const v of [w.worker, count(w.active_connections), count(w.total_connections),
                     count(w.total_requests), bytes(w.bytes_in), bytes(w.bytes_out)]) {
      const td = document.createElement("td");
      td.textContent = String(v ?? DASH);
      tr.appendChild(td);
    }
    return tr;
  });
  if (rows.length) body.replaceChildren(...rows);
}

// The chart: an inline SVG drawn at the element's real pixel size so the labels stay crisp.
function niceMax(v) {
  if (v <= 1) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function svgEl(name, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function drawChart() {
  const svg = $("rps-chart");
  const w = Math.max(200, Math.round(svg.getBoundingClientRect().width) || 600);
  const h = 180, left = 44, right = 8, top = 10, bottom = 22;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const max = niceMax(Math.max(0, ...history));
  const x = (i) => left + ((w - left - right) * (HISTORY - history.length + i)) / (HISTORY - 1);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);

  const grid = $("rps-grid");
  const parts = [];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4, yy = y(v).toFixed(1);
    parts.push(svgEl("line", { class: "grid", x1: left, x2: w - right, y1: yy, y2: yy }));
    parts.push(svgEl("text", { class: "axis", x: left - 6, y: +yy + 4, "text-anchor": "end" }, axisFmt.format(v)));
  }
  parts.push(svgEl("text", { class: "axis", x: left, y: h - 6 }, "60 s ago"));
  parts.push(svgEl("text", { class: "axis", x: w - right, y: h - 6, "text-anchor": "end" }, "now"));
  grid.replaceChildren(...parts);

  if (history.length === 0) return;
  const pts = history.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  const line = "M" + pts.join("L");
  $("rps-line").setAttribute("d", line);
  const base = y(0).toFixed(1);
  $("rps-area").setAttribute("d", `${line}L${x(history.length - 1).toFixed(1)},${base}L${x(0).toFixed(1)},${base}Z`);
}

async function poll() {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(STATS_URL, { cache: "no-store", signal: ctl.signal, headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = await res.json();
    render(s);
    const r = s.requests_per_second && s.requests_per_second["1s"];
    history.push(typeof r === "number" && isFinite(r) ? r : 0);
    if (history.length > HISTORY) history.shift();
    drawChart();
    if (!connected) setState("live", "live");
    connected = true;
  } catch (err) {
    connected = false;
    setState("disconnected", `disconnected (${err.name === "AbortError" ? "timeout" : err.message || "error"}), retrying`);
  } finally {
    clearTimeout(timer);
    setTimeout(poll, POLL_MS);
  }
}

$("stats-url").href = STATS_URL;
$("stats-url").textContent = STATS_URL;
window.addEventListener("resize", drawChart);
drawChart();
poll();
