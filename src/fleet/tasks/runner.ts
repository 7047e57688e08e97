import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate, setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../clock.js';
import { endProcessGroup, isLeftoverGroup } from './group-end.js';
import type { UserNetwork } from '../backends/local/sandbox/user-net.js';
import { nextTurn } from './poll-turns.js';
import { isSameProcessRunning, signalGroup } from './process-group.js';
import type { DetachedProcess } from '../spawn/helper-protocol.js';
import { startDetached } from '../spawn/start-process.js';
import { FileTail } from './supervisor/file-tail.js';
import { OffsetsFile } from './supervisor/offsets-file.js';
import { readExitStatus, readOffsets, type RunFiles } from './supervisor/run-files.js';
import { supervisorArgv, type TaskSupervisor } from './supervisor/script.js';

export interface CancelDelays {
  /** After SIGINT, how long the process gets before SIGTERM. */
  termMs: number;
  /** After SIGINT, how long before SIGKILL. */
  killMs: number;
}

/** What following a task needs, whether this server started it or found it running after a restart. */
export interface FollowLimits {
  files: RunFiles;
  /** What the timeout, the idle timeout, the watch and the end grace count on; signals escalate on real time. */
  clock: Clock;
  /** Counted from the task's start, also across a restart of the server. */
  timeoutMs: number | null;
  /** No progress for this long stops the task; null means it may be silent for as long as it runs. */
  idleTimeoutMs: number | null;
  cancelDelays: CancelDelays;
  /** Once the CLI has exited, how long what is left of its group gets between SIGTERM and SIGKILL. */
  endGraceMs: number;
  /** Takes new output; true when it shows progress (real work, not a retry notice), which resets the idle clock. */
  onOutput(stream: 'stdout' | 'stderr', lines: string[]): boolean;
  /** Asked on every poll of a running task, with how long it has made no progress: whether the fleet stops it, and why. */
  watch?(silentMs: number): WatchStop | null;
  /** The CLI's input, for a CLI that reads its task and answers on stdin (see tasks/questions). */
  input?: TaskInput;
}

/**
 * A CLI's stdin as the runner sees it: while a question waits for the user neither the idle timeout nor the watch
 * runs (the task's timeout does). Once the CLI reported its result its input is closed (the supervisor lets go of
 * its end on SIGUSR1) so it exits; one still there after the end grace (something the agent left holds its stdin)
 * is stopped, and the task keeps the outcome its result said.
 */
export interface TaskInput {
  waiting(): boolean;
  finished(): boolean;
  /** A tool of the CLI's has shown no result yet: a result then may be that tool's forgery, and ends no work. */
  toolRunning(): boolean;
  /** Stops writing to the CLI's input. */
  close(): void;
}

/** A stop the fleet decides while a task runs: its model API failing with no progress, or its budget spent. */
export type WatchStop = 'stalled' | 'over_budget';

export interface RunOptions extends FollowLimits {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Opened read-only by the supervisor for the argv at fd 3, 4, … (bwrap reads its seccomp filter there). */
  inputFiles?: string[];
  /** The task supervisor (see supervisor/script.ts). */
  supervisor: TaskSupervisor;
  /** The network the supervisor gives the sandbox argv makes, if it has one (see launch/user-net.ts). */
  network?: UserNetwork | null;
  /** The CLI's stdin: a FIFO the supervisor makes at `fifo` and holds, its first line from the file `first`. */
  stdin?: { fifo: string; first: string } | null;
}

export interface ReattachOptions extends FollowLimits {
  pid: number;
  pidStart: string | null;
  /** When the task started (ms since the epoch). */
  startedAt: number;
  /** The stdout lines the log already holds, read again so the output parser knows what the CLI said before. */
  onReplay(lines: string[]): void;
}

export interface RunOutcome {
  exit_code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the run was stopped from outside, if it was; `finished`: it outlived its result (see TaskInput). */
  stopped: 'canceled' | 'timed_out' | 'idle' | 'finished' | WatchStop | null;
  /** Set when the process could not be started at all. */
  spawn_error: string | null;
  /** True when the task's processes are gone and no exit status was recorded. */
  lost: boolean;
}

