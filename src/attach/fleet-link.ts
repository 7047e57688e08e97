import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { MAX_HANDSHAKE_BYTES, replySchema, type Hello, type Reply } from './attach-protocol.js';
import { EndedEarlyError, readFirstLine } from './first-line.js';
import { MessageLines } from './message-lines.js';
import { isOwnSocket } from './socket-trust.js';

/** A fleet this process started in the background for its clients. */
export interface StartedFleet {
  /** Why it could not start (its own words), once it has ended so; null while it runs or when another holds the data dir. */
  readonly failure: string | null;
  /** What it said when it stepped aside for another server holding the data dir; null otherwise. */
  readonly steppedAside: string | null;
  /** Whether it has ended. */
  readonly ended: boolean;
  /** Lets it live on without this process. */
  release(): void;
}

export interface FleetLinkOptions {
  /** The fleet's socket, or why there can be none (every request is then answered with it). */
  socket: { path: string } | { problem: string };
  hello: Hello;
  /** Starts a fleet on the data dir in the background, when none answers on the socket. */
  startFleet: () => StartedFleet;
  /** Hands one message line to the MCP client. */
  toClient: (line: string) => void;
  logger: Logger;
}

// How long a request waits for a fleet to answer on the socket, one being started included.
const CONNECT_DEADLINE_MS = 20_000;
const POLL_MS = 100;
// After the fleet went away, how long to give `serve` (taking the fleet over) before starting one in the background.
const HANDOVER_MS = 3000;
// Client messages kept while no fleet answers; past this, requests are answered with an error at once.
const MAX_QUEUED = 1000;
// JSON-RPC's range for server errors: the call did not reach the fleet or lost it.
const LINK_ERROR = -32000;

type JsonRpcId = string | number;
/** A client message line, and what it says when it is JSON. */
interface Queued {
  line: string;
  message: Message | null;
}

interface Message {
  jsonrpc?: string;
  id?: JsonRpcId;
  method?: string;
  params?: { uri?: unknown; requestId?: unknown };
}

/**
 * The MCP client's end of a shared fleet: relays its messages to the fleet on the data dir's socket, starting one in
 * the background when none runs. When the fleet goes away (a restart, an upgrade, `serve` taking over), the calls in
 * flight are answered with an error saying so, and the link attaches to the next fleet, telling it the client's
 * initialize and resource subscriptions again, so the client's session goes on. Whatever keeps the link from a
 * fleet is answered to each request as an MCP error, never a closed connection.
 */
export class FleetLink {
  private socket: Socket | null = null;
  private connecting = false;
  private closed = false;
  private lostFleetAt: number | null = null;
  private readonly queue: Queued[] = [];
  /** Client requests the fleet has not answered, by id key. */
  private readonly pending = new Map<string, JsonRpcId>();
  /** Those of them that are 2026-07-28 listen streams: they stay open until cancelled, and no answer is owed. */
  private readonly listens = new Set<string>();
  private readonly internal = new Map<string, (message: Message) => void>();
  private initialize: Message | null = null;
  private initialized: string | null = null;
  private readonly subscriptions = new Set<string>();
  /** Set once the client has sent its last message: called when each of its requests has an answer. */
  private whenAnswered: (() => void) | null = null;

  constructor(private readonly options: FleetLinkOptions) {}

  /** Attaches at once, so the client's first request finds the fleet ready. */
  start(): void {
    this.connect();
  }

  fromClient(line: string): void {
    const queued = { line, message: parse(line) };
    if (this.socket) {
      this.send(this.socket, queued);
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.fail([queued], 'too many messages are waiting for the fleet to answer');
      return;
    }
    this.queue.push(queued);
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
  }

  /**
   * The client has sent its last message (it closed its end): resolves once every request it sent has its answer,
   * from the fleet or an error saying why none came, and then closes the link.
   */
  finish(): Promise<void> {
    return new Promise((resolve) => {
      this.whenAnswered = resolve;
      this.closeIfAnswered();
    });
  }

