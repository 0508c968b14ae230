// Forgotten passwords: ask for a reset link, then set a new password
// from it. The API answers the request the same way whether or not the
// address has an account, and so does this page.
import { request, get, ApiError } from '../api.js';
import { h, field, clearErrors } from '../dom.js';
import { t } from '../i18n.js';
import { state, navigate, pageTitle, report, flashNext } from '../ui.js';
import { showProblem } from './auth.js';

export function renderForgotPassword(main) {
  pageTitle(t('forgot_title'));
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, maxlength: 254 });
  const submit = h('button', { type: 'submit', 'data-testid': 'forgot-submit' }, t('forgot_button'));
  const done = h('p', { class: 'notice', role: 'status', 'data-testid': 'forgot-sent', hidden: true });
  const form = h('form', { class: 'card-box', id: 'forgot-form', novalidate: true },
    h('p', { class: 'hint', text: t('forgot_intro') }),
    field('forgot-email', t('email'), email),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    done.hidden = true;
    submit.disabled = true;
    try {
      await request('POST', '/auth/password-reset', { body: { email: email.value.trim() }, quiet401: true });
      done.textContent = t('forgot_sent', { email: email.value.trim() });
      done.hidden = false;
    } catch (err) {
      if (err instanceof ApiError) showProblem(form, err, (f) => `forgot-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', { class: 'narrow' },
    h('h1', { text: t('forgot_title') }),
    form, done,
    h('p', {}, h('a', { href: '/login', 'data-link': true, text: t('back_to_login') })),
  ));
}

/**
 * renderResetPassword is the page the email links to
 * (/reset-password?token=…). Success ends every session, this one
 * included, so it goes to the login form.
 */
export async function renderResetPassword(main, params) {
  pageTitle(t('reset_title'));
  const token = params.get('token') || '';
  const password = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true });
  const rules = h('ul', { class: 'rules', id: 'reset-new_password-hint', 'data-testid': 'password-rules' });
  const submit = h('button', { type: 'submit', 'data-testid': 'reset-submit' }, t('reset_button'));
  const form = h('form', { class: 'card-box', id: 'reset-form', novalidate: true },
    field('reset-new_password', t('new_password'), password, rules),
    h('p', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'reset-error' }),
    h('div', { class: 'actions' }, submit),
  );
  main.append(h('div', { class: 'narrow' },
    h('h1', { text: t('reset_title') }),
    token ? form : h('p', { class: 'form-error', role: 'alert', text: t('reset_no_token') }),
    h('p', {}, h('a', { href: '/forgot-password', 'data-link': true, text: t('reset_ask_again') })),
  ));
  if (!token) return;
  try {
    const { rules: list } = await get('/auth/password-rules');
    for (const r of list) rules.append(h('li', { 'data-code': r.code, text: r.help_text }));
  } catch (err) {
    report(err, () => navigate(location.pathname + location.search, { replace: true }));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const li of rules.children) li.classList.remove('failed');
    submit.disabled = true;
    try {
      await request('POST', '/auth/password-reset/confirm', { body: { token, new_password: password.value }, quiet401: true });
      state.user = null; // every session, this one too, has ended
      flashNext(t('reset_done'));
      await navigate('/login', { replace: true });
    } catch (err) {
      if (err instanceof ApiError) {
        for (const e of err.problem.errors || []) {
          rules.querySelector(`[data-code="${CSS.escape(e.code)}"]`)?.classList.add('failed');
        }
        // A bad token is not about the field: say it on the form, with the
        // way out (ask for a new link) right below.
        showProblem(form, err, (f) => (f === 'token' ? null : `reset-${f}`));
      } else {
        report(err, () => form.requestSubmit());
      }
    } finally {
      submit.disabled = false;
    }
  });
}
