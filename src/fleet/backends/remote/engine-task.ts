import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { writeFileAtomic } from '../../../fs/atomic-file.js';
import type { TaskControl } from '../../tasks/runner.js';
import type { ExitStatus, RunFiles } from '../../tasks/supervisor/run-files.js';
import {
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskExit,
  type TaskHandle,
  type TaskLabels,
} from './agent-runtime.js';

/** The engine would not take the task, or could no longer be followed: as the shell reports a command that failed to run. */
export const ENGINE_REFUSED = 125;
/** A task the engine ended for going over its memory limit, as a shell reports a SIGKILL. */
export const OUT_OF_MEMORY = 137;

export interface EngineTaskOptions {
  /** The engine, made when its backend is first used: one that cannot be made fails the task with its reason. */
  runtime: Promise<AgentRuntime>;
  /** What the task's files are written as the supervisor of a local task writes them: output, then the exit status. */
  files: Pick<RunFiles, 'stdout' | 'stderr' | 'exit'>;
  labels: TaskLabels;
  /** Starts the task when the engine holds none of these labels; null after a restart, when it is only found again. */
  spec: RemoteTaskSpec | null;
  /** For the line of a task its engine ended over its memory limit. */
  memoryBytes: number | null;
  /** What the task's processes get between SIGTERM and SIGKILL when it is stopped. */
  stopGraceMs: number;
}

/**
 * One task on its engine, followed by the server itself rather than by a process of this host per task: the engine
 * keeps the task, its output and its exit status while no server runs, so a restarted server finds it again by its
 * labels and takes its output from where the run files end. Its output is appended to the run files, and its exit
 * status written as the supervisor of a local task writes it, before everything the engine holds for it is removed:
 * the runner reads the task as it reads a local one.
 */
export function followEngineTask(options: EngineTaskOptions): TaskControl {
  let ended = false;
  let detached = false;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  const streams = { stdout: appendStream(options.files.stdout), stderr: appendStream(options.files.stderr) };
  let closeOutput = (): void => {};
  const run = async (): Promise<void> => {
    const runtime = await options.runtime;
    const handle = await findOrStart(runtime, options);
    if (typeof handle === 'string') {
      streams.stderr.write(`fleet-mcp: ${handle}\n`);
      return record(options, streams, ENGINE_REFUSED);
    }
    if (handle === null) {
      streams.stderr.write(`fleet-mcp: the engine no longer holds the task ${options.labels.task}\n`);
      await closeStreams(streams);
      return;
    }
    const taken = { stdout: fileSize(options.files.stdout), stderr: fileSize(options.files.stderr) };
    const output = handle.output((stream, data) => {
      // After a restart the engine gives the output again from its start: what the run files hold is skipped.
      const skip = Math.min(data.length, taken[stream]);
      taken[stream] -= skip;
      if (skip < data.length && !detached) streams[stream].write(data.subarray(skip));
    });
    closeOutput = () => output.close();
    void stopRequested.then(() => handle.stop(options.stopGraceMs));
    let exit: TaskExit;
    try {
      exit = await handle.exit();
      await output.done;
    } finally {
      output.close();
    }
    if (detached) return;
    await record(options, streams, exitCode(exit, runtime.kind, options.memoryBytes, streams.stderr));
    await handle.remove();
  };
  void run()
    .catch(async (error: unknown) => {
      if (detached) return;
      // The engine could not be made, or stopped answering: the task ends with the reason in its log.
      streams.stderr.write(`fleet-mcp: ${(error as Error).message}\n`);
      await record(options, streams, ENGINE_REFUSED).catch(() => undefined);
    })
    .finally(() => {
      ended = true;
    });
  return {
    pid: null,
    pidStart: null,
    running: () => !ended,
    // One stop, with its own grace and SIGKILL on the engine; a cancel's later steps have nothing to add.
    signal: () => requestStop(),
    releaseInput: () => {},
    endRest: () => Promise.resolve(),
    detach: () => {
      detached = true;
      closeOutput();
      for (const stream of Object.values(streams)) stream.end();
    },
  };
}

/** The task's handle, null when the engine holds none to find again, or why it would not start the task. */
async function findOrStart(runtime: AgentRuntime, options: EngineTaskOptions): Promise<TaskHandle | string | null> {
  const found = (await runtime.find(options.labels.server)).find(
    (handle) => handle.labels.task === options.labels.task,
  );
  if (found || !options.spec) return found ?? null;
  try {
    return await runtime.start(options.spec);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    return error.message;
  }
}

/** A run file the task's output is appended to; a write that fails (a full disk) loses that output, not the server. */
function appendStream(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  stream.on('error', () => undefined);
  return stream;
}

function exitCode(exit: TaskExit, engine: string, limit: number | null, stderr: WriteStream): number {
  if (exit.error !== null) {
    stderr.write(`fleet-mcp: ${exit.error}\n`);
    return ENGINE_REFUSED;
  }
  if (exit.oomKilled) {
    stderr.write(
      `fleet-mcp: ${engine} ended the task: it went over its memory limit${limit ? ` of ${Math.round(limit / 1024 / 1024)} MiB` : ''}; raise limits.memory of its role or backend\n`,
    );
    return OUT_OF_MEMORY;
  }
  return exit.exitCode ?? 1;
}

/** The output flushed to disk first, then the exit status as the supervisor's: the runner takes a task as ended once it is there. */
async function record(
  options: EngineTaskOptions,
  streams: Record<'stdout' | 'stderr', WriteStream>,
  code: number,
): Promise<void> {
  await closeStreams(streams);
  const status: ExitStatus = { exit_code: code, signal: null, spawn_error: null, ended_at: new Date().toISOString() };
  await writeFileAtomic(options.files.exit, JSON.stringify(status));
}

async function closeStreams(streams: Record<'stdout' | 'stderr', WriteStream>): Promise<void> {
  await Promise.all(
    Object.values(streams).map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream.closed) resolve();
          else stream.end(() => stream.close(() => resolve()));
        }),
    ),
  );
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
