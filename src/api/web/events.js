// events.js - the events: the kept ones, then each new one as the event
// stream brings it, filtered by type and by a word (peer, reason;
// #/events?q=NAME, as the overview links a peer: its flap history).
import { el, get, clear, showError, onEvent } from './lib.js';

const MAX = 500;

export function render(main, params) {
  const type = el('select', { id: 'ev-type', name: 'type' }, el('option', { value: '' }, 'every type'));
  const word = el('input', { id: 'ev-word', type: 'search', name: 'q', placeholder: 'peer or word',
    value: params.get('q') || '' });
  const count = el('p', { class: 'count', 'aria-live': 'polite' });
  const body = el('tbody', {});
  main.append(el('h1', {}, 'Events'),
    el('form', { class: 'filters', role: 'search' },
      el('label', { class: 'field' }, el('span', {}, 'Type'), type),
      el('label', { class: 'field' }, el('span', {}, 'Contains'), word)),
    count,
    el('table', { id: 'events' }, el('thead', {}, el('tr', {},
      ['Time (UTC)', 'Seq', 'Type', 'Peer', 'Reason'].map(h => el('th', { scope: 'col' }, h)))), body));
  const all = [];
  const types = new Set();

  const match = e => (!type.value || e.type === type.value) &&
    (!word.value || JSON.stringify(e).toLowerCase().includes(word.value.toLowerCase()));
  const row = e => el('tr', { class: `ev-${e.type}` },
    el('td', { class: 'mono' }, e.time), el('td', { class: 'num' }, e.seq),
    el('td', {}, e.type), el('td', {}, e.peer || ''), el('td', {}, e.reason || ''));

  function addType(t) {
    if (types.has(t)) return;
    types.add(t);
    type.append(el('option', { value: t }, t));
  }
  function redraw() {
    const shown = all.filter(match);
    clear(body).append(...shown.slice().reverse().map(row));
    count.textContent = `${shown.length} of ${all.length} events (newest first, live)`;
  }
  function add(e) {
    if (all.length && e.seq && all.some(x => x.seq === e.seq)) return;
    all.push(e);
    if (all.length > MAX) all.shift();
    addType(e.type);
    if (match(e)) body.prepend(row(e));
    count.textContent = `${all.filter(match).length} of ${all.length} events (newest first, live)`;
  }
  type.addEventListener('change', redraw);
  word.addEventListener('input', redraw);
  const unsub = onEvent(add);
  get(`events?limit=${MAX}`).then(({ events }) => {
    for (const e of events) { if (!all.some(x => x.seq === e.seq)) all.push(e); addType(e.type); }
    all.sort((a, b) => a.seq - b.seq);
    redraw();
  }).catch(e => showError(count, e));
  return unsub;
}
