import type { FleetLogger } from './logger.js';
import type { AgentRecord, Store } from './store.js';
import { removeWorktree } from './worktrees.js';

/**
 * Removes an agent for good: its worktree (the branch stays, with every commit the agent made), its state and its
 * logs. Returns a sentence saying what happened to its files, for the caller.
 */
export async function forgetAgent(store: Store, key: string, record: AgentRecord, logger: FleetLogger): Promise<string> {
  const outcome = await removeWorkdir(record, logger);
  store.remove(key);
  logger.info({ agent: record.agent.name }, 'agent deleted');
  return outcome;
}

async function removeWorkdir(record: AgentRecord, logger: FleetLogger): Promise<string> {
  if (!record.git) return 'it worked in the project directory, which is left as it is';
  const { worktree } = record.git;
  try {
    await removeWorktree({ repoRoot: record.git.repo_root, path: worktree });
    return `worktree ${worktree} removed; branch ${record.agent.branch} kept`;
  } catch (error) {
    const message = (error as Error).message;
    logger.warn({ agent: record.agent.name, worktree, error: message }, 'could not remove the worktree of a deleted agent');
    return `its worktree ${worktree} could not be removed (${message}); branch ${record.agent.branch} kept`;
  }
}
