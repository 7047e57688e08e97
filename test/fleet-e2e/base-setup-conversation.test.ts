import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { git, initGitRepo } from '../fleet/helpers.js';
import { createFleetSandbox, task, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

const COMMIT = ['-c', 'user.name=T', '-c', 'user.email=t@t.invalid', 'commit', '-q', '--allow-empty', '-m'];

/** main: first (tagged v1) -> third; feature: first -> second. Returns the shas. */
function branchyRepo(repo: string): { first: string; second: string; third: string } {
  const first = git(repo, ['rev-parse', 'HEAD']);
  git(repo, ['tag', 'v1']);
  git(repo, ['checkout', '-q', '-b', 'feature']);
  git(repo, [...COMMIT, 'second']);
  const second = git(repo, ['rev-parse', 'HEAD']);
  git(repo, ['checkout', '-q', 'main']);
  git(repo, [...COMMIT, 'third']);
  return { first, second, third: git(repo, ['rev-parse', 'HEAD']) };
}

/** The projects of the tests, each its own repository, named for its test. */
const PROJECTS = ['bases', 'refuse', 'configured', 'copying', 'failing', 'retry', 'kept'] as const;

let sandbox: FleetSandbox;
let fleet: InProcessFleetServer;
const repos = {} as Record<(typeof PROJECTS)[number], string>;
let branchy: { first: string; second: string; third: string };
let configured: { first: string; second: string; third: string };
/** Files the setup commands of the retry and kept projects append a line to on each run; retry's passes once flagged. */
let retryRuns: string;
let retryFlag: string;
let keptRuns: string;

/** One server for the file: each test has its own project, whose base or worktree setup it is about. */
beforeAll(async () => {
  sandbox = createFleetSandbox();
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  for (const name of PROJECTS) {
    repos[name] = join(sandbox.sandbox.root, name);
    mkdirSync(repos[name]);
    initGitRepo(repos[name]);
    config.projects[name] = { path: repos[name], description: `the repository of the ${name} test` };
  }
  branchy = branchyRepo(repos.bases);
  configured = branchyRepo(repos.configured);
  config.projects.configured.base = 'feature';

  writeFileSync(join(repos.copying, '.gitignore'), '.env\n');
  git(repos.copying, ['add', '.gitignore']);
  git(repos.copying, [...COMMIT, 'ignore .env']);
  writeFileSync(join(repos.copying, '.env'), 'SECRET_SETTING=42\n');
  const copying =
    "console.log('env: ' + require('fs').readFileSync('.env', 'utf8').trim()); console.error('a warning on stderr')";
  config.projects.copying.setup = {
    copy: ['.env', 'missing.txt'],
    command: [process.execPath, '-e', copying],
    timeout: '1m',
  };

  const failing = "console.log('installing'); console.error('boom: the lockfile is broken'); process.exit(3)";
  config.projects.failing.setup = { command: [process.execPath, '-e', failing] };

  retryFlag = join(sandbox.sandbox.root, 'setup-may-pass');
  retryRuns = join(sandbox.sandbox.root, 'retry-setup-runs');
  const retry = `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(retryRuns)}, 'run\\n'); if (!fs.existsSync(${JSON.stringify(retryFlag)})) { console.error('not yet'); process.exit(1); }`;
  config.projects.retry.setup = { command: [process.execPath, '-e', retry] };

  keptRuns = join(sandbox.sandbox.root, 'kept-setup-runs');
  writeFileSync(join(repos.kept, '.env'), 'A=1\n');
  const kept = `require('fs').appendFileSync(${JSON.stringify(keptRuns)}, 'run\\n')`;
  config.projects.kept.setup = { copy: ['.env'], command: [process.execPath, '-e', kept] };

  config.roles.talk = {
    command: ['/bin/sh', '-c', 'echo "fresh: $1"', 'sh', '{task}'],
    continue_command: ['/bin/sh', '-c', 'echo "continued: $1"', 'sh', '{task}'],
  };
  writeFileSync(sandbox.configFile, JSON.stringify(config));
  fleet = await startInProcessFleetServer(sandbox);
}, 120_000);

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

async function logOf(name: string): Promise<string[]> {
  const page = await fleet.ok('show_agent_log', { name: name, page_size: 500 });
  return (page.lines as { stream: string; text: string }[]).reverse().map((line) => `${line.stream}: ${line.text}`);
}

describe('create_agent base', { timeout: 180_000 }, () => {
  it('starts the agent branch at a branch, a tag, a commit, or the main checkout HEAD branch, and records it', async () => {
    const shas = branchy;
    const cases = [
      { name: 'on-default', base: undefined, ref: 'refs/heads/main', commit: shas.third },
      { name: 'on-branch', base: 'feature', ref: 'refs/heads/feature', commit: shas.second },
      { name: 'on-tag', base: 'v1', ref: 'refs/tags/v1', commit: shas.first },
      { name: 'on-commit', base: shas.second.slice(0, 10), ref: shas.second, commit: shas.second },
    ];
    for (const { name, base, ref, commit } of cases) {
      const created = await fleet.ok('create_agent', {
        name,
        project: 'bases',
        task: task({}),
        ...(base ? { base } : {}),
      });
      expect(created.base).toEqual({ ref, commit });
      expect(git(repos.bases, ['rev-parse', `fleet/${name}`])).toBe(commit);
      expect((await fleet.ok('show_agent', { name: name })).base).toEqual({ ref, commit });
    }
  });

  it('refuses a base that starts with "-" or does not exist, and makes no agent', async () => {
    expect(
      await fleet.fails('create_agent', { name: 'dash', project: 'refuse', task: task({}), base: '--orphan' }),
    ).toMatch(/base "--orphan" starts with "-"/);
    expect(
      await fleet.fails('create_agent', { name: 'nope', project: 'refuse', task: task({}), base: 'no-such-branch' }),
    ).toMatch(/base "no-such-branch" is not a branch, tag or commit/);
    expect(
      await fleet.fails('create_agent', { name: 'plainbase', project: 'plain', task: task({}), base: 'main' }),
    ).toMatch(/not a git repository/);
    const names = (await fleet.ok('list_agents')).agents.map((agent: { name: string }) => agent.name);
    expect(names.filter((name: string) => ['dash', 'nope', 'plainbase'].includes(name))).toEqual([]);
    expect(git(repos.refuse, ['branch', '--list', 'fleet/*'])).toBe('');
  });

  it("uses the project's own base from the fleet config when create_agent names none", async () => {
    const shas = configured;
    const created = await fleet.ok('create_agent', { name: 'configured', project: 'configured', task: task({}) });
    expect(created.base).toEqual({ ref: 'refs/heads/feature', commit: shas.second });
    expect(git(repos.configured, ['rev-parse', 'fleet/configured'])).toBe(shas.second);
  });
});

describe('project worktree setup', { timeout: 180_000 }, () => {
  it('copies git-ignored files from the main checkout and runs the setup command before the first task, its output in the log', async () => {
    const created = await fleet.ok('create_agent', {
      name: 'prepared',
      project: 'copying',
      task: task({ lines: ['the task ran'] }),
    });
    expect(readFileSync(join(created.workdir, '.env'), 'utf8')).toBe('SECRET_SETTING=42\n');
    const waited = await fleet.ok('wait_for_agent', { name: 'prepared', timeout_seconds: 120 });
    expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
    const log = await logOf('prepared');
    const at = (text: string) => log.findIndex((line) => line.includes(text));
    expect(log).toContain(`system: setup copied from ${repos.copying}: .env`);
    expect(log).toContain(`system: setup did not copy what ${repos.copying} does not have: missing.txt`);
    expect(log).toContain('stdout: env: SECRET_SETTING=42');
    expect(log).toContain('stderr: a warning on stderr');
    expect(at('setup command finished')).toBeGreaterThan(-1);
    expect(at('setup command finished')).toBeLessThan(at('stdout: the task ran'));
  });

  it('fails the create with the output of a failing setup command; the task is kept, not started', async () => {
    const error = await fleet.fails('create_agent', {
      name: 'broken',
      project: 'failing',
      task: task({ lines: ['must not run'] }),
    });
    expect(error).toMatch(/setup command .* failed with exit code 3/);
    expect(error).toContain('boom: the lockfile is broken');
    const agent = await fleet.ok('show_agent', { name: 'broken' });
    expect(agent).toMatchObject({
      status: 'failed',
      last_task: {
        status: 'failed',
        started_at: null,
        reason: expect.stringContaining('not started: its worktree setup failed'),
      },
    });
    const log = await logOf('broken');
    expect(log).toContain('stderr: boom: the lockfile is broken');
    expect(log.some((line) => line.includes('must not run'))).toBe(false);
  });

  it('runs the setup again on restart_agent after it failed, then the kept task; not again for the same worktree, but for a new one', async () => {
    const flag = retryFlag;
    const runs = retryRuns;
    expect(
      await fleet.fails('create_agent', { name: 'retry', project: 'retry', task: task({ lines: ['kept task ran'] }) }),
    ).toContain('not yet');
    writeFileSync(flag, '');
    await fleet.ok('restart_agent', { name: 'retry' });
    const waited = await fleet.ok('wait_for_agent', { name: 'retry', timeout_seconds: 120 });
    expect(waited.agent).toMatchObject({ status: 'idle', last_task: { status: 'completed' } });
    expect(await logOf('retry')).toContain('stdout: kept task ran');
    await fleet.ok('start_agent_task', { name: 'retry', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'retry', timeout_seconds: 120 });
    await fleet.ok('restart_agent', { name: 'retry' });
    expect(readFileSync(runs, 'utf8')).toBe('run\nrun\n');

    // A worktree made again lacks what the setup gave the first one, so it gets the setup too.
    rmSync(waited.agent.workdir, { recursive: true, force: true });
    expect(await fleet.ok('restart_agent', { name: 'retry' })).toMatchObject({ status: 'idle' });
    expect(readFileSync(runs, 'utf8')).toBe('run\nrun\nrun\n');
  });

  it("runs no setup command on an agent's work: a new agent on a kept branch gets the copies, not the command", async () => {
    const runs = keptRuns;
    const first = await fleet.ok('create_agent', { name: 'kept', project: 'kept', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'kept', timeout_seconds: 120 });
    // What `npm ci` would run, had an agent written it.
    writeFileSync(join(first.workdir, 'package.json'), '{"scripts":{"postinstall":"touch pwned"}}\n');
    git(first.workdir, ['add', 'package.json']);
    git(first.workdir, ['commit', '-q', '-m', 'agent work']);
    await fleet.ok('delete_agent', { name: 'kept', force: true });

    await fleet.ok('create_agent', { name: 'kept', project: 'kept', task: task({}) });
    await fleet.ok('wait_for_agent', { name: 'kept', timeout_seconds: 120 });
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    const log = await logOf('kept');
    expect(log).toContain(`system: setup copied from ${repos.kept}: .env`);
    expect(log).toContain(
      "system: setup command not run: fleet/kept holds an agent's work, which it would run as the server's user, outside the sandbox; the agent's task can run it",
    );
  });
});

describe('follow-up conversations', { timeout: 180_000 }, () => {
  it("runs a follow-up with the role's continue_command, and with its command when a fresh conversation is asked for", async () => {
    await fleet.ok('create_agent', { name: 'talker', project: 'repo', role: 'talk', task: 'one' });
    await fleet.ok('wait_for_agent', { name: 'talker', timeout_seconds: 120 });
    await fleet.ok('start_agent_task', { name: 'talker', task: 'two' });
    const second = (await fleet.ok('wait_for_agent', { name: 'talker', timeout_seconds: 120 })).agent.last_task;
    expect(second).toMatchObject({ status: 'completed', continued_conversation: true, fresh_conversation: false });
    await fleet.ok('start_agent_task', { name: 'talker', task: 'three', fresh_conversation: true });
    const third = (await fleet.ok('wait_for_agent', { name: 'talker', timeout_seconds: 120 })).agent.last_task;
    expect(third).toMatchObject({ status: 'completed', continued_conversation: false, fresh_conversation: true });
    const log = await logOf('talker');
    expect(log.filter((line) => line.startsWith('stdout: '))).toEqual([
      'stdout: fresh: one',
      'stdout: continued: two',
      'stdout: fresh: three',
    ]);
    const roles = (await fleet.ok('list_agent_roles', { project: 'repo' })).roles as {
      name: string;
      continue_command: string[] | null;
    }[];
    expect(roles.find((role) => role.name === 'talk')?.continue_command).toEqual([
      '/bin/sh',
      '-c',
      'echo "continued: $1"',
      'sh',
      '{task}',
    ]);
  });
});
