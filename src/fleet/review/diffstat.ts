import { git, splitNul, type GitPlace } from './git.js';

export interface FileStat {
  path: string;
  /** The path before a rename. */
  from?: string;
  /** Null for a binary file, whose lines git does not count. */
  insertions: number | null;
  deletions: number | null;
}

export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
  /** At most the limit asked for; `perFileLeftOut` says how many more there are. */
  perFile: FileStat[];
  perFileLeftOut: number;
}

/** `git diff --numstat` of `args` (revisions, options and pathspec), totalled, with the per-file list capped. */
export async function diffStat(cwd: string, args: string[], limit: number, place?: GitPlace): Promise<DiffStat> {
  const output = await git(cwd, ['diff', '--numstat', '-z', '--no-ext-diff', '--no-textconv', ...args], { place });
  const files = parseNumstat(splitNul(output));
  const sum = (key: 'insertions' | 'deletions') => files.reduce((total, file) => total + (file[key] ?? 0), 0);
  return {
    files: files.length,
    insertions: sum('insertions'),
    deletions: sum('deletions'),
    perFile: files.slice(0, limit),
    perFileLeftOut: Math.max(0, files.length - limit),
  };
}

/** Records are `<added>\t<deleted>\t<path>`, or for a rename `<added>\t<deleted>\t` followed by two fields: from, to. */
function parseNumstat(fields: string[]): FileStat[] {
  const files: FileStat[] = [];
  for (let at = 0; at < fields.length; at += 1) {
    const [added = '-', deleted = '-', path = ''] = (fields[at] ?? '').split('\t');
    const counts = {
      insertions: added === '-' ? null : Number(added),
      deletions: deleted === '-' ? null : Number(deleted),
    };
    if (path !== '') files.push({ path, ...counts });
    else {
      files.push({ path: fields[at + 2] ?? '', from: fields[at + 1] ?? '', ...counts });
      at += 2;
    }
  }
  return files;
}
