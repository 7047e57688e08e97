import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answersPing, liveGroupLeader } from '../helpers/ping-process.js';
import type { FleetLogger } from '../../src/fleet/logger.js';
import { processStartTime } from '../../src/fleet/tasks/process-group.js';
import { Store } from '../../src/fleet/store.js';
import { git, Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await sandbox.cleanup();
});

/** A logger that keeps the warnings, to see what the store reported. */
function recordingLogger(): FleetLogger & { warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return {
    info: () => {},
    error: () => {},
    warn: (fields) => warnings.push(fields as Record<string, unknown>),
    warnings,
  };
}

/** A directory outside the data dir with a file in it, standing for anything a planted record might target. */
function victim(): { dir: string; file: string } {
  const dir = sandbox.dir('fleet-victim-');
  const file = join(dir, 'precious.txt');
  writeFileSync(file, 'keep me');
  return { dir, file };
}

/** An agent's state file as these tests write it, valid or not. */
interface StateFile {
  version: number;
  agent: Record<string, unknown>;
  tasks: unknown[];
  git: { repo_root: string; worktree: string };
  process: unknown;
}

/** A valid state file of a git agent named `name`, as the server writes it. */
function gitRecord(dataDir: string, name: string, repo: string): StateFile {
  const worktree = join(dataDir, 'worktrees', name);
  const now = new Date().toISOString();
  return {
    version: 1,
    agent: {
      name,
      project: 'repo',
      role: 'test',
      status: 'idle',
      status_reason: null,
      workdir: worktree,
      branch: `fleet/${name}`,
      current_task_id: null,
      created_at: now,
      updated_at: now,
    },
    tasks: [],
    git: { repo_root: repo, worktree },
    process: null,
  };
}

/** The record with its worktree, and its working directory with it, moved to `path`. */
function inWorktree(record: StateFile, path: string): StateFile {
  const worktree = resolve(path);
  return { ...record, agent: { ...record.agent, workdir: worktree }, git: { ...record.git, worktree } };
}

