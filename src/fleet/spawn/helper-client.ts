import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isSea } from 'node:sea';
import { childEnv } from '../child-env.js';
import {
  SPAWN_HELPER_COMMAND,
  type DetachedProcess,
  type DetachedSpec,
  type HelperEvent,
  type HelperRequest,
  type ProcessSpec,
} from './helper-protocol.js';
import type { ProcessExit, ProcessHandlers, StartedProcess } from './start-process.js';

/** The last event of a request: how its process ended, that it was started detached, or why it was not. */
type FinalEvent = Exclude<HelperEvent, { type: 'stdout' | 'stderr' }>;

interface Request {
  /** The helper it was last sent to. */
  holder?: Helper;
  output?: ProcessHandlers;
  settle: (event: FinalEvent) => void;
}

interface Helper {
  child: ChildProcess;
  requests: Map<number, Request>;
}

/** The running helper, started at the first request and again after it has died. */
let helper: Helper | null = null;
let nextId = 1;

/** Starts `spec` through the spawn helper: as `spawn` would, without forking the server. */
export function startThroughHelper(spec: ProcessSpec, output: ProcessHandlers): StartedProcess {
  const id = nextId++;
  const request: Request = { output, settle: () => {} };
  const ended = new Promise<ProcessExit>((resolve, reject) => {
    request.settle = (event) => {
      if (event.type === 'close') resolve({ code: event.code, signal: event.signal });
      else reject(new Error(event.type === 'error' ? event.message : `unexpected ${event.type}`));
    };
  });
  ask({ type: 'spawn', id, spec }, request);
  // A helper gone already took the process's end with it: there is nothing left to kill.
  return { ended, kill: () => request.holder?.child.send({ type: 'kill', id } satisfies HelperRequest, () => {}) };
}

/** Starts `spec` detached through the spawn helper, which the process then outlives if it must. */
export function detachThroughHelper(spec: DetachedSpec): Promise<DetachedProcess> {
  return new Promise((resolve, reject) => {
    ask(
      { type: 'detach', id: nextId++, spec },
      {
        settle: (event) => {
          if (event.type === 'detached') resolve({ pid: event.pid, pidStart: event.pidStart });
          else reject(new Error(event.type === 'error' ? event.message : `unexpected ${event.type}`));
        },
      },
    );
  });
}

/**
 * Sends a request to the helper, starting one when none runs. A request the helper could not be sent never reached
 * it, so nothing was started: it goes once more, to a new helper, as the old one is dead (killed, say, and its
 * exit not yet seen here).
 */
function ask(message: Exclude<HelperRequest, { type: 'kill' }>, request: Request, again = true): void {
  const current = helper?.child.connected ? helper : startHelper();
  request.holder = current;
  current.requests.set(message.id, request);
  current.child.channel?.ref();
  current.child.send(message, (error) => {
    if (!error || !current.requests.delete(message.id)) return;
    if (helper === current) helper = null;
    if (again) ask(message, request, false);
    else
      request.settle({
        type: 'error',
        id: message.id,
        message: `the spawn helper could not be reached: ${error.message}`,
      });
  });
}

function startHelper(): Helper {
  const [command, ...args] = helperArgv();
  // An agent's environment: the helper never holds the token, whatever it starts.
  const child = spawn(command!, args, {
    env: childEnv(process.env, {}),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const started: Helper = { child, requests: new Map() };
  helper = started;
  child.unref();
  child.on('message', (event: HelperEvent) => deliver(started, event));
  const fail = (why: string) => {
    if (helper === started) helper = null;
    for (const [id, request] of started.requests)
      request.settle({ type: 'error', id, message: `the spawn helper ${why}` });
    started.requests.clear();
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

function deliver(current: Helper, event: HelperEvent): void {
  const request = current.requests.get(event.id);
  if (!request) return;
  if (event.type === 'stdout' || event.type === 'stderr') {
    request.output?.[event.type](event.chunk);
    return;
  }
  current.requests.delete(event.id);
  // With nothing asked of it, the helper keeps no server alive that has nothing else to do.
  if (current.requests.size === 0) current.child.channel?.unref();
  request.settle(event);
}
