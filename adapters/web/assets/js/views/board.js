// A project's board: three status columns, the task dialog (create, edit,
// comments) and the members panel (invite by email).
import { request, get, listAll, taskETag, ApiError } from '../api.js';
import { h, clear, field, clearErrors } from '../dom.js';
import { t, formatDate, formatDateTime } from '../i18n.js';
import { navigate, pageTitle, report, focusHeading, flash, flashNext, problemText } from '../ui.js';
import { showProblem } from './auth.js';

export const STATUSES = ['todo', 'in_progress', 'done'];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

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

export async function renderBoard(main, projectId) {
  let project;
  let members;
  let tasks;
  try {
    [project, members, tasks] = await Promise.all([
      get(`/projects/${projectId}`),
      listAll(`/projects/${projectId}/members`),
      listAll(`/projects/${projectId}/tasks`),
    ]);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return renderNotFound(main);
    report(err, () => navigate(location.pathname, { replace: true }));
    return;
  }
  const board = new Board(main, project, members, tasks);
  board.render();
  focusHeading(main);
}

class Board {
  constructor(main, project, members, tasks) {
    this.main = main;
    this.project = project;
    this.members = members;
    this.tasks = tasks;
  }

  memberName(id) {
    const m = this.members.find((x) => x.user_id === id);
    return m ? (m.name || m.email) : `#${id}`;
  }

  async reload(message) {
    if (message) flashNext(message);
    return navigate(location.pathname, { replace: true });
  }

