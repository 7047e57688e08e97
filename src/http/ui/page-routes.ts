import { Hono, type Context } from 'hono';
import type { AgentDetails, ListedAgent } from '../../fleet/fleet-api.js';
import { listAgents } from '../../mcp/tools/list-agents.js';
import { showAgent } from '../../mcp/tools/show-agent.js';
import { showAgentChanges } from '../../mcp/tools/show-agent-changes.js';
import { showAgentLog } from '../../mcp/tools/show-agent-log.js';
import { showAgentTaskHistory } from '../../mcp/tools/show-agent-task-history.js';
import { queryNumber } from './query.js';
import { readWith } from './tool-runner.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { offeredActions, viewerOf } from './viewer.js';
import { agentPage, type AgentTab } from './views/agent-page.js';
import { changesView } from './views/changes-view.js';
import { historyView } from './views/history-view.js';
import type { Html } from './views/layout.js';
import { logView } from './views/log-view.js';
import { overviewPage, type OverviewAgent } from './views/overview-page.js';

/** Lines on a log page: a screenful, each cut to MAX_SHOWN_CHARS, so a page of the longest lines stays small. */
export const LOG_PAGE_LINES = 100;

/** Bytes of diff on a page: what show_agent_changes gives by default. */
const DIFF_PAGE_BYTES = 64 * 1024;

/** The overview and the three tabs of an agent, each read through the tool that answers the same on /mcp. */
export function pageRoutes(options: UiAppOptions): Hono<UiEnv> {
  const routes = new Hono<UiEnv>();
  const authEnabled = options.authenticate !== undefined;

  const currentTask = async (c: Context<UiEnv>, agent: ListedAgent): Promise<OverviewAgent> => {
    if (agent.current_task_id === null) return { agent, currentTask: null };
    const details = (await readWith(options, c.get('identity'), showAgent, { name: agent.name })) as AgentDetails;
    const task = details.last_task;
    return { agent, currentTask: task && task.id === agent.current_task_id ? task.description : null };
  };

  const agentTab = async (c: Context<UiEnv>, tab: AgentTab, content: (name: string) => Promise<Html>) => {
    const name = c.req.param('name')!;
    const agent = (await readWith(options, c.get('identity'), showAgent, { name })) as AgentDetails;
    const live = tab !== 'log' || (queryNumber(c, 'page') ?? 1) === 1;
    return c.html(
      agentPage({
        agent,
        viewer: viewerOf(c, authEnabled),
        offered: offeredActions(c),
        tab,
        content: await content(agent.name),
        live,
        now: options.clock.now(),
      }),
    );
  };

  routes.get('/', async (c) => {
    const listed = await readWith(options, c.get('identity'), listAgents, {});
    const agents = await Promise.all((listed.agents as ListedAgent[]).map((agent) => currentTask(c, agent)));
    return c.html(overviewPage(agents, viewerOf(c, authEnabled), options.clock.now()));
  });

  routes.get('/agents/:name', (c) =>
    agentTab(c, 'log', async (name) => {
      const page = queryNumber(c, 'page') ?? 1;
      const log = await readWith(options, c.get('identity'), showAgentLog, { name, page, page_size: LOG_PAGE_LINES });
      return logView(name, { ...log, items: log.lines } as never);
    }),
  );

  routes.get('/agents/:name/changes', (c) =>
    agentTab(c, 'changes', async (name) => {
      const offset = queryNumber(c, 'offset') ?? 0;
      const args = { name, diff_offset: offset, diff_limit_bytes: DIFF_PAGE_BYTES };
      return changesView(name, (await readWith(options, c.get('identity'), showAgentChanges, args)) as never);
    }),
  );

  routes.get('/agents/:name/history', (c) =>
    agentTab(c, 'history', async (name) => {
      const page = queryNumber(c, 'page') ?? 1;
      const history = await readWith(options, c.get('identity'), showAgentTaskHistory, { name, page });
      return historyView(name, { ...history, items: history.tasks } as never);
    }),
  );
  return routes;
}
