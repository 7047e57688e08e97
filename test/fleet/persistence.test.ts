import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/fleet/tasks/process-group.js';
import { Store } from '../../src/fleet/store.js';
import { silentLogger } from '../../src/fleet/logger.js';
import type { Agent } from '../../src/fleet/types.js';
import { eventually, isAlive, isRunning, logTexts, Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** Rewrites an agent's state file as a server killed mid-task would have left it. */
function markRunning(dataDir: string, key: string, pid: number, pidStart: string | null): void {
  const file = join(dataDir, 'agents', `${key}.json`);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  const last = state.tasks.at(-1);
  Object.assign(last, { status: 'running', exit_code: null, reason: null, ended_at: null });
  Object.assign(state.agent, { status: 'busy', current_task_id: last.id });
  state.process = { task_id: last.id, pid, pid_start: pidStart };
  writeFileSync(file, JSON.stringify(state));
}

describe('state across server restarts', () => {
  it('keeps agents, task history and logs', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'repo', path: sandbox.gitRepo(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'Keeper', project: 'repo', task: task({ lines: ['one'] }) });
    await first.waitForAgent('keeper', 20_000);
    await first.startTask('keeper', task({ lines: ['two'], exit: 1 }));
    await first.waitForAgent('keeper', 20_000);
    const before = {
      agents: first.listAgents(),
      history: first.taskHistory('keeper'),
      log: await first.agentLog('keeper'),
    };
    await first.shutdown();

    const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
    expect(second.listAgents()).toEqual(before.agents);
    expect(second.taskHistory('keeper')).toEqual(before.history);
    expect(await second.agentLog('keeper')).toEqual(before.log);
    expect(before.history.items.map((t) => t.status)).toEqual(['failed', 'completed']);
    await second.startTask('keeper', task({ lines: ['three'] }));
    expect((await second.waitForAgent('keeper', 20_000)).agent.last_task?.status).toBe('completed');
  });

  it('ends a task whose process died with the server as failed, "server restarted", and frees the agent', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'crashed', project: 'plain', task: task({ lines: ['before the crash'] }) });
    await first.waitForAgent('crashed', 20_000);
    await first.shutdown();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    markRunning(dataDir, 'crashed', dead.pid!, '1');

    const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
    const agent = second.showAgent('crashed');
    expect(agent).toMatchObject({ status: 'idle', current_task_id: null });
    expect(agent.last_task).toMatchObject({
      status: 'failed',
      reason: 'server restarted',
      ended_at: expect.any(String),
    });
    expect(await logTexts(second, 'crashed')).toEqual(
      expect.arrayContaining(['before the crash', expect.stringMatching(/failed: server restarted$/)]),
    );
    expect((await second.agentLog('crashed')).total_count).toBe((await logTexts(second, 'crashed')).length);
  });

  it('kills a task process that outlived the server (kill -9) before marking it failed', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'orphan', project: 'plain', task: task({}) });
    await first.waitForAgent('orphan', 20_000);
    await first.shutdown();
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    markRunning(dataDir, 'orphan', orphan.pid!, processStartTime(orphan.pid!));

    const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
    expect(second.showAgent('orphan').last_task).toMatchObject({ status: 'failed', reason: 'server restarted' });
    await exited;
    expect(isAlive(orphan.pid!)).toBe(false);
  });

  it('kills what a task left in its process group when its first process ended while no server watched', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'leftover', project: 'plain', task: task({}) });
    await first.waitForAgent('leftover', 20_000);
    await first.shutdown();
    const leader = spawn('/bin/sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!; sleep 0.3'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const leaderStart = processStartTime(leader.pid!);
    let output = '';
    leader.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => leader.once('close', resolve));
    const background = Number(output.trim());
    try {
      expect(isRunning(background)).toBe(true);
      markRunning(dataDir, 'leftover', leader.pid!, leaderStart);
      await sandbox.fleet({ dataDir, projects, rolesConfig });
      await eventually(() => (isRunning(background) ? undefined : true), 5000);
    } finally {
      if (isRunning(background)) process.kill(background, 'SIGKILL');
    }
  });

  it('finishes a delete the previous run was in the middle of', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const repo = sandbox.gitRepo();
    const projects = [{ name: 'repo', path: repo, description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await first.createAgent({ name: 'halfgone', project: 'repo', task: task({}) });
    await first.waitForAgent('halfgone', 20_000);
    await first.shutdown();
    const file = join(dataDir, 'agents', 'halfgone.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.agent.status = 'deleting';
    writeFileSync(file, JSON.stringify(state));

    const second = await sandbox.fleet({ dataDir, projects, rolesConfig });
    expect(second.listAgents()).toEqual([]);
  });

  it('lists 200 agents from memory, filtered by status and project', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [
      { name: 'one', path: sandbox.dir(), description: '' },
      { name: 'two', path: sandbox.dir(), description: '' },
    ];
    const store = Store.open(dataDir, silentLogger);
    for (let i = 0; i < 200; i++) {
      const project = projects[i % 2]!;
      const agent: Agent = {
        name: `agent-${String(i).padStart(3, '0')}`,
        project: project.name,
        role: 'test',
        backend: 'local',
        status: i % 4 === 0 ? 'failed' : 'idle',
        created_by: 'shared',
        status_reason: null,
        workdir: project.path,
        branch: null,
        base: null,
        current_task_id: null,
        created_at: new Date(0).toISOString(),
        updated_at: new Date(0).toISOString(),
      };
      store.put(agent.name, { agent, tasks: [], git: null, process: null, setup_pending: false, ran_sandboxed: false });
    }
    await store.flush();
    const fleet = await sandbox.fleet({ dataDir, projects });
    expect(fleet.listAgents()).toHaveLength(200);
    expect(fleet.listAgents({ status: 'failed' })).toHaveLength(50);
    expect(fleet.listAgents({ status: 'IDLE', project: 'two' })).toHaveLength(100);
    expect(fleet.listAgents({ status: 'busy' })).toEqual([]);
  });
});

