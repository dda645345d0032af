// app.js - the pharos web console's entry: the views behind the hash
// routes (#/overview, #/routes, #/fabric, #/trace, #/drills, #/events),
// the token button and the live event stream. Each view module exports
// render(main, params) and returns a function that stops what it started
// (timers, streams) when another view is shown.
import { startLive, token, setToken, askToken } from './lib.js';
import * as overview from './overview.js';
import * as routes from './routes.js';
import * as fabric from './fabric.js';
import * as drills from './drills.js';
import * as events from './events.js';

const views = {
  overview: m => overview.render(m),
  routes: (m, p) => routes.render(m, p),
  fabric: (m, p) => fabric.render(m, p, false),
  trace: (m, p) => fabric.render(m, p, true),
  drills: m => drills.render(m),
  events: (m, p) => events.render(m, p),
};

let stop = null;

function route(moved) {
  const h = location.hash.replace(/^#\/?/, '');
  const [name, query] = h.split('?');
  const view = views[name] ? name : 'overview';
  const params = new URLSearchParams(query || '');
  if (stop) { try { stop(); } catch (e) { console.error(e); } }
  const main = document.getElementById('main');
  main.replaceChildren();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `pharos: ${view}`;
  stop = views[view](main, params) || null;
  if (moved) main.focus({ preventScroll: true }); // where a screen reader goes on
}

function tokenButton() {
  const b = document.getElementById('token-btn');
  b.textContent = token() ? 'Token: set (forget)' : 'Token: none';
  b.setAttribute('aria-label', token() ? 'API token set for this tab; press to forget it'
    : 'No API token; press to enter one');
}

document.getElementById('token-btn').addEventListener('click', async () => {
  if (token()) { setToken(null); return; }
  const t = await askToken('Enter the token to allow actions from this tab.');
  if (t) setToken(t);
});
document.getElementById('token-form').addEventListener('submit', e => {
  // a dialog form closes its dialog; nothing is sent anywhere
  const dlg = document.getElementById('token-dialog');
  e.preventDefault();
  dlg.close(e.submitter && e.submitter.value === 'ok' ? 'ok' : 'cancel');
});
document.addEventListener('pharos-token', tokenButton);
window.addEventListener('hashchange', () => route(true));
tokenButton();
startLive();
route(false);