export interface RunningProcess {
  /** The supervisor's pid, also its group's; null for a task the server follows on its engine, or one never started. */
  pid: number | null;
  pidStart: string | null;
  /** Asks the process group to stop (SIGINT, then SIGTERM, then SIGKILL); resolves when it has ended. */
  cancel(): Promise<RunOutcome>;
  done: Promise<RunOutcome>;
  /** Stops following the task and leaves it running; `done` then never settles. */
  detach(): void;
}

/** How often the output files and the supervisor are looked at. */
const POLL_MS = 200;
/** Output taken per stream in one step; a flood is taken step by step, other requests served between steps. */
const READ_STEP_BYTES = 16 * 1024;

/**
 * Starts one task through its supervisor, in a new process group (detached), so a cancel reaches everything it
 * started, a terminal's Ctrl+C aimed at the server does not reach the agents, and the server may stop or die
 * without taking the task with it.
 */
export async function runProcess(options: RunOptions): Promise<RunningProcess> {
  const { files } = options;
  const net = options.network ? { argv: options.network.argv, ready: join(files.dir, 'net-ready') } : undefined;
  const argv = supervisorArgv(options.supervisor, {
    argv: options.argv,
    stdout: files.stdout,
    stderr: files.stderr,
    exit: files.exit,
    inputs: options.inputFiles ?? [],
    net,
    stdin: options.stdin ?? undefined,
  });
  let started: DetachedProcess;
  try {
    // The supervisor's own complaints, if it has any, end up in the task's stderr where the user sees them.
    started = await startDetached({ argv, cwd: options.cwd, env: options.env, stderrFile: files.stderr });
  } catch (error) {
    return failedSpawn((error as Error).message);
  }
  const { pid, pidStart } = started;
  const startedAt = options.clock.now();
  return follow(processGroupControl(pid, pidStart), {
    ...options,
    startedAt,
    lastProgressAt: startedAt,
    onReplay: () => {},
  });
}

/** Follows a task a previous server started, from where that server stopped reading its output. */
export function reattachProcess(options: ReattachOptions): RunningProcess {
  return follow(processGroupControl(options.pid, options.pidStart), {
    ...options,
    lastProgressAt: lastWritten(options),
  });
}

/**
 * Follows a task that is not a process of this host (one on an engine) through `control`, from the offsets saved in
 * its run files: `startedAt` now for a new task, its recorded start for one a previous server started.
 */
export function followTask(
  control: TaskControl,
  options: Omit<ReattachOptions, 'pid' | 'pidStart'> & { resumed: boolean },
): RunningProcess {
  return follow(control, { ...options, lastProgressAt: options.resumed ? lastWritten(options) : options.startedAt });
}

/** Its output files tell when it last wrote, which may be while no server ran. */
function lastWritten(options: Pick<ReattachOptions, 'startedAt' | 'files'>): number {
  return Math.max(options.startedAt, modified(options.files.stdout), modified(options.files.stderr));
}

/**
 * What the runner asks of the thing that runs a task, and how it stops it: a process group of this host (the
 * supervisor's), or a task on an engine that the server follows itself.
 */
