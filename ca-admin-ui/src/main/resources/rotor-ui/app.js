// The shell: login, navigation by URL hash, and which page is shown.
import { api, setCsrfToken, ApiError } from './api.js';
import { h, errorBox } from './dom.js';
import { pages } from './pages.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let session = null;
let stopPage = null;

function say(message) {
  const s = document.getElementById('status');
  s.textContent = '';
  // A fresh text node so that repeated messages are announced again.
  window.setTimeout(() => { s.textContent = message; }, 30);
}

function showLogin(reason) {
  session = null;
  setCsrfToken(null);
  nav.hidden = true;
  who.replaceChildren();
  if (stopPage) { stopPage(); stopPage = null; }
  const token = h('input', { type: 'password', id: 'login-token', name: 'token', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const problem = h('div', { id: 'login-problem' });
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', text: 'Sign in to Rotor' }),
    h('p', { class: 'muted', text: 'Paste an API token (admin, operator or viewer). The browser keeps only a session cookie.' }),
    reason ? h('p', { class: 'notice', text: reason }) : null,
    h('div', { class: 'field' }, h('label', { for: 'login-token', text: 'API token' }), token),
    problem,
    h('button', { type: 'submit', class: 'primary', id: 'login-submit', text: 'Sign in' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.replaceChildren();
    try {
      const s = await api('POST', '/api/v1/session', { token: token.value.trim() });
      token.value = '';
      start(s);
    } catch (err) {
      problem.replaceChildren(errorBox(err.status === 401 ? { title: 'That token is not valid', detail: 'Check it and try again.' } : err));
      token.focus();
    }
  });
  main.replaceChildren(form);
  token.focus();
}

function start(s) {
  session = s;
  setCsrfToken(s.csrfToken);
  nav.hidden = false;
  const logout = h('button', { type: 'button', class: 'link', id: 'logout', text: 'Sign out' });
  logout.addEventListener('click', async () => {
    try { await api('DELETE', '/api/v1/session'); } catch (e) { /* the session may already be gone */ }
    showLogin('You are signed out.');
  });
  who.replaceChildren(h('span', { id: 'who-name', text: `${s.name} (${s.role})` }), logout);
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/overview';
  else route();
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'overview', arg: parts[1], params: new URLSearchParams(qs || '') };
}

async function route() {
  if (!session) return;
  if (stopPage) { stopPage(); stopPage = null; }
  const { name, arg, params } = parseHash();
  const page = pages[name];
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!page) {
    main.replaceChildren(h('h1', { text: 'Not found' }), h('p', {}, 'There is no such page. ', h('a', { href: '#/overview', text: 'Go to the overview' }), '.'));
    return;
  }
  const ctx = { session, arg, params, say, canOperate: session.role === 'operator' || session.role === 'admin' };
  try {
    stopPage = (await page(main, ctx)) || null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    main.replaceChildren(h('h1', { text: 'Something went wrong' }), errorBox(err));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
window.addEventListener('rotor:logged-out', () => {
  if (session) showLogin('Your session has ended. Sign in again.');
});

(async () => {
  try {
    start(await api('GET', '/api/v1/session'));
  } catch (err) {
    showLogin();
  }
})();
