import { createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
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

/** The engine would not take the task: as a shell reports a command that could not run. */
export const ENGINE_REFUSED = 125;
/** A task the engine ended for going over its memory limit, as a shell reports a SIGKILL. */
export const OUT_OF_MEMORY = 137;

/** How long a restarted server keeps asking an engine that fails for the task it follows again. */
const FIND_AGAIN_MS = 120_000;
const FIND_AGAIN_STEP_MS = 2000;
/**
 * How long a task followed again may take to give back the output its run files hold before its limits apply anyway:
 * an engine that rotated the task's log gives back less.
 */
const CATCH_UP_MS = 30_000;
/** How long a task followed again is given to show that it ended while no server ran, before it counts as running. */
const EXIT_PROBE_MS = 1000;

export interface EngineTaskOptions {
  /** The engine, made when its backend is first used: one that cannot be made ends the task lost, with the reason. */
  runtime: Promise<AgentRuntime>;
  /** What the task's files are written as the supervisor of a local task writes them: output, then the exit status. */
  files: Pick<RunFiles, 'stdout' | 'stderr' | 'exit'>;
  /**
   * Takes the server's own lines about the task (the engine refused it, ended it over its memory limit, failed) for
   * its log: never into the run files, which hold only what the engine gives, byte for byte, so a restarted server
   * knows exactly how much of the engine's output it has.
   */
  note(line: string): void;
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
 * labels and takes its output from where the run files end. Its output is appended to the run files and its exit
 * status written as the supervisor of a local task writes them, so the runner reads it as a local one; what the
 * engine holds for it is removed when its end is recorded (cleanupEngineTask). An exit status is written only for a
 * task seen to end: one the engine no longer holds, or lost to an engine that fails, ends lost.
 */
export function followEngineTask(options: EngineTaskOptions): TaskControl {
  // An engine that cannot be made is reported by run(), unless the task's end was recorded and it is not needed.
  options.runtime.catch(() => undefined);
  // A new task is caught up from its start. One followed again is once the engine has given its output back and
  // has not reported within EXIT_PROBE_MS that it ended (it is then judged by how it ended).
  const state = {
    ended: false,
    letGo: false,
    outputBack: options.spec !== null,
    running: options.spec !== null,
    since: performance.now(),
  };
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  const streams = { stdout: appendStream(options.files.stdout), stderr: appendStream(options.files.stderr) };
  const say = (line: string): void => {
    if (!state.letGo && !state.ended) options.note(line);
  };
  let closeOutput = (): void => {};
  /** Stops taking anything from the engine: at a detach, or at a cancel's SIGKILL the engine did not answer. */
  const letGo = (): void => {
    state.letGo = true;
    closeOutput();
  };

  const run = async (): Promise<void> => {
    // Its end was recorded before the last server stopped: only what the engine holds is left, for cleanupEngineTask.
    if (!options.spec && existsSync(options.files.exit)) return;
    const runtime = await options.runtime;
    const handle = options.spec ? await startOrFind(runtime, options.spec) : await findAgain(runtime, options, state);
    if (state.letGo) return;
    if (typeof handle === 'string') {
      say(handle);
      return record(options.files, streams, ENGINE_REFUSED);
    }
    if (handle === null) return say(`the engine no longer holds the task ${options.labels.task}`);
    if (!state.running) void stillRunning(handle).then((running) => (state.running = running));
    const skip = { stdout: fileSize(options.files.stdout), stderr: fileSize(options.files.stderr) };
    state.outputBack ||= skip.stdout === 0 && skip.stderr === 0;
    const output = handle.output((stream, data) => {
      // After a restart the engine gives the output again from its start: what the run files hold is skipped.
      const skipped = Math.min(data.length, skip[stream]);
      skip[stream] -= skipped;
      state.outputBack ||= skip.stdout === 0 && skip.stderr === 0;
      if (skipped < data.length && !state.letGo) streams[stream].write(data.subarray(skipped));
    });
    closeOutput = () => output.close();
    const outputDone = output.done.catch((error: unknown) => say(`lost the task's output: ${message(error)}`));
    void stopRequested
      .then(() => handle.stop(options.stopGraceMs))
      .catch((error: unknown) => say(`could not stop the task on its engine: ${message(error)}`));
    try {
      const exit = await handle.exit();
      await outputDone;
      if (!state.letGo) await record(options.files, streams, exitCode(exit, runtime.kind, options.memoryBytes, say));
    } finally {
      output.close();
    }
  };
  void run()
    .catch((error: unknown) => say(message(error)))
    .then(() => closeStreams(streams))
    .finally(() => {
      state.ended = true;
    });
  return {
    pid: null,
    pidStart: null,
    running: () => !state.ended,
    caughtUp: () => (state.outputBack && state.running) || performance.now() - state.since > CATCH_UP_MS,
    signal: (signal) => {
      if (signal !== 'SIGKILL') return requestStop();
      // The engine had the grace and its own SIGKILL: one that has not answered by now is given up on.
      if (state.ended) return;
      say('the engine did not report the end of the stopped task');
      letGo();
      void closeStreams(streams).finally(() => {
        state.ended = true;
      });
    },
    releaseInput: () => {},
    endRest: () => Promise.resolve(),
    detach: () => {
      letGo();
      void closeStreams(streams);
    },
  };
}

/** The task's handle, found by its labels or started, or why the engine would not start it. */
async function startOrFind(runtime: AgentRuntime, spec: RemoteTaskSpec): Promise<TaskHandle | string> {
  const found = await findByLabels(runtime, spec.labels);
  if (found) return found;
  try {
    return await runtime.start(spec);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    return error.message;
  }
}

/** The task a previous server started, null when the engine no longer holds it; an engine that fails is asked again. */
async function findAgain(
  runtime: AgentRuntime,
  options: EngineTaskOptions,
  state: { letGo: boolean },
): Promise<TaskHandle | null> {
  const deadline = performance.now() + FIND_AGAIN_MS;
  for (;;) {
    try {
      return await findByLabels(runtime, options.labels);
    } catch (error) {
      if (performance.now() > deadline || state.letGo) throw error;
    }
    await delay(FIND_AGAIN_STEP_MS);
  }
}

/** False when the engine reports within EXIT_PROBE_MS that the task has ended. */
async function stillRunning(handle: TaskHandle): Promise<boolean> {
  const ended = handle.exit().then(
    () => true,
    () => true,
  );
  return !(await Promise.race([ended, delay(EXIT_PROBE_MS).then(() => false)]));
}

async function findByLabels(runtime: AgentRuntime, labels: TaskLabels): Promise<TaskHandle | null> {
  return (await runtime.find(labels.server)).find((handle) => handle.labels.task === labels.task) ?? null;
}

function exitCode(exit: TaskExit, engine: string, limit: number | null, say: (line: string) => void): number {
  if (exit.error !== null) {
    say(exit.error);
    return ENGINE_REFUSED;
  }
  if (exit.oomKilled) {
    say(
      `${engine} ended the task: it went over its memory limit${limit ? ` of ${Math.round(limit / 1024 / 1024)} MiB` : ''}; raise limits.memory of its role or backend`,
    );
    return OUT_OF_MEMORY;
  }
  return exit.exitCode ?? 1;
}

/** The output flushed first, then the exit status as the supervisor's: the runner takes a task as ended once it is there. */
async function record(
  files: EngineTaskOptions['files'],
  streams: Record<'stdout' | 'stderr', WriteStream>,
  code: number,
): Promise<void> {
  await closeStreams(streams);
  const status: ExitStatus = { exit_code: code, signal: null, spawn_error: null, ended_at: new Date().toISOString() };
  await writeFileAtomic(files.exit, JSON.stringify(status));
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

/** A run file the task's output is appended to; a write that fails (a full disk) loses that output, not the server. */
function appendStream(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  stream.on('error', () => undefined);
  return stream;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
