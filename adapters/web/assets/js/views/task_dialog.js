// The task dialog: create or edit a task, delete it, read and add
// comments. It is marked data-draft, so what was typed survives a session
// that ends while it is open (drafts.js).
import { request, listAll, taskETag, ApiError } from '../api.js';
import { h, clear, field, clearErrors } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { report, flash, problemText, confirmDialog } from '../ui.js';
import { showProblem } from './auth.js';
import { STATUSES, PRIORITIES } from './task_fields.js';

/**
 * openTaskDialog shows the dialog for task on board (a new task when task
 * is null). draft, when given, holds field values typed before (by field
 * name) that replace the task's.
 */
export function openTaskDialog(board, task, draft = null) {
  const opener = document.activeElement;
  const isNew = task === null;
  const v = { title: '', description: '', status: 'todo', priority: 'normal', assignee_id: null, due_date: null, ...(task || {}) };
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, value: v.title });
  const description = h('textarea', { name: 'description', maxlength: 10000 });
  description.value = v.description || '';
  const status = h('select', { name: 'status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === v.status }, t(`status_${s}`))));
  const priority = h('select', { name: 'priority' },
    PRIORITIES.map((p) => h('option', { value: p, selected: p === v.priority }, t(`priority_${p}`))));
  const assignee = h('select', { name: 'assignee_id' },
    h('option', { value: '' }, t('unassigned')),
    board.members.map((m) => h('option', { value: String(m.user_id), selected: m.user_id === v.assignee_id }, m.name || m.email)));
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
  const comments = isNew ? null : commentsSection(board, task);
  const dialog = h('dialog', { 'aria-labelledby': headingId, 'data-testid': 'task-dialog', 'data-draft': isNew ? 'task-new' : `task-${task.id}` },
    h('h2', { id: headingId, text: isNew ? t('new_task') : t('edit_task') }),
    form,
    comments,
  );
  if (draft) {
    for (const el of dialog.querySelectorAll('[name]')) {
      if (Object.hasOwn(draft, el.name)) el.value = draft[el.name];
    }
  }
  const close = () => dialog.close();
  dialog.addEventListener('close', () => {
    dialog.remove();
    // Return focus where it was, or to the card if the board re-rendered.
    const target = opener && opener.isConnected && opener !== document.body ? opener
      : (task && board.main.querySelector(`[data-task-id="${task.id}"] .card-open`));
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
        saved = (await request('POST', `/projects/${board.project.id}/tasks`, { body })).data;
      } else {
        saved = await board.patch(task, body);
        if (!saved) { close(); return; }
      }
      board.replaceTask(saved);
      board.render();
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
    if (!(await confirmDialog(t('confirm_delete', { title: task.title }), t('delete')))) return;
    try {
      await request('DELETE', `/tasks/${task.id}`, { ifMatch: taskETag(task) });
      board.removeTask(task.id);
      board.render();
      flash(t('task_deleted', { title: task.title }));
      close();
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) { close(); await board.reload(t('conflict_reloaded')); return; }
      if (err instanceof ApiError) showProblem(form, err);
      else report(err);
    }
  });
  document.body.append(dialog);
  dialog.showModal(); // a modal dialog keeps focus inside and closes on Escape
  title.focus();
  return dialog;
}

function commentsSection(board, task) {
  const list = h('ol', { class: 'comments', 'data-testid': 'comments', 'aria-busy': 'true' });
  const body = h('textarea', { name: 'body', required: true, maxlength: 5000 });
  const add = h('button', { type: 'submit', 'data-testid': 'comment-add' }, t('add_comment'));
  const form = h('form', { id: 'comment-form', novalidate: true },
    field('comment-body', t('new_comment'), body),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, add),
  );
  const item = (c) => h('li', { 'data-comment-id': c.id },
    h('p', { class: 'by' }, board.memberName(c.author_id), ' · ', h('time', { datetime: c.created_at, text: formatDateTime(c.created_at) })),
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
