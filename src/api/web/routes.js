// routes.js - the routes: search by prefix (exact) or address (longest
// match), filter by peer, community, AS, family and best path; each
// prefix with its paths, which are best or ECMP, and why each other path
// lost (the decision step, as the API's `reason`).
import { el, get, table, clear, showError } from './lib.js';

const LIMIT = 2000;

function pathRow(r, p, first, n) {
  const role = p.best ? 'best' : p.ecmp ? 'ECMP' : 'lost: ' + (p.reason || '?');
  return el('tr', { class: p.best ? 'best' : p.ecmp ? 'ecmp' : 'lost' },
    first ? el('th', { scope: 'rowgroup', rowspan: n, class: 'mono' }, r.prefix) : null,
    el('td', {}, p.peer),
    el('td', { class: 'mono' }, p.next_hop),
    el('td', { class: 'mono' }, p.as_path_text !== undefined ? p.as_path_text : (p.as_path || []).join(' ')),
    el('td', { class: 'mono' }, [...(p.communities || []), ...(p.large_communities || [])].join(' ')),
    el('td', { class: 'num' }, p.local_pref),
    el('td', { class: 'role' }, role, p.stale ? ' (stale)' : ''));
}

// The paths of one route that pass the filters (all of them if none).
function keep(r, f) {
  if (f.family === 'ipv4' && r.prefix.includes(':')) return [];
  if (f.family === 'ipv6' && !r.prefix.includes(':')) return [];
  return r.paths.filter(p =>
    (!f.peer || p.peer === f.peer) &&
    (!f.best || p.best) &&
    (!f.community || [...(p.communities || []), ...(p.large_communities || [])].includes(f.community)) &&
    (!f.as || (p.as_path || []).includes(Number(f.as))));
}

function field(label, input) {
  return el('label', { class: 'field' }, el('span', {}, label), input);
}

export function render(main, params) {
  const q = el('input', { id: 'route-q', type: 'search', name: 'q', placeholder: '198.19.0.0/24 or 198.19.0.7',
    value: params.get('q') || '', 'aria-describedby': 'route-help' });
  const peer = el('select', { id: 'route-peer', name: 'peer' }, el('option', { value: '' }, 'any peer'));
  const community = el('input', { id: 'route-community', name: 'community', placeholder: '65001:100', size: 12 });
  const asn = el('input', { id: 'route-as', name: 'as', inputmode: 'numeric', placeholder: '65001', size: 8 });
  const family = el('select', { id: 'route-family', name: 'family' },
    el('option', { value: '' }, 'both'), el('option', { value: 'ipv4' }, 'IPv4'),
    el('option', { value: 'ipv6' }, 'IPv6'));
  const best = el('input', { id: 'route-best', type: 'checkbox', name: 'best' });
  const out = el('section', { id: 'route-results', 'aria-live': 'polite' });
  const form = el('form', { class: 'filters', role: 'search' },
    field('Prefix or address', q), field('Peer', peer), field('Community', community),
    field('AS in path', asn), field('Family', family),
    el('label', { class: 'field check' }, best, el('span', {}, 'best only')),
    el('button', { type: 'submit' }, 'Search'));
  main.append(el('h1', {}, 'Routes'),
    el('p', { id: 'route-help', class: 'help' },
      'A prefix is matched exactly; an address finds the longest prefix that holds it. ',
      'Empty: the first ', String(LIMIT), ' prefixes of the table.'),
    form, out);

  get('peers').then(({ peers }) => {
    for (const p of peers) peer.append(el('option', { value: p.name }, p.name));
  }).catch(() => {});

  async function search() {
    const s = q.value.trim();
    const f = { peer: peer.value, community: community.value.trim(), as: asn.value.trim(),
      family: family.value, best: best.checked };
    let path = `routes?limit=${LIMIT}`;
    if (s) path = `routes?prefix=${encodeURIComponent(s)}${s.includes('/') ? '' : '&match=longest'}`;
    out.replaceChildren(el('p', {}, 'Searching\u2026'));
    try {
      const { routes } = await get(path);
      const rows = [];
      let shown = 0;
      for (const r of routes) {
        const paths = keep(r, f);
        if (!paths.length) continue;
        shown++;
        paths.forEach((p, i) => rows.push(pathRow(r, p, i === 0, paths.length)));
      }
      clear(out).append(el('p', { class: 'count' }, `${shown} prefix${shown === 1 ? '' : 'es'}`,
        s && !s.includes('/') && routes.length ? ` (longest match for ${s}: ${routes[0].prefix})` : ''));
      if (rows.length)
        out.append(table(null, ['Prefix', 'Peer', 'Next hop', 'AS path', 'Communities', 'Local pref', 'Chosen'],
          rows, { class: 'routes', id: 'routes' }));
    } catch (e) { showError(out, e); }
  }
  form.addEventListener('submit', e => { e.preventDefault(); search(); });
  search();
  return null;
}
