import type { DetachedSpec, HelperEvent, HelperRequest, ProcessSpec } from './helper-protocol.js';
import { detachDirectly, startDirectly, type StartedProcess } from './start-process.js';

/**
 * The spawn helper's main: starts the processes the server asks for and sends back their output and exit. It is
 * small, so each fork copies little, where a fork of the server copies its whole address space on the event loop.
 * It holds no token (the server starts it with an agent's environment) and gives each process only the
 * environment the request names. It goes when the server does.
 */
export function spawnHelperCommand(): void {
  const running = new Map<number, StartedProcess>();
  process.on('disconnect', () => process.exit(0));
  // A terminal's Ctrl+C reaches the server's whole group and systemd's stop its whole cgroup, while the server's
  // shutdown may still run git through the helper: it goes when the server does, by the channel closing.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  process.on('message', (request: HelperRequest) => {
    if (request.type === 'kill') running.get(request.id)?.kill();
    else if (request.type === 'detach') detach(request.id, request.spec);
    else start(request.id, request.spec, running);
  });
}

function start(id: number, spec: ProcessSpec, running: Map<number, StartedProcess>): void {
  let started: StartedProcess;
  try {
    started = startDirectly(spec, {
      stdout: (chunk) => send({ type: 'stdout', id, chunk }),
      stderr: (chunk) => send({ type: 'stderr', id, chunk }),
    });
  } catch (error) {
    send({ type: 'error', id, message: (error as Error).message });
    return;
  }
  running.set(id, started);
  started.ended.then(
    ({ code, signal }) => {
      running.delete(id);
      send({ type: 'close', id, code, signal });
    },
    (error: Error) => {
      running.delete(id);
      send({ type: 'error', id, message: error.message });
    },
  );
}

function detach(id: number, spec: DetachedSpec): void {
  try {
    send({ type: 'detached', id, ...detachDirectly(spec) });
  } catch (error) {
    send({ type: 'error', id, message: (error as Error).message });
  }
}

function send(event: HelperEvent): void {
  // Gone with the server: there is nobody left to tell.
  if (process.connected) process.send?.(event);
}
