import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from '../../../fs/read-regular-file.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/index.js';
import type { Role } from '../../types.js';
import type { Budget } from '../../usage/budget.js';

/** The files of one running task, in `logs/<agent>/<task id>.run/`: what its supervisor writes and the server follows. */
export interface RunFiles {
  dir: string;
  stdout: string;
  stderr: string;
  /** Written by the supervisor once the CLI has ended. */
  exit: string;
  /** How far the server has read stdout and stderr into the task's log (see offsets-file.ts). */
  offsets: string;
  /** What the server needs to follow the task again after a restart, whatever the config says by then. */
  meta: string;
  /** The CLI's stdin, a FIFO its supervisor makes, for a CLI that asks its user (see tasks/questions). */
  stdin: string;
  /** The first line the supervisor writes to that stdin: the task. */
  stdinFirst: string;
  /** Which of the CLI's control requests the server answered, and when each question was asked. */
  questions: string;
}

export interface ExitStatus {
  exit_code: number | null;
  signal: NodeJS.Signals | null;
  spawn_error: string | null;
  ended_at: string;
}

export interface ReadOffsets {
  stdout: number;
  stderr: number;
}

/** The parts of the task's role that decide how it is read and when it is stopped. */
export type RunMeta = Pick<
  Role,
  | 'name'
  | 'output'
  | 'timeout'
  | 'timeout_ms'
  | 'idle_timeout'
  | 'idle_timeout_ms'
  | 'provider_stall'
  | 'provider_stall_ms'
  | 'budget'
  | 'autocommit'
  | 'questions'
>;

/** Where the run files of a task live: next to its log, so deleting an agent's logs deletes them too. */
export function taskRunDir(logDir: string, taskId: string): string {
  return join(logDir, `${taskId}.run`);
}

export function runFiles(dir: string): RunFiles {
  return {
    dir,
    stdout: join(dir, 'stdout'),
    stderr: join(dir, 'stderr'),
    exit: join(dir, 'exit.json'),
    offsets: join(dir, 'offsets.json'),
    meta: join(dir, 'meta.json'),
    stdin: join(dir, 'stdin.fifo'),
    stdinFirst: join(dir, 'stdin.first'),
    questions: join(dir, 'questions.json'),
  };
}

export function createRunFiles(dir: string, meta: RunMeta): RunFiles {
  const files = runFiles(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.meta, JSON.stringify(meta), { mode: 0o600 });
  return files;
}

/** The supervisor's record of how the CLI ended, or null while it runs (or when its supervisor died first). */
export function readExitStatus(files: RunFiles): ExitStatus | null {
  const json = readJson(files.exit);
  if (typeof json !== 'object' || json === null) return null;
  const status = json as Partial<ExitStatus>;
  return {
    exit_code: typeof status.exit_code === 'number' ? status.exit_code : null,
    signal: typeof status.signal === 'string' ? status.signal : null,
    spawn_error: typeof status.spawn_error === 'string' ? status.spawn_error : null,
    ended_at: typeof status.ended_at === 'string' ? status.ended_at : new Date().toISOString(),
  };
}

export function readOffsets(files: RunFiles): ReadOffsets {
  const json = readJson(files.offsets) as Partial<ReadOffsets> | null;
  const offset = (value: unknown): number =>
    Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
  return { stdout: offset(json?.stdout), stderr: offset(json?.stderr) };
}

export function readRunMeta(files: RunFiles): RunMeta | null {
  const json = readJson(files.meta) as Partial<RunMeta> | null;
  if (!json || typeof json.name !== 'string' || !OUTPUT_FORMATS.includes(json.output as OutputFormat)) return null;
  const orNull = <T>(value: T | undefined): T | null =>
    typeof value === 'string' || typeof value === 'number' ? value : null;
  return {
    name: json.name,
    output: json.output as OutputFormat,
    timeout: orNull(json.timeout),
    timeout_ms: orNull(json.timeout_ms),
    idle_timeout: orNull(json.idle_timeout),
    idle_timeout_ms: orNull(json.idle_timeout_ms),
    // Run files written before these existed: no stall bound and no budget, as when they started.
    provider_stall: orNull(json.provider_stall),
    provider_stall_ms: orNull(json.provider_stall_ms),
    budget: readBudget(json.budget),
    // Run files written before roles could opt out of it did commit leftovers.
    autocommit: json.autocommit !== false,
    // Run files written before questions existed ran without a stdin of their own.
    questions: json.questions === 'claude-stdio' ? 'claude-stdio' : null,
  };
}

function readBudget(value: unknown): Budget | null {
  if (typeof value !== 'object' || value === null) return null;
  const budget = value as Partial<Budget>;
  const amount = (field: unknown): number | null => (typeof field === 'number' && field > 0 ? field : null);
  const usd = amount(budget.usd);
  const tokens = amount(budget.tokens);
  return usd === null && tokens === null ? null : { usd, tokens };
}

/** The run files are small; the agent may reach them, so one it replaced (a FIFO, a huge file) reads as none. */
const MAX_RUN_FILE_BYTES = 1024 * 1024;

function readJson(file: string): unknown {
  const text = readRegularFile(file, MAX_RUN_FILE_BYTES);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
