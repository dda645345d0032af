// fabric.js - the fabric view: the map (map.js), the effective routes of
// a subnet or NIC picked on it, kept current by that subnet's delta
// stream (GET .../stream), and the trace: pick a NIC and a destination,
// the hops are drawn over the map and listed with where the walk ends.
import { el, get, table, clear, showError, onEvent, debounce } from './lib.js';
import { drawMap, drawTrace } from './map.js';

const enc = encodeURIComponent;

function routesTable(routes) {
  return table(null, ['Source', 'State', 'Prefix', 'Next hop type', 'Next hop IPs', 'Why invalid'],
    routes.map(r => el('tr', { class: r.state === 'Active' ? 'active' : 'invalid' },
      el('td', {}, r.source), el('td', {}, r.state), el('td', { class: 'mono' }, r.prefix),
      el('td', {}, r.next_hop_type), el('td', { class: 'mono' }, (r.next_hop_ips || []).join(' ')),
      el('td', {}, r.reason || ''))),
    { class: 'eff', id: 'eff-routes' });
}

export function render(main, params, traceMode) {
  const mapBox = el('div', { class: 'map-wrap', id: 'map-wrap' });
  const panel = el('section', { class: 'panel', id: 'fabric-panel', 'aria-live': 'polite' });
  const tracePanel = el('section', { class: 'panel', id: 'trace-panel' });
  const legend = el('p', { class: 'help' },
    'Boxes are VNets (hubs first, with the route server to their left); solid lines are peerings ',
    'whose spoke uses the hub\u2019s gateways, dashed lines other peerings. NVAs and gateways carry ',
    'their session state in words (\u25B2 up, \u25BC down). ',
    traceMode ? 'A NIC selected on the map (Tab, Enter) becomes the trace\u2019s source.'
      : 'Select a subnet or NIC (Tab, Enter) for its effective routes.');
  main.append(el('h1', {}, traceMode ? 'Trace' : 'Fabric'), legend,
    el('div', { class: traceMode ? 'fabric-grid trace-grid' : 'fabric-grid' }, mapBox, traceMode ? tracePanel : panel));

  let fab = null, map = null, lastTrace = null, stream = null, selected = null;

  function follow(vnet, subnet, version, reload) {
    if (stream) stream.close();
    stream = new EventSource(`/api/v1/fabric/subnets/${enc(vnet)}/${enc(subnet)}/stream?after=${version}`);
    const again = debounce(reload, 100);
    stream.addEventListener('delta', again);
    stream.addEventListener('resync', () => { stream.close(); stream = null; again(); });
  }

  async function select(what) {
    selected = what;
    if (traceMode) { // a NIC picked on the map is the trace's source
      const nic = document.getElementById('trace-nic');
      if (what.kind === 'nic' && nic) { nic.value = what.name; document.getElementById('trace-dst').focus(); }
      return;
    }
    for (const n of mapBox.querySelectorAll('.item.selected')) n.classList.remove('selected');
    const sel = what.kind === 'nic' ? `[data-nic="${CSS.escape(what.name)}"]`
      : `[data-subnet="${CSS.escape(what.vnet + '/' + what.subnet)}"]`;
    const node = mapBox.querySelector(sel);
    if (node) node.classList.add('selected');
    panel.replaceChildren(el('p', {}, 'Loading\u2026'));
    try {
      let t, title;
      if (what.kind === 'nic') {
        t = await get(`fabric/nics/${enc(what.name)}/effective-routes`);
        title = `Effective routes of NIC ${t.nic} (${t.vnet}/${t.subnet})`;
      } else {
        t = await get(`fabric/subnets/${enc(what.vnet)}/${enc(what.subnet)}/table`);
        title = `Routes of subnet ${t.vnet}/${t.subnet}`;
      }
      clear(panel).append(el('h2', { id: 'eff-title' }, title),
        el('p', { class: 'sub' }, `fabric version ${t.version}; follows the subnet\u2019s deltas live`),
        routesTable(t.routes));
      if (selected === what) follow(t.vnet, t.subnet, t.version, () => select(what));
    } catch (e) { showError(panel, e); }
  }

  async function load() {
    try {
      const [f, { peers }, st] = await Promise.all([get('fabric'), get('peers'), get('status')]);
      fab = f;
      map = drawMap(f, peers, st, select, traceMode ? 170 : 0);
      clear(mapBox).append(map.node);
      if (selected && !traceMode) {
        const sel = selected.kind === 'nic' ? `[data-nic="${CSS.escape(selected.name)}"]`
          : `[data-subnet="${CSS.escape(selected.vnet + '/' + selected.subnet)}"]`;
        const node = mapBox.querySelector(sel);
        if (node) node.classList.add('selected');
      }
      if (lastTrace) drawTrace(map, lastTrace);
      if (traceMode) traceForm();
    } catch (e) { showError(mapBox, e); }
  }

  function nicsOf(f) {
    return (f.vnets || []).filter(v => !v.remote).flatMap(v => (v.nics || []).map(n => ({ ...n, vnet: v.name })));
  }

  let formDone = false;
  function traceForm() {
    if (formDone) return;
    formDone = true;
    const nic = el('select', { id: 'trace-nic', name: 'nic' },
      nicsOf(fab).map(n => el('option', { value: n.name }, `${n.name} (${n.vnet}, ${n.ip})`)));
    if (params.get('nic')) nic.value = params.get('nic');
    const dst = el('input', { id: 'trace-dst', name: 'dst', required: true, placeholder: '198.19.64.10',
      value: params.get('dst') || '' });
    const out = el('div', { id: 'trace-out', 'aria-live': 'polite' });
    const form = el('form', { class: 'filters' },
      el('label', { class: 'field' }, el('span', {}, 'From NIC'), nic),
      el('label', { class: 'field' }, el('span', {}, 'Destination IP'), dst),
      el('button', { type: 'submit' }, 'Trace'));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const tr = await get(`fabric/trace?nic=${enc(nic.value)}&dst=${enc(dst.value.trim())}`);
        lastTrace = tr;
        const drawn = drawTrace(map, tr);
        clear(out).append(
          el('p', { class: `result result-${tr.result}`, id: 'trace-result' },
            el('strong', {}, tr.result), ': ', tr.reason || '', ` (${drawn} hops drawn)`),
          el('ol', { class: 'hops', id: 'trace-hops' }, (tr.hops || []).map(h => el('li', {},
            el('strong', {}, h.at), ` ${h.ip || ''}`,
            h.route ? ` via ${h.route.prefix} (${h.route.source}, ${h.route.next_hop_type})` : '',
            h.chosen ? ` \u2192 ${h.chosen}` : '',
            h.ecmp && h.ecmp.length > 1 ? ` [ECMP: ${h.ecmp.join(', ')}]` : '',
            h.note ? el('div', { class: 'sub' }, h.note) : null))));
      } catch (err) { showError(out, err); }
    });
    tracePanel.append(el('h2', {}, 'Trace a packet'), form, out);
    if (params.get('nic') && params.get('dst')) form.requestSubmit();
  }

  const redraw = debounce(load, 200);
  const unsub = onEvent(ev => { if (ev.peer || ev.type === 'reload') redraw(); });
  load().then(() => {
    if (params.get('nic') && !traceMode) select({ kind: 'nic', name: params.get('nic') });
  });
  return () => { unsub(); if (stream) stream.close(); };
}
