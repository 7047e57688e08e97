import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import {
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskExit,
  type TaskHandle,
} from './agent-runtime.js';
import type { EngineTaskFile } from './engine-launch.js';

/** The relay's own failures: the engine would not take the task, or a secret was missing. */
export const ENGINE_REFUSED = 125;
/** A task the engine ended for going over its memory limit, as a shell reports a SIGKILL. */
export const OUT_OF_MEMORY = 137;

export interface EngineTaskOptions {
  file: EngineTaskFile;
  env: NodeJS.ProcessEnv;
  runtime: AgentRuntime;
  stdout: Writable;
  stderr: Writable;
  /** Resolves on the first SIGINT or SIGTERM of the task's group: a cancel, a timeout. */
  stopped: Promise<void>;
}

/** Reads the relay's input that prepareEngineLaunch wrote in the task's run dir. */
export function readEngineTaskFile(path: string): EngineTaskFile {
  return JSON.parse(readFileSync(path, 'utf8')) as EngineTaskFile;
}

/**
 * Runs one task on its engine as the task supervisor's child: starts it (or, after a restart, finds it again by its
 * labels), copies its output to this process's stdout and stderr, stops it when the group is signalled, removes
 * everything the engine holds for it once it has ended, and returns the exit code the fleet records.
 */
export async function relayEngineTask(options: EngineTaskOptions): Promise<number> {
  const { file } = options;
  const missing = file.secretNames.find((name) => !options.env[name]);
  if (missing)
    return refuse(options.stderr, `the secret ${missing} did not reach the task's relay; nothing was started`);
  const secrets = Object.fromEntries(file.secretNames.map((name) => [name, options.env[name]!]));
  let handle: TaskHandle;
  try {
    handle = await findOrStart(options.runtime, { ...file.spec, secrets });
  } catch (error) {
    if (error instanceof RuntimeError) return refuse(options.stderr, error.message);
    throw error;
  }
  const output = handle.output((stream, data) => (stream === 'stdout' ? options.stdout : options.stderr).write(data));
  void options.stopped.then(() => handle.stop(file.stopGraceMs));
  let exit: TaskExit;
  try {
    exit = await handle.exit();
    await output.done;
  } finally {
    output.close();
    await handle.remove();
  }
  return exitCode(exit, file, options.stderr);
}

async function findOrStart(runtime: AgentRuntime, spec: RemoteTaskSpec): Promise<TaskHandle> {
  const found = (await runtime.find(spec.labels.server)).find((handle) => handle.labels.task === spec.labels.task);
  return found ?? runtime.start(spec);
}

function exitCode(exit: TaskExit, file: EngineTaskFile, stderr: Writable): number {
  if (exit.error !== null) return refuse(stderr, exit.error);
  if (exit.oomKilled) {
    const limit = file.spec.limits.memoryBytes;
    stderr.write(
      `fleet-mcp: ${file.backend.engine} ended the task: it went over its memory limit${limit ? ` of ${Math.round(limit / 1024 / 1024)} MiB` : ''}; raise limits.memory of its role or backend\n`,
    );
    return OUT_OF_MEMORY;
  }
  return exit.exitCode ?? 1;
}

function refuse(stderr: Writable, message: string): number {
  stderr.write(`fleet-mcp: ${message}\n`);
  return ENGINE_REFUSED;
}
