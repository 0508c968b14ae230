// Onit's single-page app: routes, the top bar and start-up. Plain ES
// modules, no build step; the server rewrites the import specifiers to
// fingerprinted file names when it starts.
import { request, onUnauthorized, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, setLanguage, getLanguage, detectLanguage, LANGUAGES } from './i18n.js';
import { state, setRouter, navigate, rerender, flashNext, clearFlash, hideBanner, report, safeNext, focusHeading, allowFocusMoves, setNavRenderer } from './ui.js';
import { saveDraft, closeDialogs } from './drafts.js';
import { renderLogin, renderSignup } from './views/auth.js';
import { renderForgotPassword, renderResetPassword } from './views/password.js';
import { renderAccount } from './views/account.js';
import { renderSessions } from './views/sessions.js';
import { renderStaff } from './views/staff.js';
import { renderProjects } from './views/projects.js';
import { renderBoard, renderNotFound } from './views/board.js';
import { renderProjectSettings } from './views/project_settings.js';

const main = document.getElementById('main');

// Each route: a pattern, who may see it (anon: only logged out; any:
// everyone; staff: is_staff users, others see "not found" as the API's
// 404 says; default: logged in) and its view.
const routes = [
  { re: /^\/login\/?$/, anon: true, view: (m, _, q) => renderLogin(m, q) },
  { re: /^\/signup\/?$/, anon: true, view: (m) => renderSignup(m) },
  { re: /^\/forgot-password\/?$/, anon: true, view: (m) => renderForgotPassword(m) },
  { re: /^\/reset-password\/?$/, any: true, view: (m, _, q) => renderResetPassword(m, q) },
  { re: /^\/$/, view: (m) => renderProjects(m) },
  { re: /^\/projects\/(\d{1,18})\/?$/, view: (m, match, q) => renderBoard(m, match[1], q) },
  { re: /^\/projects\/(\d{1,18})\/settings\/?$/, view: (m, match) => renderProjectSettings(m, match[1]) },
  { re: /^\/account\/?$/, view: (m) => renderAccount(m) },
  { re: /^\/account\/sessions\/?$/, view: (m) => renderSessions(m) },
  { re: /^\/staff\/?$/, staff: true, view: (m, _, q) => renderStaff(m, q) },
];

let rendering = 0;

// routed is the path and query the view on screen was drawn for.
let routed = '';

async function route() {
  const seq = ++rendering;
  routed = location.pathname + location.search;
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  hideBanner();
  clearFlash();
  closeDialogs();
  renderNav();
  // Each render gets its own container: a slow view still loading when the
  // person moves on writes into a detached element, not over the new view.
  const view = document.createElement('div');
  main.replaceChildren(view);
  for (const r of routes) {
    const match = path.match(r.re);
    if (!match) continue;
    if (!r.anon && !r.any && !state.user) {
      return navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    }
    if (r.anon && state.user) return navigate(safeNext(query.get('next')), { replace: true });
    if (r.staff && !state.user.is_staff) return renderNotFound(view);
    await r.view(view, match, query);
    if (seq === rendering && (r.anon || r.any)) focusHeading(view);
    return undefined;
  }
  return renderNotFound(view);
}

/** renderNav draws the top bar's links for the current session. */
function renderNav() {
  const nav = clear(document.getElementById('topnav'));
  if (state.user) {
    nav.append(...[
      h('a', { href: '/', 'data-link': true, text: t('projects_title') }),
      state.user.is_staff ? h('a', { href: '/staff', 'data-link': true, 'data-testid': 'nav-staff', text: t('staff_title') }) : null,
      h('a', { href: '/account', 'data-link': true, class: 'who', 'data-testid': 'who', text: t('signed_in_as', { name: state.user.name || state.user.email }) }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'logout', onclick: logout }, t('logout')),
    ].filter(Boolean));
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

/**
 * typedValues is what the person has typed into the view's fields, by
 * element id; restoreTyped puts it back into the same fields of the view
 * drawn again, so a change of language never costs them their input.
 */
function typedValues() {
  const values = new Map();
  for (const el of main.querySelectorAll('input[id], textarea[id], select[id]')) {
    if (el.type !== 'hidden' && el.type !== 'checkbox') values.set(el.id, el.value);
  }
  return values;
}

function restoreTyped(values) {
  for (const [id, v] of values) {
    const el = document.getElementById(id);
    if (el && main.contains(el) && el.value !== v && v !== '') el.value = v;
  }
}

/** changeLanguage switches the UI and, when logged in, saves it. */
async function changeLanguage(lang) {
  if (!(lang in LANGUAGES)) return;
  const typed = typedValues();
  // A dialog open now is closed by the redraw; what it holds comes back
  // with it, as after a session's end.
  if (state.user) saveDraft(state.user.id, 'redraw');
  setLanguage(lang);
  if (state.user) {
    try {
      const { data } = await request('PATCH', '/me', { body: { language: lang } });
      state.user = data;
    } catch (err) {
      report(err, () => changeLanguage(lang));
    }
  }
  // Focus stays on the language picker.
  allowFocusMoves(false);
  try {
    await rerender();
  } finally {
    allowFocusMoves(true);
  }
  restoreTyped(typed);
}

function start() {
  // Links marked data-link change the view without a page load.
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest?.('a[data-link]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  // Following the skip link (#main) changes only the fragment, and the
  // browser reports it as popstate: redrawing then would take away the
  // focus the link just gave to <main>.
  window.addEventListener('popstate', () => {
    if (location.pathname + location.search !== routed) route();
  });
  document.getElementById('lang-select').addEventListener('change', (ev) => changeLanguage(ev.target.value));
  setRouter(route);
  setNavRenderer(renderNav);
  onUnauthorized(() => {
    // The session ended (logged out elsewhere, expired): keep what was
    // being typed in a dialog, close every dialog, back to the login form,
    // then back here.
    const wasIn = state.user !== null;
    if (wasIn) saveDraft(state.user.id);
    closeDialogs();
    state.user = null;
    if (!location.pathname.startsWith('/login')) {
      if (wasIn) flashNext(t('session_expired'));
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
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
  allowFocusMoves(true);
}

start();
