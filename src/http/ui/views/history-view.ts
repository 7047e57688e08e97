import { html } from 'hono/html';
import type { Page, TaskRecord } from '../../../fleet/types.js';
import { agentPath } from '../paths.js';
import { shortened } from './format.js';
import type { Html } from './layout.js';

function task(record: TaskRecord): Html {
  const what = record.outcome ?? record.status;
  const reason = record.reason ? html`<p class="muted">${shortened(record.reason, 1_000)}</p>` : '';
  const files = record.files_changed?.length
    ? html`<p>Files: ${record.files_changed.map((file, index) => html`${index > 0 ? ', ' : ''}<code>${shortened(file, 300)}</code>`)}</p>`
    : '';
  const commits = record.commits?.length
    ? html`<ul class="commits">${record.commits.map((commit) => html`<li><code>${commit.sha.slice(0, 12)}</code> ${shortened(commit.subject, 300)}</li>`)}</ul>`
    : '';
  const answer = record.final_message ? html`<pre class="answer">${shortened(record.final_message, 5_000)}</pre>` : '';
  return html`<article class="task-record">
<h3><span class="outcome ${`outcome-${what}`}">${what}</span> <span class="muted">${record.created_at} · by ${record.started_by ?? '—'}</span></h3>
<pre class="task">${shortened(record.description, 5_000)}</pre>
${reason}${commits}${files}${answer}
</article>`;
}

export function historyView(name: string, history: Page<TaskRecord>): Html {
  const newer = history.has_previous_page
    ? html`<a href="${agentPath(name, `/history?page=${history.page - 1}`)}">Newer</a>`
    : '';
  const older = history.has_next_page
    ? html`<a href="${agentPath(name, `/history?page=${history.page + 1}`)}">Older</a>`
    : '';
  const tasks = history.items.length === 0 ? html`<p class="muted">No tasks.</p>` : history.items.map(task);
  return html`<p class="pager">${newer} page ${history.page} · ${history.total_count} tasks ${older}</p>${tasks}`;
}
