import { existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FleetLogger } from '../logger.js';
import { isLinkedWorktree } from '../repo/agent-repo.js';
import { git } from '../review/git.js';
import type { AgentRecord, Store } from '../store.js';

/**
 * Removes an agent for good: its worktree (its branch is the caller's business), its state and its logs. Returns a
 * sentence saying what happened to its files, for the caller.
 */
export async function forgetAgent(
  store: Store,
  key: string,
  record: AgentRecord,
  logger: FleetLogger,
): Promise<string> {
  const outcome = await removeWorkdir(store, record, logger);
  await store.remove(key);
  logger.info({ agent: record.agent.name }, 'agent deleted');
  return outcome;
}

async function removeWorkdir(store: Store, record: AgentRecord, logger: FleetLogger): Promise<string> {
  if (!record.git) return 'it worked in the project directory, which is left as it is';
  const { worktree } = record.git;
  const outside = escapeFromWorktrees(store.dataDir, worktree);
  if (outside) {
    logger.warn(
      { agent: record.agent.name, worktree, reason: outside },
      'left the worktree of a deleted agent in place',
    );
    return `its worktree ${worktree} was left in place: ${outside}`;
  }
  try {
    await removeRepository(record.git.repo_root, worktree);
    return `its repository ${worktree} removed`;
  } catch (error) {
    const message = (error as Error).message;
    logger.warn(
      { agent: record.agent.name, worktree, error: message },
      'could not remove the worktree of a deleted agent',
    );
    return `its worktree ${worktree} could not be removed (${message})`;
  }
}

/**
 * Removes the agent's repository (rm does not follow the links in it). A worktree of the user's repository, as an
 * earlier fleet-mcp made them, is also forgotten by git there.
 */
async function removeRepository(repoRoot: string, path: string): Promise<void> {
  const linked = isLinkedWorktree(path);
  rmSync(path, { recursive: true, force: true });
  if (linked) await git(repoRoot, ['worktree', 'prune']);
}

/**
 * Why removing `worktree` would reach outside `<data dir>/worktrees/`, or null when it would not. Real paths are
 * compared, so a symbolic link there (or on the way) cannot point the removal at another directory.
 */
function escapeFromWorktrees(dataDir: string, worktree: string): string | null {
  let root: string;
  let real: string;
  try {
    root = realpathSync(join(dataDir, 'worktrees'));
    real = realpathSync(worktree);
  } catch (error) {
    // Nothing is there to remove; git only forgets its record of the worktree.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(worktree)) return null;
    return `its path cannot be resolved (${(error as Error).message})`;
  }
  return dirname(real) === root ? null : `it resolves to ${real}, outside ${root}`;
}
