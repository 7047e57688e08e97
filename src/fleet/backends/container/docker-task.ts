import type { TaskExit, TaskHandle, TaskLabels } from '../remote/agent-runtime.js';
import { EngineApiError, type EngineClient } from './engine-client.js';
import { followLogs, type OnChunk } from './follow-logs.js';

/**
 * How long a follow may stay open after the task's exit before its end is taken as missed, and how long an ended
 * follow waits for the exit before it follows again.
 */
const FOLLOW_AFTER_EXIT_MS = 2000;

/** Unref'd: a wait that lost its race must not hold a process open after the task has ended. */
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

interface ContainerState {
  State?: { OOMKilled?: boolean; Error?: string; ExitCode?: number; Status?: string; Running?: boolean };
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
   * Follows the container's log. Podman 4.3 at times gets the end of a container that exits near the follow
   * wrong: the answer ends after the first lines (podman#21914) or never ends. So once a follow ends, or the task
   * has exited and the follow has not ended a short while later, the log is read again from the start, past the
   * bytes already passed on from each stream: without following once the task has exited, else following again.
   */
  output(onChunk: OnChunk): { done: Promise<void>; close(): void } {
    const taken = { stdout: 0, stderr: 0 };
    let closed = false;
    let current: { done: Promise<void>; close(): void } | null = null;
    const read = (follow: boolean): { done: Promise<void>; close(): void } => {
      const seen = { stdout: 0, stderr: 0 };
      current = followLogs(this.client, `/containers/${this.id}/logs`, follow, (stream, data) => {
        const skip = Math.max(0, Math.min(data.length, taken[stream] - seen[stream]));
        seen[stream] += data.length;
        if (skip === data.length) return;
        taken[stream] += data.length - skip;
        onChunk(stream, data.subarray(skip));
      });
      return current;
    };
    const done = (async () => {
      const exited = this.exit().then(() => 'exited' as const);
      const afterExit = exited.then(() => delay(FOLLOW_AFTER_EXIT_MS)).then(() => 'stuck' as const);
      for (;;) {
        const follow = read(true);
        if ((await Promise.race([follow.done.then(() => 'ended' as const), afterExit])) === 'stuck') follow.close();
        if (closed) return;
        const state = await Promise.race([exited, delay(FOLLOW_AFTER_EXIT_MS).then(() => 'running' as const)]);
        if (closed) return;
        if (state === 'exited') break;
      }
      await read(false).done;
    })();
    return {
      done,
      close() {
        closed = true;
        current?.close();
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

  /**
   * 404: gone; 409: not running. Either way there is nothing left to signal. Podman 4 answers 500 for a container
   * that has exited, so a refusal counts as such once the container is seen not running.
   */
  private async kill(signal: string): Promise<void> {
    try {
      await this.client.json('POST', `/containers/${this.id}/kill`, { query: { signal }, accept: [404, 409] });
    } catch (error) {
      if (!(error instanceof EngineApiError) || (await this.state())?.Running === true) throw error;
    }
  }

  /** The container's state as the engine reports it; undefined once the container is gone. */
  private async state(): Promise<ContainerState['State']> {
    const inspected = await this.client.json<ContainerState>('GET', `/containers/${this.id}/json`, { accept: [404] });
    return inspected.status === 404 ? undefined : inspected.body.State;
  }

  private async waitForExit(): Promise<TaskExit> {
    const waited = await this.client.json<{ StatusCode?: number; Error?: { Message?: string } | null }>(
      'POST',
      `/containers/${this.id}/wait`,
      { accept: [404] },
    );
    if (waited.status === 404) return { exitCode: null, oomKilled: false, error: `container ${this.id} is gone` };
    const state = await this.state();
    const error = state?.Error || waited.body.Error?.Message || null;
    return { exitCode: waited.body.StatusCode ?? state?.ExitCode ?? null, oomKilled: state?.OOMKilled === true, error };
  }
}
