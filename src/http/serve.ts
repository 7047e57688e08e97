import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { REQUEST_TIMEOUT_MS } from './limits.js';

export interface ListenOptions {
  /** The Hono app: only its fetch is served. */
  app: { fetch: (request: Request) => Response | Promise<Response> };
  host: string;
  port: number;
  /** Open connections allowed at once; see capConnections. */
  maxConnections: number;
  /** How long a client may take to send its headers; at most REQUEST_TIMEOUT_MS. */
  headersTimeoutMs: number;
}

/**
 * A client that stalls is cut off: headers must arrive within FLEET_MCP_HEADERS_TIMEOUT (10 s) and the whole request
 * within 30 s. These bound receiving the request only, so long tool calls still have all the time they need to answer.
 */
function serverOptions(headersTimeoutMs: number): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return { headersTimeout: headersTimeoutMs, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 };
}

export interface RunningServer {
  address: AddressInfo;
  /**
   * Stops accepting, lets requests in flight finish for up to `graceMs`, then drops what is left; settles with
   * whether it had to drop any.
   */
  close: (graceMs: number) => Promise<{ dropped: boolean }>;
}

/** How often idle keep-alive connections are closed while shutting down. */
const IDLE_SWEEP_MS = 50;

function closeServer(server: ServerType, graceMs: number): Promise<{ dropped: boolean }> {
  return new Promise((resolve) => {
    let dropped = false;
    const timer = setTimeout(() => {
      dropped = true;
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, graceMs);
    // A connection whose request finishes during shutdown turns idle and would otherwise wait out the
    // keep-alive timeout; sweeping idle connections lets the process exit as soon as the last answer is sent.
    const sweep = setInterval(() => {
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    timer.unref();
    sweep.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve({ dropped });
    });
  });
}

/** A connection must have been quiet this long before a newcomer may push it out, so a burst of new clients is not cut off. */
const EVICTABLE_AFTER_MS = 1_000;

/**
 * Bounds the descriptors clients can hold, without letting a flood shut everyone out: past `max`, a new
 * connection pushes out the oldest one that has had no request in flight for a second (still sending its
 * headers, or idle between keep-alive requests), so half-open connections cannot keep /health or a real client
 * from being answered. A connection whose request is being answered (a long tool call, an SSE stream) is never
 * pushed out; when no connection may be, the new one is closed instead.
 */
function capConnections(server: ServerType, max: number): void {
  const quietSince = new Map<Socket, number>();
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    const now = Date.now();
    quietSince.set(socket, now);
    socket.once('close', () => {
      quietSince.delete(socket);
      inFlight.delete(socket);
    });
    if (quietSince.size <= max) return;
    let victim = socket;
    for (const [candidate, since] of quietSince) {
      if (candidate !== socket && !inFlight.get(candidate) && now - since >= EVICTABLE_AFTER_MS) {
        victim = candidate;
        break;
      }
    }
    victim.destroy();
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    // `on`, not `once`: a response closes once, and once's wrapper would be one more allocation per request.
    response.on('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left);
      else inFlight.delete(socket);
      if (quietSince.has(socket)) quietSince.set(socket, Date.now());
    });
  });
}

export async function listen(options: ListenOptions): Promise<RunningServer> {
  const server = createAdaptorServer({
    fetch: options.app.fetch,
    serverOptions: serverOptions(options.headersTimeoutMs),
  });
  capConnections(server, options.maxConnections);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { address: server.address() as AddressInfo, close: (graceMs) => closeServer(server, graceMs) };
}

/**
 * Fails as listen() would when the port is taken, before the server takes the data dir (and its fleet) over from
 * the background fleet of stdio clients: a server that cannot serve must not end theirs. Port 0 is always free.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
