// The person's own account: profile (name, language) and password.
import { request, ApiError } from '../api.js';
import { h, field, clearErrors } from '../dom.js';
import { t, setLanguage, getLanguage, LANGUAGES } from '../i18n.js';
import { state, pageTitle, report, flash, focusHeading, rerender, refreshNav } from '../ui.js';
import { showProblem } from './auth.js';

export function renderAccount(main) {
  pageTitle(t('account_title'));
  const u = state.user;
  main.append(
    h('h1', { text: t('account_title') }),
    h('div', { class: 'layout-2 account' },
      h('div', { class: 'stack' }, profileForm(u), passwordForm()),
      h('aside', { class: 'card-box' },
        h('h2', { text: t('sessions_title') }),
        h('p', { class: 'hint', text: t('sessions_intro') }),
        h('a', { href: '/account/sessions', 'data-link': true, 'data-testid': 'sessions-link', text: t('sessions_manage') })),
    ),
  );
  focusHeading(main);
}

function profileForm(u) {
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 150, value: u.name });
  const language = h('select', { name: 'language' },
    Object.entries(LANGUAGES).map(([code, label]) => h('option', { value: code, lang: code, selected: code === (u.language || getLanguage()) }, label)));
  const submit = h('button', { type: 'submit', 'data-testid': 'profile-save' }, t('save'));
  const form = h('form', { class: 'card-box', id: 'profile-form', novalidate: true, 'aria-labelledby': 'profile-heading' },
    h('h2', { id: 'profile-heading', text: t('profile_title') }),
    h('p', { class: 'hint' }, t('email'), ': ', h('strong', { text: u.email })),
    field('profile-name', t('name'), name),
    field('profile-language', t('language'), language),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const { data } = await request('PATCH', '/me', { body: { name: name.value.trim(), language: language.value } });
      state.user = data;
      if (data.language && data.language !== getLanguage()) {
        setLanguage(data.language);
        await rerender();
      } else {
        refreshNav();
      }
      flash(t('profile_saved'));
    } catch (err) {
      if (err instanceof ApiError) showProblem(form, err, (f) => `profile-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function passwordForm() {
  const current = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', 'data-testid': 'password-save' }, t('change_password'));
  const form = h('form', { class: 'card-box', id: 'password-form', novalidate: true, 'aria-labelledby': 'password-heading' },
    h('h2', { id: 'password-heading', text: t('change_password') }),
    field('password-current_password', t('current_password'), current),
    field('password-new_password', t('new_password'), next, h('p', { class: 'hint', id: 'password-new_password-hint', text: t('password_change_hint') })),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      await request('POST', '/me/password', { body: { current_password: current.value, new_password: next.value } });
      current.value = '';
      next.value = '';
      flash(t('password_changed'));
    } catch (err) {
      if (err instanceof ApiError) showProblem(form, err, (f) => `password-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
