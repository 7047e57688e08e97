import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentRecord } from '../../src/fleet/store.js';
import type { TaskRecord } from '../../src/fleet/types.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { isRunning } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox, type FleetServer } from './fleet-server.js';

/** The product's default: stopping the server leaves its agents running. */
const LEAVE_AGENTS = { FLEET_MCP_STOP_AGENTS_ON_EXIT: 'false' };

/** How long a killed process may take to be gone: a generous ceiling for a busy machine, not a wait. */
const GONE = { timeout: 10_000, interval: 25 };

/** Process groups of the tasks started here, killed at the end whatever happened. */
const groups = new Set<number>();

afterAll(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

async function texts(fleet: FleetServer, name: string): Promise<string[]> {
  const page = await fleet.ok('show_agent_log', { name: name, page_size: 500 });
  return (page.lines as { text: string }[]).map((line) => line.text).reverse();
}

/** Waits for the agent's "ready", then returns the pid the script printed and the pid of its task's process group. */
async function started(
  fleet: FleetServer,
  sandbox: FleetSandbox,
  name: string,
): Promise<{ agentPid: number; group: number }> {
  await vi.waitFor(async () => expect(await texts(fleet, name)).toContain('ready'), { timeout: 30_000, interval: 50 });
  const agentPid = Number((await texts(fleet, name)).find((text) => text.startsWith('PID '))!.slice(4));
  const group = stateOf(sandbox, name).process!.pid!;
  groups.add(group);
  return { agentPid, group };
}

function stateFile(sandbox: FleetSandbox, name: string): string {
  return join(sandbox.dataDir, 'agents', `${name}.json`);
}

function stateOf(sandbox: FleetSandbox, name: string): AgentRecord {
  return JSON.parse(readFileSync(stateFile(sandbox, name), 'utf8'));
}

async function lastTask(fleet: FleetServer, name: string): Promise<TaskRecord> {
  const waited = await fleet.ok('wait_for_agent', { name: name, timeout_seconds: 30 });
  expect(waited.timed_out).toBe(false);
  return waited.agent.last_task;
}

/** Edits an agent's state file while no server runs. */
function editState(sandbox: FleetSandbox, name: string, edit: (state: AgentRecord) => void): void {
  const state = stateOf(sandbox, name);
  edit(state);
  writeFileSync(stateFile(sandbox, name), JSON.stringify(state));
}

describe('running tasks outlive the server', { timeout: 120_000 }, () => {
  it('after kill -9 mid-task, the restarted server follows the task to its real exit code and commits', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    // The task goes on when the test makes this file, once the second server follows it: however slow a restart.
    const go = join(sandbox.sandbox.root, 'crash-go');
    const work = task({
      lines: ['working'],
      printPid: true,
      waitForFile: go,
      finalLines: ['finishing'],
      commit: 'agent-work.txt',
      exit: 3,
    });
    await first.ok('create_agent', { name: 'crash', project: 'repo', task: work });
    const { agentPid } = await started(first, sandbox, 'crash');
    await first.server.stop('SIGKILL');
    expect(isRunning(agentPid)).toBe(true);

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect(await second.ok('show_agent', { name: 'crash' })).toMatchObject({
      status: 'busy',
      last_task: { status: 'running' },
    });
    expect(isRunning(agentPid)).toBe(true);
    writeFileSync(go, '');
    const ended = await lastTask(second, 'crash');
    expect(ended).toMatchObject({
      status: 'failed',
      reason: 'exit code 3',
      exit_code: 3,
      commits: [{ subject: 'agent: agent-work.txt' }],
    });
    expect(ended.files_changed).toEqual(['agent-work.txt']);
    const log = await texts(second, 'crash');
    // Every line once: what the first server read is not read again, and nothing written meanwhile is lost.
    expect(log.filter((text) => text === 'working')).toHaveLength(1);
    expect(log).toContain('finishing');
    expect(log.some((text) => text.endsWith('followed again by a restarted server'))).toBe(true);
    await second.ok('start_agent_task', { name: 'crash', task: task({}) });
    expect((await lastTask(second, 'crash')).status).toBe('completed');
    await second.server.stop();
  });

  it('a graceful restart mid-task leaves the task running, and the next server records it completed', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    // The task ends when the test makes this file, once the second server is up: however slow a restart.
    const go = join(sandbox.sandbox.root, 'steady-go');
    await first.ok('create_agent', {
      name: 'steady',
      project: 'repo',
      task: task({ printPid: true, waitForFile: go, commit: 'steady.txt' }),
    });
    const { agentPid } = await started(first, sandbox, 'steady');
    expect(await first.server.stop('SIGTERM')).toBe(0);
    expect(isRunning(agentPid)).toBe(true);

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect(await second.ok('show_agent', { name: 'steady' })).toMatchObject({ last_task: { status: 'running' } });
    writeFileSync(go, '');
    expect(await lastTask(second, 'steady')).toMatchObject({
      status: 'completed',
      exit_code: 0,
      commits: [{ subject: 'agent: steady.txt' }],
    });
    expect(await second.ok('show_agent', { name: 'steady' })).toMatchObject({ status: 'idle', current_task_id: null });
    await second.server.stop();
  });
});

/**
 * One first server starts a task per case, is killed with SIGKILL, each task is then left as its case needs, and one
 * second server finds them all: each case is its own agent, so what one asserts is about its task alone.
 */
