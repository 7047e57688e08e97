import { FleetError } from '../errors.js';
import { deleteIfLanded, type BranchVerdict } from './branch-delete.js';
import { git } from './git.js';
import { branchRef, checkedOutBranches, commitOf } from './refs.js';

export interface CleanupOptions {
  repoRoot: string;
  /** Branches of agents that still exist (short `fleet/x` or full refs); never deleted. */
  liveAgentBranches: string[];
  /** Where the work must be for its branch to go, e.g. the repository's default branch. */
  into: string;
  /** Only branches under this prefix are considered. */
  prefix?: string;
}

export interface CleanupResult {
  deleted: Array<Extract<BranchVerdict, { deleted: true }>>;
  kept: Array<Extract<BranchVerdict, { deleted: false }>>;
}

/**
 * Deletes `fleet/*` branches left behind by agents that are gone, when all their work is in `into` (reachable, or
 * squashed/rebased in). Branches of live agents, branches checked out in any worktree, and unmerged branches are
 * kept, each with its reason.
 */
export async function cleanupFleetBranches(options: CleanupOptions): Promise<CleanupResult> {
  const intoCommit = await commitOf(options.repoRoot, options.into);
  if (intoCommit === null)
    throw new FleetError('not_found', `into: "${options.into}" is not a branch, tag or commit of ${options.repoRoot}`);
  const into = { commit: intoCommit, name: options.into };
  const prefix = `refs/heads/${options.prefix ?? 'fleet/'}`;
  const live = new Set(options.liveAgentBranches.map(branchRef));
  const checkedOut = await checkedOutBranches(options.repoRoot);
  const refs = (await git(options.repoRoot, ['for-each-ref', '--format=%(refname)', prefix]))
    .split('\n')
    .filter(Boolean);
  const result: CleanupResult = { deleted: [], kept: [] };
  for (const ref of refs) {
    const branch = ref.slice('refs/heads/'.length);
    const verdict: BranchVerdict = live.has(ref)
      ? { branch, deleted: false, reason: 'its agent still exists' }
      : await deleteIfLanded({ repoRoot: options.repoRoot, branch, into, checkedOut });
    if (verdict.deleted) result.deleted.push(verdict);
    else result.kept.push(verdict);
  }
  return result;
}
