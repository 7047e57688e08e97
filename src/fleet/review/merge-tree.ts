import { FleetError } from '../errors.js';
import { git, runGit, splitNul } from './git.js';

export type TreeMerge = { clean: true; tree: string } | { clean: false; files: string[]; messages: string[] };

/**
 * Merges two commits into a tree object only (`git merge-tree --write-tree`, git >= 2.38): no index, no checkout and
 * no ref is touched, so it is safe to ask before deciding anything. Conflicts come back as the files and git's
 * explanations.
 */
export async function mergeTrees(repoRoot: string, ours: string, theirs: string): Promise<TreeMerge> {
  const args = ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', ours, theirs];
  const { stdout, code } = await runGit(repoRoot, args, { okCodes: [1] }).catch(async (error: unknown) => {
    throw (await tooOldGit(repoRoot)) ?? error;
  });
  const fields = splitNul(stdout);
  const tree = fields[0] ?? '';
  if (code === 0) return { clean: true, tree };
  const end = fields.indexOf('', 1);
  const files = fields.slice(1, end);
  return { clean: false, files, messages: conflictMessages(fields.slice(end + 1)) };
}

/** Reads `-z` messages (`<count>\0<path>...\0<type>\0<text>\0` repeated), keeping the conflicts, not "Auto-merging". */
function conflictMessages(fields: string[]): string[] {
  const messages: string[] = [];
  let at = 0;
  while (at < fields.length) {
    const count = Number(fields[at]);
    if (!Number.isInteger(count)) break;
    at += count + 1;
    const [type = '', text = ''] = fields.slice(at, at + 2);
    if (type.startsWith('CONFLICT')) messages.push(text.trim());
    at += 2;
  }
  return messages;
}

export async function treeOf(repoRoot: string, commit: string): Promise<string> {
  return git(repoRoot, ['rev-parse', `${commit}^{tree}`]);
}

/** Older git answers `--write-tree` with a usage text; say what is needed instead. Checked only after a failure. */
async function tooOldGit(repoRoot: string): Promise<FleetError | null> {
  const version = await git(repoRoot, ['version']);
  const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  if (major > 2 || (major === 2 && minor >= 38)) return null;
  return new FleetError(
    'failed',
    `merging needs git 2.38 or newer (for merge-tree --write-tree); this host has ${version}`,
  );
}
