import { git } from './git.js';
import { mergeTrees, treeOf } from './merge-tree.js';
import { isAncestor } from './refs.js';

/**
 * How a branch's work is in `into`: 'reachable' when every commit is an ancestor (merged or fast-forwarded);
 * 'content' when its commits are not, but merging it would change nothing (it was squashed, rebased or
 * cherry-picked in); null when merging it would still bring changes. The content check errs towards "not landed":
 * `into` having changed the same lines again afterwards makes the merge differ, so such a branch is kept.
 */
export async function landedIn(
  repoRoot: string,
  branchCommit: string,
  intoCommit: string,
): Promise<'reachable' | 'content' | null> {
  if (await isAncestor(repoRoot, branchCommit, intoCommit)) return 'reachable';
  const merged = await mergeTrees(repoRoot, intoCommit, branchCommit);
  if (merged.clean && merged.tree === (await treeOf(repoRoot, intoCommit))) return 'content';
  return null;
}

export interface CommitSummary {
  sha: string;
  subject: string;
  /** Author time, ISO 8601 UTC. */
  time: string;
}

export interface CommitList {
  /** Newest first, at most the limit asked for. */
  items: CommitSummary[];
  total: number;
}

/** Commits reachable from `to` but not from `from` (`from..to`), newest first, capped at `limit`. */
export async function commitsBetween(repoRoot: string, from: string, to: string, limit: number): Promise<CommitList> {
  const range = `${from}..${to}`;
  const total = Number(await git(repoRoot, ['rev-list', '--count', range]));
  const log = await git(repoRoot, ['log', '-z', `--max-count=${limit}`, '--format=%H%x1f%s%x1f%at', range]);
  const items = log === '' ? [] : log.split('\0').filter(Boolean).map(parseCommit);
  return { items, total };
}

function parseCommit(record: string): CommitSummary {
  const [sha = '', subject = '', seconds = '0'] = record.split('\x1f');
  return { sha, subject, time: new Date(Number(seconds) * 1000).toISOString() };
}
