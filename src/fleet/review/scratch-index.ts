import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { git } from './git.js';

/**
 * Runs `use` with GIT_INDEX_FILE pointing at a copy of the worktree's index into which everything uncommitted has
 * been added (`git add -A`, which respects .gitignore). Diffs against it then show untracked files too, while the
 * worktree's real index, and so what the agent has staged, stays exactly as it was.
 */
export async function withEverythingAdded<T>(worktree: string, use: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-index-'));
  try {
    const realIndex = await git(worktree, ['rev-parse', '--git-path', 'index']);
    const indexPath = isAbsolute(realIndex) ? realIndex : join(worktree, realIndex);
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    if (existsSync(indexPath)) copyFileSync(indexPath, env.GIT_INDEX_FILE);
    await git(worktree, ['add', '-A'], { env });
    return await use(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