export interface TaskControl {
  pid: number | null;
  pidStart: string | null;
  /** Whether the task still runs; once false, its exit status is in the run files, or it was lost. */
  running(): boolean;
  /**
   * Whether its output is known up to now. A task on an engine followed again gives its output again from the
   * start, and may have ended while no server ran: until then neither its silence nor its timeout is judged.
   */
  caughtUp(): boolean;
  /** A cancel's steps: SIGINT first, then SIGTERM and SIGKILL while it still runs. */
  signal(signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void;
  /** Lets go of the CLI's stdin once it has reported its result (see TaskInput). */
  releaseInput(): void;
  /** Once it ended, ends what it left running: `graceMs` between SIGTERM and SIGKILL (0 for a stopped task). */
  endRest(graceMs: number): Promise<void>;
  /** Lets go of the task, which runs on, for the next server to follow. */
  detach(): void;
}

/** A task's process group on this host, only ever signalled while it is provably ours. */
function processGroupControl(pid: number, pidStart: string | null): TaskControl {
  const running = (): boolean => isSameProcessRunning(pid, pidStart);
  return {
    pid,
    pidStart,
    running,
    caughtUp: () => true,
    signal: (signal) => {
      if (running()) signalGroup(pid, signal);
    },
    releaseInput: () => {
      if (running()) signalProcess(pid, 'SIGUSR1');
    },
    // Its supervisor the same process, or its leftovers.
    endRest: async (graceMs) => {
      if (running() || isLeftoverGroup(pid, pidStart)) await endProcessGroup(pid, graceMs);
    },
    detach: () => {},
  };
}

function failedSpawn(message: string): RunningProcess {
  const outcome: RunOutcome = { exit_code: null, signal: null, stopped: null, spawn_error: message, lost: false };
  return {
    pid: null,
    pidStart: null,
    cancel: () => Promise.resolve(outcome),
    done: Promise.resolve(outcome),
    detach: () => {},
  };
}

type FollowOptions = Omit<ReattachOptions, 'pid' | 'pidStart'> & { lastProgressAt: number };

function follow(control: TaskControl, options: FollowOptions): RunningProcess {
  const { files, clock } = options;
  let saved = readOffsets(files);
  const offsets = new OffsetsFile(files.offsets);
  const tails = { stdout: new FileTail(files.stdout, saved.stdout), stderr: new FileTail(files.stderr, saved.stderr) };
  replay(files.stdout, saved.stdout, options.onReplay);
  let stopped: RunOutcome['stopped'] = null;
  let lastLife = options.lastProgressAt;
  const timers: NodeJS.Timeout[] = [];
  let cancelTimeout = (): void => {};
  let resolveDone!: (outcome: RunOutcome) => void;
  const done = new Promise<RunOutcome>((resolve) => (resolveDone = resolve));
  const closeFiles = (): void => {
    tails.stdout.close();
    tails.stderr.close();
    offsets.close();
  };

  /** Reads one step of new output (all of it when final); true when more is waiting. */
  const readOutput = (final: boolean): boolean => {
    let more = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = tails[stream].read(final, Infinity, final ? Infinity : READ_STEP_BYTES);
      if (lines.length > 0 && options.onOutput(stream, lines)) lastLife = clock.now();
      more ||= tails[stream].more;
    }
    if (tails.stdout.offset !== saved.stdout || tails.stderr.offset !== saved.stderr) {
      saved = { stdout: tails.stdout.offset, stderr: tails.stderr.offset };
      offsets.save(saved);
    }
    return more;
  };

  let following = true;
  /**
   * Reads output step by step until none is waiting. After each step comes a pause as long as the step took, so a
   * flood gets at most half of the event loop and requests are served between its steps.
   */
  const drain = async (): Promise<void> => {
    for (;;) {
      const started = performance.now();
      // A detached task's output is left to the next server, from the offsets saved so far.
      if (!following || !readOutput(false)) return;
      const spent = performance.now() - started;
      await (spent >= 1 ? delay(spent) : setImmediate());
    }
  };

  const finish = async (): Promise<void> => {
    timers.forEach(clearTimeout);
    cancelTimeout();
    clearInterval(poller);
    await drain();
    readOutput(true);
    closeFiles();
    const status = readExitStatus(files);
    // The task ends with everything it started, not only its CLI; a stopped task had its grace already.
    await control.endRest(stopped ? 0 : options.endGraceMs);
    if (status)
      resolveDone({
        exit_code: status.exit_code,
        signal: status.signal,
        stopped,
        spawn_error: status.spawn_error,
        lost: false,
      });
    else if (stopped) resolveDone({ exit_code: null, signal: 'SIGKILL', stopped, spawn_error: null, lost: false });
    else resolveDone({ exit_code: null, signal: null, stopped: null, spawn_error: null, lost: true });
  };

