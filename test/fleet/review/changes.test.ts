import { afterEach, describe, expect, it } from 'vitest';
import { agentChanges, notGitChanges } from '../../../src/fleet/review/changes.js';
import { agentWorktree, commit, git, Sandbox, sha, writeFile } from './repo.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

function setup() {
  const repo = sandbox.gitRepo();
  const base = { ref: 'refs/heads/main', commit: sha(repo, 'main') };
  const worktree = agentWorktree(sandbox, repo, 'alpha');
  return { repo, base, worktree, options: { repoRoot: repo, worktree, branch: 'fleet/alpha', base } };
}

describe('agentChanges', () => {
  it('shows commits ahead and behind, the diffstat, and staged, unstaged and untracked files', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'src/a.ts': 'one\ntwo\n' }, 'add a');
    commit(worktree, { 'src/a.ts': 'one\n2\n', 'docs/b.md': 'b\n' }, 'edit a, add b');
    commit(repo, { 'main-only.txt': 'm\n' }, 'main moved on');
    writeFile(worktree, 'README.md', '# changed\n');
    writeFile(worktree, 'staged.txt', 's\n');
    git(worktree, ['add', 'staged.txt']);
    writeFile(worktree, 'new/untracked.txt', 'u\n');
    writeFile(worktree, '.gitignore', 'ignored.log\n');
    writeFile(worktree, 'ignored.log', 'noise\n');

    const changes = await agentChanges(options);

    expect(changes.ahead.total).toBe(2);
    expect(changes.ahead.items.map((c) => c.subject)).toEqual(['edit a, add b', 'add a']);
    expect(changes.ahead.items[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(changes.behind.items.map((c) => c.subject)).toEqual(['main moved on']);
    expect(changes.base.tip).toBe(sha(repo, 'main'));
    expect(changes.base.tip).not.toBe(changes.base.commit);
    expect(changes.diffstat.committed).toMatchObject({ files: 2, insertions: 3, deletions: 0 });
    expect(changes.diffstat.committed.perFile.map((f) => f.path).sort()).toEqual(['docs/b.md', 'src/a.ts']);
    expect(changes.uncommitted!.staged.items).toEqual([{ path: 'staged.txt', status: 'A' }]);
    expect(changes.uncommitted!.unstaged.items).toEqual([{ path: 'README.md', status: 'M' }]);
    expect(changes.uncommitted!.untracked.items.sort()).toEqual(['.gitignore', 'new/untracked.txt']);
    const [committed, uncommitted] = changes.diff.parts;
    expect(committed!.source).toBe('committed');
    expect(committed!.text).toContain('+++ b/docs/b.md');
    expect(committed!.text).not.toContain('main-only.txt');
    expect(uncommitted!.source).toBe('uncommitted');
    expect(uncommitted!.text).toContain('+++ b/new/untracked.txt');
    expect(uncommitted!.text).toContain('+# changed');
    expect(uncommitted!.text).not.toContain('b/ignored.log');
    expect(changes.diff.nextOffset).toBeNull();
    expect(changes.diff.totalFiles).toBe(6);
    // Reading the changes must not stage anything for the agent.
    expect(git(worktree, ['diff', '--cached', '--name-only'])).toBe('staged.txt');

    const capped = await agentChanges({ ...options, listLimit: 1 });
    expect(capped.ahead).toMatchObject({ total: 2, items: [{ subject: 'edit a, add b' }] });
    expect(capped.uncommitted!.untracked).toMatchObject({ total: 2, items: [expect.any(String)] });
    expect(capped.diffstat.committed).toMatchObject({ files: 2, perFileLeftOut: 1 });
    expect(capped.diffstat.committed.perFile).toHaveLength(1);
  });

  it('pages a huge diff by byte offset and says exactly what each page left out', { timeout: 120_000 }, async () => {
    const { worktree, options } = setup();
    const files: Record<string, string> = {};
    // 10 files of about 1.3 kB: four pages of 4 kB, each a call that runs its own git processes, so the cuts fall
    // inside files and lines at the start, middle and end of the diff without a page more than that proves.
    for (let i = 0; i < 10; i += 1) files[`f${String(i).padStart(2, '0')}.txt`] = `${'line\n'.repeat(200)}`;
    commit(worktree, files, 'many files');
    const whole = `${git(worktree, ['-c', 'core.quotePath=false', 'diff', '--no-color', 'main', 'fleet/alpha'])}\n`;

    const pages: string[] = [];
    let offset: number | null = 0;
    let first: Awaited<ReturnType<typeof agentChanges>>['diff'] | undefined;
    while (offset !== null) {
      const changes = await agentChanges({ ...options, diffOffset: offset, diffLimitBytes: 4096 });
      const page = changes.diff;
      first ??= page;
      expect(page.shownBytes).toBeLessThanOrEqual(4096);
      expect(page.leftOut.bytes).toBe(page.totalBytes - page.shownBytes);
      pages.push(page.parts.map((part) => part.text).join(''));
      offset = page.nextOffset;
    }
    expect(pages.join('')).toBe(whole);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(first!.totalBytes).toBe(Buffer.byteLength(whole));
    expect(first!.totalFiles).toBe(10);
    // The first page holds f00 whole and some of the rest; the files after it are counted.
    const shownHeaders = pages[0]!.match(/^diff --git /gm)!.length;
    expect(first!.leftOut.filesAfter).toBe(10 - shownHeaders);
    expect(first!.leftOut.bytesAfter).toBe(first!.totalBytes - first!.shownBytes);
    expect(pages[0]!.endsWith('\n')).toBe(true);
  });

  it('filters by pathspec, which is never taken as an option', async () => {
    const { worktree, options } = setup();
    commit(worktree, { 'src/a.ts': 'a\n', 'docs/b.md': 'b\n', '--output=x': 'dash\n' }, 'three');
    writeFile(worktree, 'src/new.ts', 'n\n');
    writeFile(worktree, 'other.txt', 'o\n');

    const src = await agentChanges({ ...options, pathFilter: ['src'] });
    expect(src.diffstat.committed.perFile.map((f) => f.path)).toEqual(['src/a.ts']);
    expect(src.uncommitted!.untracked.items).toEqual(['src/new.ts']);
    expect(src.diff.parts.map((p) => p.text).join('')).not.toMatch(/docs\/b\.md|other\.txt/);

    const dashed = await agentChanges({ ...options, pathFilter: ['--output=x'] });
    expect(dashed.diffstat.committed.perFile.map((f) => f.path)).toEqual(['--output=x']);
  });

  it('shows committed work only when the worktree is gone', async () => {
    const { repo, worktree, options } = setup();
    commit(worktree, { 'a.txt': 'a\n' }, 'a');
    git(repo, ['worktree', 'remove', '--force', worktree]);
    const changes = await agentChanges(options);
    expect(changes.ahead.total).toBe(1);
    expect(changes.uncommitted).toBeNull();
    expect(changes.uncommittedNote).toMatch(/no longer exists/);
  });

  it('says plainly what cannot be shown for a project that is not a git repository', () => {
    const result = notGitChanges('/srv/plain');
    expect(result.kind).toBe('not_git');
    expect(result.message).toMatch(/not in a git repository.*no base, branch, commit list or diff/);
  });
});
