// map.js - the fabric map, drawn by hand as SVG: the route server with
// its BGP peers, hub VNets in the first row, spokes below (grouped by the
// hub they peer with), peerings as lines (solid when the spoke uses the
// hub's gateways, dashed otherwise), subnets and NICs as keyboard-usable
// buttons, NVAs and gateways labelled with their session state. A trace
// is drawn over it as numbered hops joined by arrows.
import { svg } from './lib.js';

const W = 310, GAP_X = 44, GAP_Y = 56, PAD = 16;
const HEAD = 38, LINE = 18, SUB = 22, NIC = 18;

function text(x, y, s, cls) {
  return svg('text', { x, y, class: cls || '' }, s);
}

function vnetHeight(v) {
  let h = HEAD + LINE;
  for (const s of v.subnets || []) h += SUB + NIC * (v.nics || []).filter(n => n.subnet === s.name).length;
  return h + 10;
}

// A focusable, clickable SVG group that acts as a button.
function button(label, onPress, kids) {
  const g = svg('g', { class: 'item', tabindex: 0, role: 'button', 'aria-label': label }, kids);
  g.addEventListener('click', onPress);
  g.addEventListener('keydown', e => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onPress(); }
  });
  return g;
}

function peerState(p) {
  return p.state === 'established' ? 'up' : 'down';
}

// Where each VNet goes: hubs in row 1 (after the route server), spokes
// in rows below, ordered by the hub they peer with.
function layout(vnets, rsH, room) {
  const byName = new Map(vnets.map(v => [v.name, v]));
  const hubs = vnets.filter(v => v.hub);
  const linked = (a, b) => (a.peerings || []).some(p => p.remote === b.name) ||
    (b.peerings || []).some(p => p.remote === a.name);
  const order = [];
  for (const h of hubs)
    for (const v of vnets) if (!v.hub && !order.includes(v) && linked(v, h)) order.push(v);
  for (const v of vnets) if (!v.hub && !order.includes(v)) order.push(v);
  const cols = Math.max(2, hubs.length + 1);
  const pos = new Map();
  let x = PAD + W + GAP_X, y = PAD;
  const hubH = Math.max(rsH, ...hubs.map(vnetHeight));
  for (const h of hubs) { pos.set(h.name, { x, y, w: W, h: vnetHeight(h) }); x += W + GAP_X; }
  y += hubH + GAP_Y;
  let rowH = 0, col = 0;
  x = PAD;
  for (const v of order) {
    if (col === cols) { col = 0; x = PAD; y += rowH + GAP_Y; rowH = 0; }
    const h = vnetHeight(v);
    pos.set(v.name, { x, y, w: W, h });
    rowH = Math.max(rowH, h);
    x += W + GAP_X;
    col++;
  }
  const width = PAD * 2 + Math.max(cols, hubs.length + 1) * (W + GAP_X) - GAP_X + room; // room for a trace's end
  return { pos, byName, width, height: y + rowH + PAD + 30 };
}

function edge(a, b) { // the points where the line between two boxes leaves them
  const ca = { x: a.x + a.w / 2, y: a.y + a.h / 2 }, cb = { x: b.x + b.w / 2, y: b.y + b.h / 2 };
  if (Math.abs(ca.y - cb.y) < 10) {
    const l = ca.x < cb.x;
    return [{ x: l ? a.x + a.w : a.x, y: ca.y }, { x: l ? b.x : b.x + b.w, y: cb.y }];
  }
  const down = ca.y < cb.y;
  return [{ x: ca.x, y: down ? a.y + a.h : a.y }, { x: cb.x, y: down ? b.y : b.y + b.h }];
}

