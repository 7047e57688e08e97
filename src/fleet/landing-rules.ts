import { FleetError } from './errors.js';
import type { UnlandedWork } from './review/delete-safety.js';
import type { MergeStrategy } from './review/merge.js';
import type { AgentRecord } from './store.js';

const LISTED = 10;

/** Why delete_agent refuses: exactly what would be lost, and the ways forward. */
export function deleteRefusal(record: AgentRecord, work: UnlandedWork): string {
  const { agent } = record;
  const parts: string[] = [];
  if (work.uncommitted.total > 0) {
    parts.push(
      `${work.uncommitted.total} uncommitted file(s) in its worktree: ${listed(work.uncommitted.items, work.uncommitted.total)}`,
    );
  }
  if (work.commits.total > 0) {
    const commits = work.commits.items.map((commit) => `${commit.sha.slice(0, 12)} ${commit.subject}`);
    parts.push(
      `${work.commits.total} commit(s) on ${agent.branch} not in its base: ${listed(commits, work.commits.total)}`,
    );
  }
  return (
    `Agent "${agent.name}" has work that deleting it would lose or leave unmerged: ${parts.join('; ')}. ` +
    'See it with show_agent_changes and land it with merge_agent, or call delete_agent with force: true ' +
    `(uncommitted files are then lost; the branch ${agent.branch} is kept with its commits).`
  );
}

function listed(items: string[], total: number): string {
  const shown = items.slice(0, LISTED).join(', ');
  return total > LISTED ? `${shown}, ... ${total - LISTED} more` : shown;
}

/** The message of a merge or squash commit when the caller gives none: the agent, its branch and its tasks. */
export function defaultMergeMessage(record: AgentRecord, strategy: MergeStrategy): string {
  const { agent } = record;
  const subject =
    strategy === 'squash'
      ? `Squashed work of agent ${agent.name} (${agent.branch})`
      : `Merge ${agent.branch} (agent ${agent.name})`;
  const tasks = record.tasks
    .filter((task) => task.started_at !== null)
    .map((task) => `- ${firstLine(task.description)}`);
  return tasks.length === 0 ? subject : `${subject}\n\nTasks:\n${tasks.join('\n')}`;
}

/** The message of the commit of leftovers made before a merge. */
export function preMergeLeftoversMessage(record: AgentRecord): string {
  return `fleet-mcp: uncommitted work of agent ${record.agent.name}, committed before merge_agent`;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]!.trim();
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

/** merge_agent's `commit` names what the lead reviewed: a branch that moved since is not merged unseen. */
export function assertReviewed(record: AgentRecord, reviewed: string, tip: string | null): void {
  if (tip?.startsWith(reviewed)) return;
  throw new FleetError(
    'conflict',
    `${record.agent.branch ?? 'the branch'} of agent "${record.agent.name}" is at ${tip ?? 'no commit'}, not at the reviewed ${reviewed}: ` +
      'it moved since; look at show_agent_changes again and merge the commit it shows',
  );
}