  private closeIfAnswered(): void {
    const answered = this.whenAnswered;
    const owed = [...this.pending.keys()].some((key) => !this.listens.has(key));
    if (
      !answered ||
      owed ||
      this.queue.some(({ message }) => isRequest(message) && message.method !== 'subscriptions/listen')
    )
      return;
    this.whenAnswered = null;
    this.close();
    answered();
  }

  /** Sends a client message, remembering what a next fleet must be told again. */
  private send(socket: Socket, { line, message }: Queued): void {
    socket.write(`${line}\n`);
    if (message) this.remember(message, line);
  }

  private remember(message: Message, line: string): void {
    if (message.method === undefined) return;
    if (message.id !== undefined) this.pending.set(idKey(message.id), message.id);
    if (message.id !== undefined && message.method === 'subscriptions/listen') this.listens.add(idKey(message.id));
    // A request the client cancelled gets no answer, as MCP specifies: the client no longer waits for one.
    if (message.method === 'notifications/cancelled' && isJsonRpcId(message.params?.requestId)) {
      this.pending.delete(idKey(message.params.requestId));
      this.listens.delete(idKey(message.params.requestId));
    }
    if (message.method === 'initialize' && message.id !== undefined) this.initialize = message;
    else if (message.method === 'notifications/initialized') this.initialized = line;
    const uri = message.params?.uri;
    if (typeof uri !== 'string') return;
    if (message.method === 'resources/subscribe') this.subscriptions.add(uri);
    else if (message.method === 'resources/unsubscribe') this.subscriptions.delete(uri);
  }

  private connect(): void {
    if (this.connecting || this.socket || this.closed) return;
    this.connecting = true;
    this.attach().then(
      (socket) => {
        this.connecting = false;
        if (this.closed) {
          socket.end();
          return;
        }
        this.socket = socket;
        for (const queued of this.queue.splice(0)) this.send(socket, queued);
        this.closeIfAnswered();
      },
      (error: Error) => {
        this.connecting = false;
        this.options.logger.error({ reason: error.message }, 'no fleet to attach to');
        this.fail(this.queue.splice(0), error.message);
        this.closeIfAnswered();
      },
    );
  }

