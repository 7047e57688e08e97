import { afterEach, describe, expect, it } from 'vitest';
import { FleetError } from '../../src/fleet/errors.js';
import { eventually, logTexts, Sandbox, scriptReady, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('cancel', () => {
  it('stops a long task with SIGINT and records it canceled', async () => {
    // The SIGTERM comes only after the grace: the test's 300 ms was short of what a loaded machine may take to run the
    // agent's SIGINT trap. An agent that obeys ends at once, whatever the grace.
    const fleet = await sandbox.fleet({ cancelGraceMs: 60_000 });
    await fleet.createAgent({ name: 'long', project: 'plain', task: task({ sleepMs: 60_000 }) });
    await scriptReady(fleet, 'long');

    const agent = await fleet.cancelTask('long');
    expect(agent.status).toBe('idle');
    expect(agent.last_task).toMatchObject({ status: 'canceled', reason: 'canceled by request', exit_code: 130 });
    expect(await logTexts(fleet, 'long')).toContain('stopping on SIGINT');
  });

  it('escalates to SIGTERM for a task that ignores SIGINT', async () => {
    // 2 s for the agent to run its SIGINT handler before the SIGTERM: a loaded machine took more than 200 ms.
    const fleet = await sandbox.fleet({ cancelGraceMs: 2000 });
    await fleet.createAgent({
      name: 'stubborn',
      project: 'plain',
      task: task({ sleepMs: 60_000, ignoreSigint: true }),
    });
    await scriptReady(fleet, 'stubborn');

    const agent = await fleet.cancelTask('stubborn');
    expect(agent.status).toBe('idle');
    expect(agent.last_task).toMatchObject({ status: 'canceled', exit_code: null });
    expect(await logTexts(fleet, 'stubborn')).toContain('ignoring SIGINT');
  });

  it('shows the agent canceling while the cancel is under way', async () => {
    const fleet = await sandbox.fleet({ cancelGraceMs: 500 });
    await fleet.createAgent({
      name: 'slowstop',
      project: 'plain',
      task: task({ sleepMs: 60_000, ignoreSigint: true }),
    });
    await scriptReady(fleet, 'slowstop');
    const canceled = fleet.cancelTask('slowstop');
    await eventually(() => (fleet.showAgent('slowstop').status === 'canceling' ? true : undefined));
    await canceled;
    expect(fleet.showAgent('slowstop').status).toBe('idle');
  });

  it('refuses to cancel when nothing runs and says what the agent last did', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'quick', project: 'plain', task: task({}) });
    await fleet.waitForAgent('quick', 20_000);
    const error = await fleet.cancelTask('quick').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).message).toMatch(/no running or queued task.*status: idle.*completed/);
  });

  it('restart cancels the running task and returns the real agent, idle', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'Restartable', project: 'plain', task: task({ sleepMs: 60_000 }) });
    await scriptReady(fleet, 'restartable');
    const agent = await fleet.restartAgent('restartable');
    expect(agent.name).toBe('Restartable');
    expect(agent.status).toBe('idle');
    expect(agent.last_task).toMatchObject({ status: 'canceled', reason: 'canceled by restart_agent' });
  });

  it('shutdown cancels running tasks and records them', async () => {
    const fleet = await sandbox.fleet();
    await fleet.createAgent({ name: 'atshutdown', project: 'plain', task: task({ sleepMs: 60_000 }) });
    await scriptReady(fleet, 'atshutdown');
    await fleet.shutdown();
    expect(fleet.showAgent('atshutdown').last_task).toMatchObject({
      status: 'canceled',
      reason: 'server shutting down',
    });
    await expect(fleet.startTask('atshutdown', 'more')).rejects.toThrow(/shutting down/);
  });
});
