import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RolesConfig } from '../../src/fleet/roles.js';
import { taskEnd } from '../../src/fleet/tasks/task-outcome.js';
import { resolveRoles } from '../../src/fleet/roles.js';
import { eventually, git, logTexts, Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

// The task text is a shell snippet the test writes: the way to make an agent commit, edit and print for real.
const SHELL_ROLE: RolesConfig = { shell: { command: ['/bin/sh', '-c', 'eval "$1"', 'sh', '{task}'], default: true } };
const COMMIT = (file: string, subject: string) =>
  `echo ${file} > ${file} && git add ${file} && git -c user.name=T -c user.email=t@t.invalid commit -q -m "${subject}"`;

describe('what a finished task records', () => {
  it('carries exit code, duration, the commits it added, the files it changed, and commits what it left uncommitted', async () => {
    const repo = sandbox.gitRepo();
    const startHead = git(repo, ['rev-parse', 'HEAD']);
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: SHELL_ROLE,
    });
    const description = `${COMMIT('a.txt', 'add a')} && ${COMMIT('b.txt', 'add b')} && echo more >> README.md && echo new > c.txt`;
    const created = await fleet.createAgent({ name: 'worker', project: 'repo', task: description });
    const { agent } = await fleet.waitForAgent('worker', 20_000);
    const branchLog = git(repo, ['log', '--reverse', '--format=%H %s', `${startHead}..fleet/worker`]).split('\n');
    const autocommitSha = git(repo, ['rev-parse', 'fleet/worker']);
    expect(agent.last_task).toMatchObject({
      status: 'completed',
      exit_code: 0,
      head_at_start: startHead,
      commits: branchLog.slice(0, 2).map((line) => ({ sha: line.slice(0, 40), subject: line.slice(41) })),
      files_changed: ['README.md', 'a.txt', 'b.txt', 'c.txt'],
      uncommitted_changes: true,
      autocommit: { sha: autocommitSha, files: ['README.md', 'c.txt'] },
      final_message: null,
      error: null,
    });
    expect(agent.last_task?.commits?.map((commit) => commit.subject)).toEqual(['add a', 'add b']);
    expect(agent.last_task?.duration_ms).toBeGreaterThanOrEqual(0);
    const message = git(repo, ['log', '-1', '--format=%B', autocommitSha]);
    expect(message).toContain(`fleet-mcp: uncommitted work of task "${description.slice(0, 57)}..."`);
    expect(message).toContain(`Task ${agent.last_task!.id} of agent worker ended completed`);
    expect(git(created.workdir, ['status', '--porcelain'])).toBe('');
    expect(await logTexts(fleet, 'worker')).toContain(
      `committed what the task left uncommitted as ${autocommitSha} (2 file(s))`,
    );

    await fleet.startTask(
      'worker',
      `echo tidy >> README.md && git add -A && git -c user.name=T -c user.email=t@t.invalid commit -q -m tidy && exit 4`,
    );
    const next = (await fleet.waitForAgent('worker', 20_000)).agent.last_task!;
    expect(next).toMatchObject({
      status: 'failed',
      exit_code: 4,
      commits: [{ subject: 'tidy' }],
      files_changed: ['README.md'],
      uncommitted_changes: false,
      autocommit: null,
    });
    expect(fleet.taskHistory('worker').items[1]).toMatchObject({
      commits: [{ subject: 'add a' }, { subject: 'add b' }],
    });
  });

  it('leaves what a task did not commit alone for a role with "autocommit": false, and after a failed task commits it', async () => {
    const repo = sandbox.gitRepo();
    const rolesConfig: RolesConfig = {
      ...SHELL_ROLE,
      manual: { command: SHELL_ROLE.shell!.command, autocommit: false },
    };
    const fleet = await sandbox.fleet({ projects: [{ name: 'repo', path: repo, description: '' }], rolesConfig });
    const manual = await fleet.createAgent({ name: 'manual', project: 'repo', role: 'manual', task: 'echo x > x.txt' });
    const failing = await fleet.createAgent({
      name: 'failing',
      project: 'repo',
      task: 'first line names it\necho y > y.txt; exit 3',
    });
    const [kept, committed] = await Promise.all([
      fleet.waitForAgent('manual', 20_000),
      fleet.waitForAgent('failing', 20_000),
    ]);
    expect(kept.agent.last_task).toMatchObject({ status: 'completed', uncommitted_changes: true, autocommit: null });
    expect(git(manual.workdir, ['status', '--porcelain'])).toBe('?? x.txt');
    expect(committed.agent.last_task).toMatchObject({
      status: 'failed',
      uncommitted_changes: true,
      autocommit: { files: ['y.txt'] },
    });
    expect(git(failing.workdir, ['log', '-1', '--format=%s'])).toBe(
      'fleet-mcp: uncommitted work of task "first line names it"',
    );
  });

  it('commits what a canceled task left, so a cancel loses nothing', async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: SHELL_ROLE,
    });
    const agent = await fleet.createAgent({
      name: 'stopped',
      project: 'repo',
      task: 'echo wip > wip.txt && echo written && sleep 60',
    });
    await eventually(async () => ((await logTexts(fleet, 'stopped')).includes('written') ? true : undefined));
    const canceled = await fleet.cancelTask('stopped');
    expect(canceled.last_task).toMatchObject({ status: 'canceled', autocommit: { files: ['wip.txt'] } });
    expect(git(agent.workdir, ['log', '-1', '--format=%B'])).toContain('ended canceled');
  });

  it('leaves the git fields empty in a project that is not a git repository', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: SHELL_ROLE });
    await fleet.createAgent({ name: 'plainly', project: 'plain', task: 'echo hi > f.txt' });
    const { agent } = await fleet.waitForAgent('plainly', 20_000);
    expect(agent.last_task).toMatchObject({
      status: 'completed',
      head_at_start: null,
      commits: null,
      files_changed: null,
      uncommitted_changes: null,
    });
  });

  it('fails a task whose CLI reported an error though it exited 0, and keeps its final message', () => {
    const [role] = resolveRoles(SHELL_ROLE, { pathEnv: '' });
    const exited = { exit_code: 0, signal: null, stopped: null, spawn_error: null, lost: false };
    expect(taskEnd(exited, role!, null, { final_message: 'done', error: null })).toEqual({
      status: 'completed',
      reason: null,
      outcome: 'succeeded',
    });
    expect(
      taskEnd(exited, role!, null, { final_message: null, error: 'permission denied: Write', failure: 'tool' }),
    ).toEqual({ status: 'failed', reason: 'permission denied: Write', outcome: 'tool_failed' });
    expect(
      taskEnd({ ...exited, exit_code: 1 }, role!, null, {
        final_message: null,
        error: 'API error 529',
        failure: 'provider',
      }),
    ).toEqual({
      status: 'failed',
      reason: 'exit code 1: API error 529',
      outcome: 'provider_error',
    });
    expect(taskEnd({ ...exited, exit_code: 2 }, role!, null, { final_message: null, error: null })).toEqual({
      status: 'failed',
      reason: 'exit code 2',
      outcome: 'exit_error',
    });
  });
});

