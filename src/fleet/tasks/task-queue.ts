import type { AgentRegistry } from '../agents/agent-registry.js';
import { timestamp } from '../agents/agent-registry.js';
import type { FleetLogger } from '../logger.js';
import type { KeyedLock } from '../keyed-lock.js';
import { SlotQueue, type SlotTicket } from './slot-queue.js';
import type { AgentRecord } from '../store.js';
import { appendToTaskLogFile } from '../logs/task-log.js';
import type { TaskRuns } from './task-runs.js';
import type { Role, TaskRecord } from '../types.js';

export interface TaskQueueOptions {
  maxBusy: number;
  registry: AgentRegistry;
  runs: TaskRuns;
  /** The fleet's per-agent lock: a task whose turn comes starts under it, like any other operation on its agent. */
  agentLocks: KeyedLock;
  logger: FleetLogger;
  isShuttingDown(): boolean;
}

/** Tasks waiting for, or holding, one of the FLEET_MCP_MAX_BUSY busy slots. */
export class TaskQueue {
  private readonly slots: SlotQueue;
  /** The slot each agent holds or waits for, with the task it is for. */
  private readonly tickets = new Map<string, { ticket: SlotTicket; task: TaskRecord }>();

  constructor(private readonly options: TaskQueueOptions) {
    this.slots = new SlotQueue(options.maxBusy);
  }

  /** Starts the task now when a slot is free; otherwise it waits its turn, first come first served, the agent pending. */
  async submit(key: string, record: AgentRecord, role: Role, task: TaskRecord): Promise<void> {
    const ticket: SlotTicket = this.slots.request(key, () => void this.startQueued(key, record, role, task, ticket));
    this.tickets.set(key, { ticket, task });
    if (ticket.state === 'waiting') {
      this.options.registry.setStatus(
        key,
        record,
        'pending',
        `waiting for a busy slot: at most ${this.options.maxBusy} agents run at once (FLEET_MCP_MAX_BUSY)`,
      );
      this.options.logger.info(
        { agent: record.agent.name, task: task.id, position: this.slots.position(ticket) },
        'task queued',
      );
      return;
    }
    try {
      await this.options.runs.launch(key, record, role, task);
    } finally {
      if (task.status === 'queued') this.release(key);
    }
  }

  /** Counts a task that already runs, found again after a restart, in the busy slots. */
  adopt(key: string, task: TaskRecord): void {
    this.tickets.set(key, { ticket: this.slots.occupy(key), task });
  }

  /** Frees the agent's slot (its task ended, or never started); the next waiting task gets it. */
  release(key: string): void {
    const held = this.tickets.get(key);
    if (!held) return;
    this.tickets.delete(key);
    this.slots.release(held.ticket);
  }

  /** Ends the agent's queued task as canceled and leaves the agent idle; false when no task of it waits. */
  cancelQueued(key: string, record: AgentRecord, reason: string): boolean {
    const held = this.tickets.get(key);
    if (held?.task.status !== 'queued') return false;
    this.release(key);
    const { task } = held;
    const now = timestamp();
    Object.assign(task, { status: 'canceled', outcome: 'canceled', reason, ended_at: now, queue_position: null });
    const line = {
      time: now,
      stream: 'system' as const,
      text: `task ${task.id} canceled before it started: ${reason}`,
      task_id: task.id,
    };
    appendToTaskLogFile(this.options.registry.store.logFile(key, task.id), line);
    task.log_lines = 1;
    if (record.agent.current_task_id === task.id) record.agent.current_task_id = null;
    this.options.registry.setStatus(key, record, 'idle', null);
    return true;
  }

  /** Cancels every queued task (shutdown). */
  cancelAll(reason: string): void {
    for (const key of [...this.tickets.keys()]) {
      const record = this.options.registry.find(key);
      if (record) this.cancelQueued(key, record, reason);
    }
  }

  /** The agent's task that waits for a slot, if any. */
  waiting(key: string): TaskRecord | undefined {
    const held = this.tickets.get(key);
    return held?.task.status === 'queued' ? held.task : undefined;
  }

  /** 1 for the next task to start; null when the task does not wait. */
  position(key: string, task: TaskRecord): number | null {
    const held = this.tickets.get(key);
    return held?.task === task ? this.slots.position(held.ticket) : null;
  }

  /** Starts a task whose turn came, unless it was canceled (or its agent deleted) meanwhile. */
  private async startQueued(
    key: string,
    record: AgentRecord,
    role: Role,
    task: TaskRecord,
    ticket: SlotTicket,
  ): Promise<void> {
    try {
      await this.options.agentLocks.run(key, async () => {
        if (this.options.isShuttingDown() || task.status !== 'queued' || this.options.registry.find(key) !== record)
          return;
        await this.options.runs.launch(key, record, role, task);
      });
    } catch (error) {
      this.options.logger.warn(
        { agent: record.agent.name, task: task.id, error: (error as Error).message },
        'a queued task could not start',
      );
    } finally {
      if (task.status === 'queued') {
        if (this.tickets.get(key)?.ticket === ticket) this.tickets.delete(key);
        this.slots.release(ticket);
      }
    }
  }
}
