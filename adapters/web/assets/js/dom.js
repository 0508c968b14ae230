// Tiny DOM helpers. Text always goes in as text nodes, never as HTML, so
// names, titles and comments from the API cannot inject markup.

/**
 * h builds an element. attrs: "class", "text", "on<event>" handlers,
 * boolean attributes (true/false), anything else as an attribute; null
 * and undefined values are skipped. Children: nodes, strings, arrays, or
 * null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear removes every child of el and returns it. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** field builds a labelled form control with a slot for its error. */
export function field(id, labelText, control, hint) {
  control.id = id;
  const errId = `${id}-error`;
  const describedBy = [hint ? `${id}-hint` : null, errId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  return h('div', { class: 'field' },
    h('label', { for: id, text: labelText }),
    control,
    hint || null,
    h('p', { class: 'field-error', id: errId, hidden: true }),
  );
}

/** setFieldError shows (or clears, with msgs empty) the messages of one field. */
export function setFieldError(form, id, msgs) {
  const input = form.querySelector(`#${CSS.escape(id)}`);
  const slot = form.querySelector(`#${CSS.escape(id)}-error`);
  if (!slot) return false;
  slot.replaceChildren(...msgs.map((m) => h('span', { class: 'msg', text: m })));
  slot.hidden = msgs.length === 0;
  if (input) input.setAttribute('aria-invalid', msgs.length ? 'true' : 'false');
  return true;
}

/** clearErrors resets every field error and the form-level error of form. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.setAttribute('aria-invalid', 'false');
  const fe = form.querySelector('.form-error');
  if (fe) { fe.textContent = ''; fe.hidden = true; }
}