// drawMap(fab, peers, status, onSelect, room): {node, at: name or address
// -> point}; room: pixels kept free on the right (for a trace's end)
export function drawMap(fab, peers, status, onSelect, room) {
  const vnets = fab.vnets || [];
  const byIp = new Map(peers.map(p => [p.address, p]));
  const rsH = HEAD + LINE * (peers.length + 1) + 10;
  const L = layout(vnets, rsH, room || 0);
  const at = new Map(); // hop names and addresses -> {x, y}
  const root = svg('svg', { xmlns: 'http://www.w3.org/2000/svg', class: 'map', id: 'fabric-map',
    width: L.width, height: L.height, viewBox: `0 0 ${L.width} ${L.height}`,
    role: 'group', 'aria-label': 'Fabric map' });
  root.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', class: 'arrowhead' },
  svg('path', { d: 'M0,0 L10,5 L0,10 z' }))));
  const lines = svg('g', { class: 'lines' });
  const boxes = svg('g', { class: 'boxes' });
  root.append(lines, boxes);

  // the route server and its peers
  const rs = { x: PAD, y: PAD, w: W, h: rsH };
  const rsg = svg('g', { class: 'rs', 'data-name': 'route-server' },
    svg('rect', { x: rs.x, y: rs.y, width: rs.w, height: rs.h, rx: 6 }),
    text(rs.x + 10, rs.y + 18, `route server AS ${status.asn}`, 'title'),
    text(rs.x + 10, rs.y + 33, `router id ${status.router_id}`, 'sub'),
    text(rs.x + 10, rs.y + HEAD + 8, 'BGP peers:', 'sub'));
  peers.forEach((p, i) => {
    const y = rs.y + HEAD + LINE * (i + 1) + 8;
    rsg.append(svg('g', { class: `peer st-${peerState(p)}`, 'data-peer': p.name },
      text(rs.x + 14, y, `${p.kind === 'nva' ? 'NVA' : p.kind.replace('_', ' ')} ${p.name}`),
      text(rs.x + rs.w - 10, y, p.state, 'state end')));
    if (!at.has(p.name)) at.set(p.name, { x: rs.x + rs.w, y: y - 4 });
  });
  boxes.append(rsg);

  // peerings (each pair once)
  const seen = new Set();
  for (const v of vnets) {
    for (const pr of v.peerings || []) {
      const key = [v.name, pr.remote].sort().join('\u0000');
      if (seen.has(key) || !L.pos.has(pr.remote)) continue;
      seen.add(key);
      const [a, b] = edge(L.pos.get(v.name), L.pos.get(pr.remote));
      const back = (L.byName.get(pr.remote).peerings || []).find(q => q.remote === v.name) || {};
      const gw = pr.use_remote_gateways || back.use_remote_gateways;
      lines.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y,
        class: gw ? 'peering gw' : 'peering', 'data-peering': `${v.name}|${pr.remote}` },
      svg('title', {}, `peering ${v.name} \u2194 ${pr.remote}${gw ? ' (uses the hub\u2019s gateways)' : ''}`)));
    }
  }
  // the route server serves its region's hubs
  for (const v of vnets) {
    if (!v.hub || v.remote) continue;
    const [a, b] = edge(rs, L.pos.get(v.name));
    lines.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'rsline' }));
  }

  for (const v of vnets) {
    const p = L.pos.get(v.name);
    const g = svg('g', { class: `vnet${v.hub ? ' hub' : ''}${v.remote ? ' remote' : ''}`, 'data-vnet': v.name },
      svg('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 6 }),
      text(p.x + 10, p.y + 18, v.name, 'title'),
      text(p.x + p.w - 10, p.y + 18,
        [v.hub ? 'hub' : 'spoke', v.hub && !v.remote ? 'route server' : null, v.remote ? 'remote' : null,
          v.region].filter(Boolean).join(' \u00B7 '), 'sub end'),
      text(p.x + 10, p.y + 33, (v.address_space || []).join(' '), 'sub mono'));
    at.set(v.name, { x: p.x + p.w / 2, y: p.y + 18 });
    let y = p.y + HEAD + LINE;
    for (const s of v.subnets || []) {
      g.append(button(`subnet ${v.name}/${s.name} ${s.prefix}: show its routes`,
        () => onSelect({ kind: 'subnet', vnet: v.name, subnet: s.name }),
        [svg('rect', { x: p.x + 6, y: y - 14, width: p.w - 12, height: SUB - 3, rx: 3, class: 'subnet' }),
          text(p.x + 12, y, `${s.name} ${s.prefix}`, 'mono'),
          text(p.x + p.w - 12, y, s.receives_bgp ? 'BGP' : 'no BGP', 'sub end')]));
      g.lastChild.setAttribute('data-subnet', `${v.name}/${s.name}`);
      y += SUB;
      for (const n of (v.nics || []).filter(n => n.subnet === s.name)) {
        const peer = byIp.get(n.ip);
        const b = button(`NIC ${n.name} ${n.ip}${peer ? ', peer ' + peer.name + ' ' + peer.state : ''}: show its effective routes`,
          () => onSelect({ kind: 'nic', name: n.name }),
          [svg('rect', { x: p.x + 18, y: y - 13, width: p.w - 30, height: NIC - 2, rx: 3,
            class: peer ? `nic st-${peerState(peer)}` : 'nic' }),
          text(p.x + 24, y, `${n.name} ${n.ip}`, 'mono small'),
          peer ? text(p.x + p.w - 16, y, `${peer.kind === 'nva' ? 'NVA' : 'gateway'} ${peer.state === 'established' ? '\u25B2' : '\u25BC'} ${peer.state}`,
            `small end state st-${peerState(peer)}`) : null]);
        b.setAttribute('data-nic', n.name);
        g.append(b);
        const pt = { x: p.x + p.w - 2, y: y - 5 }; // on the box edge, clear of the text
        at.set(n.name, pt);
        at.set(n.ip, pt);
        if (peer) at.set(peer.name, pt);
        y += NIC;
      }
    }
    boxes.append(g);
  }
  return { node: root, at, width: L.width, height: L.height };
}

