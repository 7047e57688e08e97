import { FleetError } from '../errors.js';
import { moveRef, trackedChanges } from './checkout-follow.js';
import { fallbackIdentityArgs, git, splitNul } from './git.js';
import { mergeTrees, treeOf } from './merge-tree.js';
import { assertPlainRef, branchRef, commitOf, isAncestor, worktreeOfBranch } from './refs.js';
import { replayCommits } from './replay.js';

export type MergeStrategy = 'merge' | 'squash' | 'rebase';

export interface MergeOptions {
  repoRoot: string;
  /** The agent's branch, e.g. `fleet/alpha`. */
  branch: string;
  /** The local branch to land the work on, e.g. `main`. */
  target: string;
  strategy: MergeStrategy;
  /** Message of the merge or squash commit; a rebase keeps each commit's own message. */
  message: string;
}

interface Common {
  strategy: MergeStrategy;
  target: string;
  branch: string;
}

export type MergeResult =
  | (Common & {
      outcome: 'merged';
      oldSha: string;
      newSha: string;
      /** The target simply moved to the branch's tip (it had not moved since the branch left it). */
      fastForward: boolean;
      /** Commits created on the target: the merge or squash commit, or the replayed commits; empty for a fast-forward. */
      created: string[];
      /** Files that differ between the old and the new target. */
      files: string[];
      /** The worktree whose checkout of the target was updated to the new commit, or null when none has it checked out. */
      checkoutUpdated: string | null;
    })
  | (Common & { outcome: 'up_to_date'; sha: string; reason: string })
  | (Common & { outcome: 'conflict'; files: string[]; messages: string[]; atCommit: string | null })
  | (Common & { outcome: 'refused'; reason: string; files: string[] });

type Landing =
  | { outcome: 'commit'; newSha: string; created: string[]; fastForward: boolean }
  | Exclude<MergeResult, { outcome: 'merged' }>;

/**
 * Lands an agent's branch on a target branch. Every outcome other than 'merged' changed nothing at all.
 *
 * The result is computed with plumbing (`merge-tree --write-tree`, `commit-tree`), so no checkout is touched until
 * the result is known to be clean; only then is the target moved (compare-and-swap) and a checkout of it updated.
 * A target checked out with uncommitted changes to tracked files is refused up front.
 *
 * 'merge' makes a merge commit, except when the target has not moved since the branch left it: then it
 * fast-forwards, as `git merge` does, since a merge commit would record nothing. 'squash' makes one commit with
 * the branch's changes. 'rebase' replays the branch's commits onto the target and fast-forwards it; the agent's
 * branch itself is left as it was.
 */
export async function mergeAgentBranch(options: MergeOptions): Promise<MergeResult> {
  const common: Common = { strategy: options.strategy, target: options.target, branch: options.branch };
  const targetRef = branchRef(options.target);
  await assertPlainRef(options.repoRoot, targetRef);
  await assertPlainRef(options.repoRoot, branchRef(options.branch));
  const oldSha = await existing(options.repoRoot, targetRef, `target branch "${options.target}"`);
  const branchSha = await existing(options.repoRoot, branchRef(options.branch), `branch "${options.branch}"`);
  if (await isAncestor(options.repoRoot, branchSha, oldSha)) {
    return {
      ...common,
      outcome: 'up_to_date',
      sha: oldSha,
      reason: `every commit of ${options.branch} is already in ${options.target}`,
    };
  }
  const checkout = await worktreeOfBranch(options.repoRoot, targetRef);
  const dirty = checkout === null ? [] : await trackedChanges(checkout);
  if (dirty.length > 0) {
    const reason = `${options.target} is checked out in ${checkout} with uncommitted changes; commit or stash them there, then merge again`;
    return { ...common, outcome: 'refused', reason, files: dirty };
  }
  const landing = await land(options, common, oldSha, branchSha);
  if (landing.outcome !== 'commit') return landing;
  const reason = `fleet-mcp: ${options.strategy} ${options.branch}`;
  const failure = await moveRef({
    repoRoot: options.repoRoot,
    ref: targetRef,
    from: oldSha,
    to: landing.newSha,
    reason,
    checkout,
  });
  if (failure !== null) return { ...common, outcome: 'refused', reason: failure, files: [] };
  const files = splitNul(
    await git(options.repoRoot, ['diff', '--name-only', '-z', '--no-renames', oldSha, landing.newSha]),
  );
  const { newSha, fastForward, created } = landing;
  return { ...common, outcome: 'merged', oldSha, newSha, fastForward, created, files, checkoutUpdated: checkout };
}

async function existing(repoRoot: string, ref: string, what: string): Promise<string> {
  const sha = await commitOf(repoRoot, ref);
  if (sha === null) throw new FleetError('not_found', `${what} does not exist in ${repoRoot}`);
  return sha;
}

async function land(options: MergeOptions, common: Common, oldSha: string, branchSha: string): Promise<Landing> {
  const { repoRoot } = options;
  const fastForward: Landing = { outcome: 'commit', newSha: branchSha, created: [], fastForward: true };
  if (options.strategy !== 'squash' && (await isAncestor(repoRoot, oldSha, branchSha))) return fastForward;
  const merged = await mergeTrees(repoRoot, oldSha, branchSha);
  if (!merged.clean)
    return { ...common, outcome: 'conflict', files: merged.files, messages: merged.messages, atCommit: null };
  if (options.strategy === 'rebase') return rebase(repoRoot, common, oldSha, branchSha);
  if (options.strategy === 'squash' && merged.tree === (await treeOf(repoRoot, oldSha))) {
    return {
      ...common,
      outcome: 'up_to_date',
      sha: oldSha,
      reason: `the changes of ${options.branch} are already in ${options.target}`,
    };
  }
  const parents = options.strategy === 'merge' ? [oldSha, branchSha] : [oldSha];
  const identity = await fallbackIdentityArgs(repoRoot);
  const parentArgs = parents.flatMap((parent) => ['-p', parent]);
  const newSha = await git(repoRoot, [...identity, 'commit-tree', '-m', options.message, ...parentArgs, merged.tree]);
  return { outcome: 'commit', newSha, created: [newSha], fastForward: false };
}

async function rebase(repoRoot: string, common: Common, oldSha: string, branchSha: string): Promise<Landing> {
  // Like `git rebase`: merges are flattened away and commits whose patch the target already has are skipped.
  const list = await git(repoRoot, [
    'rev-list',
    '--reverse',
    '--no-merges',
    '--right-only',
    '--cherry-pick',
    `${oldSha}...${branchSha}`,
  ]);
  const replay = await replayCommits(repoRoot, oldSha, list.split('\n').filter(Boolean));
  if (!replay.clean) {
    return {
      ...common,
      outcome: 'conflict',
      files: replay.files,
      messages: replay.messages,
      atCommit: replay.atCommit,
    };
  }
  if (replay.tip === oldSha) {
    return {
      ...common,
      outcome: 'up_to_date',
      sha: oldSha,
      reason: `the changes of ${common.branch} are already in ${common.target}`,
    };
  }
  return { outcome: 'commit', newSha: replay.tip, created: replay.commits, fastForward: false };
}
