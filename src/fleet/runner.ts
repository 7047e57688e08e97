import { spawn, type ChildProcess } from 'node:child_process';
import { endProcessGroup } from './group-end.js';
import { LineSplitter } from './line-splitter.js';
import { processStartTime, signalGroup } from './process-group.js';

export interface CancelDelays {
  /** After SIGINT, how long the process gets before SIGTERM. */
  termMs: number;
  /** After SIGINT, how long before SIGKILL. */
  killMs: number;
}

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number | null;
  /** No output for this long stops the task; null means it may be silent for as long as it runs. */
  idleTimeoutMs: number | null;
  cancelDelays: CancelDelays;
  /** Once the first process has exited, how long what is left of its group gets between SIGTERM and SIGKILL. */
  endGraceMs: number;
  onOutput(stream: 'stdout' | 'stderr', lines: string[]): void;
}

export interface RunOutcome {
  exit_code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the run was stopped from outside, if it was. */
  stopped: 'canceled' | 'timed_out' | 'idle' | null;
  /** Set when the process could not be started at all. */
  spawn_error: string | null;
}

export interface RunningProcess {
  pid: number | null;
  pidStart: string | null;
  /** Asks the process group to stop (SIGINT, then SIGTERM, then SIGKILL); resolves when it has ended. */
  cancel(): Promise<RunOutcome>;
  done: Promise<RunOutcome>;
}

// After the process exits, output still buffered in the pipes is read for this long; a grandchild that keeps the
// pipes open must not keep the task running forever.
const DRAIN_MS = 2000;

/**
 * Runs one task command in its own process group (detached), so a cancel reaches everything it started and a
 * terminal's Ctrl+C aimed at the server does not reach the agents.
 */
export function runProcess(options: RunOptions): RunningProcess {
  let child: ChildProcess;
  try {
    child = spawn(options.argv[0]!, options.argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const outcome = failedSpawn(error);
    return { pid: null, pidStart: null, cancel: () => Promise.resolve(outcome), done: Promise.resolve(outcome) };
  }
  return supervise(child, options);
}

function failedSpawn(error: unknown): RunOutcome {
  return { exit_code: null, signal: null, stopped: null, spawn_error: (error as Error).message };
}

function supervise(child: ChildProcess, options: RunOptions): RunningProcess {
  const pid = child.pid ?? null;
  let stopped: RunOutcome['stopped'] = null;
  let exited = false;
  const timers: NodeJS.Timeout[] = [];
  let idleTimer: NodeJS.Timeout | undefined;
  const resetIdle = (): void => {
    if (options.idleTimeoutMs === null || pid === null || exited) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void stop('idle'), options.idleTimeoutMs);
  };
  // Any bytes count as a sign of life, a progress bar redrawn with \r as much as a finished line.
  const output: RunOptions['onOutput'] = (stream, lines) => {
    resetIdle();
    options.onOutput(stream, lines);
  };

  const done = new Promise<RunOutcome>((resolve) => {
    const stdout = captureLines(child.stdout, 'stdout', output);
    const stderr = captureLines(child.stderr, 'stderr', output);
    child.once('error', (error) => {
      if (pid === null) resolve(failedSpawn(error));
    });
    child.once('exit', (code, signal) => {
      exited = true;
      timers.forEach(clearTimeout);
      clearTimeout(idleTimer);
      // The task ends with everything it started, not only its first process; a stopped task had its grace already.
      const groupEnded = pid === null ? Promise.resolve() : endProcessGroup(pid, stopped ? 0 : options.endGraceMs);
      const drained = Promise.all([stdout, stderr]);
      const drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, DRAIN_MS);
      void drained.then(async () => {
        clearTimeout(drainTimer);
        await groupEnded;
        resolve({ exit_code: code, signal, stopped, spawn_error: null });
      });
    });
  });

  const stop = (reason: NonNullable<RunOutcome['stopped']>): Promise<RunOutcome> => {
    if (exited || pid === null || stopped) return done;
    stopped = reason;
    signalGroup(pid, 'SIGINT');
    timers.push(setTimeout(() => signalGroup(pid, 'SIGTERM'), options.cancelDelays.termMs));
    timers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), options.cancelDelays.killMs));
    return done;
  };

  if (options.timeoutMs !== null && pid !== null) {
    timers.push(setTimeout(() => void stop('timed_out'), options.timeoutMs));
  }
  resetIdle();
  return { pid, pidStart: pid === null ? null : processStartTime(pid), cancel: () => stop('canceled'), done };
}

/** Feeds a stream's lines to the callback; resolves once the stream has ended or was destroyed. */
function captureLines(
  stream: NodeJS.ReadableStream | null,
  name: 'stdout' | 'stderr',
  onOutput: RunOptions['onOutput'],
): Promise<void> {
  if (!stream) return Promise.resolve();
  const splitter = new LineSplitter();
  stream.on('data', (chunk: Buffer) => onOutput(name, splitter.push(chunk)));
  return new Promise((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      onOutput(name, splitter.end());
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
  });
}