// drawTrace(map, trace): the hops over the map, numbered, joined by
// arrows; the end says where the walk left or dropped.
export function drawTrace(map, tr) {
  const old = map.node.querySelector('.trace');
  if (old) old.remove();
  const g = svg('g', { class: `trace result-${tr.result}`, id: 'trace-layer' });
  const pts = [];
  for (const h of tr.hops || []) {
    const p = map.at.get(h.at) || map.at.get(h.ip);
    if (p) pts.push({ ...p, h });
  }
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1], b = pts[i];
    g.append(svg('path', { class: 'hop', 'marker-end': 'url(#arrow)',
      d: `M${a.x + 9},${a.y} C${a.x + 60},${a.y} ${b.x},${b.y + 60} ${b.x},${b.y + 11}` }));
  }
  pts.forEach((p, i) => g.append(svg('g', { class: 'hopmark', 'data-hop': i + 1 },
    svg('circle', { cx: p.x, cy: p.y, r: 9 }), svg('text', { x: p.x, y: p.y + 4, class: 'num' }, i + 1),
    svg('title', {}, `${i + 1}. ${p.h.at} ${p.h.ip || ''} ${p.h.note || ''}`))));
  if (pts.length) {
    const last = pts[pts.length - 1];
    const ex = last.x + 44;
    const word = { delivered: 'delivered', dropped: 'dropped', 'left-fabric': 'leaves the fabric',
      'left-region': 'to another region' }[tr.result] || tr.result;
    if (tr.result !== 'delivered')
      g.append(svg('path', { class: 'hop exit', 'marker-end': 'url(#arrow)',
        d: `M${last.x + 10},${last.y} L${ex},${last.y}` }));
    g.append(svg('text', { x: ex + 4, y: last.y + 4, class: 'endlabel' },
      `${tr.result === 'dropped' ? '\u2716 ' : ''}${word}`));
  }
  map.node.append(g);
  return pts.length;
}
