import { html } from 'hono/html';
import type { ListedAgent } from '../../../fleet/fleet-api.js';
import { agentPath, EVENTS_PATH } from '../paths.js';
import { age, cost, shortened } from './format.js';
import { type Html, page, type Viewer } from './layout.js';

export interface OverviewAgent {
  agent: ListedAgent;
  /** What its running or queued task was asked, if it has one. */
  currentTask: string | null;
}

function outcome(agent: ListedAgent): Html {
  const last = agent.last_outcome;
  if (!last) return html`<span class="muted">no task yet</span>`;
  const what = last.outcome ?? last.status;
  const reason = last.reason ? html` <span class="muted">${shortened(last.reason, 200)}</span>` : '';
  return html`<span class="outcome ${`outcome-${what}`}">${what}</span>${reason}`;
}

function row({ agent, currentTask }: OverviewAgent, now: number): Html {
  return html`<tr>
<td><a href="${agentPath(agent.name)}">${agent.name}</a></td>
<td><span class="status ${`status-${agent.status}`}">${agent.status}</span></td>
<td class="task">${currentTask === null ? html`<span class="muted">—</span>` : shortened(currentTask, 300)}</td>
<td>${outcome(agent)}</td>
<td>${age(agent.created_at, now)}</td>
<td>${cost(agent.usage)}</td>
<td>${agent.project}</td>
</tr>`;
}

export function overviewPage(agents: readonly OverviewAgent[], viewer: Viewer, now: number): Html {
  const body =
    agents.length === 0
      ? html`<p class="muted">No agents yet. Create one with the create_agent tool.</p>`
      : html`<table class="agents">
<thead><tr><th>Agent</th><th>State</th><th>Current task</th><th>Last outcome</th><th>Age</th><th>Cost</th><th>Project</th></tr></thead>
<tbody>${agents.map((agent) => row(agent, now))}</tbody>
</table>`;
  return page({ title: 'Agents', viewer, events: EVENTS_PATH, body: html`<h1>Agents</h1>${body}` });
}