  private async attach(): Promise<Socket> {
    const target = this.options.socket;
    if ('problem' in target) throw new Error(target.problem);
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
    const startAfter = this.lostFleetAt === null ? 0 : this.lostFleetAt + HANDOVER_MS;
    let started: StartedFleet | null = null;
    let holder: string | null = null;
    for (;;) {
      const socket = await this.handshake(target.path);
      if (socket) {
        started?.release();
        if (this.initialize) await this.replay(socket);
        // A fleet that went away during the replay is like none: the next try finds its successor.
        if (!socket.destroyed) return socket;
      }
      if (started?.failure) throw new Error(started.failure);
      if (started?.ended) {
        holder = started.steppedAside ?? holder;
        started = null;
      }
      if (!started && Date.now() >= startAfter) started = this.options.startFleet();
      if (Date.now() > deadline) {
        started?.release();
        const why = holder ? `: ${holder}` : '';
        throw new Error(`no fleet-mcp server answered on ${target.path} within ${CONNECT_DEADLINE_MS / 1000} s${why}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** The socket with the fleet's hello answered, following it; null when nothing listens. Throws when refused. */
  private async handshake(path: string): Promise<Socket | null> {
    if (!isOwnSocket(path)) return null;
    const socket = await open(path);
    if (!socket) return null;
    socket.write(`${JSON.stringify(this.options.hello)}\n`);
    let reply: Reply;
    try {
      reply = replySchema.parse(
        JSON.parse(await readFirstLine(socket, { maxBytes: MAX_HANDSHAKE_BYTES, timeoutMs: CONNECT_DEADLINE_MS })),
      );
    } catch (error) {
      socket.destroy();
      if (error instanceof EndedEarlyError) return null;
      throw new Error(`the fleet on ${path} answered the attach hello wrongly: ${(error as Error).message}`);
    }
    if ('fleet_mcp_refused' in reply) {
      socket.destroy();
      throw new Error(`the fleet on ${path} refused this client: ${reply.fleet_mcp_refused}`);
    }
    this.follow(socket);
    return socket;
  }

  private follow(socket: Socket): void {
    const lines = new MessageLines();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of lines.push(chunk)) this.fromFleet(line);
      } catch (error) {
        this.options.logger.error({ reason: (error as Error).message }, 'dropping the fleet connection');
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => this.lost(socket));
    socket.resume();
  }

  private fromFleet(line: string): void {
    const message = parse(line);
    if (message && message.method === undefined && message.id !== undefined) {
      const key = idKey(message.id);
      const internal = this.internal.get(key);
      if (internal) {
        this.internal.delete(key);
        internal(message);
        return;
      }
      this.pending.delete(key);
      this.listens.delete(key);
    }
    this.options.toClient(line);
    this.closeIfAnswered();
  }

  /** The next fleet is told what the client told the last: the session goes on as if it had not changed. */
  private async replay(socket: Socket): Promise<void> {
    // A 2026-07-28 client opened no session: each of its requests stands alone, and its listen streams were ended.
    if (!this.initialize) return;
    await this.request(socket, { ...this.initialize, id: internalId() });
    if (this.initialized) socket.write(`${this.initialized}\n`);
    for (const uri of this.subscriptions) {
      if (socket.destroyed) return;
      await this.request(socket, { jsonrpc: '2.0', id: internalId(), method: 'resources/subscribe', params: { uri } });
    }
  }

  private request(socket: Socket, message: Message & { id: string }): Promise<Message> {
    // A fleet gone already answers nothing; the attach loop looks for its successor.
    if (socket.destroyed) return Promise.resolve({});
    return new Promise((resolve, reject) => {
      const key = idKey(message.id);
      const timer = setTimeout(() => {
        this.internal.delete(key);
        reject(new Error(`the fleet did not answer ${message.method} within ${CONNECT_DEADLINE_MS / 1000} s`));
      }, CONNECT_DEADLINE_MS);
      this.internal.set(key, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  private lost(socket: Socket): void {
    for (const [key, resolve] of this.internal) {
      this.internal.delete(key);
      resolve({});
    }
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.closed) return;
    this.lostFleetAt = Date.now();
    const ids = [...this.pending.values()];
    this.pending.clear();
    this.listens.clear();
    for (const id of ids) {
      this.options.toClient(
        errorLine(
          id,
          'the fleet-mcp server on this data dir stopped while this call ran (a restart, an upgrade, or `serve` taking over); call again',
        ),
      );
    }
    this.closeIfAnswered();
    if (this.closed) return;
    this.options.logger.info('the fleet went away; attaching to the next one');
    this.connect();
  }

  /** Answers each request among the messages with the reason no fleet took it. */
  private fail(messages: Queued[], reason: string): void {
    for (const { message } of messages) {
      if (isRequest(message)) this.options.toClient(errorLine(message.id, `fleet-mcp: ${reason}`));
    }
  }
}

function open(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (): void => resolve(null);
    socket.once('error', onError);
  });
}

function parse(line: string): Message | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Message) : null;
  } catch {
    return null;
  }
}

function isRequest(message: Message | null): message is Message & { id: JsonRpcId } {
  return message?.method !== undefined && message.id !== undefined;
}

function isJsonRpcId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number';
}

function idKey(id: JsonRpcId): string {
  return JSON.stringify(id);
}

function internalId(): string {
  return `fleet-mcp-link-${randomUUID()}`;
}

function errorLine(id: JsonRpcId, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: LINK_ERROR, message } });
}
