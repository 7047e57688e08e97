import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git, Sandbox } from '../helpers.js';

export { git, Sandbox };

export function writeFile(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Writes the files and commits them; returns the new commit. */
export function commit(dir: string, files: Record<string, string>, message = 'change'): string {
  for (const [path, content] of Object.entries(files)) writeFile(dir, path, content);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']);
}

/** A worktree on a new branch `fleet/<name>` from `from`, where an agent would work. */
export function agentWorktree(sandbox: Sandbox, repo: string, name: string, from = 'main'): string {
  const path = join(sandbox.dir('fleet-wt-'), name);
  git(repo, ['worktree', 'add', '-q', '-b', `fleet/${name}`, path, from]);
  return path;
}

export function sha(dir: string, revision: string): string {
  return git(dir, ['rev-parse', revision]);
}

/** Every ref with its commit, plus the main checkout's status and HEAD: what "changed nothing" compares. */
export function snapshot(repo: string, ...worktrees: string[]): string {
  const refs = git(repo, ['for-each-ref', '--format=%(refname) %(objectname)']);
  const states = [repo, ...worktrees].map(
    (dir) =>
      `${dir}\n${git(dir, ['status', '--porcelain=v1', '--untracked-files=all'])}\n${git(dir, ['diff', 'HEAD'])}`,
  );
  return [refs, ...states].join('\n---\n');
}
