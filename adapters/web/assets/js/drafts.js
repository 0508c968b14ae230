// Drafts: what a person typed in a dialog when their session ended. The
// dialog has to go (a modal over the login page leaves its fields
// unreachable), but the text must not: it is kept in this tab's
// sessionStorage and offered back by the view that owns the dialog once
// the same person has logged in again.

const KEY = 'onit.draft';

/**
 * saveDraft keeps the fields of the open dialog marked data-draft, for
 * user userId on the current page. Password fields are never kept.
 */
export function saveDraft(userId) {
  const dialog = document.querySelector('dialog[open][data-draft]');
  if (!dialog || !userId) return;
  const fields = {};
  for (const el of dialog.querySelectorAll('input[name], textarea[name], select[name]')) {
    if (el.type === 'password' || el.type === 'hidden') continue;
    if (el.closest('form')?.dataset.noDraft !== undefined) continue;
    fields[el.name] = el.value;
  }
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ user: userId, path: location.pathname, kind: dialog.dataset.draft, fields }));
  } catch { /* no storage: nothing to keep it in */ }
}

/**
 * takeDraft returns (and forgets) the draft kept for userId on path, or
 * null. A draft of someone else is dropped unseen: the next person to log
 * in on this tab must not read it.
 */
export function takeDraft(userId, path) {
  let d = null;
  try {
    d = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch { return null; }
  if (!d) return null;
  if (d.user !== userId) { forgetDraft(); return null; }
  if (d.path !== path) return null;
  forgetDraft();
  return d;
}

/** forgetDraft drops any kept draft. */
export function forgetDraft() {
  try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
}

/** closeDialogs closes every open dialog, so no modal outlives its view. */
export function closeDialogs() {
  for (const d of document.querySelectorAll('dialog')) {
    if (d.open) d.close();
    d.remove();
  }
}
