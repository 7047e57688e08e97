import { existsSync } from 'node:fs';
import { FleetError } from '../errors.js';
import { currentBaseTip } from './base.js';
import { DiffWindow, type DiffPage } from './diff-window.js';
import { diffStat, type DiffStat } from './diffstat.js';
import { git, streamGit, type GitPlace } from './git.js';
import { commitsBetween, type CommitList } from './landed.js';
import { branchRef, commitOf } from './refs.js';
import { everythingAdded } from './scratch-index.js';
import { uncommittedFiles, type ChangedFile } from './status.js';

export interface AgentChangesOptions {
  repoRoot: string;
  /**
   * The agent's checkout; when it no longer exists only committed work is shown. Null for an agent on an engine:
   * its task commits everything before it pushes, so its branch is all there is.
   */
  worktree: string | null;
  /** Where git runs on the agent's repository: the agent's sandbox when it runs in one. */
  place?: GitPlace;
  branch: string;
  /** The base the agent was created from: its ref (which may have moved on since) and the commit it had then. */
  base: { ref: string; commit: string };
  /** Git pathspecs relative to the repository root (`src`, `*.md`); they only ever follow `--`. */
  pathFilter?: string[];
  /** Byte offset into the whole diff: 0, or `diff.nextOffset` of the previous page. */
  diffOffset?: number;
  diffLimitBytes?: number;
  /** Cap of every list (commits, files). */
  listLimit?: number;
}

export const DEFAULT_DIFF_LIMIT_BYTES = 64 * 1024;
const MIN_DIFF_LIMIT_BYTES = 256;
const DEFAULT_LIST_LIMIT = 100;

export interface CappedFiles<T> {
  items: T[];
  total: number;
}

export interface DiffPart {
  /** committed: the branch's commits since it left the base; uncommitted: the worktree (untracked files too) vs HEAD. */
  source: 'committed' | 'uncommitted';
  from: string;
  to: string;
  /** The part of this page's text that belongs to this source ('' when the page holds none of it). */
  text: string;
}

export interface AgentChanges {
  kind: 'git';
  base: {
    ref: string;
    /** The commit the agent started from. */
    commit: string;
    /** The commit the base ref names now; equal to `commit` unless the base branch moved on. */
    tip: string;
    /** The base ref no longer exists; ahead/behind are then measured from `commit`. */
    refGone: boolean;
  };
  branch: { name: string; commit: string };
  /** Where the branch left the base's current tip: the committed diff starts here, as a pull request's would. */
  mergeBase: string;
  ahead: CommitList;
  behind: CommitList;
  diffstat: { committed: DiffStat; uncommitted: DiffStat | null };
  /** Null when the worktree is gone (then `uncommittedNote` says so). */
  uncommitted: {
    staged: CappedFiles<ChangedFile>;
    unstaged: CappedFiles<ChangedFile>;
    untracked: CappedFiles<string>;
  } | null;
  uncommittedNote: string | null;
  diff: DiffPage & { parts: DiffPart[] };
  pathFilter: string[];
}

/** What an agent changed on its branch and in its worktree, with one page of the unified diff. */
export async function agentChanges(options: AgentChangesOptions): Promise<AgentChanges> {
  const limit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  const paths = options.pathFilter ?? [];
  const tip = await currentBaseTip(options.repoRoot, options.base);
  const branchCommit = await commitOf(options.repoRoot, branchRef(options.branch));
  if (branchCommit === null)
    throw new FleetError('not_found', `branch ${options.branch} no longer exists in ${options.repoRoot}`);
  const mergeBase = await git(options.repoRoot, ['merge-base', tip.commit, branchCommit]);
  const hasWorktree = options.worktree !== null && existsSync(options.worktree);
  const pageBytes = Math.max(MIN_DIFF_LIMIT_BYTES, options.diffLimitBytes ?? DEFAULT_DIFF_LIMIT_BYTES);
  const window = new DiffWindow(Math.max(0, options.diffOffset ?? 0), pageBytes);

  const committedArgs = [mergeBase, branchCommit, '--', ...paths];
  const committed = await diffStat(options.repoRoot, committedArgs, limit);
  const committedText = await diffText(options.repoRoot, committedArgs, window);
  const parts: DiffPart[] = [{ source: 'committed', from: mergeBase, to: branchCommit, text: committedText }];
  const worktreeSide = hasWorktree
    ? await uncommittedSide({ ...options, worktree: options.worktree! }, paths, limit, window)
    : null;
  if (worktreeSide !== null) parts.push(worktreeSide.part);

  return {
    kind: 'git',
    base: { ref: options.base.ref, commit: options.base.commit, tip: tip.commit, refGone: tip.refGone },
    branch: { name: options.branch, commit: branchCommit },
    mergeBase,
    ahead: await commitsBetween(options.repoRoot, tip.commit, branchCommit, limit),
    behind: await commitsBetween(options.repoRoot, branchCommit, tip.commit, limit),
    diffstat: { committed, uncommitted: worktreeSide?.stat ?? null },
    uncommitted: worktreeSide?.files ?? null,
    uncommittedNote:
      hasWorktree || options.worktree === null
        ? null
        : `the worktree ${options.worktree} no longer exists, so only committed work is shown`,
    diff: { ...window.page, parts },
    pathFilter: paths,
  };
}

async function uncommittedSide(
  options: AgentChangesOptions & { worktree: string },
  paths: string[],
  limit: number,
  window: DiffWindow,
) {
  const { worktree } = options;
  const status = await uncommittedFiles(worktree, { pathspec: paths, place: options.place });
  const cap = <T>(items: T[]): CappedFiles<T> => ({ items: items.slice(0, limit), total: items.length });
  const files = { staged: cap(status.staged), unstaged: cap(status.unstaged), untracked: cap(status.untracked) };
  const place = everythingAdded(options.place);
  const args = ['--cached', 'HEAD', '--', ...paths];
  const stat = await diffStat(worktree, args, limit, place);
  const text = await diffText(worktree, args, window, place);
  const part: DiffPart = { source: 'uncommitted', from: 'HEAD', to: `working tree of ${worktree}`, text };
  return { files, stat, part };
}

async function diffText(cwd: string, args: string[], window: DiffWindow, place?: GitPlace): Promise<string> {
  const diffArgs = ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', ...args];
  await streamGit(cwd, diffArgs, (chunk) => window.push(chunk), { place });
  return window.endSection();
}

/** What can be shown for an agent whose project is not in a git repository: it works in the directory itself. */
export interface NotGitChanges {
  kind: 'not_git';
  directory: string;
  message: string;
}

export function notGitChanges(directory: string): NotGitChanges {
  return {
    kind: 'not_git',
    directory,
    message:
      `${directory} is not in a git repository, so there is no base, branch, commit list or diff to show: ` +
      'the agent edits the directory in place. Look at the files there, or make the project a git repository ' +
      '(git init and a first commit) so later agents get their own worktree and their changes can be shown and merged.',
  };
}