describe('a server restarted after kill -9 takes each task as it finds it', () => {
  let sandbox: FleetSandbox;
  const pids: Record<string, { agentPid: number; group: number }> = {};
  let second: FleetServer;
  let restartedAt: number;

  beforeAll(async () => {
    sandbox = createFleetSandbox();
    const fifo = join(sandbox.sandbox.root, 'loner-go');
    execFileSync('mkfifo', [fifo]);
    const hush = join(sandbox.sandbox.root, 'quiet-hush');
    const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    config.roles.shell = { command: ['/bin/sh', '-c', '{task}'] };
    config.roles.quiet = { command: ['/bin/sh', '-c', '{task}'], idle_timeout: '2s' };
    config.roles.overdue = { ...config.roles.test, default: false, timeout: '10m' };
    writeFileSync(sandbox.configFile, JSON.stringify(config));
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    const agents = {
      // It goes on when the test writes a line to its fifo, after the first server is gone.
      loner: { role: 'shell', task: `echo "PID $$"; echo ready; read go < ${fifo}; echo 'said while alone'; exit 5` },
      vanished: { role: 'test', task: task({ printPid: true, sleepMs: 60_000 }) },
      reused: { role: 'test', task: task({ printPid: true, sleepMs: 60_000 }) },
      // Silent only once the first server is gone: its idle timeout is the restarted server's to apply.
      quiet: {
        role: 'quiet',
        task: `echo "PID $$"; echo ready; until [ -e ${hush} ]; do echo alive; sleep 0.2; done; sleep 60`,
      },
      overdue: { role: 'overdue', task: task({ printPid: true, sleepMs: 120_000 }) },
    };
    for (const [name, { role, task }] of Object.entries(agents))
      await first.ok('create_agent', { name, project: 'plain', role, task });
    for (const name of Object.keys(agents)) pids[name] = await started(first, sandbox, name);
    await first.server.stop('SIGKILL');
    writeFileSync(hush, '');

    writeFileSync(fifo, 'go\n');
    await vi.waitFor(() => expect(isRunning(pids.loner!.agentPid) || isRunning(pids.loner!.group)).toBe(false), GONE);
    process.kill(-pids.vanished!.group, 'SIGKILL');
    await vi.waitFor(
      () => expect(isRunning(pids.vanished!.agentPid) || isRunning(pids.vanished!.group)).toBe(false),
      GONE,
    );
    // As if the task's pid had been reused by another process while no server ran.
    editState(sandbox, 'reused', (state) => {
      state.process!.pid_start = '1';
    });
    // As if the task had started an hour ago: past its 10 m timeout while no server ran, without waiting for it.
    editState(sandbox, 'overdue', (state) => {
      state.tasks.at(-1)!.started_at = new Date(Date.now() - 3_600_000).toISOString();
    });

    restartedAt = Date.now();
    second = await startFleetServer(sandbox, LEAVE_AGENTS);
  }, 180_000);

  afterAll(() => second?.server.stop());

  it('records the real outcome and output of a task that ended while no server ran', async () => {
    expect(await lastTask(second, 'loner')).toMatchObject({ status: 'failed', reason: 'exit code 5', exit_code: 5 });
    expect(await texts(second, 'loner')).toContain('said while alone');
  });

  it('fails a task whose processes are gone with no exit status, saying so', async () => {
    const ended = await lastTask(second, 'vanished');
    expect(ended).toMatchObject({ status: 'failed', exit_code: null });
    expect(ended.reason).toMatch(/^its process ended without recording an exit status/);
  });

  it('never takes a live process recorded with another start time for its task, nor signals it', async () => {
    expect((await lastTask(second, 'reused')).reason).toMatch(/^its process ended without recording an exit status/);
    expect(isRunning(pids.reused!.agentPid) && isRunning(pids.reused!.group)).toBe(true);
  });

  it('stops a reattached task that prints nothing for its idle timeout', async () => {
    expect(await lastTask(second, 'quiet')).toMatchObject({ status: 'failed', reason: 'no output for 2s' });
    await expect.poll(() => isRunning(pids.quiet!.agentPid), { timeout: 5000 }).toBe(false);
  });

  it('counts the timeout of a reattached task from its start, not from the restart', async () => {
    // Counted from the restart, the task would run 10 minutes more: wait_for_agent would time out first.
    const ended = await lastTask(second, 'overdue');
    expect(ended).toMatchObject({ status: 'failed', reason: 'timed out after 10m' });
    expect(Date.parse(ended.ended_at!) - restartedAt).toBeLessThan(60_000);
  });
});

describe('stopping the server with its agents', { timeout: 120_000 }, () => {
  it('with FLEET_MCP_STOP_AGENTS_ON_EXIT, SIGTERM cancels running tasks, records them and exits 0', async () => {
    const sandbox = createFleetSandbox();
    const env = { FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true' };
    const first = await startFleetServer(sandbox, env);
    await first.ok('create_agent', {
      name: 'busy',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 120_000 }),
    });
    const { agentPid } = await started(first, sandbox, 'busy');
    expect(await first.server.stop('SIGTERM')).toBe(0);
    expect(isRunning(agentPid)).toBe(false);

    const second = await startFleetServer(sandbox, env);
    expect(await second.ok('show_agent', { name: 'busy' })).toMatchObject({
      status: 'idle',
      last_task: { status: 'canceled', reason: 'server shutting down' },
    });
    await second.server.stop();
  });
});
