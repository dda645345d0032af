// drills.js - failover drills: start one (token), watch its timeline
// fill in while it runs, and see the kept drills with their scores. The
// timeline is an SVG drawn here: one row per phase, a bar to the moment
// it was reached (milliseconds after the shutdown), "not reached" in
// words otherwise.
import { el, svg, get, post, table, clear, showError, onEvent, debounce } from './lib.js';

function timeline(d) {
  const rows = d.timeline || [];
  const max = Math.max(1, ...rows.map(r => r.ms || 0));
  const LW = 170, BW = 420, RH = 24, H = rows.length * RH + 40;
  const root = svg('svg', { class: 'timeline', id: 'drill-timeline', width: LW + BW + 110, height: H,
    viewBox: `0 0 ${LW + BW + 110} ${H}`, role: 'img',
    'aria-label': `Timeline of drill ${d.id}: ${rows.map(r => `${r.label} ${r.reached ? r.ms + ' ms' : 'not reached'}`).join(', ')}` });
  rows.forEach((r, i) => {
    const y = 10 + i * RH;
    const w = r.reached ? Math.max(2, (r.ms || 0) / max * BW) : 0;
    root.append(svg('text', { x: LW - 8, y: y + 15, class: 'end' }, r.label),
      svg('rect', { x: LW, y: y + 3, width: BW, height: RH - 8, class: 'track' }),
      r.reached ? svg('rect', { x: LW, y: y + 3, width: w, height: RH - 8, class: 'bar' }) : null,
      svg('text', { x: LW + BW + 8, y: y + 15 }, r.reached ? `${r.ms} ms` : 'not reached'));
  });
  root.append(svg('text', { x: LW, y: H - 8, class: 'sub' }, '0 ms'),
    svg('text', { x: LW + BW, y: H - 8, class: 'sub end' }, `${max} ms`));
  return root;
}

function summary(d) {
  return el('p', { class: `drill-state st-${d.state}`, id: 'drill-state' },
    `Drill ${d.id} (${d.type}, peer ${d.peer}): `, el('strong', {}, d.state),
    d.score !== undefined ? ` \u2014 score ${d.score}%` : '',
    d.error ? ` \u2014 ${d.error}` : '',
    d.mismatches && d.mismatches.length ? ` \u2014 ${d.mismatches.join('; ')}` : '');
}

export function render(main) {
  const peer = el('select', { id: 'drill-peer', name: 'peer' });
  const type = el('select', { id: 'drill-type', name: 'type' },
    el('option', { value: 'peer-down' }, 'peer-down'), el('option', { value: 'nva-silent' }, 'nva-silent'));
  const restore = el('input', { id: 'drill-restore', name: 'restore_after', type: 'number', min: '0.1',
    max: '3600', step: '0.1', value: '2' });
  const form = el('form', { class: 'filters' },
    el('label', { class: 'field' }, el('span', {}, 'Peer'), peer),
    el('label', { class: 'field' }, el('span', {}, 'Type'), type),
    el('label', { class: 'field' }, el('span', {}, 'Restore after (s)'), restore),
    el('button', { type: 'submit', id: 'drill-run' }, 'Run drill'));
  const now = el('section', { id: 'drill-now', 'aria-live': 'polite' });
  const past = el('section', { id: 'drill-past' });
  main.append(el('h1', {}, 'Drills'),
    el('p', { class: 'help' }, 'A drill takes a peer down on purpose, records how the route server, ',
      'the peers and the fabric converge, restores it and scores the result. Starting one needs the token.'),
    form, now, el('h2', {}, 'Kept drills'), past);
  let timer = null;

  function show(d) {
    clear(now).append(summary(d), timeline(d));
  }

  async function watch(id) {
    clearTimeout(timer);
    try {
      const d = await get(`drills/${id}`);
      show(d);
      if (d.state === 'running') timer = setTimeout(() => watch(id), 400);
      else loadPast();
    } catch (e) { showError(now, e); }
  }

  async function loadPast() {
    try {
      const { drills } = await get('drills');
      clear(past).append(drills.length ? table(null, ['Id', 'Type', 'Peer', 'Started', 'State', 'Score', ''],
        drills.map(d => el('tr', {},
          el('td', { class: 'num' }, d.id), el('td', {}, d.type), el('td', {}, d.peer),
          el('td', {}, d.started), el('td', {}, d.state), el('td', { class: 'num' }, `${d.score}%`),
          el('td', {}, el('button', { type: 'button', onclick: () => watch(d.id) }, 'Timeline')))),
        { id: 'drills' }) : el('p', {}, 'No drill yet.'));
    } catch (e) { showError(past, e); }
  }

  get('peers').then(({ peers }) => {
    for (const p of peers) peer.append(el('option', { value: p.name }, `${p.name} (${p.state})`));
  }).catch(e => showError(now, e));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const d = await post('drills', { type: type.value, peer: peer.value,
        restore_after: Number(restore.value) }, 'Starting a drill needs the API token');
      show(d);
      watch(d.id);
    } catch (err) { showError(now, err); }
  });
  const unsub = onEvent(debounce(ev => { if (ev.type === 'drill') loadPast(); }, 100));
  loadPast();
  return () => { unsub(); clearTimeout(timer); };
}
