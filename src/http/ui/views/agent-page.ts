import { html } from 'hono/html';
import type { AgentDetails } from '../../../fleet/fleet-api.js';
import { agentPath, EVENTS_PATH } from '../paths.js';
import { age, cost, shortened } from './format.js';
import { csrfField, type Html, page, type Viewer } from './layout.js';

/** The actions the viewer's token may take; the server checks the scope again when one is posted. */
export interface OfferedActions {
  cancel: boolean;
  merge: boolean;
  delete: boolean;
}

export type AgentTab = 'log' | 'changes' | 'history';

const TABS: { tab: AgentTab; label: string; tail: string }[] = [
  { tab: 'log', label: 'Log', tail: '' },
  { tab: 'changes', label: 'Changes', tail: '/changes' },
  { tab: 'history', label: 'Task history', tail: '/history' },
];

function actionForm(name: string, csrf: string, action: string, label: string, extra: Html | string = ''): Html {
  return html`<form method="post" action="${agentPath(name, `/${action}`)}" class="action" data-confirm="${`${label} agent ${name}?`}">
${csrfField(csrf)}${extra}<button class="${`action-${action}`}">${label}</button>
</form>`;
}

function actions(name: string, viewer: Viewer, offered: OfferedActions): Html | '' {
  const forms = [
    offered.cancel ? actionForm(name, viewer.csrf, 'cancel', 'Cancel task') : '',
    offered.merge ? actionForm(name, viewer.csrf, 'merge', 'Merge') : '',
    offered.delete
      ? actionForm(
          name,
          viewer.csrf,
          'delete',
          'Delete',
          html`<label><input type="checkbox" name="force" value="true"> even if work would be lost</label>`,
        )
      : '',
  ];
  if (!offered.cancel && !offered.merge && !offered.delete) return '';
  return html`<nav class="actions">${forms}</nav>`;
}

function summary(agent: AgentDetails, now: number): Html {
  const task = agent.last_task;
  const current =
    task && agent.current_task_id === task.id
      ? html`<dt>Current task</dt><dd class="task">${shortened(task.description, 1_000)}</dd>`
      : '';
  const reason = agent.status_reason ? html` <span class="muted">${shortened(agent.status_reason, 500)}</span>` : '';
  return html`<dl class="summary">
<dt>State</dt><dd><span class="status ${`status-${agent.status}`}">${agent.status}</span>${reason}</dd>
${current}
<dt>Project</dt><dd>${agent.project}</dd>
<dt>Role</dt><dd>${agent.role}</dd>
<dt>Branch</dt><dd>${agent.branch ?? '—'}</dd>
<dt>Age</dt><dd>${age(agent.created_at, now)}</dd>
<dt>Tasks</dt><dd>${agent.task_count}</dd>
<dt>Cost</dt><dd>${cost(agent.usage)}</dd>
<dt>Created by</dt><dd>${agent.created_by ?? '—'}</dd>
</dl>`;
}

export interface AgentPageOptions {
  agent: AgentDetails;
  viewer: Viewer;
  offered: OfferedActions;
  tab: AgentTab;
  content: Html;
  /** False on an older log page, whose lines would shift under the reader as new ones arrive. */
  live: boolean;
  now: number;
}

export function agentPage(options: AgentPageOptions): Html {
  const { agent, viewer } = options;
  const tabs = TABS.map(({ tab, label, tail }) =>
    tab === options.tab
      ? html`<span class="tab current">${label}</span>`
      : html`<a class="tab" href="${agentPath(agent.name, tail)}">${label}</a>`,
  );
  const events = `${EVENTS_PATH}?agent=${encodeURIComponent(agent.name)}`;
  return page({
    title: agent.name,
    viewer,
    events: options.live ? events : undefined,
    aside: actions(agent.name, viewer, options.offered),
    body: html`<h1>${agent.name}</h1>
${summary(agent, options.now)}
<nav class="tabs">${tabs}</nav>
<section class="content">${options.content}</section>`,
  });
}
