import { afterEach, describe, expect, it } from 'vitest';
import { eventually, logTexts, Sandbox, scriptReady, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('over the busy limit, tasks queue', () => {
  it('queues first come first served with a visible position, and starts each when a slot frees', async () => {
    const fleet = await sandbox.fleet({ maxBusy: 1 });
    await fleet.createAgent({ name: 'first', project: 'plain', task: task({ sleepMs: 60_000 }) });
    const second = await fleet.createAgent({ name: 'second', project: 'plain', task: task({ lines: ['second ran'] }) });
    const third = await fleet.createAgent({ name: 'third', project: 'plain', task: task({ lines: ['third ran'] }) });
    expect(second).toMatchObject({
      status: 'pending',
      status_reason: expect.stringContaining('FLEET_MCP_MAX_BUSY'),
      last_task: { status: 'queued', queue_position: 1, started_at: null },
    });
    expect(third.last_task).toMatchObject({ status: 'queued', queue_position: 2 });
    expect((await fleet.waitForAgent('second', 50)).timed_out).toBe(true);

    await scriptReady(fleet, 'first');
    await fleet.cancelTask('first');
    const done = await Promise.all([fleet.waitForAgent('second', 20_000), fleet.waitForAgent('third', 20_000)]);
    expect(done.map((result) => result.agent.last_task?.status)).toEqual(['completed', 'completed']);
    expect(await logTexts(fleet, 'third')).toContain('third ran');
    const ranSecond = done[0]!.agent.last_task!;
    const ranThird = done[1]!.agent.last_task!;
    expect(ranSecond.queue_position).toBeNull();
    // One slot: the third started only once the second had ended.
    expect(Date.parse(ranThird.started_at!)).toBeGreaterThanOrEqual(Date.parse(ranSecond.ended_at!));
  });

  it('queues a new task of an idle agent too', async () => {
    const fleet = await sandbox.fleet({ maxBusy: 1 });
    await fleet.createAgent({ name: 'idler', project: 'plain', task: task({}) });
    await fleet.waitForAgent('idler', 20_000);
    await fleet.createAgent({ name: 'hog', project: 'plain', task: task({ sleepMs: 60_000 }) });
    const queued = await fleet.startTask('idler', task({}));
    expect(queued).toMatchObject({ status: 'pending', last_task: { status: 'queued', queue_position: 1 } });
    await expect(fleet.startTask('idler', task({}))).rejects.toThrow(/pending with task .*queued .*cancel_agent_task/);
  });

  it('cancels a queued task: it ends canceled, the agent is idle, and the queue moves up', async () => {
    const fleet = await sandbox.fleet({ maxBusy: 1 });
    await fleet.createAgent({ name: 'hog', project: 'plain', task: task({ sleepMs: 60_000 }) });
    await fleet.createAgent({ name: 'waiting', project: 'plain', task: task({}) });
    await fleet.createAgent({ name: 'behind', project: 'plain', task: task({}) });

    const canceled = await fleet.cancelTask('waiting');
    expect(canceled).toMatchObject({
      status: 'idle',
      current_task_id: null,
      last_task: { status: 'canceled', reason: 'canceled by request', started_at: null, queue_position: null },
    });
    expect(await logTexts(fleet, 'waiting')).toEqual([
      expect.stringMatching(/canceled before it started: canceled by request$/),
    ]);
    expect(fleet.showAgent('behind').last_task?.queue_position).toBe(1);
    await expect(fleet.cancelTask('waiting')).rejects.toThrow(/no running or queued task/);

    await fleet.cancelTask('hog');
    expect((await fleet.waitForAgent('behind', 20_000)).agent.last_task?.status).toBe('completed');
    expect(fleet.showAgent('waiting').last_task?.status).toBe('canceled');
  });

  it('deletes a pending agent, and shutdown cancels what still waits', async () => {
    const fleet = await sandbox.fleet({ maxBusy: 1 });
    await fleet.createAgent({ name: 'hog', project: 'plain', task: task({ sleepMs: 60_000 }) });
    await fleet.createAgent({ name: 'doomed', project: 'plain', task: task({}) });
    await fleet.createAgent({ name: 'patient', project: 'plain', task: task({}) });
    expect((await fleet.deleteAgent('doomed')).status).toBe('deleted');
    expect(fleet.showAgent('patient').last_task?.queue_position).toBe(1);

    await fleet.shutdown();
    expect(fleet.showAgent('patient')).toMatchObject({
      status: 'idle',
      last_task: { status: 'canceled', reason: 'server shutting down', started_at: null },
    });
    expect(fleet.showAgent('hog').last_task).toMatchObject({ status: 'canceled', reason: 'server shutting down' });
    await eventually(() => (fleet.listAgents().every((agent) => agent.status === 'idle') ? true : undefined));
  });

  it('keeps queued tasks through a server stop: the next server queues them again in their order and runs them', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig();
    const first = await sandbox.fleet({ dataDir, projects, rolesConfig, maxBusy: 1, stopAgentsOnShutdown: false });
    await first.createAgent({ name: 'hog', project: 'plain', task: task({ sleepMs: 3000 }) });
    await first.createAgent({ name: 'second', project: 'plain', task: task({ lines: ['second ran'] }) });
    await first.createAgent({ name: 'third', project: 'plain', task: task({ lines: ['third ran'] }) });
    await first.shutdown();
    expect(first.showAgent('second')).toMatchObject({ status: 'pending', last_task: { status: 'queued' } });

    const next = await sandbox.fleet({ dataDir, projects, rolesConfig, maxBusy: 1 });
    expect(next.showAgent('second')).toMatchObject({
      status: 'pending',
      last_task: { status: 'queued', queue_position: 1 },
    });
    expect(next.showAgent('third').last_task).toMatchObject({ status: 'queued', queue_position: 2 });
    const done = await Promise.all([next.waitForAgent('second', 20_000), next.waitForAgent('third', 20_000)]);
    expect(done.map((result) => result.agent.last_task?.status)).toEqual(['completed', 'completed']);
    expect(await logTexts(next, 'third')).toContain('third ran');
    const [hog, second, third] = ['hog', 'second', 'third'].map((name) => next.showAgent(name).last_task!);
    expect(Date.parse(second!.started_at!)).toBeGreaterThanOrEqual(Date.parse(hog!.ended_at!));
    expect(Date.parse(third!.started_at!)).toBeGreaterThanOrEqual(Date.parse(second!.ended_at!));
  });
});