describe('pagination', () => {
  it('pages the log and the task history newest first, with edges', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'pager', project: 'plain', task: task({ lines: ['l1', 'l2', 'l3'] }) });
    await fleet.waitForAgent('pager', 20_000);
    for (const n of [2, 3]) {
      await fleet.startTask('pager', task({ lines: [`task ${n}`] }));
      await fleet.waitForAgent('pager', 20_000);
    }

    const history = fleet.taskHistory('pager', { page: 1, pageSize: 2 });
    expect(history).toMatchObject({
      total_count: 3,
      page: 1,
      page_size: 2,
      has_next_page: true,
      has_previous_page: false,
    });
    expect(history.items.map((t) => t.description)).toEqual([task({ lines: ['task 3'] }), task({ lines: ['task 2'] })]);
    const last = fleet.taskHistory('pager', { page: 2, pageSize: 2 });
    expect(last).toMatchObject({ has_next_page: false, has_previous_page: true });
    expect(last.items).toHaveLength(1);
    const past = fleet.taskHistory('pager', { page: 5, pageSize: 2 });
    expect(past).toMatchObject({ items: [], total_count: 3, has_next_page: false, has_previous_page: true });

    const all = await fleet.agentLog('pager', { pageSize: 500 });
    expect(all.items[0]!.text).toMatch(/completed$/);
    expect(all.has_next_page).toBe(false);
    const size = 4;
    const pages = Math.ceil(all.total_count / size);
    const joined = [];
    for (let page = 1; page <= pages; page++) {
      const current = await fleet.agentLog('pager', { page, pageSize: size });
      expect(current.has_next_page).toBe(page < pages);
      expect(current.has_previous_page).toBe(page > 1);
      joined.push(...current.items);
    }
    expect(joined).toEqual(all.items);
    expect(await fleet.agentLog('pager', { page: pages + 1, pageSize: size })).toMatchObject({
      items: [],
      has_next_page: false,
    });
  });

  it('rejects page numbers and sizes outside the limits, saying the range', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'limits', project: 'plain', task: task({}) });
    await expect(fleet.agentLog('limits', { pageSize: 501 })).rejects.toThrow(/from 1 to 500/);
    expect(() => fleet.taskHistory('limits', { pageSize: 101 })).toThrow(/from 1 to 100/);
    expect(() => fleet.taskHistory('limits', { page: 0 })).toThrow(/starting at 1/);
    await expect(fleet.agentLog('limits', { pageSize: 0 })).rejects.toThrow(/from 1 to 500/);
  });

  it('caps a task log, keeping the newest lines and saying how many were dropped', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const fleet = await sandbox.fleet({ dataDir, projects, rolesConfig, logCapBytes: 20_000 });
    await fleet.createAgent({ name: 'chatty', project: 'plain', task: task({ flood: { lines: 2000, bytes: 100 } }) });
    await fleet.waitForAgent('chatty', 20_000);
    const texts = await logTexts(fleet, 'chatty');
    expect(texts[0]).toMatch(/^\[log capped at 20000 bytes: \d+ earlier lines were dropped\]$/);
    expect(texts.at(-2)).toBe('ready');
    expect(texts).toContain('1999'.padEnd(100, 'x'));
    expect(texts).not.toContain('0'.padEnd(100, 'x'));
    await fleet.shutdown();

    const reopened = await sandbox.fleet({ dataDir, projects, rolesConfig });
    await eventually(
      async () => ((await logTexts(reopened, 'chatty')).length === texts.length ? true : undefined),
      1000,
    );
    expect(await logTexts(reopened, 'chatty')).toEqual(texts);
  });
});

describe('the data dir', () => {
  it('belongs to one server at a time, and a lock left by a dead server is taken over', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const first = await sandbox.fleet({ dataDir });
    await expect(sandbox.fleet({ dataDir, lockWaitMs: 200 })).rejects.toThrow(
      /in use by another fleet-mcp server \(pid \d+\)/,
    );
    await first.shutdown();
    const second = await sandbox.fleet({ dataDir });
    await second.shutdown();

    writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: 999_999_999, pid_start: '1', id: 'dead' }));
    // A server killed while it wrote its lock leaves the temp file behind; the next one removes it.
    const abandoned = join(dataDir, '.server.lock.0123456789ab.tmp');
    writeFileSync(abandoned, '{"pid": 1');
    utimesSync(abandoned, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    await expect(sandbox.fleet({ dataDir })).resolves.toBeDefined();
    expect(existsSync(abandoned)).toBe(false);
  });
});
