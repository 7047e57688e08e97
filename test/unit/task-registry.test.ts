import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { TASK_LIMITS, TaskRegistry, type TaskLimits, type TaskWork } from '../../src/mcp/task-registry.js';

const TASK_CALL = { method: 'tools/call', params: { name: 'wait_for_agent', task: {} } };
const PLAIN_CALL = { method: 'tools/call', params: { name: 'wait_for_agent' } };

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

/** Work whose run ends when the test says so, and which records whether it was told to stop. */
function controlledWork(): TaskWork & { finish(value: string): void; signal?: AbortSignal; cancels: number } {
  let finish!: (value: string) => void;
  const ran = new Promise<string>((resolve) => (finish = resolve));
  const work = {
    signal: undefined as AbortSignal | undefined,
    cancels: 0,
    finish: (value: string) => finish(value),
    run: async (signal: AbortSignal) => {
      work.signal = signal;
      const value = await ran;
      return { result: text(value), message: value };
    },
    describe: () => 'halfway',
    cancel: async () => {
      work.cancels += 1;
      return { result: text('stopped'), message: 'stopped it' };
    },
  };
  return work;
}

function registry(limits: Partial<TaskLimits> = {}, clock = { now: 1_000_000 }): TaskRegistry {
  return new TaskRegistry({ ...TASK_LIMITS, ...limits }, () => clock.now);
}

