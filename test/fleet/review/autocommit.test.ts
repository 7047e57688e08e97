import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitLeftovers } from '../../../src/fleet/review/autocommit.js';
import { agentWorktree, git, Sandbox, writeFile } from './repo.js';

const sandbox = new Sandbox();
const saved = { global: process.env.GIT_CONFIG_GLOBAL, nosystem: process.env.GIT_CONFIG_NOSYSTEM };

beforeEach(() => {
  // No identity from the machine's own git config: each test decides whether the repository has one.
  const empty = join(sandbox.dir('fleet-gitconfig-'), 'gitconfig');
  writeFileSync(empty, '');
  process.env.GIT_CONFIG_GLOBAL = empty;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
});
afterEach(async () => {
  for (const [name, value] of [
    ['GIT_CONFIG_GLOBAL', saved.global],
    ['GIT_CONFIG_NOSYSTEM', saved.nosystem],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await sandbox.cleanup();
});

/** A pre-commit hook that refuses every commit, as a strict lint hook would refuse an agent's half-done work. */
function hookThatFails(repo: string): void {
  writeFileSync(join(repo, '.git/hooks/pre-commit'), '#!/bin/sh\necho refused by hook >&2\nexit 1\n', { mode: 0o755 });
}

describe('commitLeftovers', () => {
  it('commits modified and untracked files but not ignored ones, as fleet-mcp when the repository has no identity', async () => {
    const repo = sandbox.gitRepo();
    const worktree = agentWorktree(sandbox, repo, 'alpha');
    hookThatFails(repo);
    writeFile(worktree, 'README.md', '# edited\n');
    writeFile(worktree, 'src/new.ts', 'export {};\n');
    writeFile(worktree, '.gitignore', 'build/\n');
    writeFile(worktree, 'build/out.js', 'x\n');

    const made = await commitLeftovers({
      agentName: 'alpha',
      repo: worktree,
      branch: 'fleet/alpha',
      message: 'fleet: leftovers of task 3',
    });

    expect(made).toBe(true);
    expect(git(worktree, ['log', '-1', '--format=%s'])).toBe('fleet: leftovers of task 3');
    expect(git(worktree, ['diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD']).split('\n').sort()).toEqual([
      '.gitignore',
      'README.md',
      'src/new.ts',
    ]);
    expect(git(worktree, ['log', '-1', '--format=%an <%ae>|%cn <%ce>'])).toBe(
      'fleet-mcp <fleet-mcp@localhost>|fleet-mcp <fleet-mcp@localhost>',
    );
    expect(git(worktree, ['status', '--porcelain'])).toBe('');
  });

  it("keeps the repository's own identity when it has one", async () => {
    const repo = sandbox.gitRepo();
    const worktree = agentWorktree(sandbox, repo, 'beta');
    git(repo, ['config', 'user.name', 'Ada Lovelace']);
    git(repo, ['config', 'user.email', 'ada@example.invalid']);
    writeFile(worktree, 'notes.txt', 'n\n');

    await commitLeftovers({ agentName: 'beta', repo: worktree, branch: 'fleet/beta', message: 'leftovers' });

    expect(git(worktree, ['log', '-1', '--format=%an <%ae>'])).toBe('Ada Lovelace <ada@example.invalid>');
  });

  it('makes no commit when nothing is uncommitted', async () => {
    const repo = sandbox.gitRepo();
    const worktree = agentWorktree(sandbox, repo, 'gamma');
    writeFile(worktree, '.git-ignored-by-exclude', '');
    writeFile(repo, '.git/info/exclude', '.git-ignored-by-exclude\n');
    const before = git(worktree, ['rev-parse', 'HEAD']);
    expect(
      await commitLeftovers({ agentName: 'gamma', repo: worktree, branch: 'fleet/gamma', message: 'nothing' }),
    ).toBe(false);
    expect(git(worktree, ['rev-parse', 'HEAD'])).toBe(before);
  });

  it('commits nothing, and says so, where the agent pointed its HEAD away from its branch', async () => {
    const repo = sandbox.gitRepo();
    const worktree = agentWorktree(sandbox, repo, 'delta');
    git(worktree, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
    writeFile(worktree, 'stray.txt', 'x\n');
    const main = git(repo, ['rev-parse', 'main']);
    await expect(
      commitLeftovers({ agentName: 'delta', repo: worktree, branch: 'fleet/delta', message: 'm' }),
    ).rejects.toThrow(
      'agent "delta" pointed its HEAD at refs/heads/main instead of refs/heads/fleet/delta; nothing was committed',
    );
    expect(git(repo, ['rev-parse', 'main'])).toBe(main);
  });
});
