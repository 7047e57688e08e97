import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentRecord } from '../../src/fleet/store.js';
import type { TaskRecord } from '../../src/fleet/types.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { isRunning } from '../fleet/helpers.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox, type FleetServer } from './fleet-server.js';

/** The product's default: stopping the server leaves its agents running. */
const LEAVE_AGENTS = { FLEET_MCP_STOP_AGENTS_ON_EXIT: 'false' };

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
  await expect.poll(() => texts(fleet, name), { timeout: 10_000 }).toContain('ready');
  const agentPid = Number((await texts(fleet, name)).find((text) => text.startsWith('PID '))!.slice(4));
  const group = stateOf(sandbox, name).process!.pid;
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

/** Sets fields of the sandbox's test role in its fleet config. */
function setTestRole(sandbox: FleetSandbox, fields: Record<string, unknown>): void {
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  Object.assign(config.roles.test, fields);
  writeFileSync(sandbox.configFile, JSON.stringify(config));
}

describe('running tasks outlive the server', () => {
  it('after kill -9 mid-task, the restarted server follows the task to its real exit code and commits', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    const work = task({
      lines: ['working'],
      printPid: true,
      sleepMs: 3000,
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
    await first.ok('create_agent', {
      name: 'steady',
      project: 'repo',
      task: task({ printPid: true, sleepMs: 2500, commit: 'steady.txt' }),
    });
    const { agentPid } = await started(first, sandbox, 'steady');
    expect(await first.server.stop('SIGTERM')).toBe(0);
    expect(isRunning(agentPid)).toBe(true);

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect(await lastTask(second, 'steady')).toMatchObject({
      status: 'completed',
      exit_code: 0,
      commits: [{ subject: 'agent: steady.txt' }],
    });
    expect(await second.ok('show_agent', { name: 'steady' })).toMatchObject({ status: 'idle', current_task_id: null });
    await second.server.stop();
  });

  it('records the real outcome and output of a task that ended while no server ran', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    await first.ok('create_agent', {
      name: 'loner',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 1000, finalLines: ['said while alone'], exit: 5 }),
    });
    const { agentPid, group } = await started(first, sandbox, 'loner');
    await first.server.stop('SIGKILL');
    await expect.poll(() => isRunning(agentPid) || isRunning(group), { timeout: 10_000 }).toBe(false);

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect(await lastTask(second, 'loner')).toMatchObject({ status: 'failed', reason: 'exit code 5', exit_code: 5 });
    expect(await texts(second, 'loner')).toContain('said while alone');
    await second.server.stop();
  });

  it('fails a task whose processes are gone with no exit status, saying so', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    await first.ok('create_agent', {
      name: 'vanished',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 60_000 }),
    });
    const { agentPid, group } = await started(first, sandbox, 'vanished');
    await first.server.stop('SIGKILL');
    process.kill(-group, 'SIGKILL');
    await expect.poll(() => isRunning(agentPid) || isRunning(group), { timeout: 10_000 }).toBe(false);

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    const ended = await lastTask(second, 'vanished');
    expect(ended).toMatchObject({ status: 'failed', exit_code: null });
    expect(ended.reason).toMatch(/^its process ended without recording an exit status/);
    await second.server.stop();
  });

  it('never takes a live process recorded with another start time for its task, nor signals it', async () => {
    const sandbox = createFleetSandbox();
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    await first.ok('create_agent', {
      name: 'reused',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 60_000 }),
    });
    const { agentPid, group } = await started(first, sandbox, 'reused');
    await first.server.stop('SIGKILL');
    // As if the task's pid had been reused by another process while no server ran.
    const state = stateOf(sandbox, 'reused');
    state.process!.pid_start = '1';
    writeFileSync(stateFile(sandbox, 'reused'), JSON.stringify(state));

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect((await lastTask(second, 'reused')).reason).toMatch(/^its process ended without recording an exit status/);
    expect(isRunning(agentPid) && isRunning(group)).toBe(true);
    await second.server.stop();
  });

  it('stops a reattached task that prints nothing for its idle timeout', async () => {
    const sandbox = createFleetSandbox();
    setTestRole(sandbox, { idle_timeout: '2s' });
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    await first.ok('create_agent', {
      name: 'quiet',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 60_000 }),
    });
    const { agentPid } = await started(first, sandbox, 'quiet');
    await first.server.stop('SIGKILL');

    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    expect(await lastTask(second, 'quiet')).toMatchObject({ status: 'failed', reason: 'no output for 2s' });
    await expect.poll(() => isRunning(agentPid), { timeout: 5000 }).toBe(false);
    await second.server.stop();
  });

  it('counts the timeout of a reattached task from its start, not from the restart', async () => {
    const sandbox = createFleetSandbox();
    setTestRole(sandbox, { timeout: '5s' });
    const first = await startFleetServer(sandbox, LEAVE_AGENTS);
    await first.ok('create_agent', {
      name: 'overdue',
      project: 'plain',
      task: task({ printPid: true, sleepMs: 60_000 }),
    });
    await started(first, sandbox, 'overdue');
    await first.server.stop('SIGKILL');
    // Past the timeout while no server ran: the next server stops the task at once rather than granting 5 s more.
    await new Promise((resolve) => setTimeout(resolve, 5500));

    const restartedAt = Date.now();
    const second = await startFleetServer(sandbox, LEAVE_AGENTS);
    const ended = await lastTask(second, 'overdue');
    expect(ended).toMatchObject({ status: 'failed', reason: 'timed out after 5s' });
    expect(Date.parse(ended.ended_at!) - restartedAt).toBeLessThan(5000);
    await second.server.stop();
  });

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