  const stop = (reason: NonNullable<RunOutcome['stopped']>): Promise<RunOutcome> => {
    if (stopped || !control.running()) return done;
    stopped = reason;
    control.signal('SIGINT');
    timers.push(setTimeout(() => control.signal('SIGTERM'), options.cancelDelays.termMs));
    timers.push(setTimeout(() => control.signal('SIGKILL'), options.cancelDelays.killMs));
    return done;
  };

  let finishedAt: number | null = null;
  /**
   * After the CLI's result: its input closed at once, and the task stopped once the end grace has passed, unless a
   * tool still runs. A result an agent's tool forged thus closes the input early, which costs the agent only its own
   * later questions, and never stops its work; a real one's tool result may be lost (a line over the length cap), so
   * the input is not kept open for it.
   */
  const afterResult = (input: TaskInput): boolean => {
    if (!input.finished()) {
      finishedAt = null;
      return false;
    }
    if (finishedAt === null) {
      finishedAt = clock.now();
      input.close();
      control.releaseInput();
      return false;
    }
    if (clock.now() - finishedAt < options.endGraceMs || input.toolRunning()) return false;
    void stop('finished');
    return true;
  };

  let finishing = false;
  let reading = false;
  let waitedAtLastPoll = false;
  const poll = async (): Promise<void> => {
    await nextTurn();
    if (!following) return;
    // Read before looking at the process, so the output of a task that just ended is complete once it counts as ended.
    const ended = !control.running();
    await drain();
    if (!following) return;
    if (ended) {
      finishing = true;
      void finish();
    } else if (!control.caughtUp()) {
      // Its silence counts from when its output is known.
      lastLife = clock.now();
    } else if (options.input?.waiting()) {
      // The user, not the CLI, is who the task waits on: silence is no sign of a hang.
      lastLife = clock.now();
      waitedAtLastPoll = true;
    } else if (waitedAtLastPoll) {
      // Answered since the last poll: the CLI's silence counts from the answer, not from that poll.
      lastLife = clock.now();
      waitedAtLastPoll = false;
    } else if (!stopped && options.input && afterResult(options.input)) {
      return;
    } else if (options.idleTimeoutMs !== null && clock.now() - lastLife >= options.idleTimeoutMs) {
      void stop('idle');
    } else if (!stopped) {
      // Once stopping, the CLI may take several polls to exit: the watcher would log its reason again on each.
      const watched = options.watch?.(clock.now() - lastLife) ?? null;
      if (watched) void stop(watched);
    }
  };
  const poller = setInterval(() => {
    if (finishing || reading) return;
    reading = true;
    void poll().finally(() => (reading = false));
  }, POLL_MS);
  if (options.timeoutMs !== null) {
    const deadline = options.startedAt + options.timeoutMs;
    const armTimeout = (delayMs: number): void => {
      cancelTimeout = clock.setTimer(() => {
        if (clock.now() < deadline) armTimeout(deadline - clock.now());
        else if (control.caughtUp()) void stop('timed_out');
        // It may have ended in time while no server ran.
        else armTimeout(POLL_MS);
      }, delayMs);
    };
    armTimeout(deadline - clock.now());
  }
  return {
    pid: control.pid,
    pidStart: control.pidStart,
    cancel: () => stop('canceled'),
    done,
    detach: () => {
      following = false;
      timers.forEach(clearTimeout);
      cancelTimeout();
      clearInterval(poller);
      closeFiles();
      control.detach();
    },
  };
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile: so is the input it held.
  }
}

/** Feeds the stdout lines before `offset` to `onLines`, in steps, so a long output is never held whole. */
function replay(file: string, offset: number, onLines: (lines: string[]) => void): void {
  if (offset === 0) return;
  const tail = new FileTail(file, 0);
  try {
    while (tail.offset < offset) {
      const lines = tail.read(false, offset);
      if (lines.length === 0) break;
      onLines(lines);
    }
  } finally {
    tail.close();
  }
}

function modified(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
