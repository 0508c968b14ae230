// Log in and sign up.
import { request, get, ApiError } from '../api.js';
import { h, field, setFieldError, clearErrors } from '../dom.js';
import { t, getLanguage, setLanguage } from '../i18n.js';
import { state, navigate, pageTitle, problemText, report, safeNext, flashNext } from '../ui.js';

/** showProblem puts a problem's field errors next to their fields and the rest on the form. */
export function showProblem(form, err, idFor = (f) => f) {
  clearErrors(form);
  const byField = new Map();
  const loose = [];
  for (const e of (err instanceof ApiError && err.problem.errors) || []) {
    const id = idFor(e.field);
    if (id && form.querySelector(`#${CSS.escape(id)}-error`)) {
      if (!byField.has(id)) byField.set(id, []);
      byField.get(id).push(e.message);
    } else {
      loose.push(e.message);
    }
  }
  for (const [id, msgs] of byField) setFieldError(form, id, msgs);
  const fe = form.querySelector('.form-error');
  if (fe && (byField.size === 0 || loose.length)) {
    // Messages about no field on this form say what is wrong more exactly
    // than the problem's general detail ("The request has invalid fields").
    fe.textContent = loose.length ? loose.join(' ') : problemText(err);
    fe.hidden = false;
  }
  const first = form.querySelector('[aria-invalid=true]');
  if (first) first.focus();
}

/** loggedIn records the user and their saved language, then goes on. */
async function loggedIn(user, next) {
  state.user = user;
  if (user.language && user.language !== getLanguage()) setLanguage(user.language);
  await navigate(safeNext(next), { replace: true });
}

export function renderLogin(main, params) {
  pageTitle(t('login_title'));
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', 'data-testid': 'login-submit' }, t('login_button'));
  const form = h('form', { class: 'card-box', id: 'login-form', novalidate: true },
    field('login-email', t('email'), email),
    field('login-password', t('password'), password),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const { data } = await request('POST', '/auth/login', { body: { email: email.value.trim(), password: password.value }, quiet401: true });
      await loggedIn(data.user, params.get('next'));
    } catch (err) {
      if (err instanceof ApiError) showProblem(form, err, (f) => `login-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', { class: 'narrow' },
    h('h1', { text: t('login_title') }),
    form,
    h('p', {}, h('a', { href: '/forgot-password', 'data-link': true, 'data-testid': 'forgot-link', text: t('forgot_password_link') })),
    h('p', {}, t('no_account'), ' ', h('a', { href: '/signup', 'data-link': true, text: t('signup_link') })),
  ));
}

export async function renderSignup(main) {
  pageTitle(t('signup_title'));
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 150 });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: 254 });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true });
  const rules = h('ul', { class: 'rules', id: 'signup-password-hint', 'data-testid': 'password-rules' });
  const submit = h('button', { type: 'submit', 'data-testid': 'signup-submit' }, t('signup_button'));
  const form = h('form', { class: 'card-box', id: 'signup-form', novalidate: true },
    field('signup-name', t('name'), name),
    field('signup-email', t('email'), email),
    field('signup-password', t('password'), password, rules),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  main.append(h('div', { class: 'narrow' },
    h('h1', { text: t('signup_title') }),
    form,
    h('p', {}, t('have_account'), ' ', h('a', { href: '/login', 'data-link': true, text: t('login_link') })),
  ));
  // The rules come from the server, in the person's language, so the help
  // always matches the validators actually enabled.
  try {
    const { rules: list } = await get('/auth/password-rules');
    for (const r of list) rules.append(h('li', { 'data-code': r.code, text: r.help_text }));
  } catch (err) {
    report(err, () => navigate(location.pathname, { replace: true }));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const li of rules.children) li.classList.remove('failed');
    submit.disabled = true;
    const body = { name: name.value.trim(), email: email.value.trim(), password: password.value, language: getLanguage() };
    try {
      await request('POST', '/auth/register', { body });
      const { data } = await request('POST', '/auth/login', { body: { email: body.email, password: body.password }, quiet401: true });
      flashNext(t('welcome', { name: data.user.name }));
      await loggedIn(data.user, '/');
    } catch (err) {
      if (err instanceof ApiError) {
        // Mark each failed rule in the list, besides the messages.
        for (const e of err.problem.errors || []) {
          const li = rules.querySelector(`[data-code="${CSS.escape(e.code)}"]`);
          if (li) li.classList.add('failed');
        }
        showProblem(form, err, (f) => `signup-${f}`);
      } else {
        report(err, () => form.requestSubmit());
      }
    } finally {
      submit.disabled = false;
    }
  });
}
