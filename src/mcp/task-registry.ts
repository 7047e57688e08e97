import { randomUUID } from 'node:crypto';
import {
  isTerminal,
  type CreateTaskOptions,
  type TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import { ErrorCode, McpError, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { Question, Reply } from './fleet-tool.js';

export interface TaskLimits {
  /** Tasks kept per token, ended ones included; the oldest ended one makes room for a new one. */
  maxPerToken: number;
  /** Tasks working at once per token (below maxPerToken); past it a new task is created failed. */
  maxWorkingPerToken: number;
  /** The longest a task and its result are kept, counted from its creation, whatever ttl the client asks for. */
  maxTtlMs: number;
  /** Suggested to clients as the time between two tasks/get. */
  pollIntervalMs: number;
  /** How often expired tasks are looked for and dropped. */
  sweepEveryMs: number;
}

export const TASK_LIMITS: TaskLimits = {
  maxPerToken: 50,
  maxWorkingPerToken: 20,
  maxTtlMs: 25 * 60 * 60 * 1000,
  pollIntervalMs: 2000,
  sweepEveryMs: 60_000,
};

/** What a task does, handed over when it starts: its run, its state while it runs, and what stopping it means. */
export interface TaskWork {
  /** Runs to the task's result; `signal` aborts when the task is cancelled or expires. */
  run(signal: AbortSignal): Promise<{ result: CallToolResult; message: string }>;
  /** One line on how the work is doing now, shown by tasks/get while it runs. */
  describe(): string;
  /** Stops what the task started; its result becomes the task's result. */
  cancel(): Promise<{ result: CallToolResult; message: string }>;
  /** The question the task waits on its client's user to answer, if any: the task is `input_required` meanwhile. */
  asking?(): Question | undefined;
  /** Takes the client's replies (tasks/update), by the key each was asked under; a key not asked now is ignored. */
  answer?(reply: (key: string) => Reply): Promise<void>;
}

/** A task as its owner sees it: its state, its result once ended, and the question it waits on while it does. */
export interface TaskView {
  task: Task;
  result?: CallToolResult;
  asking?: Question;
}

interface Entry {
  task: Task;
  expiresAt: number;
  /**
   * Created by the SDK to answer a tools/call that did not ask for a task (it polls a task tool's task to get
   * a plain answer): never listed, never counted, dropped once its result is read.
   */
  inline: boolean;
  result?: Promise<CallToolResult>;
  work?: TaskWork;
  stop?: AbortController;
}

const LIST_PAGE_SIZE = 20;

function notFound(taskId: string): McpError {
  return new McpError(
    ErrorCode.InvalidParams,
    `Task not found: ${taskId} (it expired, or was never made with this token)`,
  );
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * The MCP tasks of every caller, kept in the server process so a task made by one request is found by the next
 * (stateless requests each get a fresh MCP server). Tasks belong to the token that made them: each server gets a
 * view of its own token's tasks only, and another token's task ids are unknown to it. Bounded per token in number
 * and in time (ttl).
 */
export class TaskRegistry {
  private readonly byOwner = new Map<string, Map<string, Entry>>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly limits: TaskLimits = TASK_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.sweep = setInterval(() => this.dropExpired(), limits.sweepEveryMs);
    this.sweep.unref();
  }

  /** The task store an MCP server answering for `owner` (a token name) uses: it sees that token's tasks only. */
  storeFor(owner: string): TaskStore {
    return {
      // The SDK makes a task for a call that did not ask for one too: it polls it for the plain answer.
      createTask: async (params, _requestId, request) =>
        this.addTask(owner, params, (request.params as { task?: unknown } | undefined)?.task === undefined),
      getTask: async (taskId) => {
        const entry = this.find(owner, taskId);
        return entry ? this.shownTask(entry) : null;
      },
      storeTaskResult: async (taskId, status, result) => {
        const entry = this.working(owner, taskId);
        this.finish(entry, status, entry.task.statusMessage ?? status, Promise.resolve(result as CallToolResult));
      },
      getTaskResult: async (taskId) => this.result(owner, taskId),
      updateTaskStatus: async (taskId, status, statusMessage) => {
        const entry = this.working(owner, taskId);
        entry.task = { ...entry.task, status, statusMessage, lastUpdatedAt: new Date(this.now()).toISOString() };
      },
      listTasks: async (cursor) => this.list(owner, cursor),
    };
  }

  /** Whether this task was made by the SDK for a call that did not ask for a task (see Entry.inline). */
  isInline(owner: string, taskId: string): boolean {
    return this.find(owner, taskId)?.inline === true;
  }

  /** Ends an inline task with the plain call's answer, so the SDK's poll finds it done at once. */
  settleInline(owner: string, taskId: string, result: CallToolResult): Task {
    const entry = this.find(owner, taskId);
    if (!entry?.inline) throw notFound(taskId);
    this.finish(entry, 'completed', 'answered', Promise.resolve(result));
    return { ...entry.task };
  }

  dropInline(owner: string, taskId: string): void {
    if (this.isInline(owner, taskId)) this.byOwner.get(owner)?.delete(taskId);
  }

  /** Starts the work of a task just created; a task created failed (over the limit) stays so and runs nothing. */
  start(owner: string, taskId: string, work: TaskWork): Task {
    const entry = this.find(owner, taskId);
    if (!entry) throw notFound(taskId);
    if (entry.task.status !== 'working') return this.shownTask(entry);
    entry.work = work;
    entry.stop = new AbortController();
    work.run(entry.stop.signal).then(
      ({ result, message }) =>
        this.finish(entry, result.isError ? 'failed' : 'completed', message, Promise.resolve(result)),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.finish(entry, 'failed', message, Promise.resolve(errorResult(message)));
      },
    );
    return this.shownTask(entry);
  }

  /**
   * tasks/cancel: the task is cancelled at once (a result that comes later is ignored), then its work is stopped;
   * answers once that is done, with the task carrying what stopping it did.
   */
  async cancel(owner: string, taskId: string): Promise<Task> {
    const entry = this.find(owner, taskId);
    if (!entry || entry.inline) throw notFound(taskId);
    if (isTerminal(entry.task.status)) {
      throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task ${taskId}: it is already ${entry.task.status}.`);
    }
    entry.stop?.abort();
    const stopped = (
      entry.work ? entry.work.cancel() : Promise.resolve({ result: errorResult('Cancelled.'), message: 'Cancelled.' })
    ).catch((error: unknown) => {
      const message = `Cancelled; stopping its work failed: ${error instanceof Error ? error.message : String(error)}`;
      return { result: errorResult(message), message };
    });
    this.finish(
      entry,
      'cancelled',
      'Cancelling.',
      stopped.then(({ result }) => result),
    );
    const { message } = await stopped;
    entry.task = { ...entry.task, statusMessage: message, lastUpdatedAt: new Date(this.now()).toISOString() };
    return { ...entry.task };
  }

  /** A task the server chose to make of a call (the 2026-07-28 tasks extension), kept like any asked-for task. */
  create(owner: string, ttlMs: number): Task {
    return this.addTask(owner, { ttl: ttlMs }, false);
  }

  /** The task and, once it has ended, its result; undefined for a task this owner does not have. */
  async view(owner: string, taskId: string): Promise<TaskView | undefined> {
    const entry = this.find(owner, taskId);
    if (!entry || entry.inline) return undefined;
    const asking = this.asking(entry);
    return {
      task: this.shownTask(entry, asking),
      ...(entry.result ? { result: await entry.result } : {}),
      ...(asking ? { asking } : {}),
    };
  }

  /** tasks/update: hands the client's replies to the owner's task; false for a task this owner does not have. */
  async answer(owner: string, taskId: string, reply: (key: string) => Reply): Promise<boolean> {
    const entry = this.find(owner, taskId);
    if (!entry || entry.inline) return false;
    if (!isTerminal(entry.task.status)) await entry.work?.answer?.(reply);
    return true;
  }

  private asking(entry: Entry): Question | undefined {
    if (entry.task.status !== 'working' || !entry.work?.asking) return undefined;
    try {
      return entry.work.asking();
    } catch {
      return undefined;
    }
  }

  private addTask(owner: string, params: CreateTaskOptions, inline: boolean): Task {
    const tasks = this.tasksOf(owner);
    const created = new Date(this.now()).toISOString();
    const ttl = Math.min(params.ttl ?? this.limits.maxTtlMs, this.limits.maxTtlMs);
    const task: Task = {
      taskId: randomUUID(),
      status: 'working',
      ttl,
      createdAt: created,
      lastUpdatedAt: created,
      pollInterval: this.limits.pollIntervalMs,
    };
    const entry: Entry = { task, expiresAt: this.now() + ttl, inline };
    if (!inline) {
      const kept = [...tasks.values()].filter((other) => !other.inline);
      const working = kept.filter((other) => !isTerminal(other.task.status)).length;
      if (working >= this.limits.maxWorkingPerToken) {
        const message = `Too many tasks working for this token (${this.limits.maxWorkingPerToken}): wait for one to end, or cancel one with tasks/cancel.`;
        this.finish(entry, 'failed', message, Promise.resolve(errorResult(message)));
      }
      // Working tasks are fewer than the cap, so there is always an ended one to drop when the cap is reached.
      if (kept.length >= this.limits.maxPerToken) {
        const oldestEnded = kept.find((other) => isTerminal(other.task.status));
        if (oldestEnded) tasks.delete(oldestEnded.task.taskId);
      }
    }
    tasks.set(task.taskId, entry);
    return { ...task };
  }

  private async result(owner: string, taskId: string): Promise<CallToolResult> {
    const entry = this.find(owner, taskId);
    if (!entry?.result) throw notFound(taskId);
    const result = await entry.result;
    if (entry.inline) this.byOwner.get(owner)?.delete(taskId);
    return result;
  }

  private list(owner: string, cursor: string | undefined): { tasks: Task[]; nextCursor?: string } {
    const listed = [...this.tasksOf(owner).values()].filter((entry) => !entry.inline && !this.expired(entry));
    let from = 0;
    if (cursor !== undefined) {
      from = listed.findIndex((entry) => entry.task.taskId === cursor) + 1;
      if (from === 0)
        throw new McpError(ErrorCode.InvalidParams, `Unknown cursor: ${cursor}; list again from the start`);
    }
    const page = listed.slice(from, from + LIST_PAGE_SIZE);
    const more = from + LIST_PAGE_SIZE < listed.length;
    return {
      tasks: page.map((entry) => this.shownTask(entry)),
      ...(more ? { nextCursor: page.at(-1)!.task.taskId } : {}),
    };
  }

  /** The task as tasks/get shows it: a working task says how its work is doing right now, or what it asks. */
  private shownTask(entry: Entry, asking?: Question): Task {
    if (entry.task.status !== 'working' || !entry.work) return { ...entry.task };
    if (asking) return { ...entry.task, status: 'input_required', statusMessage: asking.ask.message };
    try {
      return { ...entry.task, statusMessage: entry.work.describe() };
    } catch {
      return { ...entry.task };
    }
  }

  private finish(entry: Entry, status: Task['status'], statusMessage: string, result: Promise<CallToolResult>): void {
    if (isTerminal(entry.task.status)) return;
    entry.task = { ...entry.task, status, statusMessage, lastUpdatedAt: new Date(this.now()).toISOString() };
    entry.result = result;
    // A result that fails to come still ends the task: tasks/result then reports the error.
    result.catch(() => undefined);
  }

  private working(owner: string, taskId: string): Entry {
    const entry = this.find(owner, taskId);
    if (!entry) throw notFound(taskId);
    if (isTerminal(entry.task.status))
      throw new McpError(ErrorCode.InvalidParams, `Task ${taskId} has already ended (${entry.task.status}).`);
    return entry;
  }

  private tasksOf(owner: string): Map<string, Entry> {
    let tasks = this.byOwner.get(owner);
    if (!tasks) {
      tasks = new Map();
      this.byOwner.set(owner, tasks);
    }
    return tasks;
  }

  /** The owner's task, unless its ttl has run out (then it is dropped now, not only at the next sweep). */
  private find(owner: string, taskId: string): Entry | undefined {
    const tasks = this.byOwner.get(owner);
    const entry = tasks?.get(taskId);
    if (!entry || !this.expired(entry)) return entry;
    this.drop(tasks!, entry);
    return undefined;
  }

  private expired(entry: Entry): boolean {
    return this.now() >= entry.expiresAt;
  }

  private drop(tasks: Map<string, Entry>, entry: Entry): void {
    tasks.delete(entry.task.taskId);
    entry.stop?.abort();
  }

  private dropExpired(): void {
    for (const [owner, tasks] of this.byOwner) {
      for (const entry of tasks.values()) if (this.expired(entry)) this.drop(tasks, entry);
      if (tasks.size === 0) this.byOwner.delete(owner);
    }
  }
}
