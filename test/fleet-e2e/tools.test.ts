import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_STATUSES } from '../../src/fleet/types.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { git } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const TOOLS = [
  'cancel_agent_task',
  'cleanup_fleet_branches',
  'create_agent',
  'delete_agent',
  'list_agent_projects',
  'list_agent_roles',
  'list_agents',
  'merge_agent',
  'restart_agent',
  'show_agent',
  'show_agent_changes',
  'show_agent_log',
  'show_agent_task_history',
  'start_agent_task',
  'wait_for_agent',
];

describe('fleet tools through the MCP client, auth on', () => {
  it('runs a task: create -> busy -> log lines -> idle with the task completed, then a failing one', async () => {
    const sandbox = createFleetSandbox();
    const fleet = await startInProcessFleetServer(sandbox);
    const { tools } = await fleet.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    expect((await fleet.ok('list_agent_roles', { project: 'repo' })).roles).toEqual([
      expect.objectContaining({ name: 'test', default: true, source: 'config' }),
    ]);

    // The task ends when the test makes this file, once it has seen the task busy: however slow the machine.
    const go = join(sandbox.sandbox.root, 'worker-go');
    const created = await fleet.ok('create_agent', {
      name: 'Worker',
      project: 'repo',
      task: task({ lines: ['step one', 'step two'], waitForFile: go }),
    });
    expect(created).toMatchObject({
      name: 'Worker',
      status: 'busy',
      branch: 'fleet/Worker',
      last_task: { status: 'running' },
    });
    expect((await fleet.ok('list_agents', { status: 'busy' })).agents.map((a: { name: string }) => a.name)).toEqual([
      'Worker',
    ]);
    await expect
      .poll(
        async () => (await fleet.ok('show_agent_log', { name: 'worker' })).lines.map((l: { text: string }) => l.text),
        { timeout: 10_000 },
      )
      .toContain('step two');
    writeFileSync(go, '');

    const waited = await fleet.ok('wait_for_agent', { name: 'WORKER', timeout_seconds: 30 });
    expect(waited).toMatchObject({
      timed_out: false,
      agent: { status: 'idle', last_task: { status: 'completed', exit_code: 0 } },
    });

    await fleet.ok('start_agent_task', { name: 'worker', task: task({ exit: 7 }) });
    const failed = await fleet.ok('wait_for_agent', { name: 'worker', timeout_seconds: 30 });
    expect(failed.agent).toMatchObject({
      status: 'idle',
      last_task: { status: 'failed', exit_code: 7, reason: 'exit code 7' },
    });
    const history = await fleet.ok('show_agent_task_history', { name: 'worker' });
    expect(history).toMatchObject({ total_count: 2, has_next_page: false, has_previous_page: false });
    expect(history.tasks.map((t: { status: string }) => t.status)).toEqual(['failed', 'completed']);
    await fleet.server.stop();
  });

  it('cancels a long task and one that ignores SIGINT; restart returns the real agent', async () => {
    const fleet = await startInProcessFleetServer(createFleetSandbox());
    await fleet.ok('create_agent', { name: 'long', project: 'plain', task: task({ sleepMs: 120_000 }) });
    await fleet.ok('create_agent', {
      name: 'stubborn',
      project: 'plain',
      task: task({ sleepMs: 120_000, ignoreSigint: true }),
    });
    for (const name of ['long', 'stubborn']) {
      await expect
        .poll(
          async () => (await fleet.ok('show_agent_log', { name: name })).lines.map((l: { text: string }) => l.text),
          { timeout: 10_000 },
        )
        .toContain('ready');
    }
    const [long, stubborn] = await Promise.all([
      fleet.ok('cancel_agent_task', { name: 'long' }),
      fleet.ok('cancel_agent_task', { name: 'stubborn' }),
    ]);
    expect(long).toMatchObject({ status: 'idle', last_task: { status: 'canceled', reason: 'canceled by request' } });
    expect(stubborn).toMatchObject({ status: 'idle', last_task: { status: 'canceled' } });
    expect(await fleet.fails('cancel_agent_task', { name: 'long' })).toMatch(/no running or queued task to cancel/);

    await fleet.ok('start_agent_task', { name: 'long', task: task({ sleepMs: 120_000 }) });
    const restarted = await fleet.ok('restart_agent', { name: 'LONG' });
    expect(restarted).toMatchObject({
      name: 'long',
      status: 'idle',
      last_task: { status: 'canceled', reason: 'canceled by restart_agent' },
    });
    await fleet.server.stop();
  });

  it('gives two agents of one repository their own repositories and branches; deleting one without work deletes its branch', async () => {
    const sandbox = createFleetSandbox();
    const fleet = await startInProcessFleetServer(sandbox);
    const a = await fleet.ok('create_agent', { name: 'alpha', project: 'repo', task: task({ printCwd: true }) });
    const b = await fleet.ok('create_agent', { name: 'beta', project: 'repo', task: task({ printCwd: true }) });
    expect(a.workdir).not.toBe(b.workdir);
    // Repositories of their own, sharing no refs with the user's: only the branch arrives there.
    expect(git(b.workdir, ['rev-parse', '--absolute-git-dir'])).toBe(join(realpathSync(b.workdir), '.git'));
    expect(git(sandbox.repo, ['worktree', 'list'])).not.toContain(realpathSync(b.workdir));
    expect(git(b.workdir, ['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/fleet/beta');
    expect(git(sandbox.repo, ['branch', '--format=%(refname:short)']).split('\n').sort()).toEqual([
      'fleet/alpha',
      'fleet/beta',
      'main',
    ]);

    const deleted = await fleet.ok('delete_agent', { name: 'alpha' });
    expect(deleted).toMatchObject({
      name: 'alpha',
      status: 'deleted',
      branch_outcome: { branch: 'fleet/alpha', deleted: true },
    });
    expect(existsSync(a.workdir)).toBe(false);
    expect(git(sandbox.repo, ['branch', '--list', 'fleet/alpha'])).toBe('');
    expect((await fleet.ok('list_agents')).agents.map((agent: { name: string }) => agent.name)).toEqual(['beta']);
    await fleet.server.stop();
  });

  it('answers bad input with tool errors that say what is valid, never a stack trace', async () => {
    const fleet = await startInProcessFleetServer(createFleetSandbox());
    const errors = [
      await fleet.fails('create_agent', { name: '-bad', project: 'repo', task: 'x' }),
      await fleet.fails('create_agent', { name: 'new', project: 'repo', task: 'x' }),
      await fleet.fails('create_agent', { name: 'x'.repeat(33), project: 'repo', task: 'x' }),
      await fleet.fails('create_agent', { name: 'a', project: 'nowhere', task: 'x' }),
      await fleet.fails('create_agent', { name: 'a', project: 'repo', task: 'x', role: 'wizard' }),
      await fleet.fails('list_agents', { status: 'running' }),
      await fleet.fails('list_agents', { project: 'nowhere' }),
      await fleet.fails('show_agent', { name: 'ghost' }),
      await fleet.fails('list_agent_roles', { project: 'nowhere' }),
      await fleet.fails('show_agent_log', { name: 'ghost', page_size: 501 }),
    ];
    expect(errors[0]).toMatch(/Invalid agent name "-bad": it starts with "-"\. Rule: 1-32 characters/);
    expect(errors[1]).toMatch(/reserved/);
    expect(errors[2]).toMatch(/33 characters/);
    expect(errors[3]).toBe('Unknown project "nowhere". Projects: "repo", "plain".');
    expect(errors[4]).toBe('Unknown role "wizard". Roles for project "repo": "test".');
    for (const status of AGENT_STATUSES) expect(errors[5]).toContain(status);
    expect(errors[6]).toContain('Projects: "repo", "plain"');
    expect(errors[7]).toBe('No agent named "ghost". Existing agents: (none).');
    expect(errors[8]).toContain('Projects: "repo", "plain"');
    expect(errors[9]).toMatch(/page_size/);
    for (const text of errors) expect(text).not.toMatch(/\n\s+at /);

    await fleet.ok('create_agent', { name: 'Builder', project: 'plain', task: task({}) });
    const duplicate = await fleet.fails('create_agent', { name: 'builder', project: 'repo', task: task({}) });
    expect(duplicate).toBe(
      'An agent named "Builder" already exists (agent names are case-insensitive). Choose another name, or give "Builder" a new task with start_agent_task.',
    );
    await fleet.server.stop();
  });

  it('pages through the log and history, with empty pages past the end', async () => {
    const fleet = await startInProcessFleetServer(createFleetSandbox());
    await fleet.ok('create_agent', {
      name: 'pager',
      project: 'plain',
      task: task({ lines: ['1', '2', '3', '4', '5'] }),
    });
    await fleet.ok('wait_for_agent', { name: 'pager', timeout_seconds: 30 });
    const all = await fleet.ok('show_agent_log', { name: 'pager', page_size: 500 });
    const size = 3;
    const lastPage = Math.ceil(all.total_count / size);
    const last = await fleet.ok('show_agent_log', { name: 'pager', page: lastPage, page_size: size });
    expect(last).toMatchObject({ has_next_page: false, has_previous_page: true, page: lastPage });
    const past = await fleet.ok('show_agent_log', { name: 'pager', page: lastPage + 1, page_size: size });
    expect(past).toMatchObject({ lines: [], total_count: all.total_count, has_next_page: false });
    expect(await fleet.ok('show_agent_task_history', { name: 'pager', page: 2 })).toMatchObject({
      tasks: [],
      total_count: 1,
      has_next_page: false,
      has_previous_page: true,
    });
    await fleet.server.stop();
  });

  // The real process: what it hides from agents and git is its own environment, which an in-process server's is not.
  it('keeps every FLEET_MCP_* variable, the token among them, away from the agent', async () => {
    const token = rememberSecret('e2e-env-token-0123456789-abcdefghijklmnop');
    const sandbox = createFleetSandbox();
    const fleet = await startFleetServer(sandbox, {
      FLEET_MCP_AUTH_TOKEN: token,
      AUTH_ENABLED: 'true',
      FLEET_MCP_MAX_BUSY: '3',
    });
    await fleet.ok('create_agent', { name: 'envy', project: 'plain', task: task({ printEnv: true }) });
    await fleet.ok('wait_for_agent', { name: 'envy', timeout_seconds: 30 });
    const lines = (await fleet.ok('show_agent_log', { name: 'envy' })).lines.map((l: { text: string }) => l.text);
    const env = JSON.parse(lines.find((text: string) => text.startsWith('ENV '))!.slice(4)) as Record<string, string>;
    expect(Object.keys(env).filter((name) => name.startsWith('FLEET_MCP_') || name === 'AUTH_ENABLED')).toEqual([]);
    expect(JSON.stringify(env)).not.toContain(token);
    expect(env.HOME).toBe(sandbox.sandbox.env.HOME);
    await fleet.server.stop();
  });

  it("keeps the token away from the git it runs, and runs none of the repository's hooks", async () => {
    const token = rememberSecret('e2e-hook-token-0123456789-abcdefghijklmnop');
    const sandbox = createFleetSandbox();
    const hookRan = join(sandbox.sandbox.root, 'hook-ran');
    const hook = join(sandbox.repo, '.git', 'hooks', 'reference-transaction');
    writeFileSync(hook, `#!/bin/sh\ntouch "${hookRan}"\n`);
    chmodSync(hook, 0o755);
    // Every git the server starts goes through this one first, which keeps its environment.
    const bin = join(sandbox.sandbox.root, 'bin');
    mkdirSync(bin);
    const dumps = join(sandbox.sandbox.root, 'git-envs');
    mkdirSync(dumps);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nenv > "${dumps}/$$"\nexec "${realGit}" "$@"\n`, { mode: 0o755 });
    const path = `${bin}:${sandbox.sandbox.env.PATH ?? ''}`;
    const fleet = await startFleetServer(sandbox, {
      FLEET_MCP_AUTH_TOKEN: token,
      CREDENTIALS_DIRECTORY: sandbox.sandbox.root,
      PATH: path,
    });
    await fleet.ok('create_agent', { name: 'hooked', project: 'repo', task: task({ lines: ['ok'] }) });
    await fleet.ok('wait_for_agent', { name: 'hooked', timeout_seconds: 60 });
    await fleet.ok('delete_agent', { name: 'hooked' });
    const envs = readdirSync(dumps).map((file) => readFileSync(join(dumps, file), 'utf8'));
    expect(envs.length).toBeGreaterThan(3);
    for (const env of envs) {
      expect(env).not.toContain(token);
      expect(env).not.toMatch(/^(FLEET_MCP_|AUTH_ENABLED=|CREDENTIALS_DIRECTORY=)/m);
    }
    expect(existsSync(hookRan)).toBe(false);
    await fleet.server.stop();
  });
});
