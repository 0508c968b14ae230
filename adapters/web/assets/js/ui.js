// Shared shell state: who is logged in, navigation, and the two message
// areas (a polite status line and an alert banner with a retry button).
import { ApiError, NetworkError } from './api.js';
import { h, clear } from './dom.js';
import { t } from './i18n.js';

/** state is the little the app remembers between views. */
export const state = { user: null };

let router = () => {};

/** setRouter registers the function that renders the current URL. */
export function setRouter(fn) { router = fn; }

/** navigate changes the URL without a page load and renders it. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return router();
}

/** rerender renders the current URL again (after a language change). */
export function rerender() { return router(); }

let keepFlash = false;

/** flash shows a short status message on the current view. */
export function flash(msg) {
  document.getElementById('flash').textContent = msg || '';
}

/** flashNext shows a message that must survive the navigation that follows. */
export function flashNext(msg) {
  flash(msg);
  keepFlash = true;
}

/** clearFlash runs at each navigation: old news goes, unless just sent. */
export function clearFlash() {
  if (!keepFlash) flash('');
  keepFlash = false;
}

/** hideBanner removes the error banner. */
export function hideBanner() {
  const el = document.getElementById('banner');
  clear(el).hidden = true;
}

/** banner shows an alert; with retry, a button to try again. */
export function banner(msg, retry) {
  const el = clear(document.getElementById('banner'));
  el.append(h('span', { text: msg }));
  if (retry) {
    el.append(h('button', {
      type: 'button', class: 'secondary', 'data-testid': 'retry',
      onclick: () => { hideBanner(); retry(); },
    }, t('retry')));
  }
  el.hidden = false;
}

/**
 * problemText is what to tell the person about an error: the API's own,
 * translated detail when there is one.
 */
export function problemText(err) {
  if (err instanceof NetworkError) return t('network_error');
  if (err instanceof ApiError) return err.problem.detail || err.problem.title || t('unexpected_error');
  return t('unexpected_error');
}

/**
 * report handles an error no form can show: network errors get the banner
 * with a retry; 401 was already handled by the API client; others are
 * shown in the banner too.
 */
export function report(err, retry) {
  if (err instanceof ApiError && err.status === 401) return;
  if (!(err instanceof ApiError) && !(err instanceof NetworkError)) console.error(err); // a bug of ours
  banner(problemText(err), err instanceof NetworkError ? retry : null);
}

/** pageTitle sets the document title and the main heading's text. */
export function pageTitle(text) { document.title = `${text} · Onit`; }

/**
 * focusHeading moves focus to the new view's heading, so screen-reader and
 * keyboard users land at the start of what changed.
 */
export function focusHeading(main) {
  const h1 = main.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: false }); }
}

/** safeNext accepts only a local path, so ?next= cannot send anyone away. */
export function safeNext(p) {
  return typeof p === 'string' && p.startsWith('/') && !p.startsWith('//') && !p.startsWith('/\\') ? p : '/';
}