function plant(dataDir: string, fileName: string, content: unknown): string {
  const file = join(dataDir, 'agents', fileName);
  mkdirSync(join(dataDir, 'agents'), { recursive: true, mode: 0o700 });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('agent state read from the data dir', () => {
  it.each<[string, (record: StateFile) => unknown, string]>([
    ['is not JSON', () => '{"version": 1, "agent":', 'cannot be read as JSON'],
    ['has another format version', (r) => ({ ...r, version: 2 }), 'version'],
    [
      'names another agent than its file',
      (r) => ({ ...r, agent: { ...r.agent, name: 'other' } }),
      'does not match its file name',
    ],
    [
      'has an invalid agent name',
      (r) => ({ ...r, agent: { ...r.agent, name: '..' } }),
      'agent.name is not a valid agent name',
    ],
    ['has an unknown status', (r) => ({ ...r, agent: { ...r.agent, status: 'exploding' } }), 'agent.status'],
    [
      'has a relative working directory',
      (r) => ({ ...r, agent: { ...r.agent, workdir: 'somewhere' } }),
      'agent.workdir is not an absolute path',
    ],
    [
      'has a task id that is a path',
      (r) => ({ ...r, tasks: [{ id: '../../escape', status: 'running' }] }),
      'tasks.0.id is not a task id',
    ],
    [
      'has pid 0 (our own process group)',
      (r) => ({ ...r, process: { task_id: 't', pid: 0, pid_start: '1' } }),
      'process.pid',
    ],
    ['has pid 1 (init)', (r) => ({ ...r, process: { task_id: 't', pid: 1, pid_start: '1' } }), 'process.pid'],
    [
      'has a worktree outside the data dir',
      (r) => ({ ...r, git: { ...r.git, worktree: '/tmp/elsewhere' } }),
      'its worktree /tmp/elsewhere is not in',
    ],
    [
      'has a worktree that climbs out of it',
      (r) => ({ ...r, git: { ...r.git, worktree: `${r.git.worktree}/../../..` } }),
      'is not in',
    ],
    // Only a direct child of <data>/worktrees is an agent's worktree: not a folder deeper in one, nor one beside it.
    [
      'has a worktree inside another worktree',
      (r) => inWorktree(r, `${r.git.worktree}/../a/b`),
      '/worktrees/a/b is not in',
    ],
    [
      'has a worktree in a folder named like the worktrees',
      (r) => inWorktree(r, `${r.git.worktree}/../../worktrees-x/y`),
      '/worktrees-x/y is not in',
    ],
    [
      'has a working directory outside its worktree',
      (r) => ({ ...r, agent: { ...r.agent, workdir: '/etc' } }),
      'its working directory /etc is not in its worktree',
    ],
  ])('is reported once and left alone when it %s', (_name, change, reason) => {
    const dataDir = sandbox.dir('fleet-data-');
    const key = 'planted';
    const file = plant(dataDir, `${key}.json`, change(gitRecord(dataDir, key, sandbox.dir())));
    const content = readFileSync(file, 'utf8');
    const logger = recordingLogger();
    const store = Store.open(dataDir, logger);
    expect(store.all()).toEqual([]);
    expect(logger.warnings).toEqual([{ file, reason: expect.stringContaining(reason) }]);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('loads a valid record, keeping fields the checks do not look at', () => {
    const dataDir = sandbox.dir('fleet-data-');
    const record = gitRecord(dataDir, 'fine', sandbox.dir());
    record.tasks = [{ id: 'a1b2', status: 'completed', description: 'do it', extra: { kept: true } }];
    plant(dataDir, 'fine.json', record);
    const logger = recordingLogger();
    const store = Store.open(dataDir, logger);
    expect(logger.warnings).toEqual([]);
    expect(store.get('fine')).toEqual({
      agent: { created_by: null, backend: 'local', ...record.agent },
      tasks: record.tasks,
      git: record.git,
      process: null,
      setup_pending: false,
      ran_sandboxed: false,
    });
  });

  it('refuses a record whose backend is not a backend name', () => {
    const dataDir = sandbox.dir('fleet-data-');
    const record = gitRecord(dataDir, 'odd', sandbox.dir());
    Object.assign(record.agent, { backend: '../../etc' });
    plant(dataDir, 'odd.json', record);
    const logger = recordingLogger();
    const store = Store.open(dataDir, logger);
    expect(store.get('odd')).toBeUndefined();
    expect(JSON.stringify(logger.warnings)).toContain('agent.backend is not a backend name');
  });

  it('never removes the directory of a planted "deleting" agent whose worktree is outside the data dir', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const target = victim();
    const record = gitRecord(dataDir, 'intruder', sandbox.gitRepo());
    record.agent.status = 'deleting';
    record.agent.workdir = target.dir;
    record.git.worktree = target.dir;
    plant(dataDir, 'intruder.json', record);
    await sandbox.fleet({ dataDir });
    expect(readFileSync(target.file, 'utf8')).toBe('keep me');
  });

  it.each<[string, (dataDir: string) => string]>([
    ['elsewhere', () => join(sandbox.dir('fleet-user-'), 'feature')],
    ['beside the worktrees, in a folder named like them', (dataDir) => join(dataDir, 'worktrees-x', 'feature')],
  ])(
    "leaves in place a worktree of the user's (%s) that a symlink in the data dir points to, when finishing a delete",
    async (_where, place) => {
      const dataDir = sandbox.dir('fleet-data-');
      const repo = sandbox.gitRepo();
      const projects = [{ name: 'repo', path: repo, description: '' }];
      const rolesConfig = sandbox.rolesConfig();
      const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
      await first.createAgent({ name: 'linked', project: 'repo', task: task({}) });
      await first.waitForAgent('linked', 20_000);
      await first.shutdown();
      // The user's own worktree of the same repository, with work not committed yet: git would remove it if asked.
      const target = { dir: place(dataDir), file: '' };
      git(repo, ['worktree', 'add', '-q', '-b', 'feature', target.dir]);
      target.file = join(target.dir, 'precious.txt');
      writeFileSync(target.file, 'keep me');
      const worktree = join(dataDir, 'worktrees', 'linked');
      rmSync(worktree, { recursive: true, force: true });
      symlinkSync(target.dir, worktree);
      const file = join(dataDir, 'agents', 'linked.json');
      const state = JSON.parse(readFileSync(file, 'utf8'));
      state.agent.status = 'deleting';
      writeFileSync(file, JSON.stringify(state));

      const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
      expect(second.listAgents()).toEqual([]);
      expect(readFileSync(target.file, 'utf8')).toBe('keep me');
    },
  );

  it('finishes an interrupted delete by removing the worktree that is in the data dir (the check above is not vacuous)', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const repo = sandbox.gitRepo();
    const projects = [{ name: 'repo', path: repo, description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'halfgone', project: 'repo', task: task({}) });
    await first.waitForAgent('halfgone', 20_000);
    await first.shutdown();
    const worktree = join(dataDir, 'worktrees', 'halfgone');
    expect(existsSync(worktree)).toBe(true);
    const file = join(dataDir, 'agents', 'halfgone.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.agent.status = 'deleting';
    writeFileSync(file, JSON.stringify(state));

    const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
    expect(second.listAgents()).toEqual([]);
    expect(existsSync(worktree)).toBe(false);
    expect(git(repo, ['branch', '--list', 'fleet/halfgone'])).toContain('fleet/halfgone');
  });

  it.each<[string, string | null | undefined]>([
    ['a wrong start time', '1'],
    ['a null start time', null],
    ['no start time', undefined],
  ])('never signals a live process recorded with %s', async (_name, pidStart) => {
    const dataDir = sandbox.dir('fleet-data-');
    const child = liveGroupLeader(children);
    expect(processStartTime(child.pid!)).not.toBe(pidStart);
    const record = gitRecord(dataDir, 'busybody', sandbox.gitRepo());
    mkdirSync(record.git.worktree, { recursive: true });
    record.agent.status = 'busy';
    record.agent.current_task_id = 't1';
    record.tasks = [
      {
        id: 't1',
        agent: 'busybody',
        description: 'x',
        status: 'running',
        exit_code: null,
        reason: null,
        started_at: record.agent.created_at,
        ended_at: null,
        log_lines: 0,
      },
    ];
    record.process = { task_id: 't1', pid: child.pid!, ...(pidStart === undefined ? {} : { pid_start: pidStart }) };
    plant(dataDir, 'busybody.json', record);
    const fleet = await sandbox.fleet({ dataDir });
    expect(fleet.showAgent('busybody').last_task).toMatchObject({ status: 'failed', reason: 'server restarted' });
    expect(await answersPing(child)).toBe(true);
  });

  it('signals a live process recorded with its own start time (the check above is not vacuous)', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const child = liveGroupLeader(children);
    expect(await answersPing(child)).toBe(true);
    const record = gitRecord(dataDir, 'orphan', sandbox.gitRepo());
    mkdirSync(record.git.worktree, { recursive: true });
    record.process = { task_id: 't1', pid: child.pid!, pid_start: processStartTime(child.pid!) };
    plant(dataDir, 'orphan.json', record);
    await sandbox.fleet({ dataDir });
    expect(await answersPing(child)).toBe(false);
  });
});

describe('the data dir', () => {
  it('is refused when another user owns it, naming the chown that fixes it', () => {
    const dataDir = sandbox.dir('fleet-data-');
    chownSync(dataDir, 65534, 65534);
    expect(() => Store.open(dataDir, recordingLogger())).toThrow(
      `data dir ${dataDir} is owned by uid 65534, not by you (uid 0) or root, so that user could change it; fix it with: chown 0 ${dataDir} (as root)`,
    );
  });

  it.each(['0770', '0707', '1777'])('is refused when other users may write it (mode %s), naming the chmod', (mode) => {
    const dataDir = sandbox.dir('fleet-data-');
    chmodSync(dataDir, Number.parseInt(mode, 8));
    expect(() => Store.open(dataDir, recordingLogger())).toThrow(
      `data dir ${dataDir} is writable by other users (mode ${mode}); fix it with: chmod 700 ${dataDir}`,
    );
  });

  it('is refused when other users may replace it (its parent is writable by them)', () => {
    const parent = sandbox.dir('fleet-parent-');
    chmodSync(parent, 0o777);
    const dataDir = join(parent, 'data');
    expect(() => Store.open(dataDir, recordingLogger())).toThrow(
      `directory ${parent} of the data dir is writable by other users (mode 0777); fix it with: chmod go-w ${parent}`,
    );
  });

  it('is accepted in a shared sticky directory root owns, such as /tmp, and when root owns it', () => {
    const parent = sandbox.dir('fleet-parent-');
    chmodSync(parent, 0o1777);
    const dataDir = join(parent, 'data');
    expect(() => Store.open(dataDir, recordingLogger())).not.toThrow();
    expect(existsSync(join(dataDir, 'agents'))).toBe(true);
  });
});
