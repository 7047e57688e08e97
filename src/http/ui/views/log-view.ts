import { html } from 'hono/html';
import type { LogLine, Page } from '../../../fleet/types.js';
import { agentPath } from '../paths.js';
import { shortened } from './format.js';
import type { Html } from './layout.js';

function pager(name: string, log: Page<LogLine>): Html {
  const newer = log.has_previous_page
    ? html`<a href="${agentPath(name, `?page=${log.page - 1}`)}">Newer</a>`
    : html`<span class="muted">Newest</span>`;
  const older = log.has_next_page ? html`<a href="${agentPath(name, `?page=${log.page + 1}`)}">Older</a>` : '';
  return html`<p class="pager">${newer} · page ${log.page} · ${log.total_count} lines · ${older}</p>`;
}

/** One page of the log, oldest line first as a terminal shows them; page 1 is the newest. */
export function logView(name: string, log: Page<LogLine>): Html {
  const lines = [...log.items]
    .reverse()
    .map(
      (line) =>
        html`<div class="${`line ${line.stream}`}"><span class="time">${line.time}</span> <span class="text">${shortened(line.text)}</span></div>`,
    );
  const body = lines.length === 0 ? html`<p class="muted">No output yet.</p>` : html`<div class="log">${lines}</div>`;
  return html`${pager(name, log)}${body}`;
}
