// overview.js - the overview: the route server in numbers, every peer
// with its state, uptime, prefixes in and out, flaps and admin state
// (with enable, disable and refresh), the fabric's size and the latest
// events. Peers are fetched again when an event names one, so a session
// that goes down shows at once; a slow timer keeps the uptimes current.
import { el, svg, get, post, table, clear, fmtDuration, onEvent, debounce,
  showError, stateLabel } from './lib.js';

// Route counts seen since the page was opened (one sample per status
// read, an hour's worth), kept across views.
const samples = [];
const MAX_SAMPLES = 360;

// A line of the loc-RIB's prefixes over time, with its range in words.
function countChart() {
  const W = 560, H = 90, P = 4;
  if (samples.length < 2)
    return el('p', { class: 'help', id: 'count-chart' }, 'Route counts over time: collecting (one sample every 10 s).');
  const vals = samples.map(s => s.n), lo = Math.min(...vals), hi = Math.max(...vals);
  const t0 = samples[0].t, t1 = samples[samples.length - 1].t;
  const x = t => P + (W - 2 * P) * (t - t0) / Math.max(1, t1 - t0);
  const y = v => H - P - (H - 2 * P) * (v - lo) / Math.max(1, hi - lo);
  const label = `prefixes over the last ${fmtDuration((t1 - t0) / 1000)}: now ${vals[vals.length - 1]}, lowest ${lo}, highest ${hi}`;
  return el('figure', { class: 'chart', id: 'count-chart' },
    svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
      svg('rect', { x: 0, y: 0, width: W, height: H, class: 'track' }),
      svg('polyline', { class: 'count', points: samples.map(s => `${x(s.t).toFixed(1)},${y(s.n).toFixed(1)}`).join(' ') })),
    el('figcaption', { class: 'sub' }, label[0].toUpperCase() + label.slice(1)));
}

function stat(label, value) {
  return el('div', { class: 'stat' }, el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value));
}

function peerRow(p, act) {
  const admin = p.admin_state || (p.disabled ? 'disabled' : 'enabled');
  const btn = (what, label) => el('button', {
    type: 'button', 'data-action': what,
    'aria-label': `${label} peer ${p.name}`,
    onclick: () => act(p.name, what),
  }, label);
  return el('tr', { 'data-peer': p.name },
    el('th', { scope: 'row' },
      el('a', { href: `#/events?q=${encodeURIComponent(p.name)}`, title: `events of ${p.name} (its flaps)` }, p.name),
      p.description ? el('div', { class: 'sub' }, p.description) : null),
    el('td', {}, p.kind),
    el('td', { class: 'mono' }, p.address),
    el('td', { class: 'num' }, p.asn),
    el('td', { class: 'state-cell' }, stateLabel(p.state)),
    el('td', { class: 'num uptime', 'data-up': p.state === 'established' ? p.uptime_s : '' },
      p.state === 'established' ? fmtDuration(p.uptime_s) : ''),
    el('td', { class: 'num' }, `${p.prefixes_accepted} / ${p.prefixes_received}`),
    el('td', { class: 'num' }, p.prefixes_advertised),
    el('td', { class: 'num' }, p.flaps),
    el('td', { class: 'admin' }, admin),
    el('td', { class: 'err' }, p.last_error || ''),
    el('td', { class: 'actions' },
      admin === 'disabled' ? btn('enable', 'Enable') : btn('disable', 'Disable'),
      btn('refresh', 'Refresh')));
}

function eventList(evs) {
  if (!evs.length) return el('p', {}, 'No events yet.');
  return el('ul', { class: 'events-brief' },
    evs.slice().reverse().map(e => el('li', {},
      el('time', { datetime: e.time }, e.time.replace('T', ' ').replace('Z', '')), ' ',
      el('strong', {}, e.type), e.peer ? ` ${e.peer}` : '', ': ', e.reason || '')));
}

