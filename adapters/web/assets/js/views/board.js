// A project's board: the filter bar, three status columns paged through
// "load more", and the members panel. The task dialog is task_dialog.js.
import { get, listAll, page, request, taskETag, ApiError } from '../api.js';
import { h, clear, field } from '../dom.js';
import { t, formatDate } from '../i18n.js';
import { state, navigate, pageTitle, report, focusHeading, flash, flashNext, allowFocusMoves } from '../ui.js';
import { takeDraft } from '../drafts.js';
import { openTaskDialog } from './task_dialog.js';
import { membersPanel } from './members.js';
import { STATUSES, ORDERS } from './task_fields.js';


/** PAGE is how many tasks one "load more" adds (the API's maximum). */
const PAGE = 100;

/** renderNotFound is what a person sees for a project they cannot reach. */
export function renderNotFound(main) {
  pageTitle(t('not_found_title'));
  main.append(h('div', { class: 'narrow card-box', 'data-testid': 'not-found' },
    h('h1', { text: t('not_found_title') }),
    h('p', { text: t('not_found_text') }),
    h('a', { href: '/', 'data-link': true, text: t('back_to_projects') }),
  ));
  focusHeading(main);
}

/**
 * filtersFrom reads the board's filters from the URL, so a filtered board
 * survives a reload and can be linked to; anything unknown is dropped.
 */
export function filtersFrom(query) {
  const f = {};
  if (STATUSES.includes(query.get('status'))) f.status = query.get('status');
  if (/^\d{1,18}$/.test(query.get('assignee_id') || '')) f.assignee_id = query.get('assignee_id');
  const q = (query.get('q') || '').trim().slice(0, 200);
  if (q) f.q = q;
  if (ORDERS.includes(query.get('order')) && query.get('order') !== ORDERS[0]) f.order = query.get('order');
  return f;
}

function queryString(filters) {
  const qs = new URLSearchParams(filters).toString();
  return qs ? `?${qs}` : '';
}

export async function renderBoard(main, projectId, query = new URLSearchParams()) {
  const filters = filtersFrom(query);
  let project;
  let members;
  let first;
  try {
    [project, members, first] = await Promise.all([
      get(`/projects/${projectId}`),
      listAll(`/projects/${projectId}/members`),
      page(`/projects/${projectId}/tasks${queryString(filters)}`, { limit: PAGE }),
    ]);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return renderNotFound(main);
    report(err, () => navigate(location.pathname + location.search, { replace: true }));
    return undefined;
  }
  const board = new Board(main, project, members, first.items, first.next, filters);
  board.render();
  focusHeading(main);
  await board.restoreDraft();
  return undefined;
}

class Board {
  constructor(main, project, members, tasks, next, filters) {
    this.main = main;
    this.project = project;
    this.members = members;
    this.tasks = tasks;
    this.next = next;
    this.filters = filters;
  }

  memberName(id) {
    const m = this.members.find((x) => x.user_id === id);
    return m ? (m.name || m.email) : `#${id}`;
  }

  async reload(message) {
    if (message) flashNext(message);
    return navigate(location.pathname + location.search, { replace: true });
  }

  /** restoreDraft reopens the dialog a session's end interrupted. */
  async restoreDraft() {
    const d = takeDraft(state.user?.id, location.pathname);
    if (!d) return;
    let task = null;
    if (d.kind !== 'task-new') {
      const id = Number(String(d.kind).replace(/^task-/, ''));
      task = this.tasks.find((x) => x.id === id) || null;
      if (!task) {
        try { task = await get(`/tasks/${id}`); } catch { return; }
      }
    }
    openTaskDialog(this, task, d.fields);
    flash(t('draft_restored'));
  }

  render() {
    const p = this.project;
    pageTitle(p.name);
    const newTask = h('button', { type: 'button', 'data-testid': 'new-task', onclick: () => openTaskDialog(this, null) }, t('new_task'));
    const shown = this.filters.status ? [this.filters.status] : STATUSES;
    clear(this.main).append(
      h('div', { class: 'board-head' },
        h('div', {},
          h('h1', { text: p.name, tabindex: '-1', 'data-testid': 'project-title' }),
          p.description ? h('p', { class: 'hint', 'data-testid': 'project-description', text: p.description }) : null,
        ),
        h('div', { class: 'actions' }, newTask,
          p.role === 'owner' ? h('a', { href: `/projects/${p.id}/settings`, 'data-link': true, 'data-testid': 'project-settings-link', text: t('project_settings') }) : null,
          h('a', { href: '/', 'data-link': true, text: t('back_to_projects') })),
      ),
      this.filterBar(),
      this.pager(),
      h('div', { class: 'board', 'data-testid': 'board' }, shown.map((s) => this.column(s))),
      membersPanel(this),
    );
  }

