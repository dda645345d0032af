// console.test.mjs - the pharos web console in headless chromium
// (playwright-core), run by tests/e2e/t_web.sh inside the route server's
// network namespace. Prints "PASS what" / "FAIL what" / "# note" lines
// that the script turns into TAP.
//
// Environment: WEB_ORIGIN (pharosd's API, e.g. http://198.18.1.1:8179),
// WEB_TOKEN (the API token), WEB_CTL (pharosctl), WEB_CONF (pharosd's
// configuration, for the VNets and peerings the map must draw),
// WEB_KILL_PID (the BIRD of nva1, killed to see its row turn down),
// WEB_SHOTS (where the screenshots go), CHROMIUM (the browser).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

const ORIGIN = process.env.WEB_ORIGIN;
const TOKEN = process.env.WEB_TOKEN;
const SHOTS = process.env.WEB_SHOTS;
const T = 20000; // ms: generous waits for a shared, loaded machine

let failed = 0;
const pass = m => console.log(`PASS ${m}`);
const fail = (m, why) => { failed++; console.log(`FAIL ${m}`); if (why) console.log(`# ${String(why).split('\n')[0]}`); };
const diag = m => console.log(`# ${m}`);
async function check(name, fn) {
  try {
    const r = await fn();
    if (r === false) fail(name); else pass(name);
  } catch (e) { fail(name, e.message || e); }
}
const eq = (a, b, what) => {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${what || 'values'} differ: got ${sa}, want ${sb}`);
};
const ctl = (...args) => JSON.parse(execFileSync(process.env.WEB_CTL,
  ['-s', ORIGIN, '-j', ...args], { encoding: 'utf8' }));
const api = async path => (await fetch(`${ORIGIN}/api/v1/${path}`)).json();
const until = async (fn, ms = T) => {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await fn()) return true; } catch (e) { /* not yet */ }
    if (Date.now() > end) return false;
    await new Promise(r => setTimeout(r, 200));
  }
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // root inside a network namespace: no sandbox; nothing else of the
  // browser's own may reach out
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-default-apps'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const requests = [], problems = [], posts = [];
page.on('request', r => {
  requests.push(r.url());
  if (r.method() === 'POST') posts.push({ url: r.url(), auth: r.headers().authorization || null });
});
page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
page.on('pageerror', e => problems.push(String(e)));
let navigations = 0;
page.on('framenavigated', f => { if (f === page.mainFrame()) navigations++; });
const shot = name => page.screenshot({ path: `${SHOTS}/${name}.png` });
const go = async hash => {
  await page.evaluate(h => { location.hash = h; }, hash);
  await page.waitForFunction(h => location.hash === h, hash);
};

try {
  // ------------------------------------------------------------ overview
  await page.goto(`${ORIGIN}/`);
  await page.waitForSelector('#peers tr[data-peer="nva1"]', { timeout: T });
  await check('overview: every configured peer has a row', async () => {
    const want = (await api('peers')).peers.map(p => p.name).sort();
    const got = (await page.$$eval('#peers tbody tr', rs => rs.map(r => r.dataset.peer))).sort();
    eq(got, want, 'peer rows');
  });
  await check('overview: the BIRD NVAs read "established" (in words), the gateway does not', async () => {
    const st = await page.$$eval('#peers tbody tr', rs => Object.fromEntries(
      rs.map(r => [r.dataset.peer, r.querySelector('.state-cell').textContent.replace(/[^a-z]/g, '')])));
    eq([st.nva1, st.nva2], ['established', 'established'], 'NVA states');
    if (st['vpn-gw'] === 'established' || !st['vpn-gw']) throw new Error(`vpn-gw: ${st['vpn-gw']}`);
  });
  await check('overview: prefixes in and out as the API counts them', async () => {
    const p = (await api('peers/nva1'));
    const row = await page.$eval('#peers tr[data-peer="nva1"]', r => [...r.cells].map(c => c.textContent));
    eq([row[6], row[7]], [`${p.prefixes_accepted} / ${p.prefixes_received}`, String(p.prefixes_advertised)],
      'prefixes in and out');
    if (p.prefixes_accepted !== 2) throw new Error(`nva1 accepted ${p.prefixes_accepted}, want 2`);
  });
  await check('overview: names are text, never markup (a description with <b> shows as typed)', async () => {
    const d = await page.$eval('#peers tr[data-peer="nva1"] th .sub', n => [n.textContent, n.querySelectorAll('*').length]);
    eq(d, ['BIRD <b>nva1</b> & co', 0], 'description');
  });
  await check('overview: the event stream is live', () =>
    page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: T }));
  await shot('overview');

  // ------------------------------------------------------------ routes
  await go('#/routes');
  await page.fill('#route-q', '198.19.65.7');
  await page.press('#route-q', 'Enter');
  await page.waitForSelector('#routes tbody tr', { timeout: T });
  await check('routes: an address finds the BIRD route by longest match, and says why the other path lost', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#routes tbody tr').length === 2, null, { timeout: T });
    const cells = await page.$$eval('#routes tbody tr', rs => rs.map(r => [...r.children].map(c => c.textContent)));
    eq(cells[0].slice(0, 4), ['198.19.65.0/24', 'nva1', '198.18.1.11', '65001'], 'the best route');
    eq(cells[0][6], 'best', 'nva1 is best');
    eq([cells[1][0], cells[1][2], cells[1][5]], ['nva2', '65002 65002', 'lost: as_path_length'], 'the other path');
  });
  await page.fill('#route-q', '198.19.64.0/24');
  await page.press('#route-q', 'Enter');
  await page.waitForFunction(() => document.querySelector('#routes tbody th')?.textContent === '198.19.64.0/24'
    && document.querySelectorAll('#routes tbody tr').length === 2, null, { timeout: T });
  await check('routes: an ECMP prefix shows both paths, one best, as the API says', async () => {
    const roles = await page.$$eval('#routes tbody tr', rs => rs.map(r => r.querySelector('.role').textContent));
    const want = ctl('show', 'routes', '198.19.64.0/24').routes[0].paths
      .map(p => p.best ? 'best' : p.ecmp ? 'ECMP' : 'lost: ' + p.reason);
    eq(roles, want, 'best/ECMP');
  });
  await page.selectOption('#route-peer', 'nva2');
  await page.fill('#route-q', '');
  await page.press('#route-q', 'Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#routes tbody tr')].length > 0 &&
    [...document.querySelectorAll('#routes tbody tr')].every(r => r.querySelector('td').textContent === 'nva2'),
  null, { timeout: T });
  await check('routes: the peer filter keeps only that peer\'s paths', async () => {
    const prefixes = await page.$$eval('#routes tbody th', ts => ts.map(t => t.textContent));
    eq(prefixes, ['198.19.64.0/24', '198.19.65.0/24', '198.19.66.0/24'], 'prefixes of nva2');
  });
  await page.selectOption('#route-peer', '');
  await page.fill('#route-q', '198.19.65.0/24');
  await page.press('#route-q', 'Enter');
  await page.waitForFunction(() => document.querySelector('#routes tbody th')?.textContent === '198.19.65.0/24', null, { timeout: T });
  await shot('routes');

  // ------------------------------------------------------------ fabric
  await go('#/fabric');
  await page.waitForSelector('#fabric-map [data-vnet]', { timeout: T });
  const fab = ctl('show', 'fabric');
  await check('fabric map: one box per VNet of the configuration', async () => {
    const got = (await page.$$eval('#fabric-map [data-vnet]', gs => gs.map(g => g.dataset.vnet))).sort();
    eq(got, ['hub', 'spoke-a', 'spoke-b'], 'VNets drawn');
    eq(got, fab.vnets.map(v => v.name).sort(), 'VNets of the API');
  });
  await check('fabric map: one line per peering of the configuration', async () => {
    const got = (await page.$$eval('#fabric-map line[data-peering]', ls => ls.map(l => l.dataset.peering))).sort();
    eq(got, ['spoke-a|hub', 'spoke-b|hub'], 'peerings drawn');
    const gw = await page.$$eval('#fabric-map line.peering.gw', ls => ls.map(l => l.dataset.peering));
    eq(gw, ['spoke-a|hub'], 'the peering that uses the hub\'s gateways');
  });
  await check('fabric map: the hub is marked as hub with the route server, NVAs with their state in words', async () => {
    const hub = await page.$eval('#fabric-map [data-vnet="hub"]', g => g.textContent);
    if (!/hub · route server/.test(hub)) throw new Error(hub);
    const nic = await page.$eval('#fabric-map [data-nic="nva1-nic"]', g => g.textContent);
    if (!/NVA \u25B2 established/.test(nic)) throw new Error(nic);
    const gw = await page.$eval('#fabric-map [data-peer="vpn-gw"]', g => g.textContent);
    if (!/vpn gateway vpn-gw/.test(gw) || /established/.test(gw)) throw new Error(gw);
  });
  // the keyboard: focus the NIC like Tab would, press Enter
  await page.focus('#fabric-map [data-nic="vm-a1"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#eff-routes tbody tr', { timeout: T });
  await check('fabric: a NIC\'s effective routes (picked with the keyboard) match pharosctl show effective-routes', async () => {
    const got = await page.$$eval('#eff-routes tbody tr', rs => rs.map(r =>
      [...r.children].slice(0, 5).map(c => c.textContent).join('|')));
    const want = ctl('show', 'effective-routes', 'vm-a1').routes.map(r =>
      [r.source, r.state, r.prefix, r.next_hop_type, (r.next_hop_ips || []).join(' ')].join('|'));
    eq(got, want, 'effective routes');
    if (!got.some(l => l.startsWith('VirtualNetworkGateway|Active|198.19.64.0/24|')))
      throw new Error('no BGP route for 198.19.64.0/24');
  });
  await page.screenshot({ path: `${SHOTS}/fabric.png`, fullPage: true });

  // ------------------------------------------------------------ trace
  await go('#/trace?nic=vm-a1&dst=198.19.65.7');
  await page.waitForSelector('#trace-layer .hopmark', { timeout: T });
  await check('trace: the hops are drawn over the map as pharosctl trace gives them', async () => {
    const want = ctl('trace', 'vm-a1', '198.19.65.7');
    const marks = await page.$$eval('#trace-layer .hopmark', ms => ms.length);
    eq(marks, want.hops.length, 'hop marks');
    const items = await page.$$eval('#trace-hops li strong', s => s.map(x => x.textContent));
    eq(items, want.hops.map(h => h.at), 'hops listed');
    const res = await page.$eval('#trace-result strong', s => s.textContent);
    eq(res, want.result, 'result');
    if (want.hops.length < 2 || want.hops[1].at !== 'nva1-nic') throw new Error('expected the walk through nva1-nic');
  });
  await shot('trace');
  await page.focus('#fabric-map [data-nic="vm-b1"]');
  await page.keyboard.press('Enter');
  await check('trace: a NIC picked on the map with the keyboard becomes the source', async () => {
    eq(await page.$eval('#trace-nic', s => s.value), 'vm-b1', 'source NIC');
    eq(await page.evaluate(() => document.activeElement.id), 'trace-dst', 'focus');
  });

  // ------------------------------------------------------------ token
  await go('#/overview');
  await page.waitForSelector('#peers tr[data-peer="nva2"] button[data-action="disable"]', { timeout: T });
  await check('a POST without the token is refused by pharosd (401)', async () => {
    const st = await page.evaluate(async () => (await fetch('/api/v1/peers/nva2/disable', { method: 'POST' })).status);
    eq(st, 401, 'status');
    eq((await api('peers/nva2')).admin_state, 'enabled', 'admin state');
  });
  await page.click('#peers tr[data-peer="nva2"] button[data-action="disable"]');
  await page.waitForSelector('#token-dialog[open]', { timeout: T });
  await page.fill('#token-input', 'not-the-token');
  await page.click('#token-ok');
  await check('disable with a wrong token: refused, said on the page, peer still enabled', async () => {
    await page.waitForFunction(() => /wrong API token/.test(document.querySelector('.msg').textContent), null, { timeout: T });
    eq((await api('peers/nva2')).admin_state, 'enabled', 'admin state');
    eq(await page.evaluate(() => sessionStorage.getItem('pharos-token')), null, 'a refused token is forgotten');
  });
  await page.click('#peers tr[data-peer="nva2"] button[data-action="disable"]');
  await page.waitForSelector('#token-dialog[open]', { timeout: T });
  await page.fill('#token-input', TOKEN);
  await page.click('#token-ok');
  await check('disable with the token: pharosd disables the peer and the row says so', async () => {
    await page.waitForFunction(() => document.querySelector('#peers tr[data-peer="nva2"] .admin')?.textContent === 'disabled',
      null, { timeout: T });
    eq((await api('peers/nva2')).admin_state, 'disabled', 'admin state');
    const st = await page.$eval('#peers tr[data-peer="nva2"] .state-cell', c => c.textContent);
    if (/established/.test(st)) throw new Error(st);
  });
  await check('the token is sent as pharosctl sends it and kept for the tab only', async () => {
    const last = posts[posts.length - 1];
    eq(last.auth, `Bearer ${TOKEN}`, 'Authorization');
    eq(await page.evaluate(() => sessionStorage.getItem('pharos-token')), TOKEN, 'sessionStorage');
    eq(await page.evaluate(() => localStorage.length), 0, 'localStorage entries');
  });
  await page.click('#peers tr[data-peer="nva2"] button[data-action="enable"]');
  await check('enable again without being asked (token kept)', async () => {
    await page.waitForFunction(() => document.querySelector('#peers tr[data-peer="nva2"] .admin')?.textContent === 'enabled',
      null, { timeout: T });
    eq((await api('peers/nva2')).admin_state, 'enabled', 'admin state');
  });

  await page.click('#reload-check');
  await check('reload --check from the page (token kept): the file is ok and nothing changes', async () => {
    await page.waitForFunction(() => /^check: ok: 0 reset, 0 added, 0 removed, 0 updated, 3 unchanged/
      .test(document.getElementById('reload-result')?.textContent), null, { timeout: T });
  });

  // ------------------------------------------------------------ drills
  await go('#/drills');
  await page.waitForSelector('#drill-peer option[value="nva1"]', { state: 'attached', timeout: T });
  await page.selectOption('#drill-peer', 'nva1');
  await page.fill('#drill-restore', '1');
  await page.click('#drill-run');
  await check('drill: started with the token, its timeline drawn live until it ends', async () => {
    await page.waitForSelector('#drill-timeline', { timeout: T }).catch(async e => {
      diag(`drill view: ${await page.$eval('main', m => m.textContent)}`);
      throw e;
    });
    const ok = await until(async () => /done|failed/.test(await page.$eval('#drill-state strong', s => s.textContent)), 40000);
    if (!ok) throw new Error('the drill did not end');
    const id = await page.$eval('#drill-state', s => s.textContent.match(/Drill (\d+)/)[1]);
    const d = await api(`drills/${id}`);
    const bars = await page.$$eval('#drill-timeline rect.bar', b => b.length);
    eq(bars, d.timeline.filter(p => p.reached).length, 'bars of reached phases');
    await page.waitForSelector('#drills tbody tr', { timeout: T });
    diag(`drill ${id}: ${d.state}, score ${d.score}`);
  });
  await shot('drills');

  // ------------------------------------------------------------ events
  await go('#/events');
  await page.waitForSelector('#events tbody tr', { timeout: T });
  await page.selectOption('#ev-type', 'peer_disabled');
  await check('events: filtered by type', async () => {
    const types = await page.$$eval('#events tbody tr', rs => rs.map(r => r.children[2].textContent));
    if (!types.length || types.some(t => t !== 'peer_disabled')) throw new Error(types.join(','));
  });
  await page.selectOption('#ev-type', '');
  await shot('events');
  await go('#/overview');
  await page.click('#peers tr[data-peer="nva2"] th a');
  await check('a peer\'s name leads to its events (its flap history)', async () => {
    await page.waitForFunction(() => location.hash === '#/events?q=nva2' &&
      document.querySelectorAll('#events tbody tr').length > 0, null, { timeout: T });
    const rows = await page.$$eval('#events tbody tr', rs => rs.map(r => r.textContent));
    if (!rows.every(r => r.includes('nva2'))) throw new Error(rows.join(' / '));
    if (!rows.some(r => /session_down/.test(r))) throw new Error('no session_down of nva2');
  });

  // ------------------------------------------------------------ live
  await go('#/overview');
  await until(async () => (await api('peers/nva1')).state === 'established', 40000);
  await page.waitForFunction(() => /established/.test(document.querySelector('#peers tr[data-peer="nva1"] .state-cell')?.textContent),
    null, { timeout: 40000 });
  // a second tab follows vm-a1's effective routes (its subnet's deltas)
  const tab2 = await context.newPage();
  tab2.on('request', r => requests.push(r.url()));
  tab2.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  tab2.on('pageerror', e => problems.push(String(e)));
  await tab2.goto(`${ORIGIN}/#/fabric?nic=vm-a1`);
  const effOf = (tab, prefix) => tab.$$eval('#eff-routes tbody tr', (rs, p) => rs.filter(r => r.children[2].textContent === p)
    .map(r => [r.children[0].textContent, r.children[4].textContent].join('|')), prefix);
  await tab2.waitForSelector('#eff-routes tbody tr', { timeout: T });
  await check('a second tab shows vm-a1\'s BGP routes via nva1 before the kill', async () => {
    eq(await effOf(tab2, '198.19.65.0/24'), ['VirtualNetworkGateway|198.18.1.11'], '198.19.65.0/24');
    eq(await effOf(tab2, '198.19.64.0/24'), ['VirtualNetworkGateway|198.18.1.11 198.18.1.12'], '198.19.64.0/24 (ECMP)');
  });
  await tab2.evaluate(() => { window.pharosMarker = 2; });
  await page.bringToFront();
  const navBefore = navigations;
  await page.evaluate(() => { window.pharosMarker = 1; });
  const downs = () => page.$$eval('.events-brief li', ls => ls.filter(l => /session_down nva1/.test(l.textContent)).length);
  const downsBefore = await downs();
  process.kill(Number(process.env.WEB_KILL_PID), 'SIGKILL');
  await check('a killed BIRD NVA: its row turns down without a reload', async () => {
    // within 15 s: the peers' 30 s poll (started with the view just
    // before) cannot be what shows it, only the event stream
    await page.waitForFunction(() => !/established/.test(document.querySelector('#peers tr[data-peer="nva1"] .state-cell').textContent),
      null, { timeout: 15000 });
    eq(await page.evaluate(() => window.pharosMarker), 1, 'same page');
    eq(navigations, navBefore, 'navigations');
  });
  await check('the events list it without a reload', async () => {
    if (!await until(async () => await downs() > downsBefore, 15000))
      throw new Error(`still ${await downs()} session_down lines of nva1`);
  });
  await check('the route count chart follows the loc-RIB (sampled with the numbers)', async () => {
    const ok = await until(async () => {
      const want = (await api('status')).rib;
      const got = await page.$eval('#count-chart', n => n.textContent);
      return new RegExp(`now ${want.prefixes_v4 + want.prefixes_v6},`).test(got);
    }, 15000);
    if (!ok) throw new Error(await page.$eval('#count-chart', n => n.textContent));
  });
  await shot('overview-nva-down');
  await check('that tab\'s effective routes follow the fabric deltas: nva2 takes over, no reload, as pharosctl says', async () => {
    const want = p => ctl('show', 'effective-routes', 'vm-a1').routes.filter(r => r.prefix === p)
      .map(r => [r.source, r.next_hop_ips.join(' ')].join('|'));
    const done = await until(async () =>
      JSON.stringify(await effOf(tab2, '198.19.65.0/24')) === JSON.stringify(['VirtualNetworkGateway|198.18.1.12']) &&
      JSON.stringify(await effOf(tab2, '198.19.64.0/24')) === JSON.stringify(['VirtualNetworkGateway|198.18.1.12']), 15000);
    if (!done) throw new Error(`198.19.65.0/24: ${await effOf(tab2, '198.19.65.0/24')}; 198.19.64.0/24: ${await effOf(tab2, '198.19.64.0/24')}`);
    eq(await effOf(tab2, '198.19.65.0/24'), want('198.19.65.0/24'), 'pharosctl for 198.19.65.0/24');
    eq(await tab2.evaluate(() => window.pharosMarker), 2, 'the same page in the tab');
  });
  await tab2.close();
  await go('#/fabric');
  await page.waitForSelector('#fabric-map [data-nic="nva1-nic"]', { timeout: T });
  await check('fabric map: the dead NVA reads down in words', async () => {
    const nic = await page.$eval('#fabric-map [data-nic="nva1-nic"]', g => g.textContent);
    if (/established/.test(nic) || !/NVA/.test(nic)) throw new Error(nic);
  });

  // ------------------------------------------------------------ phone
  await page.setViewportSize({ width: 390, height: 844 });
  await go('#/overview');
  await page.waitForSelector('#peers tr[data-peer="nva1"]', { timeout: T });
  await check('phone width (390 px): the page does not scroll sideways', async () => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 391) throw new Error(`scrollWidth ${w}`);
  });
  await shot('overview-phone');

  // ------------------------------------------------------------ requests
  await check(`every request of the page went to pharosd (${requests.length} requests)`, () => {
    const away = requests.filter(u => !u.startsWith(ORIGIN + '/'));
    if (away.length) throw new Error(away.slice(0, 5).join(' '));
  });
  await check('no console error, CSP violation or script error', () => {
    const real = problems.filter(p => !/status of 40[19]/.test(p)); // the refused POSTs above
    if (real.length) throw new Error(real.slice(0, 3).join(' | '));
  });
} catch (e) {
  fail('the browser run went through every view', e.stack || e);
  await shot('failure').catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