export function render(main) {
  const head = el('section', { class: 'stats', 'aria-label': 'Route server' });
  const chart = el('div', {});
  const msg = el('div', { class: 'msg', 'aria-live': 'polite' });
  const peersBox = el('section', { 'aria-labelledby': 'h-peers' });
  const evBox = el('section', { 'aria-labelledby': 'h-events' });
  const reloadBtn = (check, label) => el('button', { type: 'button', id: check ? 'reload-check' : 'reload',
    onclick: () => reload(check) }, label);
  main.append(el('h1', {}, 'Overview'), head,
    el('p', { class: 'actions-bar' }, reloadBtn(true, 'Check configuration'), ' ',
      reloadBtn(false, 'Reload configuration')),
    chart,
    msg,
    el('h2', { id: 'h-peers' }, 'Peers'), peersBox,
    el('h2', { id: 'h-events' }, 'Recent events'), evBox);

  async function act(name, what) {
    msg.replaceChildren(el('p', {}, `${what} ${name}\u2026`));
    try {
      await post(`peers/${encodeURIComponent(name)}/${what}`, undefined,
        `${what} peer ${name}: the API token is needed`);
      msg.replaceChildren(el('p', { class: 'okmsg', role: 'status' }, `${what} ${name}: ok`));
    } catch (e) {
      showError(msg, e);
    }
    loadPeers();
  }

  // POST /reload (?check=1: only say what a reload would do)
  async function reload(check) {
    msg.replaceChildren(el('p', {}, check ? 'Checking the configuration\u2026' : 'Reloading\u2026'));
    try {
      const r = await post(check ? 'reload?check=1' : 'reload', undefined,
        'Reloading the configuration needs the API token');
      const pe = r.peers || {};
      const part = k => `${(pe[k] || []).length} ${k}`;
      msg.replaceChildren(el('p', { class: 'okmsg', role: 'status', id: 'reload-result' },
        `${check ? 'check' : 'reload'}: ${r.result}: `,
        ['reset', 'added', 'removed', 'updated', 'unchanged'].map(part).join(', '),
        (r.rs_changed || []).length ? `; redone: ${r.rs_changed.join(', ')}` : '',
        (r.warnings || []).length ? `; warnings: ${r.warnings.join('; ')}` : ''));
    } catch (e) {
      showError(msg, e);
    }
    if (!check) loadPeers();
  }

  async function loadStatus() {
    try {
      const [st, fab] = await Promise.all([get('status'),
        get('fabric').catch(() => null)]);
      const vnets = fab ? fab.vnets || [] : [];
      const count = k => vnets.reduce((n, v) => n + (v[k] || []).length, 0);
      clear(head).append(
        stat('version', st.version), stat('ASN', st.asn), stat('router id', st.router_id),
        stat('uptime', fmtDuration(st.uptime_s)),
        stat('peers up', `${st.peers.established} of ${st.peers.configured}`),
        stat('IPv4 prefixes', st.rib.prefixes_v4), stat('IPv6 prefixes', st.rib.prefixes_v6),
        stat('paths', st.rib.paths),
        stat('VNets', vnets.length), stat('subnets', count('subnets')),
        stat('NICs', count('nics')), stat('fabric version', fab ? fab.version : '-'));
      samples.push({ t: Date.now(), n: st.rib.prefixes_v4 + st.rib.prefixes_v6 });
      if (samples.length > MAX_SAMPLES) samples.shift();
      clear(chart).append(countChart());
    } catch (e) { showError(head, e); }
  }

  async function loadPeers() {
    try {
      const { peers } = await get('peers');
      clear(peersBox).append(table(null,
        ['Peer', 'Kind', 'Address', 'ASN', 'State', 'Uptime', 'Prefixes in (accepted / received)',
          'Out', 'Flaps', 'Admin', 'Last error', 'Actions'],
        peers.map(p => peerRow(p, act)), { class: 'peers', id: 'peers' }));
    } catch (e) { showError(peersBox, e); }
  }

  async function loadEvents() {
    try {
      const { events } = await get('events?limit=10');
      clear(evBox).append(eventList(events));
    } catch (e) { showError(evBox, e); }
  }

  // Peers and events are fetched again when the event stream brings
  // news; in between the uptimes tick here, the numbers at the top are
  // read again every 10 s and the peers (their route counts change
  // without an event) every 30 s.
  const all = () => { loadStatus(); loadPeers(); loadEvents(); };
  const soon = debounce(all, 150);
  const unsub = onEvent(() => soon());
  const started = Date.now();
  let last = started;
  const tick = setInterval(() => {
    const secs = Math.round((Date.now() - last) / 1000);
    if (secs < 1) return;
    last += secs * 1000;
    for (const c of peersBox.querySelectorAll('td.uptime[data-up]')) {
      if (c.dataset.up === '') continue;
      c.dataset.up = Number(c.dataset.up) + secs;
      c.textContent = fmtDuration(Number(c.dataset.up));
    }
  }, 1000);
  const timer = setInterval(loadStatus, 10000);
  const slow = setInterval(loadPeers, 30000);
  all();
  return () => { unsub(); clearInterval(timer); clearInterval(slow); clearInterval(tick); };
}
