// A project's settings, for its owners: rename it, edit its description,
// delete it (after a confirmation naming what goes with it).
import { request, ApiError } from '../api.js';
import { h, field, clearErrors } from '../dom.js';
import { t } from '../i18n.js';
import { navigate, pageTitle, report, focusHeading, flash, flashNext, confirmDialog } from '../ui.js';
import { showProblem } from './auth.js';
import { renderNotFound } from './board.js';

export async function renderProjectSettings(main, projectId) {
  let project;
  let etag;
  try {
    ({ data: project, etag } = await request('GET', `/projects/${projectId}`));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return renderNotFound(main);
    report(err, () => navigate(location.pathname, { replace: true }));
    return undefined;
  }
  const boardPath = `/projects/${project.id}`;
  pageTitle(t('project_settings_of', { project: project.name }));
  const back = h('a', { href: boardPath, 'data-link': true, 'data-testid': 'back-to-board', text: t('back_to_board') });
  if (project.role !== 'owner') {
    main.append(h('div', { class: 'narrow card-box' },
      h('h1', { text: t('project_settings_of', { project: project.name }) }),
      h('p', { 'data-testid': 'owners-only', text: t('owners_only') }), back));
    focusHeading(main);
    return undefined;
  }

  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200, value: project.name });
  const description = h('textarea', { name: 'description', maxlength: 10000 });
  description.value = project.description || '';
  const save = h('button', { type: 'submit', 'data-testid': 'project-save' }, t('save'));
  const form = h('form', { class: 'card-box', id: 'project-edit-form', novalidate: true, 'aria-labelledby': 'project-edit-heading' },
    h('h2', { id: 'project-edit-heading', text: t('project_details') }),
    field('project-name', t('project_name'), name),
    field('project-description', t('description'), description),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, save, back),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    save.disabled = true;
    try {
      const res = await request('PATCH', `/projects/${project.id}`, { body: { name: name.value.trim(), description: description.value }, ifMatch: etag });
      project = res.data;
      etag = res.etag || etag;
      pageTitle(t('project_settings_of', { project: project.name }));
      main.querySelector('h1').textContent = t('project_settings_of', { project: project.name });
      flash(t('project_saved', { project: project.name }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        flashNext(t('project_conflict'));
        await navigate(location.pathname, { replace: true });
        return;
      }
      if (err instanceof ApiError) showProblem(form, err, (f) => `project-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      save.disabled = false;
    }
  });

  const del = h('button', { type: 'button', class: 'danger', 'data-testid': 'project-delete' }, t('delete_project'));
  del.addEventListener('click', async () => {
    if (!(await confirmDialog(t('confirm_delete_project', { project: project.name }), t('delete_project')))) return;
    try {
      await request('DELETE', `/projects/${project.id}`, { ifMatch: etag });
      flashNext(t('project_deleted', { project: project.name }));
      await navigate('/');
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        flashNext(t('project_conflict'));
        await navigate(location.pathname, { replace: true });
        return;
      }
      report(err);
    }
  });

  main.append(
    h('h1', { text: t('project_settings_of', { project: project.name }) }),
    h('div', { class: 'stack narrow-wide' },
      form,
      h('section', { class: 'card-box danger-zone', 'aria-labelledby': 'danger-heading' },
        h('h2', { id: 'danger-heading', text: t('danger_zone') }),
        h('p', { class: 'hint', text: t('delete_project_hint') }),
        h('div', { class: 'actions' }, del))),
  );
  focusHeading(main);
  return undefined;
}
