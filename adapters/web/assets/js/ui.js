// Shared shell state: who is logged in, navigation, and the two message
// areas (a polite status line and an alert banner with a retry button).
import { ApiError, NetworkError } from './api.js';
import { h, clear } from './dom.js';
import { t } from './i18n.js';

/** state is the little the app remembers between views. */
export const state = { user: null };

let router = () => {};
let navRenderer = () => {};

/** setNavRenderer registers the function that draws the top bar. */
export function setNavRenderer(fn) { navRenderer = fn; }

/** refreshNav draws the top bar again (after the person's name changed). */
export function refreshNav() { navRenderer(); }

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

// On a page load focus stays at the start of the document, so the first
// Tab reaches the skip link, then the navigation and the language picker,
// before the view; moving it to the heading then would put all of those
// after the whole board. Only a change of view inside the app moves it.
let moveFocus = false;

/** allowFocusMoves turns focusHeading on (after the first view) or off. */
export function allowFocusMoves(on) { moveFocus = on; }

/**
 * focusHeading moves focus to the new view's heading, so screen-reader and
 * keyboard users land at the start of what changed.
 */
export function focusHeading(main) {
  if (!moveFocus) return;
  const h1 = main.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: false }); }
}

/**
 * confirmDialog asks a yes-or-no question in a modal dialog (translated,
 * unlike window.confirm's buttons) and resolves to the answer. The
 * confirming button says what will happen; Cancel has the focus, so a
 * stray Enter changes nothing.
 */
export function confirmDialog(message, confirmLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const opener = document.activeElement;
    const yes = h('button', { type: 'button', class: danger ? 'danger' : '', 'data-testid': 'confirm-yes' }, confirmLabel);
    const no = h('button', { type: 'button', class: 'secondary', 'data-testid': 'confirm-no' }, t('cancel'));
    const dialog = h('dialog', { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'confirm-text', 'data-testid': 'confirm-dialog' },
      h('p', { id: 'confirm-text', text: message }),
      h('div', { class: 'actions' }, yes, no));
    yes.addEventListener('click', () => { answer = true; dialog.close(); });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** safeNext accepts only a local path, so ?next= cannot send anyone away. */
export function safeNext(p) {
  return typeof p === 'string' && p.startsWith('/') && !p.startsWith('//') && !p.startsWith('/\\') ? p : '/';
}
