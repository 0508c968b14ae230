// The members panel of a board: who is in the project; for owners, the
// role of each member, removing them and inviting by email; for everyone,
// leaving the project.
import { request, ApiError } from '../api.js';
import { h, field, clearErrors } from '../dom.js';
import { t } from '../i18n.js';
import { state, navigate, report, flash, flashNext, problemText, confirmDialog } from '../ui.js';
import { showProblem } from './auth.js';

/** membersPanel draws the panel of board (its project and members). */
export function membersPanel(board) {
  const isOwner = board.project.role === 'owner';
  const me = state.user?.id;
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'members-error' });
  const fail = (err) => {
    if (err instanceof ApiError) {
      error.textContent = problemText(err);
      error.hidden = false;
    } else {
      report(err);
    }
  };

  const changeRole = async (m, select) => {
    error.hidden = true;
    select.disabled = true;
    try {
      const { data } = await request('PATCH', `/projects/${board.project.id}/members/${m.user_id}`, { body: { role: select.value } });
      Object.assign(m, data);
      if (m.user_id === me) board.project.role = data.role;
      board.render();
      flash(t('member_role_changed', { name: m.name || m.email, role: t(`role_${data.role}`) }));
      (board.main.querySelector(`#member-role-${m.user_id}`) || board.main.querySelector('#members-heading'))?.focus();
    } catch (err) {
      select.value = m.role;
      select.disabled = false;
      fail(err);
    }
  };

  const remove = async (m) => {
    error.hidden = true;
    const self = m.user_id === me;
    const question = self ? t('confirm_leave', { project: board.project.name }) : t('confirm_remove_member', { name: m.name || m.email, project: board.project.name });
    if (!(await confirmDialog(question, self ? t('leave_project') : t('remove_member')))) return;
    try {
      await request('DELETE', `/projects/${board.project.id}/members/${m.user_id}`);
      if (self) {
        flashNext(t('left_project', { project: board.project.name }));
        await navigate('/');
        return;
      }
      // Their tasks here were unassigned with them: reload to show it.
      await board.reload(t('member_removed', { name: m.name || m.email }));
    } catch (err) {
      fail(err);
    }
  };

  const row = (m) => {
    const label = m.name || m.email;
    const controls = [];
    if (isOwner) {
      const role = h('select', { id: `member-role-${m.user_id}`, 'data-testid': 'member-role', 'aria-label': t('member_role_of', { name: label }) },
        ['member', 'owner'].map((r) => h('option', { value: r, selected: r === m.role }, t(`role_${r}`))));
      role.addEventListener('change', () => changeRole(m, role));
      controls.push(role);
    }
    if (m.user_id === me) {
      controls.push(h('button', { type: 'button', class: 'danger', 'data-testid': 'leave-project', onclick: () => remove(m) }, t('leave_project')));
    } else if (isOwner) {
      controls.push(h('button', { type: 'button', class: 'danger', 'data-testid': 'remove-member', 'aria-label': t('remove_member_named', { name: label }), onclick: () => remove(m) }, t('remove_member')));
    }
    return h('li', { 'data-user-id': m.user_id },
      h('span', { class: 'member-name', text: label }), ' ',
      h('span', { class: 'role', text: isOwner ? m.email : `${m.email} · ${t(`role_${m.role}`)}` }),
      controls.length ? h('span', { class: 'member-controls' }, controls) : null);
  };

  const list = h('ul', { class: 'member-list', 'data-testid': 'members' }, board.members.map(row));
  return h('section', { class: 'members', 'aria-labelledby': 'members-heading' },
    h('h2', { id: 'members-heading', tabindex: '-1', text: t('members') }), error, list, isOwner ? inviteForm(board) : null);
}

function inviteForm(board) {
  const email = h('input', { type: 'email', name: 'email', required: true, maxlength: 254, autocomplete: 'off' });
  const role = h('select', { name: 'role' },
    h('option', { value: 'member' }, t('role_member')), h('option', { value: 'owner' }, t('role_owner')));
  const invite = h('button', { type: 'submit', 'data-testid': 'invite-submit' }, t('invite'));
  const form = h('form', { id: 'invite-form', class: 'card-box', novalidate: true },
    h('h3', { text: t('invite_title') }),
    h('div', { class: 'grid-2' }, field('invite-email', t('email'), email), field('invite-role', t('role'), role)),
    h('p', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'invite-error' }),
    h('div', { class: 'actions' }, invite),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    invite.disabled = true;
    try {
      const { data } = await request('POST', `/projects/${board.project.id}/members`, { body: { email: email.value.trim(), role: role.value } });
      board.members.push(data);
      board.render();
      flash(t('member_added', { name: data.name || data.email }));
      board.main.querySelector('#invite-email')?.focus();
    } catch (err) {
      // A 422 names the field (an address that is not one) and lands next
      // to it; a 404 (no such user) is about the form.
      if (err instanceof ApiError) showProblem(form, err, (f) => `invite-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      invite.disabled = false;
    }
  });
  return form;
}
