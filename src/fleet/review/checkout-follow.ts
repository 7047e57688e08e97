import { git } from './git.js';
import { uncommittedFiles } from './status.js';

/**
 * Tracked files with changes in the checkout (staged or not). Untracked files do not block a merge: the checkout
 * update below refuses to overwrite any, and then nothing is changed.
 */
export async function trackedChanges(checkout: string): Promise<string[]> {
  const files = await uncommittedFiles(checkout, { untracked: false });
  return [...new Set([...files.staged, ...files.unstaged].map((file) => file.path))];
}

export interface MoveRefOptions {
  repoRoot: string;
  ref: string;
  from: string;
  to: string;
  reason: string;
  /** The worktree that has `ref` checked out, which must follow it; null when none has. */
  checkout: string | null;
}

/**
 * Moves `ref` from `from` to `to` as a compare-and-swap (fails if anyone moved it meanwhile), and brings a checkout
 * of it along with a two-tree `read-tree -m -u`, which updates index and files only where they differ between the
 * two commits and refuses, before writing anything, when that would overwrite a local change or an untracked file.
 * If the checkout cannot follow, the ref is swapped back: the checkout is never left on a moved branch.
 * Returns null when done, else git's reason.
 */
export async function moveRef(options: MoveRefOptions): Promise<string | null> {
  const { repoRoot, ref, from, to, checkout } = options;
  try {
    await git(repoRoot, ['update-ref', '--no-deref', '-m', options.reason, ref, to, from]);
  } catch (error) {
    return `${ref} moved while merging (${(error as Error).message}); nothing was changed, try again`;
  }
  if (checkout === null) return null;
  try {
    await git(checkout, ['update-index', '-q', '--refresh'], { okCodes: [1] });
    await git(checkout, ['read-tree', '-m', '-u', from, to]);
    return null;
  } catch (error) {
    await git(repoRoot, [
      'update-ref',
      '--no-deref',
      '-m',
      'fleet-mcp: undo, the checkout could not follow',
      ref,
      from,
      to,
    ]);
    return `the checkout ${checkout} could not follow (${(error as Error).message}); nothing was changed`;
  }
}
