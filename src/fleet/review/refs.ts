import { FleetError } from '../errors.js';
import { git, runGit, splitNul } from './git.js';

/** The commit a ref or revision names now, or null when it names nothing (a deleted branch, a typo). */
export async function commitOf(repoRoot: string, revision: string): Promise<string | null> {
  const { stdout, code } = await runGit(
    repoRoot,
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`],
    {
      okCodes: [1],
    },
  );
  return code === 0 ? stdout.trim() : null;
}

export async function isAncestor(repoRoot: string, ancestor: string, descendant: string): Promise<boolean> {
  const { code } = await runGit(repoRoot, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1] });
  return code === 0;
}

/** `refs/heads/<name>` for a branch name given short or full. */
export function branchRef(branch: string): string {
  return branch.startsWith('refs/heads/') ? branch : `refs/heads/${branch}`;
}

export interface CheckedOutBranch {
  /** The worktree's directory (the main checkout included). */
  worktree: string;
  ref: string;
}

/** Every branch checked out in a worktree of the repository, with where. */
export async function checkedOutBranches(repoRoot: string): Promise<CheckedOutBranch[]> {
  const fields = splitNul(await git(repoRoot, ['worktree', 'list', '--porcelain', '-z']));
  const found: CheckedOutBranch[] = [];
  let worktree = '';
  for (const field of fields) {
    if (field.startsWith('worktree ')) worktree = field.slice('worktree '.length);
    else if (field.startsWith('branch ')) found.push({ worktree, ref: field.slice('branch '.length) });
  }
  return found;
}

/** Where `ref` is checked out, or null. */
export async function worktreeOfBranch(repoRoot: string, ref: string): Promise<string | null> {
  return (await checkedOutBranches(repoRoot)).find((entry) => entry.ref === ref)?.worktree ?? null;
}

/**
 * Refuses a ref that is a symbolic ref: moving or deleting one would move or delete the branch it points to (a
 * `fleet/x` made to point at `main`). fleet-mcp moves and deletes only plain branches.
 */
export async function assertPlainRef(repoRoot: string, ref: string): Promise<void> {
  const { stdout, code } = await runGit(repoRoot, ['symbolic-ref', '--quiet', ref], { okCodes: [1, 128] });
  if (code !== 0) return;
  throw new FleetError(
    'conflict',
    `${ref} in ${repoRoot} is a symbolic ref to ${stdout.trim()}; fleet-mcp moves and deletes only plain branches, so nothing was changed`,
  );
}

/**
 * The commit of branch `ref`, or null when there is none; refused as assertPlainRef refuses it when it is a symbolic
 * ref. One git run where assertPlainRef and commitOf take two.
 */
export async function plainBranchCommit(repoRoot: string, ref: string): Promise<string | null> {
  const format = '--format=%(refname)%00%(symref)%00%(objecttype)%00%(objectname)';
  const listed = await git(repoRoot, ['for-each-ref', format, ref]);
  // The pattern also matches refs below it (refs/heads/fleet/x/y): only the ref itself counts.
  const line = listed.split('\n').find((entry) => entry.startsWith(`${ref}\0`));
  if (line === undefined) return null;
  const [, target = '', type, object = ''] = line.split('\0');
  if (target !== '')
    throw new FleetError(
      'conflict',
      `${ref} in ${repoRoot} is a symbolic ref to ${target}; fleet-mcp moves and deletes only plain branches, so nothing was changed`,
    );
  // git writes only commits to a branch; one made by hand to point elsewhere names no commit, as for commitOf.
  return type === 'commit' ? object : null;
}
