import { git } from './git.js';
import { landedIn } from './landed.js';
import { assertPlainRef, branchRef, commitOf, type CheckedOutBranch } from './refs.js';

export type BranchVerdict =
  | { branch: string; deleted: true; commit: string; landed: 'reachable' | 'content' }
  | { branch: string; deleted: false; reason: string };

export interface DeleteIfLandedOptions {
  repoRoot: string;
  branch: string;
  /** The commit the work must be in, and its name for the reason text. */
  into: { commit: string; name: string };
  checkedOut: CheckedOutBranch[];
}

/**
 * Deletes a branch only when its work is in `into` and no worktree has it checked out. The delete is a
 * compare-and-swap on the commit that was checked, so a branch that gained a commit meanwhile is kept.
 */
export async function deleteIfLanded(options: DeleteIfLandedOptions): Promise<BranchVerdict> {
  const { repoRoot, branch } = options;
  const ref = branchRef(branch);
  await assertPlainRef(repoRoot, ref);
  const commit = await commitOf(repoRoot, ref);
  if (commit === null) return { branch, deleted: false, reason: 'no such branch' };
  const holder = options.checkedOut.find((entry) => entry.ref === ref);
  if (holder !== undefined) return { branch, deleted: false, reason: `checked out in ${holder.worktree}` };
  const landed = await landedIn(repoRoot, commit, options.into.commit);
  if (landed === null) {
    const count = await git(repoRoot, ['rev-list', '--count', `${options.into.commit}..${commit}`]);
    return { branch, deleted: false, reason: `${count} commit(s) not merged into ${options.into.name}` };
  }
  await git(repoRoot, [
    'update-ref',
    '--no-deref',
    '-m',
    `fleet-mcp: work is in ${options.into.name}`,
    '-d',
    ref,
    commit,
  ]);
  return { branch, deleted: true, commit, landed };
}
