import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS, type TaskExit, type TaskHandle, type TaskLabels } from '../remote/agent-runtime.js';
import type { EngineClient } from './engine-client.js';
import { followLogs, type OnChunk } from './follow-logs.js';
import { labelFilter } from './task-labels.js';

interface SwarmTaskRecord {
  ID: string;
  CreatedAt: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

/** Swarm has no wait call for tasks: their state is read again at this pace. */
const POLL_MS = 300;
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
const NEVER_RAN = new Set(['rejected', 'orphaned']);

/** One task's replicated-job service on a swarm, seen through a manager. */
export class SwarmTask implements TaskHandle {
  private exited: Promise<TaskExit> | null = null;

  constructor(
    private readonly client: EngineClient,
    readonly id: string,
    readonly labels: TaskLabels,
  ) {}

  /**
   * The container's own log, which a follower reads to its end, when the task runs on the manager spoken to; a task
   * on another node shows its log through the service once it has ended (swarm's followed service logs never end).
   */
  output(onChunk: OnChunk): { done: Promise<void>; close(): void } {
    let closed = false;
    let inner: { done: Promise<void>; close(): void } | null = null;
    const done = (async () => {
      const task = await this.waitForTask(
        (record) => Boolean(record.Status.ContainerStatus?.ContainerID) || ENDED.has(record.Status.State),
        () => closed,
      );
      if (!task || closed) return;
      const containerId = task.Status.ContainerStatus?.ContainerID;
      const local = containerId ? await this.localContainer(containerId) : false;
      if (!local) await this.exit();
      if (closed) return;
      inner = local
        ? followLogs(this.client, `/containers/${containerId}/logs`, true, onChunk)
        : followLogs(this.client, `/tasks/${task.ID}/logs`, false, onChunk);
      await inner.done;
    })();
    return {
      done,
      close() {
        closed = true;
        inner?.close();
      },
    };
  }

  exit(): Promise<TaskExit> {
    this.exited ??= this.waitForExit();
    return this.exited;
  }

  /** On the manager spoken to, the container is signalled as a plain one; elsewhere swarm stops it by removing the service. */
  async stop(graceMs: number): Promise<void> {
    const task = await this.task();
    const containerId = task?.Status.ContainerStatus?.ContainerID;
    if (!task || ENDED.has(task.Status.State)) return;
    if (!containerId || !(await this.localContainer(containerId))) {
      await this.removeService();
      return;
    }
    await this.kill(containerId, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => {
      timer = setTimeout(() => resolve('grace over'), graceMs);
    });
    const first = await Promise.race([this.exit(), graceOver]);
    clearTimeout(timer);
    if (first === 'grace over') await this.kill(containerId, 'SIGKILL');
    await this.exit();
  }

  /**
   * The service, then its secrets (swarm refuses to remove a secret a service still names), then its ended containers
   * on the manager spoken to: swarm 20.10 leaves a replicated job's containers behind when the service goes.
   */
  async remove(): Promise<void> {
    await this.removeService();
    const byTask = labelFilter(LABELS.task, this.labels.task);
    const secrets = await this.client.json<{ ID: string; Spec: { Labels?: Record<string, string> } }[]>(
      'GET',
      '/secrets',
      { query: { filters: byTask } },
    );
    for (const secret of secrets.body) {
      if (secret.Spec.Labels?.[LABELS.server] !== this.labels.server) continue;
      await this.client.json('DELETE', `/secrets/${secret.ID}`, { accept: [404] });
    }
    for (const container of await this.ownContainers()) {
      await this.client.json('DELETE', `/containers/${container.Id}`, {
        query: { force: 1, v: 1 },
        accept: [404, 409],
      });
    }
  }

  private async removeService(): Promise<void> {
    await this.client.json('DELETE', `/services/${this.id}`, { accept: [404] });
  }

  private async ownContainers(): Promise<{ Id: string }[]> {
    const found = await this.client.json<{ Id: string }[]>('GET', '/containers/json', {
      query: {
        all: 1,
        filters: JSON.stringify({
          label: [`${LABELS.task}=${this.labels.task}`, `${LABELS.server}=${this.labels.server}`],
        }),
      },
    });
    return found.body;
  }

  private async kill(containerId: string, signal: string): Promise<void> {
    await this.client.json('POST', `/containers/${containerId}/kill`, { query: { signal }, accept: [404, 409] });
  }

  private async localContainer(containerId: string): Promise<boolean> {
    const found = await this.client.json('GET', `/containers/${containerId}/json`, { accept: [404] });
    return found.status !== 404;
  }

  private async task(): Promise<SwarmTaskRecord | null> {
    const found = await this.client.json<SwarmTaskRecord[]>('GET', '/tasks', {
      query: { filters: JSON.stringify({ service: [this.id] }) },
    });
    const sorted = found.body.sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt));
    return sorted[0] ?? null;
  }

  /** Null once the service is gone (removed, or stopped on another node) or `cancelled` says to give up. */
  private async waitForTask(
    ready: (task: SwarmTaskRecord) => boolean,
    cancelled: () => boolean,
  ): Promise<SwarmTaskRecord | null> {
    for (;;) {
      if (cancelled()) return null;
      const service = await this.client.json('GET', `/services/${this.id}`, { accept: [404] });
      const task = await this.task();
      if (task && ready(task)) return task;
      if (service.status === 404) return task;
      await sleep(POLL_MS);
    }
  }

  private async waitForExit(): Promise<TaskExit> {
    const task = await this.waitForTask(
      (record) => ENDED.has(record.Status.State),
      () => false,
    );
    if (!task) return { exitCode: null, oomKilled: false, error: `service ${this.id} is gone` };
    if (!ENDED.has(task.Status.State))
      return { exitCode: null, oomKilled: false, error: `service ${this.id} was removed while it ran` };
    const containerId = task.Status.ContainerStatus?.ContainerID;
    const error = NEVER_RAN.has(task.Status.State) ? (task.Status.Err ?? task.Status.State) : null;
    return {
      exitCode: task.Status.ContainerStatus?.ExitCode ?? null,
      oomKilled: containerId ? await this.oomKilled(containerId) : false,
      error,
    };
  }

  /** Swarm's task status says only "exit 137"; the container on the manager spoken to says whether memory ran out. */
  private async oomKilled(containerId: string): Promise<boolean> {
    const found = await this.client.json<{ State?: { OOMKilled?: boolean } }>(
      'GET',
      `/containers/${containerId}/json`,
      { accept: [404] },
    );
    return found.status !== 404 && found.body.State?.OOMKilled === true;
  }
}
