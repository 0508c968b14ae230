// The person's sessions: where they are logged in, with a way to end any
// of them, or all but this one.
import { request, get, ApiError } from '../api.js';
import { h, clear } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { state, navigate, pageTitle, report, flash, flashNext, focusHeading, confirmDialog } from '../ui.js';

export async function renderSessions(main) {
  pageTitle(t('sessions_title'));
  const list = h('ul', { class: 'session-list', 'data-testid': 'sessions', 'aria-busy': 'true' });
  const others = h('button', { type: 'button', class: 'danger', 'data-testid': 'revoke-others', hidden: true }, t('sessions_revoke_others'));
  main.append(
    h('h1', { text: t('sessions_title') }),
    h('p', { class: 'hint', text: t('sessions_intro') }),
    list,
    h('div', { class: 'actions' }, others, h('a', { href: '/account', 'data-link': true, text: t('back_to_account') })),
  );
  focusHeading(main);

  let sessions;
  try {
    sessions = (await get('/me/sessions')).items;
  } catch (err) {
    list.removeAttribute('aria-busy');
    if (err instanceof ApiError && err.status === 404) {
      list.append(h('li', { class: 'empty', 'data-testid': 'sessions-unavailable', text: t('sessions_unavailable') }));
      return;
    }
    report(err, () => navigate(location.pathname, { replace: true }));
    return;
  }
  const draw = () => {
    clear(list).removeAttribute('aria-busy');
    for (const s of sessions) list.append(item(s));
    others.hidden = !sessions.some((s) => !s.current);
  };
  const item = (s) => {
    const end = h('button', { type: 'button', class: 'danger', 'data-testid': 'revoke-session' }, s.current ? t('logout') : t('sessions_revoke'));
    end.addEventListener('click', async () => {
      const ok = await confirmDialog(s.current ? t('sessions_confirm_current') : t('sessions_confirm_one', { device: s.user_agent || t('sessions_unknown_device') }), s.current ? t('logout') : t('sessions_revoke'));
      if (!ok) return;
      try {
        await request('DELETE', `/me/sessions/${s.id}`);
        if (s.current) {
          state.user = null;
          flashNext(t('logged_out'));
          await navigate('/login');
          return;
        }
        sessions = sessions.filter((x) => x.id !== s.id);
        draw();
        flash(t('sessions_revoked_one'));
        list.querySelector('button')?.focus();
      } catch (err) {
        report(err);
      }
    });
    return h('li', { class: 'card-box session', 'data-session-id': s.id, 'data-current': s.current ? 'true' : 'false' },
      h('p', { class: 'device' }, h('strong', { text: s.user_agent || t('sessions_unknown_device') }),
        s.current ? h('span', { class: 'badge current', text: t('sessions_this') }) : null),
      h('dl', { class: 'facts' },
        h('dt', { text: t('sessions_address') }), h('dd', { text: s.client_addr || '—' }),
        h('dt', { text: t('sessions_created') }), h('dd', {}, h('time', { datetime: s.created_at, text: formatDateTime(s.created_at) })),
        h('dt', { text: t('sessions_last_used') }), h('dd', {}, s.last_used_at ? h('time', { datetime: s.last_used_at, text: formatDateTime(s.last_used_at) }) : '—'),
      ),
      h('div', { class: 'actions' }, end),
    );
  };
  others.addEventListener('click', async () => {
    if (!(await confirmDialog(t('sessions_confirm_others'), t('sessions_revoke_others')))) return;
    try {
      await request('DELETE', '/me/sessions');
      sessions = sessions.filter((s) => s.current);
      draw();
      flash(t('sessions_revoked_others'));
    } catch (err) {
      report(err);
    }
  });
  draw();
}