  /** filterBar is the form that narrows and orders the board. */
  filterBar() {
    const f = this.filters;
    const q = h('input', { type: 'search', name: 'q', maxlength: 200, value: f.q || '' });
    const status = h('select', { name: 'status' },
      h('option', { value: '' }, t('filter_any_status')),
      STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, t(`status_${s}`))));
    const assignee = h('select', { name: 'assignee_id' },
      h('option', { value: '' }, t('filter_anyone')),
      this.members.map((m) => h('option', { value: String(m.user_id), selected: String(m.user_id) === f.assignee_id }, m.name || m.email)));
    const order = h('select', { name: 'order' },
      ORDERS.map((o) => h('option', { value: o, selected: o === (f.order || ORDERS[0]) }, t(`order_${o.replace(/^-/, 'desc_')}`))));
    const active = Object.keys(f).filter((k) => k !== 'order').length > 0;
    const form = h('form', { class: 'filters', id: 'filter-form', role: 'search', 'aria-label': t('filter_title'), novalidate: true },
      field('filter-q', t('filter_text'), q),
      field('filter-status', t('status'), status),
      field('filter-assignee_id', t('assignee'), assignee),
      field('filter-order', t('order'), order),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'secondary', 'data-testid': 'filter-apply' }, t('filter_apply')),
        active ? h('a', { href: location.pathname + (f.order ? `?order=${encodeURIComponent(f.order)}` : ''), 'data-link': true, 'data-testid': 'filter-clear', text: t('filter_clear') }) : null),
    );
    const apply = async (focusId) => {
      const next = {};
      if (q.value.trim()) next.q = q.value.trim();
      if (status.value) next.status = status.value;
      if (assignee.value) next.assignee_id = assignee.value;
      if (order.value !== ORDERS[0]) next.order = order.value;
      // The control stays focused: a keyboard user goes on filtering.
      allowFocusMoves(false);
      try {
        await navigate(`${location.pathname}${queryString(next)}`, { replace: true });
      } finally {
        allowFocusMoves(true);
      }
      document.getElementById(focusId)?.focus();
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); apply('filter-q'); });
    for (const sel of [status, assignee, order]) sel.addEventListener('change', () => apply(sel.id));
    return form;
  }

  /** pager says how many tasks are shown and offers the next page. */
  pager() {
    const count = h('span', { 'data-testid': 'task-count', text: t(this.next ? 'tasks_shown_more' : 'tasks_shown', { n: this.tasks.length }) });
    const more = this.next
      ? h('button', { type: 'button', class: 'secondary', id: 'load-more', 'data-testid': 'load-more', onclick: () => this.loadMore() }, t('load_more'))
      : null;
    return h('p', { class: 'pager', role: 'status' }, count, more ? ' ' : null, more);
  }

  async loadMore() {
    const btn = this.main.querySelector('#load-more');
    if (btn) btn.disabled = true;
    try {
      const p = await page(`/projects/${this.project.id}/tasks${queryString(this.filters)}`, { limit: PAGE, cursor: this.next });
      const firstNew = p.items[0];
      this.tasks.push(...p.items);
      this.next = p.next;
      this.render();
      const target = this.main.querySelector('#load-more')
        || (firstNew && this.main.querySelector(`[data-task-id="${firstNew.id}"] .card-open`));
      target?.focus();
    } catch (err) {
      if (btn) btn.disabled = false;
      report(err, () => this.loadMore());
    }
  }

  column(status) {
    const items = this.tasks.filter((x) => x.status === status);
    const headingId = `col-${status}`;
    return h('section', { class: 'column', 'data-status': status, 'aria-labelledby': headingId },
      h('h2', { id: headingId }, t(`status_${status}`), h('span', { class: 'count', text: String(items.length) })),
      h('ul', { class: 'cards' },
        items.length ? items.map((task) => this.card(task)) : h('li', { class: 'empty', text: t('no_tasks') })),
    );
  }

  card(task) {
    const moveId = `move-${task.id}`;
    const move = h('select', { id: moveId, 'data-testid': 'move' },
      STATUSES.map((s) => h('option', { value: s, selected: s === task.status }, t(`status_${s}`))));
    move.addEventListener('change', () => this.move(task, move.value, move));
    return h('li', { class: 'card', 'data-task-id': task.id, 'data-testid': 'task-card' },
      h('button', { type: 'button', class: 'card-open', onclick: () => openTaskDialog(this, task) }, task.title),
      h('p', { class: 'meta' },
        h('span', { class: `badge prio-${task.priority}`, text: t(`priority_${task.priority}`) }),
        task.assignee_id ? h('span', { 'data-testid': 'card-assignee', text: this.memberName(task.assignee_id) }) : null,
        task.due_date ? h('span', {}, t('due'), ' ', h('time', { datetime: task.due_date, text: formatDate(task.due_date) })) : null,
      ),
      h('div', { class: 'move' }, h('label', { for: moveId, text: t('move_to') }), move),
    );
  }

  /** patch sends a change with If-Match; on 412 it says so and reloads. */
  async patch(task, body) {
    try {
      const { data } = await request('PATCH', `/tasks/${task.id}`, { body, ifMatch: taskETag(task) });
      return data;
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        await this.reload(t('conflict_reloaded'));
        return null;
      }
      throw err;
    }
  }

  async move(task, status, select) {
    select.disabled = true;
    try {
      const updated = await this.patch(task, { status });
      if (!updated) return;
      this.replaceTask(updated);
      this.render();
      flash(t('moved', { title: updated.title, status: t(`status_${status}`) }));
      // Keep keyboard focus on the moved card's control, in its new column
      // (or, when a status filter hides it now, on the board's heading).
      (this.main.querySelector(`#move-${updated.id}`) || this.main.querySelector('h1'))?.focus();
    } catch (err) {
      select.value = task.status;
      select.disabled = false;
      report(err, () => this.move(task, status, select));
    }
  }

  replaceTask(updated) {
    const i = this.tasks.findIndex((x) => x.id === updated.id);
    if (i >= 0) this.tasks[i] = updated;
    else this.tasks.unshift(updated);
  }

  removeTask(id) {
    this.tasks = this.tasks.filter((x) => x.id !== id);
  }
}