describe('TaskRegistry', () => {
  it('keeps a task for the token that made it, and shows it to no other', async () => {
    const tasks = registry();
    const mine = tasks.storeFor('alice');
    const theirs = tasks.storeFor('bob');
    const created = await mine.createTask({ ttl: 60_000 }, 1, TASK_CALL);
    const work = controlledWork();
    tasks.start('alice', created.taskId, work);

    expect(await mine.getTask(created.taskId)).toMatchObject({ status: 'working', statusMessage: 'halfway' });
    expect(await tasks.storeFor('alice').getTask(created.taskId)).not.toBeNull();
    expect(await theirs.getTask(created.taskId)).toBeNull();
    await expect(theirs.getTaskResult(created.taskId)).rejects.toThrow(/Task not found/);
    expect((await theirs.listTasks()).tasks).toEqual([]);
    await expect(tasks.cancel('bob', created.taskId)).rejects.toThrow(/Task not found/);
    expect(work.cancels).toBe(0);

    work.finish('done');
    await expect.poll(async () => (await mine.getTask(created.taskId))?.status).toBe('completed');
    expect(await mine.getTaskResult(created.taskId)).toEqual(text('done'));
  });

  it('creates a task failed once too many of the token are working, and drops the oldest ended one at the cap', async () => {
    const tasks = registry({ maxPerToken: 3, maxWorkingPerToken: 2 });
    const store = tasks.storeFor('alice');
    const works = [controlledWork(), controlledWork()];
    const ids: string[] = [];
    for (const work of works) {
      const { taskId } = await store.createTask({}, ids.length, TASK_CALL);
      tasks.start('alice', taskId, work);
      ids.push(taskId);
    }
    const refused = await store.createTask({}, 3, TASK_CALL);
    const spare = controlledWork();
    expect(tasks.start('alice', refused.taskId, spare)).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringContaining('Too many tasks working'),
    });
    expect(spare.signal).toBeUndefined();
    expect(await store.getTaskResult(refused.taskId)).toMatchObject({ isError: true });
    // Another token has its own count.
    expect(await tasks.storeFor('bob').createTask({}, 4, TASK_CALL)).toMatchObject({ status: 'working' });

    works[0]!.finish('first done');
    await expect.poll(async () => (await store.getTask(ids[0]!))?.status).toBe('completed');
    const next = await store.createTask({}, 5, TASK_CALL);
    expect(next.status).toBe('working');
    // Three kept: the oldest ended task made room; the working one and the newer ended one stay.
    expect(await store.getTask(ids[0]!)).toBeNull();
    expect((await store.listTasks()).tasks.map((listed) => listed.taskId)).toEqual([
      ids[1],
      refused.taskId,
      next.taskId,
    ]);
  });

  it('drops a task once its ttl has passed, stopping its work, and keeps none longer than the limit', async () => {
    const clock = { now: 1_000_000 };
    const tasks = registry({ maxTtlMs: 10_000 }, clock);
    const store = tasks.storeFor('alice');
    const short = await store.createTask({ ttl: 1000 }, 1, TASK_CALL);
    const work = controlledWork();
    tasks.start('alice', short.taskId, work);
    expect((await store.createTask({ ttl: 60_000 }, 2, TASK_CALL)).ttl).toBe(10_000);
    expect((await store.createTask({ ttl: null }, 3, TASK_CALL)).ttl).toBe(10_000);

    clock.now += 999;
    expect(await store.getTask(short.taskId)).not.toBeNull();
    clock.now += 1;
    expect(await store.getTask(short.taskId)).toBeNull();
    expect(work.signal?.aborted).toBe(true);
    clock.now += 10_000;
    expect((await store.listTasks()).tasks).toEqual([]);
  });

  it('cancels at once, stops the work, and keeps the cancellation over a result that comes later', async () => {
    const tasks = registry();
    const store = tasks.storeFor('alice');
    const { taskId } = await store.createTask({}, 1, TASK_CALL);
    const work = controlledWork();
    tasks.start('alice', taskId, work);

    expect(await tasks.cancel('alice', taskId)).toMatchObject({ status: 'cancelled', statusMessage: 'stopped it' });
    expect(work.cancels).toBe(1);
    expect(work.signal?.aborted).toBe(true);
    work.finish('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.getTask(taskId)).toMatchObject({ status: 'cancelled' });
    expect(await store.getTaskResult(taskId)).toEqual(text('stopped'));
    await expect(tasks.cancel('alice', taskId)).rejects.toThrow(/already cancelled/);
  });

  it('keeps a task the SDK made for a call that asked for none out of the list and the count, until its answer is read', async () => {
    const tasks = registry({ maxPerToken: 2, maxWorkingPerToken: 1 });
    const store = tasks.storeFor('alice');
    const inline = await store.createTask({}, 1, PLAIN_CALL);
    expect(tasks.isInline('alice', inline.taskId)).toBe(true);
    expect(tasks.isInline('bob', inline.taskId)).toBe(false);
    expect((await store.createTask({}, 2, TASK_CALL)).status).toBe('working');
    expect((await store.listTasks()).tasks).toHaveLength(1);
    await expect(tasks.cancel('alice', inline.taskId)).rejects.toThrow(/Task not found/);

    expect(tasks.settleInline('alice', inline.taskId, text('answer'))).toMatchObject({ status: 'completed' });
    expect(await store.getTaskResult(inline.taskId)).toEqual(text('answer'));
    expect(await store.getTask(inline.taskId)).toBeNull();
  });

  it('lists in pages of 20 and refuses a cursor it did not give', async () => {
    const tasks = registry();
    const store = tasks.storeFor('alice');
    for (let i = 0; i < 25; i++) await store.createTask({}, i, TASK_CALL);
    const first = await store.listTasks();
    expect(first.tasks).toHaveLength(20);
    const second = await store.listTasks(first.nextCursor);
    expect(second.tasks).toHaveLength(5);
    expect(second.nextCursor).toBeUndefined();
    await expect(store.listTasks('not-a-cursor')).rejects.toThrow(/Unknown cursor/);
  });

  it('shows a task input_required while its work asks, hands the replies to its owner only, and none once ended', async () => {
    const tasks = registry();
    const question = { ask: { key: 'agent_question:q1', message: 'Which?' } };
    let asking: typeof question | undefined = question;
    const replies: string[] = [];
    const work = {
      ...controlledWork(),
      asking: () => asking,
      answer: async (reply: (key: string) => { action: string }) => {
        replies.push(reply(question.ask.key).action);
        asking = undefined;
      },
    };
    const task = tasks.create('alice', 60_000);
    tasks.start('alice', task.taskId, work);
    expect(await tasks.view('alice', task.taskId)).toMatchObject({
      task: { status: 'input_required', statusMessage: 'Which?' },
      asking: question,
    });

    expect(await tasks.answer('bob', task.taskId, () => ({ action: 'decline' }))).toBe(false);
    expect(replies).toEqual([]);
    expect(await tasks.answer('alice', task.taskId, () => ({ action: 'decline' }))).toBe(true);
    expect(replies).toEqual(['decline']);
    const view = await tasks.view('alice', task.taskId);
    expect(view).toMatchObject({ task: { status: 'working', statusMessage: 'halfway' } });
    expect(view?.asking).toBeUndefined();

    asking = question;
    work.finish('done');
    await expect.poll(async () => (await tasks.view('alice', task.taskId))?.task.status).toBe('completed');
    expect((await tasks.view('alice', task.taskId))?.asking).toBeUndefined();
    await tasks.answer('alice', task.taskId, () => ({ action: 'decline' }));
    expect(replies).toEqual(['decline']);
  });
});
