import { html } from 'hono/html';
import { agentPath, UI_PREFIX } from '../paths.js';
import type { ActionResult } from '../tool-runner.js';
import { type Html, page, type Viewer } from './layout.js';

export interface ActionPageOptions {
  tool: string;
  agent: string;
  result: ActionResult;
  viewer: Viewer;
}

/** What the tool answered, as its MCP text: the page shows the action exactly as a client of the tool would see it. */
export function actionPage(options: ActionPageOptions): Html {
  const { tool, agent, result } = options;
  const back =
    tool === 'delete_agent' && result.ok
      ? html`<a href="${UI_PREFIX}">Back to the fleet</a>`
      : html`<a href="${agentPath(agent)}">Back to ${agent}</a>`;
  return page({
    title: tool,
    viewer: options.viewer,
    body: html`<h1>${tool} ${result.ok ? 'done' : 'failed'}</h1>
<pre class="${result.ok ? 'answer' : 'answer error'}">${result.text}</pre>
<p>${back}</p>`,
  });
}
