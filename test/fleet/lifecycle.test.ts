import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetError } from '../../src/fleet/errors.js';
import { allLogLines, eventually, logTexts, Sandbox, scriptReady, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('a task from start to end', () => {
  it('is busy while it runs, shows its output, then leaves the agent idle with the task completed', async () => {
    const fleet = await sandbox.fleet();
    // The task ends when the test makes this file, once it has seen the task busy: however slow the machine.
    const go = join(sandbox.dir('fleet-gate-'), 'go');
    const created = await fleet.createAgent({
      name: 'Worker-1',
      project: 'plain',
      task: task({ lines: ['hello', 'world'], errLines: ['oops'], waitForFile: go }),
    });

    expect(created.status).toBe('busy');
    expect(created.role).toBe('test');
    expect(created.last_task).toMatchObject({ status: 'running', exit_code: null, ended_at: null });
    await eventually(async () => ((await logTexts(fleet, 'worker-1')).includes('world') ? true : undefined));
    expect(fleet.showAgent('WORKER-1').status).toBe('busy');
    writeFileSync(go, '');

    const waited = await fleet.waitForAgent('worker-1', 20_000);
    expect(waited.timed_out).toBe(false);
    expect(waited.agent.status).toBe('idle');
    expect(waited.agent.current_task_id).toBeNull();
    expect(waited.agent.last_task).toMatchObject({ status: 'completed', exit_code: 0, reason: null });
    expect(waited.agent.last_task?.ended_at).toEqual(expect.any(String));

    const lines = await allLogLines(fleet, 'worker-1');
    expect(lines.filter((line) => line.stream === 'stdout').map((line) => line.text)).toEqual([
      'hello',
      'world',
      'ready',
    ]);
    expect(lines.find((line) => line.text === 'oops')?.stream).toBe('stderr');
    expect(lines.at(-1)).toMatchObject({ stream: 'system', text: expect.stringContaining('completed') });
    expect(lines.every((line) => line.task_id === created.last_task?.id && !Number.isNaN(Date.parse(line.time)))).toBe(
      true,
    );
  });

  it('records a non-zero exit as a failed task and keeps the agent usable', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'failing', project: 'plain', task: task({ exit: 3 }) });
    const { agent } = await fleet.waitForAgent('failing', 20_000);
    expect(agent.status).toBe('idle');
    expect(agent.last_task).toMatchObject({ status: 'failed', exit_code: 3, reason: 'exit code 3' });

    // Started, whether or not the instant task has already ended by the time the start's save lands.
    const next = await fleet.startTask('failing', task({ lines: ['second'] }));
    expect(next.task_count).toBe(2);
    expect((await fleet.waitForAgent('failing', 20_000)).agent.last_task?.status).toBe('completed');
    expect(fleet.taskHistory('failing').items.map((t) => t.status)).toEqual(['completed', 'failed']);
  });

  it('passes the task text as one argument, never through a shell', async () => {
    const fleet = await sandbox.fleet();
    const text = task({ printArgv: true, lines: ['$(touch pwned); echo `id` && rm -rf / {task}'] });
    await fleet.createAgent({ name: 'quoted', project: 'plain', task: text });
    await fleet.waitForAgent('quoted', 20_000);
    const argvLine = (await logTexts(fleet, 'quoted')).find((line) => line.startsWith('ARGV '));
    expect(JSON.parse(argvLine!.slice('ARGV '.length))).toEqual([text]);
  });

  it('gives the agent the server environment without FLEET_MCP_*, AUTH_ENABLED or CREDENTIALS_DIRECTORY, plus the role env', async () => {
    const rolesConfig = sandbox.rolesConfig();
    rolesConfig.test!.env = { ROLE_SETTING: 'from-role' };
    const fleet = await sandbox.fleet({
      rolesConfig,
      baseEnv: {
        PATH: process.env.PATH,
        HOME: '/home/x',
        FLEET_MCP_AUTH_TOKEN: 'secret',
        fleet_mcp_lower: 'x',
        AUTH_ENABLED: 'true',
        CREDENTIALS_DIRECTORY: '/run/credentials/fleet-mcp.service',
      },
    });
    await fleet.createAgent({ name: 'env', project: 'plain', task: task({ printEnv: true }) });
    await fleet.waitForAgent('env', 20_000);
    const envLine = (await logTexts(fleet, 'env')).find((line) => line.startsWith('ENV '));
    const env = JSON.parse(envLine!.slice('ENV '.length)) as Record<string, string>;
    expect(
      Object.keys(env).filter((name) => name.toUpperCase().startsWith('FLEET_MCP_') || name === 'AUTH_ENABLED'),
    ).toEqual([]);
    expect(env.CREDENTIALS_DIRECTORY).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('secret');
    expect(env).toMatchObject({ HOME: '/home/x', ROLE_SETTING: 'from-role' });
  });

  it('refuses a new task while one runs, and says how to proceed', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'busy', project: 'plain', task: task({ sleepMs: 30_000 }) });
    const error = await fleet.startTask('busy', 'another').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).message).toMatch(/busy.*wait_for_agent.*cancel_agent_task/s);
  });

  it('ends a task that outlives its role timeout as failed', async () => {
    const rolesConfig = sandbox.rolesConfig();
    rolesConfig.test!.timeout = '1s';
    const fleet = await sandbox.fleet({ rolesConfig });
    await fleet.createAgent({ name: 'slow', project: 'plain', task: task({ sleepMs: 60_000 }) });
    const { agent } = await fleet.waitForAgent('slow', 20_000);
    expect(agent.status).toBe('idle');
    expect(agent.last_task).toMatchObject({ status: 'failed', reason: 'timed out after 1s' });
  });

  it('marks the agent failed when the role command is not installed', async () => {
    const fleet = await sandbox.fleet({ rolesConfig: { ghost: { command: ['fleet-test-no-such-binary', '{task}'] } } });
    const error = await fleet
      .createAgent({ name: 'ghost', project: 'plain', task: 'anything' })
      .catch((e: unknown) => e);
    expect((error as FleetError).message).toContain('fleet-test-no-such-binary');
    const agent = fleet.showAgent('ghost');
    expect(agent.status).toBe('failed');
    expect(agent.status_reason).toContain('not found on PATH');
    expect(agent.last_task).toMatchObject({ status: 'failed' });
  });

  it('wait_for_agent reports a timeout while the agent is still busy', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'waiter', project: 'plain', task: task({ sleepMs: 30_000 }) });
    await scriptReady(fleet, 'waiter');
    const result = await fleet.waitForAgent('waiter', 100);
    expect(result.timed_out).toBe(true);
    expect(result.agent.status).toBe('busy');
  });
});