  render() {
    const p = this.project;
    pageTitle(p.name);
    const newTask = h('button', { type: 'button', 'data-testid': 'new-task', onclick: () => this.openTask(null) }, t('new_task'));
    clear(this.main).append(
      h('div', { class: 'board-head' },
        h('div', {},
          h('h1', { text: p.name, 'data-testid': 'project-title' }),
          p.description ? h('p', { class: 'hint', text: p.description }) : null,
        ),
        h('div', { class: 'actions' }, newTask, h('a', { href: '/', 'data-link': true, text: t('back_to_projects') })),
      ),
      h('div', { class: 'board', 'data-testid': 'board' }, STATUSES.map((s) => this.column(s))),
      this.membersPanel(),
    );
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
      h('button', { type: 'button', class: 'card-open', onclick: () => this.openTask(task) }, task.title),
      h('p', { class: 'meta' },
        h('span', { class: `badge prio-${task.priority}`, text: t(`priority_${task.priority}`) }),
        task.assignee_id ? h('span', { text: this.memberName(task.assignee_id) }) : null,
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
      // Keep keyboard focus on the moved card's control, in its new column.
      this.main.querySelector(`#move-${updated.id}`)?.focus();
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

  /** openTask shows the task dialog: a new task when task is null. */
  openTask(task) {
    const opener = document.activeElement;
    const isNew = task === null;
    const v = task || { title: '', description: '', status: 'todo', priority: 'normal', assignee_id: null, due_date: null };
    const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, value: v.title });
    const description = h('textarea', { name: 'description', maxlength: 10000 });
    description.value = v.description || '';
    const status = h('select', { name: 'status' },
      STATUSES.map((s) => h('option', { value: s, selected: s === v.status }, t(`status_${s}`))));
    const priority = h('select', { name: 'priority' },
      PRIORITIES.map((p) => h('option', { value: p, selected: p === v.priority }, t(`priority_${p}`))));
    const assignee = h('select', { name: 'assignee_id' },
      h('option', { value: '' }, t('unassigned')),
      this.members.map((m) => h('option', { value: String(m.user_id), selected: m.user_id === v.assignee_id }, m.name || m.email)));
    const due = h('input', { type: 'date', name: 'due_date', value: v.due_date || '' });
    const save = h('button', { type: 'submit', 'data-testid': 'task-save' }, isNew ? t('create_task') : t('save'));
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'task-cancel' }, t('cancel'));
    const del = isNew ? null : h('button', { type: 'button', class: 'danger', 'data-testid': 'task-delete' }, t('delete'));
    const headingId = 'task-dialog-title';
    const form = h('form', { id: 'task-form', novalidate: true },
      field('task-title', t('title'), title),
      field('task-description', t('description'), description),
      h('div', { class: 'grid-2' },
        field('task-status', t('status'), status),
        field('task-priority', t('priority'), priority),
        field('task-assignee_id', t('assignee'), assignee),
        field('task-due_date', t('due_date'), due),
      ),
      h('p', { class: 'form-error', role: 'alert', hidden: true }),
      h('div', { class: 'actions' }, save, cancel, del),
    );
    const dialog = h('dialog', { 'aria-labelledby': headingId, 'data-testid': 'task-dialog' },
      h('h2', { id: headingId, text: isNew ? t('new_task') : t('edit_task') }),
      form,
      isNew ? null : this.commentsSection(task),
    );
    const close = () => dialog.close();
    dialog.addEventListener('close', () => {
      dialog.remove();
      // Return focus where it was, or to the card if the board re-rendered.
      const target = opener && opener.isConnected ? opener
        : (task && this.main.querySelector(`[data-task-id="${task.id}"] .card-open`));
      target?.focus();
    });
    cancel.addEventListener('click', close);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      save.disabled = true;
      const body = {
        title: title.value.trim(),
        description: description.value,
        status: status.value,
        priority: priority.value,
        assignee_id: assignee.value ? Number(assignee.value) : null,
        due_date: due.value || null,
      };
      try {
        let saved;
        if (isNew) {
          saved = (await request('POST', `/projects/${this.project.id}/tasks`, { body })).data;
        } else {
          saved = await this.patch(task, body);
          if (!saved) { close(); return; }
        }
        this.replaceTask(saved);
        this.render();
        flash(t(isNew ? 'task_created' : 'task_saved', { title: saved.title }));
        close();
      } catch (err) {
        if (err instanceof ApiError) showProblem(form, err, (f) => `task-${f}`);
        else report(err, () => form.requestSubmit());
      } finally {
        save.disabled = false;
      }
    });
    del?.addEventListener('click', async () => {
      if (!window.confirm(t('confirm_delete', { title: task.title }))) return;
      try {
        await request('DELETE', `/tasks/${task.id}`, { ifMatch: taskETag(task) });
        this.tasks = this.tasks.filter((x) => x.id !== task.id);
        this.render();
        flash(t('task_deleted', { title: task.title }));
        close();
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) { close(); await this.reload(t('conflict_reloaded')); return; }
        if (err instanceof ApiError) showProblem(form, err);
        else report(err);
      }
    });
    document.body.append(dialog);
    dialog.showModal(); // a modal dialog keeps focus inside and closes on Escape
    title.focus();
  }

  commentsSection(task) {
    const list = h('ol', { class: 'comments', 'data-testid': 'comments', 'aria-busy': 'true' });
    const body = h('textarea', { name: 'body', required: true, maxlength: 5000 });
    const add = h('button', { type: 'submit', 'data-testid': 'comment-add' }, t('add_comment'));
    const form = h('form', { id: 'comment-form', novalidate: true },
      field('comment-body', t('new_comment'), body),
      h('p', { class: 'form-error', role: 'alert', hidden: true }),
      h('div', { class: 'actions' }, add),
    );
    const item = (c) => h('li', { 'data-comment-id': c.id },
      h('p', { class: 'by' }, this.memberName(c.author_id), ' · ', h('time', { datetime: c.created_at, text: formatDateTime(c.created_at) })),
      h('p', { text: c.body }));
    const load = async () => {
      try {
        const comments = await listAll(`/tasks/${task.id}/comments`);
        clear(list).removeAttribute('aria-busy');
        if (comments.length === 0) list.append(h('li', { class: 'empty', text: t('no_comments') }));
        for (const c of comments) list.append(item(c));
      } catch (err) {
        clear(list).append(h('li', { class: 'form-error', text: problemText(err) }));
        report(err, load);
      }
    };
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      add.disabled = true;
      try {
        const { data } = await request('POST', `/tasks/${task.id}/comments`, { body: { body: body.value } });
        list.querySelector('.empty')?.remove();
        list.append(item(data));
        body.value = '';
        flash(t('comment_added'));
      } catch (err) {
        if (err instanceof ApiError) showProblem(form, err, (f) => `comment-${f}`);
        else report(err, () => form.requestSubmit());
      } finally {
        add.disabled = false;
      }
    });
    load();
    return h('section', { 'aria-labelledby': 'comments-heading' },
      h('h3', { id: 'comments-heading', text: t('comments') }), list, form);
  }

  membersPanel() {
    const list = h('ul', { class: 'member-list', 'data-testid': 'members' },
      this.members.map((m) => h('li', {}, `${m.name || m.email} `, h('span', { class: 'role', text: `${m.email} · ${t(`role_${m.role}`)}` }))));
    let form = null;
    if (this.project.role === 'owner') {
      const email = h('input', { type: 'email', name: 'email', required: true, maxlength: 254, autocomplete: 'off' });
      const role = h('select', { name: 'role' },
        h('option', { value: 'member' }, t('role_member')), h('option', { value: 'owner' }, t('role_owner')));
      const invite = h('button', { type: 'submit', 'data-testid': 'invite-submit' }, t('invite'));
      form = h('form', { id: 'invite-form', class: 'card-box', novalidate: true },
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
          const { data } = await request('POST', `/projects/${this.project.id}/members`, { body: { email: email.value.trim(), role: role.value } });
          this.members.push(data);
          this.render();
          flash(t('member_added', { name: data.name || data.email }));
          this.main.querySelector('#invite-email')?.focus();
        } catch (err) {
          if (err instanceof ApiError) showProblem(form, err, (f) => `invite-${f}`);
          else report(err, () => form.requestSubmit());
        } finally {
          invite.disabled = false;
        }
      });
    }
    return h('section', { class: 'members', 'aria-labelledby': 'members-heading' },
      h('h2', { id: 'members-heading', text: t('members') }), list, form);
  }
}
