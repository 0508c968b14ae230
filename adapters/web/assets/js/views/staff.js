// The staff console (is_staff only; the API answers 404 to anyone else):
// find a person by email or name, see their projects and sessions, act on
// the account, and read the audit log of what staff did.
import { request, get, ApiError } from '../api.js';
import { h, clear, field } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { navigate, pageTitle, report, flash, focusHeading, confirmDialog } from '../ui.js';

const PAGE = 50;

export async function renderStaff(main, params) {
  pageTitle(t('staff_title'));
  const q = h('input', { type: 'search', name: 'q', maxlength: 254, value: params.get('q') || '' });
  const form = h('form', { class: 'card-box', id: 'staff-search', role: 'search', novalidate: true },
    field('staff-q', t('staff_search_label'), q),
    h('div', { class: 'actions' }, h('button', { type: 'submit', 'data-testid': 'staff-search-submit' }, t('search'))));
  const results = h('ul', { class: 'staff-users', 'data-testid': 'staff-users', 'aria-live': 'polite' });
  const detail = h('section', { class: 'card-box', 'data-testid': 'staff-detail', 'aria-labelledby': 'staff-detail-heading', hidden: true });
  const log = h('ol', { class: 'audit-log', 'data-testid': 'audit-log' });
  main.append(
    h('h1', { text: t('staff_title') }),
    h('div', { class: 'layout-2' },
      h('div', { class: 'stack' }, form, results, detail),
      h('section', { class: 'card-box', 'aria-labelledby': 'audit-heading' }, h('h2', { id: 'audit-heading', text: t('staff_audit_title') }), log)),
  );
  focusHeading(main);

  const unavailable = (err) => {
    if (err instanceof ApiError && err.status === 404) {
      clear(results).append(h('li', { class: 'empty', 'data-testid': 'staff-unavailable', text: t('staff_unavailable') }));
      return true;
    }
    return false;
  };

  // A list with a "more" button, following next_cursor page by page.
  const paged = async (ul, path, row, empty) => {
    let cursor = null;
    const more = h('button', { type: 'button', class: 'secondary', 'data-testid': 'more' }, t('load_more'));
    const load = async () => {
      const sep = path.includes('?') ? '&' : '?';
      const page = await get(`${path}${sep}limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      more.parentElement?.remove();
      if (!cursor && page.items.length === 0) ul.append(h('li', { class: 'empty', text: empty }));
      for (const it of page.items) ul.append(row(it));
      cursor = page.next_cursor;
      if (cursor) ul.append(h('li', { class: 'more' }, more));
    };
    more.addEventListener('click', () => load().catch((err) => report(err, load)));
    clear(ul);
    await load();
  };

  const userRow = (u) => h('li', { 'data-user-id': u.id },
    h('button', { type: 'button', class: 'link', onclick: () => showUser(u.id) }, u.name || u.email),
    ' ', h('span', { class: 'role', text: u.email }),
    u.is_active === false ? h('span', { class: 'badge inactive', text: t('staff_inactive') }) : null,
    u.is_staff ? h('span', { class: 'badge', text: t('staff_badge') }) : null);

  const logRow = (e) => h('li', { 'data-entry-id': e.id, 'data-action': e.action },
    h('time', { datetime: e.created_at, text: formatDateTime(e.created_at) }), ' · ',
    t('staff_log_entry', { actor: e.actor_email, action: t(`staff_action_${e.action}`), target: e.target_email }));

  const loadLog = () => paged(log, '/admin/audit-log', logRow, t('staff_log_empty'));

  const act = async (u, path, confirmText, doneText) => {
    if (confirmText && !(await confirmDialog(confirmText, t(`staff_do_${path.replace('-', '_')}`)))) return;
    try {
      const { data } = await request('POST', `/admin/users/${u.id}/${path}`);
      flash(t(doneText, { email: u.email, n: data?.revoked ?? 0 }));
      await showUser(u.id);
      await loadLog();
    } catch (err) {
      report(err);
    }
  };

  async function showUser(id) {
    let u;
    try {
      u = await get(`/admin/users/${id}`);
    } catch (err) {
      report(err);
      return;
    }
    const actions = h('div', { class: 'actions' },
      u.is_active === false
        ? h('button', { type: 'button', 'data-testid': 'staff-reactivate', onclick: () => act(u, 'reactivate', null, 'staff_done_reactivate') }, t('staff_do_reactivate'))
        : h('button', { type: 'button', class: 'danger', 'data-testid': 'staff-deactivate', onclick: () => act(u, 'deactivate', t('staff_confirm_deactivate', { email: u.email }), 'staff_done_deactivate') }, t('staff_do_deactivate')),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'staff-revoke', onclick: () => act(u, 'revoke-sessions', t('staff_confirm_revoke', { email: u.email }), 'staff_done_revoke') }, t('staff_do_revoke_sessions')),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'staff-reset', onclick: () => act(u, 'password-reset', null, 'staff_done_reset') }, t('staff_do_password_reset')));
    clear(detail).append(
      h('h2', { id: 'staff-detail-heading', tabindex: '-1', text: u.name || u.email }),
      h('dl', { class: 'facts' },
        h('dt', { text: t('email') }), h('dd', { text: u.email }),
        h('dt', { text: t('staff_status') }), h('dd', { 'data-testid': 'staff-status', text: u.is_active === false ? t('staff_inactive') : t('staff_active') }),
        h('dt', { text: t('staff_joined') }), h('dd', {}, h('time', { datetime: u.date_joined, text: formatDateTime(u.date_joined) })),
        h('dt', { text: t('staff_last_login') }), h('dd', { text: u.last_login ? formatDateTime(u.last_login) : '—' }),
        h('dt', { text: t('sessions_title') }), h('dd', { 'data-testid': 'staff-sessions', text: String(u.sessions ?? 0) }),
      ),
      // The list holds the newest 100; the count is every project.
      h('h3', { 'data-testid': 'staff-project-count', text: `${t('projects_title')} (${u.project_count ?? (u.projects || []).length})` }),
      h('ul', { class: 'member-list', 'data-testid': 'staff-projects' },
        (u.projects || []).length ? u.projects.map((p) => h('li', {}, p.name, ' ', h('span', { class: 'role', text: t(`role_${p.role}`) })))
          : h('li', { class: 'empty', text: t('no_projects_short') })),
      actions);
    detail.hidden = false;
    detail.querySelector('h2').focus();
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = q.value.trim();
    navigate(v ? `/staff?q=${encodeURIComponent(v)}` : '/staff', { replace: true });
  });

  try {
    const query = (params.get('q') || '').trim();
    await paged(results, `/admin/users${query ? `?q=${encodeURIComponent(query)}` : ''}`, userRow, t('staff_no_users'));
    await loadLog();
  } catch (err) {
    if (!unavailable(err)) report(err, () => navigate(location.pathname + location.search, { replace: true }));
  }
}
