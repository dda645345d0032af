// lib.js - what every view of the pharos console shares: building DOM
// and SVG nodes (text always goes in as text nodes, never as markup),
// calls to the control API, the API token (kept in sessionStorage, for
// this tab only) and the live event stream.

const SVGNS = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'pharos-token';

function build(node, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// el('td', {class: 'x'}, 'text', child...): an HTML element.
export function el(tag, attrs, ...kids) {
  return build(document.createElement(tag), attrs, kids);
}

// svg('rect', {x: 1}): an SVG element.
export function svg(tag, attrs, ...kids) {
  return build(document.createElementNS(SVGNS, tag), attrs, kids);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// A table: heads is a list of column names, rows a list of row nodes.
export function table(caption, heads, rows, attrs) {
  return el('table', attrs || {},
    caption ? el('caption', {}, caption) : null,
    el('thead', {}, el('tr', {}, heads.map(h => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
}

export function fmtDuration(s) {
  if (s === null || s === undefined) return '';
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
  const m = Math.floor(s / 60) % 60, sec = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function reply(r) {
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || `HTTP ${r.status}`);
  return body;
}

// GET /api/v1/PATH as JSON.
export async function get(path) {
  return reply(await fetch('/api/v1/' + path, { headers: { Accept: 'application/json' } }));
}

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  document.dispatchEvent(new CustomEvent('pharos-token'));
}

// Ask for the token in the dialog of index.html; resolves to it, or to
// null when the operator cancels.
export function askToken(why) {
  const dlg = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-why').textContent = why || '';
  input.value = '';
  return new Promise(resolve => {
    const done = ok => {
      dlg.removeEventListener('close', onClose);
      resolve(ok && input.value.trim() ? input.value.trim() : null);
    };
    const onClose = () => done(dlg.returnValue === 'ok');
    dlg.addEventListener('close', onClose);
    dlg.returnValue = '';
    dlg.showModal();
    input.focus();
  });
}

// POST /api/v1/PATH with the token, as pharosctl sends it
// (Authorization: Bearer TOKEN). Without a token the operator is asked
// for one; a refused token (401) is forgotten.
export async function post(path, body, why) {
  let t = token();
  if (!t) {
    t = await askToken(why || `POST /api/v1/${path} needs the API token`);
    if (!t) throw new ApiError(0, 'cancelled: no token given');
    setToken(t);
  }
  const headers = { Authorization: 'Bearer ' + t, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch('/api/v1/' + path, {
    method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) setToken(null);
  return reply(r);
}

// The live event stream (GET /api/v1/events/stream): one EventSource for
// the page; views subscribe with onEvent(fn) and get an unsubscribe.
const listeners = new Set();
let source = null;

function setLive(text, ok) {
  const n = document.getElementById('live');
  if (!n) return;
  n.textContent = text;
  n.className = ok ? 'live ok' : 'live bad';
}

export function startLive() {
  if (source) return;
  source = new EventSource('/api/v1/events/stream');
  source.onopen = () => setLive('live', true);
  source.onerror = () => setLive('reconnecting', false);
  source.onmessage = m => {
    let ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    for (const fn of listeners) {
      try { fn(ev); } catch (e) { console.error(e); }
    }
  };
}

export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Run fn at most once per ms milliseconds, trailing.
export function debounce(fn, ms) {
  let t = null;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

// A line that says what went wrong, for a view's status area.
export function showError(node, err) {
  clear(node).append(el('p', { class: 'error', role: 'alert' }, 'Error: ' + (err.message || err)));
}

export function stateLabel(state) {
  return el('span', { class: 'state st-' + (state === 'established' ? 'up' : 'down') },
    state === 'established' ? '\u25B2 ' : '\u25BC ', state);
}
