import { Hono, type Context } from 'hono';
import type { ListedAgent } from '../../fleet/fleet-api.js';
import { queryNumber } from './query.js';
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

/**
 * The overview and the three tabs of an agent, read from the fleet API the read tools call (list_agents, show_agent,
 * show_agent_log, show_agent_changes, show_agent_task_history): every token may read, so no scope is checked.
 */
export function pageRoutes(options: UiAppOptions): Hono<UiEnv> {
  const routes = new Hono<UiEnv>();
  const { fleet } = options;
  const authEnabled = options.authenticate !== undefined;

  const currentTask = (agent: ListedAgent): OverviewAgent => {
    if (agent.current_task_id === null) return { agent, currentTask: null };
    const task = fleet.showAgent(agent.name).last_task;
    return { agent, currentTask: task && task.id === agent.current_task_id ? task.description : null };
  };

  const agentTab = async (c: Context<UiEnv>, tab: AgentTab, content: (name: string) => Html | Promise<Html>) => {
    const agent = fleet.showAgent(c.req.param('name')!);
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

  routes.get('/', (c) =>
    c.html(overviewPage(fleet.listAgents().map(currentTask), viewerOf(c, authEnabled), options.clock.now())),
  );

  routes.get('/agents/:name', (c) =>
    agentTab(c, 'log', async (name) =>
      logView(name, await fleet.agentLog(name, { page: queryNumber(c, 'page') ?? 1, pageSize: LOG_PAGE_LINES })),
    ),
  );

  routes.get('/agents/:name/changes', (c) =>
    agentTab(c, 'changes', async (name) => {
      const request = { diffOffset: queryNumber(c, 'offset') ?? 0, diffLimitBytes: DIFF_PAGE_BYTES };
      return changesView(name, await fleet.agentChanges(name, request));
    }),
  );

  routes.get('/agents/:name/history', (c) =>
    agentTab(c, 'history', (name) => historyView(name, fleet.taskHistory(name, { page: queryNumber(c, 'page') ?? 1 }))),
  );
  return routes;
}
