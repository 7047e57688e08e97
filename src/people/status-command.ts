import { visible } from '../mcp/visible-text.js';
import { listAllAgents } from './all-agents.js';
import { out, withFleet, type FleetFlags } from './with-fleet.js';

interface ListedAgent {
  name: string;
  project: string;
  role: string;
  status: string;
  status_reason: string | null;
  current_task_id: string | null;
  updated_at: string;
  last_outcome: { task_id: string; status: string; outcome?: string | null; reason: string | null } | null;
  /** Sums over its tasks whose CLI reported usage (`tasks`); cost where the CLI reports one. */
  usage?: { tasks: number; input_tokens: number; output_tokens: number; cost_usd: number; tasks_without_cost: number };
}

interface ShownAgent {
  last_task: { id: string; description: string } | null;
}

/** One agent as `status` shows it. */
export interface AgentStatusRow {
  name: string;
  project: string;
  role: string;
  status: string;
  status_reason: string | null;
  current_task: { id: string; description: string } | null;
  last_outcome: ListedAgent['last_outcome'];
  /** Seconds since the agent's status last changed. */
  age_seconds: number;
  /** Tokens and cost of its tasks, where their CLIs reported them. */
  usage: ListedAgent['usage'] | null;
}

export interface StatusFlags extends FleetFlags {
  json?: boolean;
}

const TASK_COLUMN = 40;

type Totals = NonNullable<ListedAgent['usage']>;

/** What the fleet's tasks used, in all and per project and per token (deleted agents' tasks included). */
interface UsageReport {
  total: Totals;
  by_project: Record<string, Totals>;
  by_token: Record<string, Totals>;
}

export async function statusCommand(flags: StatusFlags): Promise<void> {
  const { rows, usage } = await withFleet(flags, async (fleet) => {
    const listed = await listAllAgents<ListedAgent, UsageReport>(fleet);
    const now = Date.now();
    const shown = await Promise.all(
      listed.agents.map(async (agent) =>
        row(agent, await fleet.call<ShownAgent>('show_agent', { name: agent.name }), now),
      ),
    );
    return { rows: shown, usage: listed.usage };
  });
  if (flags.json) {
    await out(`${JSON.stringify({ agents: rows, usage }, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) process.stderr.write('no agents\n');
  else await out(table(rows));
  if (usage && usage.total.tasks > 0) await out(totals(usage));
}

/** One line for the fleet and one per project and per token that used anything. */
function totals(usage: UsageReport): string {
  const lines = [`used in all: ${cost(usage.total)}`];
  for (const [project, sum] of Object.entries(usage.by_project))
    if (sum.tasks > 0) lines.push(`  project ${visible(project)}: ${cost(sum)}`);
  for (const [token, sum] of Object.entries(usage.by_token))
    if (sum.tasks > 0) lines.push(`  token ${visible(token)}: ${cost(sum)}`);
  return `\n${lines.join('\n')}\n`;
}

function row(agent: ListedAgent, shown: ShownAgent, now: number): AgentStatusRow {
  const task = shown.last_task;
  const current =
    agent.current_task_id !== null && task?.id === agent.current_task_id
      ? { id: task.id, description: task.description }
      : null;
  return {
    name: agent.name,
    project: agent.project,
    role: agent.role,
    status: agent.status,
    status_reason: agent.status_reason,
    current_task: current,
    last_outcome: agent.last_outcome,
    age_seconds: Math.max(0, Math.round((now - Date.parse(agent.updated_at)) / 1000)),
    usage: agent.usage ?? null,
  };
}

/** Columns for a terminal; what an agent chose (task text, reasons) has its control characters spelt out. */
function table(rows: AgentStatusRow[]): string {
  const withCost = rows.some((candidate) => (candidate.usage?.tasks ?? 0) > 0);
  const header = ['NAME', 'STATUS', 'AGE', 'TASK', 'LAST OUTCOME', ...(withCost ? ['COST'] : [])];
  const cells = rows.map((agent) => [
    agent.name,
    agent.status,
    age(agent.age_seconds),
    agent.current_task ? cut(visible(agent.current_task.description), TASK_COLUMN) : '-',
    outcome(agent),
    ...(withCost ? [cost(agent.usage)] : []),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]): string =>
    line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return `${[header, ...cells].map(format).join('\n')}\n`;
}

function outcome(agent: AgentStatusRow): string {
  const last = agent.last_outcome;
  if (!last) return agent.status_reason ? visible(agent.status_reason) : '-';
  // A task that completed but wants a look says so; the reason of any other says what happened.
  const name = last.outcome === 'needs_review' ? last.outcome : last.status;
  return last.reason ? `${name}: ${visible(last.reason)}` : name;
}

/** The summed cost, and the tokens of tasks whose CLI reports no cost. */
function cost(usage: Totals | null | undefined): string {
  if (!usage || usage.tasks === 0) return '-';
  const tokens = `${usage.input_tokens + usage.output_tokens} tok`;
  if (usage.tasks_without_cost === usage.tasks) return tokens;
  return `$${usage.cost_usd.toFixed(4)}${usage.tasks_without_cost > 0 ? ` + ${tokens}` : ''}`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
