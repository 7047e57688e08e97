import { git, splitNul, type GitPlace } from './git.js';

export interface ChangedFile {
  path: string;
  /** git's one-letter status: M modified, A added, D deleted, T type changed, U unmerged (renames show as D + A). */
  status: string;
}

export interface UncommittedFiles {
  staged: ChangedFile[];
  unstaged: ChangedFile[];
  /** Not ignored by .gitignore and not yet known to git. */
  untracked: string[];
}

/**
 * The worktree's uncommitted files, optionally only those matching `pathspec`. Ignored files are not counted;
 * `untracked: false` skips the search for untracked files, which is slow in a large unignored folder.
 */
export async function uncommittedFiles(
  worktree: string,
  options: { pathspec?: string[]; untracked?: boolean; place?: GitPlace } = {},
): Promise<UncommittedFiles> {
  const untracked = options.untracked === false ? 'no' : 'all';
  const args = [
    'status',
    '--porcelain=v1',
    '-z',
    `--untracked-files=${untracked}`,
    '--no-renames',
    '--',
    ...(options.pathspec ?? []),
  ];
  const fields = splitNul(await git(worktree, ['--no-optional-locks', ...args], { place: options.place }));
  const files: UncommittedFiles = { staged: [], unstaged: [], untracked: [] };
  for (const field of fields) {
    const [x = ' ', y = ' '] = field;
    const path = field.slice(3);
    if (x === '?') files.untracked.push(path);
    else {
      if (x !== ' ') files.staged.push({ path, status: x });
      if (y !== ' ') files.unstaged.push({ path, status: y });
    }
  }
  return files;
}

export function hasUncommitted(files: UncommittedFiles): boolean {
  return files.staged.length + files.unstaged.length + files.untracked.length > 0;
}

/** Every path with an uncommitted change, each once, for a message that lists them. */
export function uncommittedPaths(files: UncommittedFiles): string[] {
  return [...new Set([...files.staged.map((f) => f.path), ...files.unstaged.map((f) => f.path), ...files.untracked])];
}
