// Onit's single-page app: routes, the top bar and start-up. Plain ES
// modules, no build step; the server rewrites the import specifiers to
// fingerprinted file names when it starts.
import { request, onUnauthorized, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, setLanguage, getLanguage, detectLanguage, LANGUAGES } from './i18n.js';
import { state, setRouter, navigate, rerender, flashNext, clearFlash, hideBanner, report, safeNext, focusHeading } from './ui.js';
import { renderLogin, renderSignup } from './views/auth.js';
import { renderProjects } from './views/projects.js';
import { renderBoard, renderNotFound } from './views/board.js';

const main = document.getElementById('main');

// Each route: a pattern, whether it needs a session, and its view.
const routes = [
  { re: /^\/login\/?$/, anon: true, view: (m, _, q) => renderLogin(m, q) },
  { re: /^\/signup\/?$/, anon: true, view: (m) => renderSignup(m) },
  { re: /^\/$/, view: (m) => renderProjects(m) },
  { re: /^\/projects\/(\d{1,18})\/?$/, view: (m, match) => renderBoard(m, match[1]) },
];

let rendering = 0;

async function route() {
  const seq = ++rendering;
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  hideBanner();
  clearFlash();
  renderNav();
  // Each render gets its own container: a slow view still loading when the
  // person moves on writes into a detached element, not over the new view.
  const view = document.createElement('div');
  main.replaceChildren(view);
  for (const r of routes) {
    const match = path.match(r.re);
    if (!match) continue;
    if (!r.anon && !state.user) {
      return navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
    }
    if (r.anon && state.user) return navigate(safeNext(query.get('next')), { replace: true });
    await r.view(view, match, query);
    if (seq === rendering && r.anon) focusHeading(view);
    return undefined;
  }
  return renderNotFound(view);
}

/** renderNav draws the top bar's links for the current session. */
function renderNav() {
  const nav = clear(document.getElementById('topnav'));
  if (state.user) {
    nav.append(
      h('a', { href: '/', 'data-link': true, text: t('projects_title') }),
      h('span', { class: 'who', 'data-testid': 'who', text: t('signed_in_as', { name: state.user.name || state.user.email }) }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'logout', onclick: logout }, t('logout')),
    );
  } else {
    nav.append(
      h('a', { href: '/login', 'data-link': true, text: t('login_link') }),
      h('a', { href: '/signup', 'data-link': true, text: t('signup_link') }),
    );
  }
  document.getElementById('skip-link').textContent = t('skip_to_content');
  document.getElementById('lang-label').textContent = t('language');
  document.documentElement.lang = getLanguage();
  const sel = document.getElementById('lang-select');
  sel.value = getLanguage();
}

async function logout() {
  try {
    await request('POST', '/auth/logout');
  } catch (err) {
    // A session that is already gone is as good as logged out.
    if (!(err instanceof ApiError && err.status === 401)) { report(err, logout); return; }
  }
  state.user = null;
  flashNext(t('logged_out'));
  await navigate('/login');
}

/** changeLanguage switches the UI and, when logged in, saves it. */
async function changeLanguage(lang) {
  if (!(lang in LANGUAGES)) return;
  setLanguage(lang);
  if (state.user) {
    try {
      const { data } = await request('PATCH', '/me', { body: { language: lang } });
      state.user = data;
    } catch (err) {
      report(err, () => changeLanguage(lang));
    }
  }
  await rerender();
}

function start() {
  // Links marked data-link change the view without a page load.
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest?.('a[data-link]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => route());
  document.getElementById('lang-select').addEventListener('change', (ev) => changeLanguage(ev.target.value));
  setRouter(route);
  onUnauthorized(() => {
    // The session ended (logged out elsewhere, expired): back to the login
    // form, then back here.
    const wasIn = state.user !== null;
    state.user = null;
    if (!location.pathname.startsWith('/login')) {
      if (wasIn) flashNext(t('session_expired'));
      navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
    }
  });
  setLanguage(detectLanguage());
  boot();
}

/** boot asks who is logged in, then renders the URL. */
async function boot() {
  try {
    const { data } = await request('GET', '/me', { quiet401: true });
    state.user = data;
    if (data.language) setLanguage(data.language);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      clear(main);
      report(err, boot);
      return;
    }
    state.user = null;
  }
  await route();
}

start();
