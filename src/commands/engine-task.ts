import { join } from 'node:path';
import { isSea } from 'node:sea';
import { relayEngineTask, readEngineTaskFile } from '../fleet/backends/remote/engine-task.js';
import { createRuntime } from '../fleet/backends/runtimes.js';
import { ENGINE_TASK_COMMAND } from './engine-task-command.js';

/** Relays one task to its engine: run by the task supervisor, as the first process of the task's group. */
export async function engineTaskCommand(file: string): Promise<void> {
  const task = readEngineTaskFile(file);
  // The group gets SIGINT, then SIGTERM, then SIGKILL on a cancel: the first one stops the task on its engine.
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
  });
  const runtime = await createRuntime(task.backend);
  process.exitCode = await relayEngineTask({
    file: task,
    env: process.env,
    runtime,
    stdout: process.stdout,
    stderr: process.stderr,
    stopped,
  });
}

/** The relay's own bundle (src/engine-relay.ts), which the npm build puts beside the server's. */
const RELAY_BUNDLE = 'engine-relay.js';

/**
 * The relay's command line as this server runs it: this executable, or Node with the relay's own bundle rather than
 * the CLI's, whose 415 kB and commander Node would read first: 12 MiB PSS (43 RSS) per relay against 17 (49) in
 * `BENCH_BACKENDS=docker,podman BENCH_AGENTS=5 BENCH_ROUNDS=1 npm run bench:backends`. `__dirname` is that of
 * dist/server-commands.js, the bundle this code runs in.
 */
export function engineTaskArgv(): string[] {
  return isSea()
    ? [process.execPath, ENGINE_TASK_COMMAND]
    : [process.execPath, join(__dirname, RELAY_BUNDLE), ENGINE_TASK_COMMAND];
}
