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
