import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isSea } from 'node:sea';
import { childEnv } from '../child-env.js';
import { SPAWN_HELPER_COMMAND, type HelperEvent, type HelperRequest, type ProcessSpec } from './helper-protocol.js';
import type { ProcessHandlers, StartedProcess } from './start-process.js';

interface Run {
  handlers: ProcessHandlers;
  resolve: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
  reject: (error: Error) => void;
}

/** The running helper, started at the first process asked for and again after it has died. */
let helper: { child: ChildProcess; runs: Map<number, Run> } | null = null;
let nextId = 1;

/** Starts `spec` through the spawn helper: as `spawn` would, without forking the server. */
export function startThroughHelper(spec: ProcessSpec, handlers: ProcessHandlers): StartedProcess {
  const current = helper ?? startHelper();
  const id = nextId++;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    current.runs.set(id, { handlers, resolve, reject });
  });
  current.child.channel?.ref();
  send(current, { type: 'spawn', id, spec });
  return { ended, kill: () => send(current, { type: 'kill', id }) };
}

function startHelper(): NonNullable<typeof helper> {
  const [command, ...args] = helperArgv();
  // An agent's environment: the helper itself never holds the token, whatever it starts.
  const child = spawn(command!, args, {
    env: childEnv(process.env, {}),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const started = { child, runs: new Map<number, Run>() };
  helper = started;
  child.unref();
  child.on('message', (event: HelperEvent) => deliver(started, event));
  const fail = (why: string) => {
    if (helper === started) helper = null;
    for (const run of started.runs.values()) run.reject(new Error(`the spawn helper ${why}`));
    started.runs.clear();
  };
  child.on('error', (error) => fail(`could not start: ${error.message}`));
  child.on('exit', (code, signal) => fail(`ended (${signal ?? `exit code ${String(code)}`})`));
  return started;
}

/** This executable with the helper's command: the single binary, or Node with this CLI's script. */
function helperArgv(): string[] {
  return isSea()
    ? [process.execPath, SPAWN_HELPER_COMMAND]
    : [process.execPath, realpathSync(process.argv[1]!), SPAWN_HELPER_COMMAND];
}

function deliver(current: NonNullable<typeof helper>, event: HelperEvent): void {
  const run = current.runs.get(event.id);
  if (!run) return;
  if (event.type === 'stdout' || event.type === 'stderr') {
    run.handlers[event.type](event.chunk);
    return;
  }
  current.runs.delete(event.id);
  // With nothing asked of it, the helper keeps no server alive that has nothing else to do.
  if (current.runs.size === 0) current.child.channel?.unref();
  if (event.type === 'error') run.reject(new Error(event.message));
  else run.resolve({ code: event.code, signal: event.signal });
}

function send(current: NonNullable<typeof helper>, request: HelperRequest): void {
  current.child.send(request, (error) => {
    if (!error) return;
    const run = current.runs.get(request.id);
    current.runs.delete(request.id);
    run?.reject(new Error(`the spawn helper could not be reached: ${error.message}`));
  });
}
