import { existsSync } from 'node:fs';
import { currentBaseTip } from './base.js';
import { deleteIfLanded, type BranchVerdict } from './branch-delete.js';
import { commitsBetween, landedIn, type CommitList } from './landed.js';
import { branchRef, checkedOutBranches, commitOf } from './refs.js';
import type { GitPlace } from './git.js';
import { uncommittedFiles, uncommittedPaths } from './status.js';

export interface UnlandedWorkOptions {
  repoRoot: string;
  /** The agent's checkout; null for an agent on an engine, whose task commits everything before it pushes. */
  worktree: string | null;
  branch: string;
  base: { ref: string; commit: string };
  listLimit?: number;
  /** Where git runs on the agent's repository: the agent's sandbox when it runs in one. */
  place?: GitPlace;
}

export interface UnlandedWork {
  /** True when deleting the agent loses nothing: no uncommitted file, and every commit's work is in the base. */
  safeToDelete: boolean;
  uncommitted: { items: string[]; total: number };
  /** Commits on the branch that the base's current tip does not reach. */
  commits: CommitList;
  /** Those commits are not reachable, yet their changes are all in the base (it was squashed or rebased in). */
  landedByContent: boolean;
  /** One line for delete_agent's reply: what would be lost, or that nothing would. */
  summary: string;
}

/**
 * What deleting an agent would lose. The yardstick is the base branch's current tip (not any other branch: work
 * merged only into some unrelated branch still counts as unlanded for this agent), or the base's recorded commit
 * when its ref is gone.
 */
export async function unlandedWork(options: UnlandedWorkOptions): Promise<UnlandedWork> {
  const limit = options.listLimit ?? 20;
  const tip = await currentBaseTip(options.repoRoot, options.base);
  const paths =
    options.worktree !== null && existsSync(options.worktree)
      ? uncommittedPaths(await uncommittedFiles(options.worktree, { place: options.place }))
      : [];
  const uncommitted = { items: paths.slice(0, limit), total: paths.length };
  const branchCommit = await commitOf(options.repoRoot, branchRef(options.branch));
  const commits =
    branchCommit === null
      ? { items: [], total: 0 }
      : await commitsBetween(options.repoRoot, tip.commit, branchCommit, limit);
  const landedByContent =
    branchCommit !== null &&
    commits.total > 0 &&
    (await landedIn(options.repoRoot, branchCommit, tip.commit)) === 'content';
  const safeToDelete = uncommitted.total === 0 && (commits.total === 0 || landedByContent);
  const summary = summarize(options, uncommitted.total, commits.total, safeToDelete);
  return { safeToDelete, uncommitted, commits, landedByContent, summary };
}

function summarize(options: UnlandedWorkOptions, uncommitted: number, commits: number, safe: boolean): string {
  if (safe)
    return `nothing would be lost: no uncommitted changes, and the work of ${options.branch} is in ${options.base.ref}`;
  const parts = [];
  if (uncommitted > 0) parts.push(`${uncommitted} uncommitted file(s) in ${options.worktree}`);
  if (commits > 0) parts.push(`${commits} commit(s) on ${options.branch} not in ${options.base.ref}`);
  return `would lose ${parts.join(' and ')}`;
}

/**
 * Deletes the agent's branch when its work is in `into` (a branch, tag or commit; usually the agent's base), else
 * keeps it and says why. Call it after the agent's worktree is removed: a branch checked out anywhere is kept.
 */
export async function deleteBranchIfMerged(options: {
  repoRoot: string;
  branch: string;
  into: string;
}): Promise<BranchVerdict> {
  const intoCommit = await commitOf(options.repoRoot, options.into);
  if (intoCommit === null) {
    return { branch: options.branch, deleted: false, reason: `${options.into} does not exist, so the branch is kept` };
  }
  return deleteIfLanded({
    repoRoot: options.repoRoot,
    branch: options.branch,
    into: { commit: intoCommit, name: options.into },
    checkedOut: await checkedOutBranches(options.repoRoot),
  });
}
