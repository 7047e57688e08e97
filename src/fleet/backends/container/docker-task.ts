import type { TaskExit, TaskHandle, TaskLabels } from '../remote/agent-runtime.js';
import type { EngineClient } from './engine-client.js';
import { followLogs, type OnChunk } from './follow-logs.js';

/** How long a follow may stay open after the task's exit before its end is taken as missed. */
const FOLLOW_AFTER_EXIT_MS = 2000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ContainerState {
  State?: { OOMKilled?: boolean; Error?: string; ExitCode?: number; Status?: string };
}

/** One task's container on a Docker or Podman engine. */
export class DockerTask implements TaskHandle {
  private exited: Promise<TaskExit> | null = null;

  constructor(
    private readonly client: EngineClient,
    readonly id: string,
    readonly labels: TaskLabels,
  ) {}

  /**
   * Follows the container's log. Podman 4.3 at times misses the exit of a container that ends as the follow starts
   * and never ends the answer: once the task has exited and the follow has not ended after a short while, the rest
   * is read without following, past the bytes already taken from each stream.
   */
  output(onChunk: OnChunk): { done: Promise<void>; close(): void } {
    const taken = { stdout: 0, stderr: 0 };
    let closed = false;
    let current = followLogs(this.client, `/containers/${this.id}/logs`, true, (stream, data) => {
      taken[stream] += data.length;
      onChunk(stream, data);
    });
    const done = (async () => {
      const followed = current.done.then(() => 'ended' as const);
      const stuck = this.exit()
        .then(() => delay(FOLLOW_AFTER_EXIT_MS))
        .then(() => 'stuck' as const);
      if ((await Promise.race([followed, stuck])) === 'ended' || closed) return;
      current.close();
      const seen = { stdout: 0, stderr: 0 };
      current = followLogs(this.client, `/containers/${this.id}/logs`, false, (stream, data) => {
        const skip = Math.max(0, Math.min(data.length, taken[stream] - seen[stream]));
        seen[stream] += data.length;
        if (skip < data.length) onChunk(stream, data.subarray(skip));
      });
      await current.done;
    })();
    return {
      done,
      close() {
        closed = true;
        current.close();
      },
    };
  }

  exit(): Promise<TaskExit> {
    this.exited ??= this.waitForExit();
    return this.exited;
  }

  async stop(graceMs: number): Promise<void> {
    await this.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => {
      timer = setTimeout(() => resolve('grace over'), graceMs);
    });
    const first = await Promise.race([this.exit(), graceOver]);
    clearTimeout(timer);
    if (first === 'grace over') await this.kill('SIGKILL');
    await this.exit();
  }

  async remove(): Promise<void> {
    await this.client.json('DELETE', `/containers/${this.id}`, { query: { force: 1, v: 1 }, accept: [404] });
  }

  /** 404: gone; 409: not running. Either way there is nothing left to signal. */
  private async kill(signal: string): Promise<void> {
    await this.client.json('POST', `/containers/${this.id}/kill`, { query: { signal }, accept: [404, 409] });
  }

  private async waitForExit(): Promise<TaskExit> {
    const waited = await this.client.json<{ StatusCode?: number; Error?: { Message?: string } | null }>(
      'POST',
      `/containers/${this.id}/wait`,
      { accept: [404] },
    );
    if (waited.status === 404) return { exitCode: null, oomKilled: false, error: `container ${this.id} is gone` };
    const inspected = await this.client.json<ContainerState>('GET', `/containers/${this.id}/json`, { accept: [404] });
    const state = inspected.status === 404 ? undefined : inspected.body.State;
    const error = state?.Error || waited.body.Error?.Message || null;
    return { exitCode: waited.body.StatusCode ?? state?.ExitCode ?? null, oomKilled: state?.OOMKilled === true, error };
  }
}
