import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  PROTOCOL_VERSION_META_KEY,
  STDIO_DEFAULT_MAX_BUFFER_SIZE,
  type McpServer as ModernMcpServer,
} from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport as ModernStdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { ATTACH_PROTOCOL, helloSchema, MAX_HANDSHAKE_BYTES, type Hello, type Reply } from './attach-protocol.js';
import { clientNamespace, type ClientNamespace } from './client-namespace.js';
import { readFirstLine } from './first-line.js';

// A client that connects says hello at once; one that does not is not a fleet-mcp stdio process.
const HELLO_TIMEOUT_MS = 5000;

export interface FleetSocketOptions {
  path: string;
  /** A new MCP server, not yet connected, for one attached client of the 2025 era. */
  createServer: () => McpServer;
  /** A new MCP server for a client that opens with a 2026-07-28 request; the v2 SDK may ask for more than one. */
  createModernServer: () => ModernMcpServer;
  /** Hears the folder each client was started in. */
  onHello: (hello: Hello) => void;
  logger: Logger;
}

export interface FleetSocket {
  /** Connections whose client has not ended its side: the host stays while there is one. */
  readonly clients: number;
  /** When a client last left (Date.now()), 0 before any did: a host's idle delay counts from it. */
  readonly lastLeftAt: number;
  /** Stops taking clients and ends every attached one (each reconnects to whatever runs the fleet next). */
  close(): Promise<void>;
}

/**
 * Serves the fleet to `fleet-mcp stdio` processes over a Unix socket in the data dir: each gets its own MCP server,
 * as if it had the fleet to itself. Only the caller, holding the data-dir lock, may call this: a socket file already
 * there was left by a holder that died, and is replaced.
 */
export async function listenFleetSocket(options: FleetSocketOptions): Promise<FleetSocket> {
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  let lastLeftAt = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    clients.add(socket);
    const leave = (): void => {
      if (!clients.delete(socket)) return;
      options.logger.debug({ clients: clients.size }, 'a socket client left');
      // Taken after the line is logged: an idle delay counted from here never ends sooner after the logged time.
      lastLeftAt = Date.now();
    };
    // A client that went away mid-write is no concern of the others.
    socket.on('error', () => {});
    // A client that ended its side has left, even when it never reads the answers still owed to it: its
    // connection then never closes, and counting it would keep the host forever.
    socket.once('end', leave);
    socket.once('close', () => {
      sockets.delete(socket);
      leave();
    });
    // A refused client is not one: holding its connection open must not keep a host from its idle exit.
    void attach(socket, options).then((attached) => attached || leave());
  });
  rmSync(options.path, { force: true });
  // The socket is made by the synchronous bind inside listen(): with this umask it is never open to others.
  const previousUmask = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.path, () => resolve());
    });
  } finally {
    process.umask(previousUmask);
  }
  await listening;
  chmodSync(options.path, 0o600);
  return {
    get clients() {
      return clients.size;
    },
    get lastLeftAt() {
      return lastLeftAt;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      rmSync(options.path, { force: true });
    },
  };
}

/** Serves one connection; false when it was refused. */
async function attach(socket: Socket, options: FleetSocketOptions): Promise<boolean> {
  // Asked first, in the same tick as the accept: the connection's own file descriptor is looked up.
  const origin = clientNamespace(socket);
  let hello: Hello | null = null;
  let notHello = '';
  try {
    const line = await readFirstLine(socket, { maxBytes: MAX_HANDSHAKE_BYTES, timeoutMs: HELLO_TIMEOUT_MS });
    hello = helloSchema.parse(JSON.parse(line));
  } catch (error) {
    notHello = `not a fleet-mcp attach hello (protocol ${ATTACH_PROTOCOL}): ${(error as Error).message.slice(0, 200)}`;
  }
  // The namespace outranks the hello: a client from elsewhere hears only that it is refused, whatever it said.
  const foreign = foreignReason(await origin, options.logger);
  if (foreign) return refuse(socket, foreign);
  if (!hello) {
    options.logger.warn({ reason: notHello }, 'refused a local socket client');
    return refuse(socket, notHello);
  }
  options.onHello(hello);
  socket.write(line({ fleet_mcp_attached: ATTACH_PROTOCOL, version: VERSION }));
  socket.resume();
  let opening: string;
  try {
    opening = await readFirstLine(socket, { maxBytes: STDIO_DEFAULT_MAX_BUFFER_SIZE });
  } catch {
    // Gone before its first message, or a message over the transport's limit: the relay tells its client.
    socket.destroy();
    return true;
  }
  socket.unshift(Buffer.from(`${opening}\n`));
  if (opensModernEra(opening)) serveModern(socket, options);
  else await serveLegacy(socket, options);
  options.logger.debug({ cwd: hello.cwd, client_version: hello.version }, 'a stdio client attached');
  return true;
}

/**
 * Why a client outside this process's network namespace is refused, logged; null for one inside it. Every agent
 * sandbox has a namespace of its own, so no sandboxed agent, whatever its role allows, reaches a fleet this way.
 */
function foreignReason(origin: ClientNamespace, logger: Logger): string | null {
  if (origin === 'same') return null;
  if (origin === 'other') {
    logger.warn('refused a socket client from another network namespace (an agent sandbox or a container)');
    return 'this fleet serves only clients in its own network namespace, none from an agent sandbox or a container with a network of its own';
  }
  logger.warn({ reason: origin.problem }, 'refused a socket client whose network namespace cannot be told');
  return `this fleet cannot tell whether this client is in its network namespace: ${origin.problem}`;
}

function refuse(socket: Socket, reason: string): false {
  socket.end(line({ fleet_mcp_refused: reason }));
  // The hello was read with the socket paused: reading on is what lets the fleet see this client leave.
  socket.resume();
  return false;
}

/**
 * Whether the connection opens with a request that carries the 2026-07-28 envelope claim; the v2 SDK then serves it
 * and answers whatever is wrong with the envelope. Anything else (initialize, a line that is not JSON) is the 2025
 * era's, as the SDK itself routes it.
 */
function opensModernEra(opening: string): boolean {
  try {
    const message = JSON.parse(opening) as { params?: { _meta?: Record<string, unknown> } } | null;
    return message?.params?._meta?.[PROTOCOL_VERSION_META_KEY] !== undefined;
  } catch {
    return false;
  }
}

function serveModern(socket: Socket, options: FleetSocketOptions): void {
  const handle = serveStdio(() => options.createModernServer(), {
    transport: new ModernStdioServerTransport(socket, socket),
    legacy: 'reject',
    onerror: (error) => options.logger.debug({ err: error }, 'MCP 2026-07-28 message refused'),
  });
  socket.once('close', () => void handle.close());
  socket.resume();
}

async function serveLegacy(socket: Socket, options: FleetSocketOptions): Promise<void> {
  const server = options.createServer();
  socket.once('close', () => void server.close());
  await server.connect(new StdioServerTransport(socket, socket));
  // The transport gives up on a message over its size limit by closing itself: the client must hear it.
  const closed = server.server.onclose;
  server.server.onclose = () => {
    closed?.();
    socket.destroy();
  };
  socket.resume();
}

function line(reply: Reply): string {
  return `${JSON.stringify(reply)}\n`;
}
