// The project list and the form that creates a project.
import { request, listAll, ApiError } from '../api.js';
import { h, field, clearErrors } from '../dom.js';
import { t } from '../i18n.js';
import { navigate, pageTitle, report, focusHeading } from '../ui.js';
import { showProblem } from './auth.js';

export async function renderProjects(main) {
  pageTitle(t('projects_title'));
  const list = h('ul', { class: 'project-list', 'data-testid': 'project-list', 'aria-busy': 'true' });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', maxlength: 10000 });
  const submit = h('button', { type: 'submit', 'data-testid': 'project-create' }, t('create_project'));
  const form = h('form', { class: 'card-box', id: 'project-form', novalidate: true, 'aria-labelledby': 'new-project-heading' },
    h('h2', { id: 'new-project-heading', text: t('new_project') }),
    field('project-name', t('project_name'), name),
    field('project-description', t('description'), description),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, submit),
  );
  main.append(h('h1', { text: t('projects_title') }),
    h('div', { class: 'layout-2' }, h('section', { 'aria-label': t('projects_title') }, list), form));
  focusHeading(main);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const { data } = await request('POST', '/projects', { body: { name: name.value.trim(), description: description.value } });
      await navigate(`/projects/${data.id}`);
    } catch (err) {
      if (err instanceof ApiError) showProblem(form, err, (f) => `project-${f}`);
      else report(err, () => form.requestSubmit());
    } finally {
      submit.disabled = false;
    }
  });

  try {
    const projects = await listAll('/projects');
    list.removeAttribute('aria-busy');
    if (projects.length === 0) list.append(h('li', { class: 'empty', text: t('no_projects') }));
    for (const p of projects) {
      list.append(h('li', { 'data-project-id': p.id },
        h('a', { href: `/projects/${p.id}`, 'data-link': true, text: p.name }),
        ' ', h('span', { class: 'role', text: t(`role_${p.role}`) }),
        p.description ? h('p', { class: 'hint', text: p.description }) : null,
      ));
    }
  } catch (err) {
    report(err, () => navigate(location.pathname, { replace: true }));
  }
}
