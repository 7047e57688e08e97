import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, logTexts, Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

function branches(repo: string): string[] {
  return git(repo, ['branch', '--format=%(refname:short)']).split('\n').sort();
}

describe('worktrees', () => {
  it('gives two agents on one repository repositories of their own, on their own branches', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    const a = await fleet.createAgent({ name: 'alpha', project: 'repo', task: task({ printCwd: true }) });
    const b = await fleet.createAgent({ name: 'beta', project: 'repo', task: task({ printCwd: true }) });
    await Promise.all([fleet.waitForAgent('alpha', 20_000), fleet.waitForAgent('beta', 20_000)]);

    expect(a.branch).toBe('fleet/alpha');
    expect(b.branch).toBe('fleet/beta');
    expect(a.workdir).not.toBe(b.workdir);
    expect(branches(repo)).toEqual(['fleet/alpha', 'fleet/beta', 'main']);
    expect(git(repo, ['worktree', 'list'])).not.toContain(realpathSync(a.workdir));
    expect(git(a.workdir, ['rev-parse', '--absolute-git-dir'])).toBe(join(realpathSync(a.workdir), '.git'));
    expect(git(a.workdir, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/fleet/alpha');
    expect(await logTexts(fleet, 'alpha')).toContain(`CWD ${realpathSync(a.workdir)}`);
    expect(existsSync(join(a.workdir, 'README.md'))).toBe(true);
  });

  it('a forced delete removes the worktree, keeps the unmerged branch, and a new agent of that name continues on it', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    const created = await fleet.createAgent({ name: 'gone', project: 'repo', task: task({}) });
    await fleet.waitForAgent('gone', 20_000);
    writeFileSync(join(created.workdir, 'work.txt'), 'work\n');
    git(created.workdir, ['add', 'work.txt']);
    git(created.workdir, ['commit', '-q', '-m', 'agent work']);

    await expect(fleet.deleteAgent('GONE')).rejects.toThrow(
      /1 commit\(s\) on fleet\/gone not in its base: [0-9a-f]{12} agent work/,
    );
    const deleted = await fleet.deleteAgent('GONE', { force: true });
    expect(deleted.status).toBe('deleted');
    expect(deleted.status_reason).toMatch(
      /removed; branch fleet\/gone kept \(1 commit\(s\) not merged into refs\/heads\/main\)/,
    );
    expect(existsSync(created.workdir)).toBe(false);
    expect(branches(repo)).toContain('fleet/gone');
    expect(git(repo, ['worktree', 'list'])).not.toContain(created.workdir);
    expect(fleet.listAgents()).toEqual([]);
    expect(() => fleet.showAgent('gone')).toThrow(/No agent named "gone"/);

    const again = await fleet.createAgent({ name: 'gone', project: 'repo', task: task({}) });
    expect(git(again.workdir, ['log', '-1', '--format=%s'])).toBe('agent work');
  });

  it('refuses to delete when git cannot tell what would be lost (the repository is gone), and force deletes anyway', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    await fleet.createAgent({ name: 'orphan', project: 'repo', task: task({}) });
    await fleet.waitForAgent('orphan', 20_000);
    rmSync(join(repo, '.git'), { recursive: true, force: true });

    await expect(fleet.deleteAgent('orphan')).rejects.toThrow(
      /^Cannot tell whether deleting agent "orphan" would lose work: .*force: true\.$/s,
    );
    expect(fleet.showAgent('orphan').status).toBe('idle');
    const deleted = await fleet.deleteAgent('orphan', { force: true });
    expect(deleted).toMatchObject({
      status: 'deleted',
      branch_outcome: { deleted: false, reason: expect.stringMatching(/^git could not check it/) },
    });
    expect(fleet.listAgents()).toEqual([]);
  });

  it('deletes an agent while its task runs', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    const created = await fleet.createAgent({ name: 'running', project: 'repo', task: task({ sleepMs: 60_000 }) });
    await fleet.deleteAgent('running');
    expect(existsSync(created.workdir)).toBe(false);
    expect(fleet.listAgents()).toEqual([]);
  });

  it('runs agents of a plain directory in that directory, and deleting leaves it alone', async () => {
    const fleet = await sandbox.fleet();
    const project = fleet.listProjects()[0]!;
    const agent = await fleet.createAgent({ name: 'plainly', project: 'plain', task: task({ printCwd: true }) });
    expect(agent.branch).toBeNull();
    expect(agent.workdir).toBe(project.path);
    await fleet.waitForAgent('plainly', 20_000);
    expect(await logTexts(fleet, 'plainly')).toContain(`CWD ${realpathSync(project.path)}`);
    await fleet.deleteAgent('plainly');
    expect(existsSync(project.path)).toBe(true);
  });

  it('works in the same subdirectory of its worktree when the project is a folder inside a repository', async () => {
    const repo = sandbox.gitRepo();
    mkdirSync(join(repo, 'packages', 'app'), { recursive: true });
    const fleet = await sandbox.fleet({
      projects: [{ name: 'app', path: join(repo, 'packages', 'app'), description: '' }],
    });
    const agent = await fleet.createAgent({ name: 'sub', project: 'app', task: task({}) });
    expect(agent.workdir.endsWith(join('sub', 'packages', 'app'))).toBe(true);
  });

  it('marks the agent failed with the reason when its repository cannot be made; restart makes it and runs the kept task', async () => {
    const repo = sandbox.dir('fleet-empty-repo-');
    git(repo, ['init', '-q', '-b', 'main']);
    const fleet = await sandbox.fleet({ projects: [{ name: 'empty', path: repo, description: '' }] });
    const first = task({ lines: ['the first task ran'] });
    await expect(fleet.createAgent({ name: 'early', project: 'empty', task: first })).rejects.toThrow(
      /repository could not be made: the repository at .* has no commit yet.*task was not started.*restart_agent runs it/s,
    );
    expect(fleet.showAgent('early')).toMatchObject({
      status: 'failed',
      status_reason: expect.stringContaining('has no commit yet'),
      last_task: {
        status: 'failed',
        started_at: null,
        description: first,
        reason: expect.stringMatching(/^not started: /),
      },
    });

    git(repo, ['commit', '-q', '--allow-empty', '-m', 'first']);
    const restarted = await fleet.restartAgent('early');
    expect(restarted).toMatchObject({ status: 'busy', status_reason: null, branch: 'fleet/early', task_count: 2 });
    expect(existsSync(restarted.workdir)).toBe(true);
    const { agent } = await fleet.waitForAgent('early', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed', description: first });
    expect(await logTexts(fleet, 'early')).toContain('the first task ran');
  });

  it("copies the user's identity into an agent's repository as it is, a value that would start a config section too", async () => {
    const repo = sandbox.gitRepo();
    const name = 'Ann "Q" \\ Lee\n[core]\n\thooksPath = /var/tmp/not-a-hook';
    git(repo, ['config', 'user.name', name]);
    git(repo, ['config', 'user.email', 'ann@example.invalid']);
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    const agent = await fleet.createAgent({ name: 'copied', project: 'repo', task: task({}) });
    await fleet.waitForAgent('copied', 20_000);
    const local = (key: string) => git(agent.workdir, ['config', '--local', '-z', '--get-all', key]).split('\0');
    expect(local('user.name').filter(Boolean)).toEqual([name]);
    expect(local('user.email').filter(Boolean)).toEqual(['ann@example.invalid']);
    expect(() => git(agent.workdir, ['config', '--local', 'core.hooksPath'])).toThrow();
  });

  it('refuses a fleet/<name> branch that is a symbolic ref, and leaves the branch it points to alone', async () => {
    const repo = sandbox.gitRepo();
    const main = git(repo, ['rev-parse', 'main']);
    git(repo, ['symbolic-ref', 'refs/heads/fleet/linked', 'refs/heads/main']);
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }] });
    await expect(fleet.createAgent({ name: 'linked', project: 'repo', task: task({}) })).rejects.toThrow(
      'refs/heads/fleet/linked in',
    );
    expect(fleet.showAgent('linked').status_reason).toContain('is a symbolic ref to refs/heads/main');
    expect(git(repo, ['rev-parse', 'main'])).toBe(main);
    expect(git(repo, ['symbolic-ref', 'refs/heads/fleet/linked'])).toBe('refs/heads/main');
  });
});