describe('placeholders', () => {
  const DIRS_ROLE: RolesConfig = {
    dirs: {
      command: [
        '/bin/sh',
        '-c',
        'for a; do echo "ARG $a"; done',
        'sh',
        'W={workdir}',
        '--add-dir={git_common_dir}',
        'G={git_dir}',
        '--',
        '{task}',
      ],
      default: true,
    },
  };

  it("give a git project's agent the git dir of its own repository as both", async () => {
    const repo = sandbox.gitRepo();
    const fleet = await sandbox.fleet({
      projects: [{ name: 'repo', path: repo, description: '' }],
      rolesConfig: DIRS_ROLE,
    });
    const created = await fleet.createAgent({ name: 'dirs', project: 'repo', task: '-v' });
    await fleet.waitForAgent('dirs', 20_000);
    const own = join(created.workdir, '.git');
    expect((await logTexts(fleet, 'dirs')).filter((text) => text.startsWith('ARG '))).toEqual([
      `ARG W=${created.workdir}`,
      `ARG --add-dir=${own}`,
      `ARG G=${own}`,
      'ARG --',
      'ARG -v',
    ]);
  });

  it('leave out the git elements in a plain directory', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: DIRS_ROLE });
    const created = await fleet.createAgent({ name: 'dirs', project: 'plain', task: 'go' });
    await fleet.waitForAgent('dirs', 20_000);
    expect((await logTexts(fleet, 'dirs')).filter((text) => text.startsWith('ARG '))).toEqual([
      `ARG W=${created.workdir}`,
      'ARG --',
      'ARG go',
    ]);
  });
});
